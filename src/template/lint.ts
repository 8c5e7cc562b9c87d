import { UsageError } from '../errors.js';
import { PRESETS, type PresetName } from '../presets/catalog.js';
import { KNOWN_CLICK_ID_PARAMS } from '../presets/click-id-params.js';
import { FIRE_MACROS, MACRO_PATTERN, suggestMacro } from './macros.js';
import { describeDetection, detectDialect, dialectsKnowing, didYouMean, equivalentIn, isBracePlaceholder, lookupMacro, maskTokens, syntaxLabel, tokenize, writeMacro, DIALECT_SYNTAXES, type Detection, type MacroKnowledge, type MacroToken } from './dialect.js';
import { findDialect, type Dialect, type MacroRole } from './dialects/index.js';

/**
 * Checks a postback URL or template without sending it (design.md, `tpb lint`). Errors are what
 * makes a tracker drop the postback: macros that will reach it literally, parameters it requires,
 * a click id of a shape it refuses. Warnings are what often goes wrong but may be intended: plain
 * http (staging), empty or repeated parameters, characters that should be encoded.
 */

export type LintSeverity = 'error' | 'warning';

export interface LintFinding {
  severity: LintSeverity;
  /** Stable identifier of the check, for scripts. */
  code: string;
  /** The query parameter concerned, or null for the URL as a whole. */
  param: string | null;
  message: string;
  fix: string;
}

export interface LintOptions {
  /** The receiving tracker (`--receiver`, formerly `--preset`): required parameters, click-id parameter and format. */
  preset?: PresetName;
  /**
   * The platform that fills the URL (`--sender`): a dialect id, or 'auto' to detect it from the
   * macros. Without it the URL is read as tpb's own (what `tpb fire` fills), as before dialects.
   */
  sender?: string;
  /** Macros that will have a value when the template is expanded (default: tpb's fire macros). */
  knownMacros?: readonly string[];
  /** HTTP method the postback will use (TUNE accepts GET only). */
  method?: string;
}

interface QueryPair {
  name: string;
  rawName: string;
  value: string;
  rawValue: string;
  hasEquals: boolean;
}

const LOCAL_HOST = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?([/?#]|$)/i;

/** Tracker and network macro syntaxes that tpb does not expand, so they would be sent literally. */
const FOREIGN_MACROS: ReadonlyArray<{ pattern: RegExp; what: string }> = [
  { pattern: /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g, what: 'a template engine (Mustache, Jinja) macro syntax ({{x}})' },
  { pattern: /\[\[([A-Za-z_][\w.-]*)\]\]/g, what: 'Prosper202 macro syntax ([[x]])' },
  { pattern: /#([A-Za-z_][\w.-]*)#/g, what: 'CAKE or an affiliate network macro syntax (#x#)' },
  { pattern: /%7B(?:%7B)?([A-Za-z_][\w.-]*)%7D(?:%7D)?/gi, what: 'a macro that was URL-encoded before being expanded ({x} written as %7Bx%7D)' },
  { pattern: /\$\{\(?([A-Za-z_][\w.-]*)\)?!?\}/g, what: 'Branch or shell macro syntax (${x})' },
];

/** Placeholder words copied from tracker documentation. */
const PLACEHOLDER_VALUES = /^(REPLACE|OPTIONAL|CLICK_?ID|TRANSACTION_?ID|YOUR_[A-Z_]+|[Xx]{2,}|REPLACE_ME)$/;

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function splitQuery(query: string): QueryPair[] {
  if (query === '') return [];
  return query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    return { rawName, rawValue, name: decode(rawName), value: rawValue, hasEquals: eq >= 0 };
  });
}

function finding(severity: LintSeverity, code: string, param: string | null, message: string, fix: string): LintFinding {
  return { severity, code, param, message, fix };
}

/** Which parameter (if any) holds the text at `index` of the URL. */
function paramAt(url: string, index: number): string | null {
  const queryStart = url.indexOf('?');
  if (queryStart < 0 || index < queryStart) return null;
  const before = url.slice(queryStart + 1, index);
  const pairStart = before.lastIndexOf('&') + 1;
  const pair = before.slice(pairStart);
  const eq = pair.indexOf('=');
  return eq < 0 ? null : decode(pair.slice(0, eq));
}

/** Findings for a click id value against a preset's format (also used by fire for each id). */
export function lintClickId(clickId: string, preset: PresetName | undefined, param: string | null = null): LintFinding[] {
  const findings: LintFinding[] = [];
  const where = param ?? PRESETS[preset ?? 'generic'].clickIdParam;
  if (clickId.trim() === '') {
    findings.push(finding('error', 'empty-click-id', where, 'the click id is empty', 'check the source of the ids: the click id macro of the tracking link was probably not filled'));
    return findings;
  }
  const literal = /^(\{\{?[^{}]+\}?\}|#[^#]+#|\[\[[^\]]+\]\]|%7B.+%7D|\$\{.+\}|REPLACE)$/i.test(clickId.trim());
  if (literal) {
    findings.push(finding('error', 'literal-macro-click-id', where, `the click id "${clickId}" is a macro that was never filled in`, "the tracking link passed the macro through unexpanded: fix the offer URL's click-id macro (the network's token for the tracker's click id)"));
    return findings;
  }
  if (clickId !== clickId.trim()) {
    findings.push(finding('warning', 'click-id-whitespace', where, `the click id "${clickId}" has leading or trailing spaces`, 'trim it: the tracker compares ids exactly'));
  }
  if (preset) {
    const format = PRESETS[preset].clickIdFormat;
    if (!format.pattern.test(clickId)) {
      findings.push(
        finding(
          format.enforced ? 'error' : 'warning',
          'click-id-format',
          where,
          `the click id "${clickId}" is not ${format.description}${format.enforced ? `: ${PRESETS[preset].title} refuses it` : `, as ${PRESETS[preset].title} ids usually are`}`,
          `use an id captured from ${/^[AEIOU]/i.test(PRESETS[preset].title) ? 'an' : 'a'} ${PRESETS[preset].title} click (tpb click --preset ${preset}), e.g. ${format.example}`,
        ),
      );
    }
  }
  return findings;
}

/** One macro of the URL as the sender's dictionary reads it (`tpb lint -v`, `--json`). */
export interface MacroUse {
  /** As written, e.g. `{external_id}`. */
  macro: string;
  param: string | null;
  /** The dialect that knows it (the sender's, or in a mixed URL another one), or null. */
  dialect: string | null;
  meaning: string | null;
  role: MacroRole | null;
  uncertain: boolean;
}

/** Where the click id travels, and whether it lands where the receiver reads it. */
export interface ClickIdLanding {
  /** The macros (or literal) carrying the click id, as written. */
  macros: string[];
  /** The parameters holding them. */
  params: string[];
  /** The receiver's click-id parameter, with --receiver. */
  receiverParam: string | null;
  /** With --receiver: whether a click-id macro sits in the receiver's parameter. */
  lands: boolean | null;
}

export interface PostbackAnalysis {
  findings: LintFinding[];
  /** The dialect the URL was read in ('tpb' without --sender), and how it was chosen. */
  dialect: { id: string; title: string; chosen: 'default' | 'sender' | 'detected'; detection: string | null; tiedWith: string[]; mixed: boolean } | null;
  macros: MacroUse[];
  clickId: ClickIdLanding;
}

/** HTML entities whose names start like query parameters: a web page turned "&currency=" into "¤cy=". */
const EATEN_ENTITIES: Readonly<Record<string, string>> = {
  '¤': 'curren', '¶': 'para', '©': 'copy', '®': 'reg', '£': 'pound', '¢': 'cent', '§': 'sect', '×': 'times', '¬': 'not', '°': 'deg', '¹': 'sup1', '²': 'sup2', '³': 'sup3',
  'µ': 'micro', '·': 'middot', '÷': 'divide', '±': 'plusmn', '¥': 'yen', '¡': 'iexcl', '¿': 'iquest', '«': 'laquo', '»': 'raquo', 'ª': 'ordf', 'º': 'ordm', '¯': 'macr',
  '¸': 'cedil', '´': 'acute', '¨': 'uml', '¦': 'brvbar', 'ð': 'eth', 'þ': 'thorn', 'ß': 'szlig', 'æ': 'aelig', '¼': 'frac14', '½': 'frac12', '¾': 'frac34',
};

/** Placeholder words copied from documentation, as a whole value (cid=REPLACE). */
export function isPlaceholderValue(value: string): boolean {
  return PLACEHOLDER_VALUES.test(value);
}

function clickIdParamNames(preset: PresetName | undefined): readonly string[] {
  return preset ? [PRESETS[preset].clickIdParam] : KNOWN_CLICK_ID_PARAMS;
}

/** Lint findings only (fire, check, demo). See analyzePostback. */
export function lintTemplate(template: string, options: LintOptions = {}): LintFinding[] {
  return analyzePostback(template, options).findings;
}

/**
 * Read and check a postback URL as its sender fills it and its receiver reads it. Without a
 * sender, the URL is tpb's own template (what `tpb fire` expands): every `{macro}` must be one of
 * tpb's, as before dialects existed.
 */
export function analyzePostback(template: string, options: LintOptions = {}): PostbackAnalysis {
  const findings: LintFinding[] = [];
  const known = options.knownMacros ?? FIRE_MACROS;
  const preset = options.preset;
  const info = preset ? PRESETS[preset] : undefined;
  const url = template.trim();
  const tokens = tokenize(url);
  const macroUses: MacroUse[] = [];

  // Which dialect: tpb by default; the sender's; or detected.
  let dialect: Dialect | undefined;
  let chosen: 'default' | 'sender' | 'detected' = 'default';
  let detection: Detection | null = null;
  let mixed = false;
  if (options.sender !== undefined && options.sender !== 'auto') {
    dialect = findDialect(options.sender);
    if (!dialect) throw new UsageError(`unknown sender "${options.sender}"`, { hint: 'one of the dialects listed in tpb lint --help, or auto' });
    chosen = 'sender';
  } else if (options.sender === 'auto') {
    const considered = tokens.filter((token) => token.syntax !== 'bracket' && !(token.syntax === 'brace' && token.name === ''));
    const tpbOnly = considered.every((token) => token.syntax === 'brace' && known.includes(token.name));
    detection = detectDialect(tokens);
    if (considered.length === 0 || tpbOnly) dialect = undefined;
    else if (detection.dialect) {
      dialect = detection.dialect;
      chosen = 'detected';
      mixed = detection.known < detection.total;
    } else {
      chosen = 'detected';
      mixed = true;
    }
  }
  // tpb's own template: no --sender, --sender tpb, or a detected URL with only tpb's macros. Otherwise an unknown
  // dialect is read macro by macro (placeholders, then whatever some dictionary knows).
  const tpbMode = dialect?.id === 'tpb' || (dialect === undefined && chosen === 'default');
  const knowledge = new Map<MacroToken, MacroKnowledge | undefined>();

  // Scheme and host.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    findings.push(finding('error', 'not-http', null, scheme ? `"${scheme}://" is not http or https` : 'not an absolute URL (no http:// or https://)', 'start the URL with https:// and the tracker\'s domain'));
  } else if (scheme === 'http' && !LOCAL_HOST.test(url)) {
    findings.push(
      finding(
        'warning',
        'plain-http',
        null,
        `plain http: the postback and its parameters travel unencrypted${preset === 'everflow' ? '; Everflow refuses non-HTTPS traffic (error 6)' : preset === 'voluum' ? '; Voluum accepts https only with SSL on the dedicated domain' : ''}`,
        'use https:// if the tracker supports it (staging trackers often run plain http)',
      ),
    );
  }
  if (url !== template) {
    findings.push(finding('warning', 'surrounding-space', null, 'the URL has leading or trailing whitespace', 'remove it'));
  }

  // Damage from copying: line breaks and spaces inside the URL, HTML entities, no "?".
  const masked = maskTokens(url, tokens);
  const maskedQueryStart = masked.indexOf('?');
  if (/[\r\n\t]/.test(url)) {
    findings.push(finding('error', 'whitespace', null, 'the URL has a line break or a tab inside: it was copied across lines', 'join it into one line with nothing between the pieces'));
  }
  const pathPart = maskedQueryStart < 0 ? masked : masked.slice(0, maskedQueryStart);
  if (/ /.test(pathPart.replace(/^\s+|\s+$/g, '')) || / [&=?]|[&=?] /.test(masked)) {
    findings.push(finding('error', 'whitespace', null, 'the URL has a space inside its address or around "&", "=" or "?" (copied with a space or a line wrap)', 'remove the spaces'));
  }
  for (const match of masked.matchAll(/&amp;/gi)) {
    const name = /^[^=&#]*/.exec(url.slice(match.index + 5))?.[0] ?? '';
    findings.push(finding('error', 'html-entity', name === '' ? null : decode(name), '"&amp;" is HTML for "&": the URL was copied from page source', 'write a plain & between parameters'));
  }
  for (const match of masked.matchAll(/[¤¶©®£¢§×¬°¹²³µ·÷±¥¡¿«»ªº¯¸´¨¦ðþßæ¼½¾]/g)) {
    const entity = EATEN_ENTITIES[match[0]]!;
    const rest = /^[A-Za-z0-9_]*/.exec(url.slice(match.index + 1))?.[0] ?? '';
    const name = `${entity}${rest}`;
    findings.push(
      finding('error', 'html-entity', name, `"${match[0]}${rest}" is "&${name}" mangled by a web page: "&${entity}" was read as the HTML entity for ${match[0]}`, `write &${name}`),
    );
  }
  // A second "?" inside a parameter name: the name swallowed the path of another URL (click.php?cnv_id).
  if (maskedQueryStart >= 0) {
    const firstPairs = masked.slice(maskedQueryStart + 1).split('#', 1)[0]!.split('&');
    for (const pair of firstPairs) {
      const name = pair.split('=', 1)[0]!;
      if (name.includes('?')) {
        findings.push(finding('error', 'double-question-mark', null, `the parameter name "${url.slice(masked.indexOf(name), masked.indexOf(name) + name.length)}" holds a second "?": the receiver reads "${name.slice(name.lastIndexOf('?') + 1)}" as part of that name and never sees it`, 'keep one "?" before the first parameter and join the others with "&"'));
        break;
      }
    }
  }
  // Hosts and paths that are documentation placeholders: xxxxx.bemobtrcks.com, NETWORK_ID.go2cloud.org, /NAMEOFADVERTISER/.
  {
    const authority = /^[a-z][a-z0-9+.()-]*:\/\/([^/?#]*)([^?#]*)/i.exec(url);
    const host = (authority?.[1] ?? '').replace(/:\d+$/, '');
    const path = authority?.[2] ?? '';
    const plain = (text: string) => !/[{}[\]<>#]/.test(text);
    const hostHit =
      plain(host) && /^(Your|[A-Z][a-z]+[A-Z][A-Za-z]*)Domain$/.test(host)
        ? host
        : host.split('.').find((label) => plain(label) && (/^x{3,}$/i.test(label) || /^your/i.test(label) || /[_-]domain([_-]|$)/i.test(label) || /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(label)));
    const pathHit = path.split('/').find((segment) => plain(segment) && (/^[A-Z]{8,}$/.test(segment) || /^(YOUR|NAMEOF)[A-Z_]*$/i.test(segment)));
    if (hostHit !== undefined) findings.push(finding('warning', 'placeholder-host', null, `"${hostHit}" in the host looks like a placeholder from documentation`, 'replace it with your real tracking domain'));
    if (pathHit !== undefined) findings.push(finding('warning', 'placeholder-host', null, `"${pathHit}" in the path looks like a placeholder from documentation`, 'replace it with the real value'));
  }
  if (maskedQueryStart < 0 && scheme !== undefined) {
    const afterHost = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(.*)$/i.exec(masked)?.[1] ?? '';
    if (/[&=]/.test(afterHost)) {
      const first = afterHost.indexOf('&') >= 0 ? '&' : '';
      findings.push(finding('error', 'missing-question-mark', null, 'the URL has parameters but no "?" before them: the tracker reads them as part of the path', first ? 'replace the first "&" with "?"' : 'put "?" before the first parameter'));
    }
  }

  // Placeholders copied from documentation: <domain>, <postback-key>, [your_domain], {}.
  for (const match of url.matchAll(/<([A-Za-z][\w -]*)>/g)) {
    findings.push(finding('error', 'placeholder', paramAt(url, match.index), `"${match[0]}" is a placeholder from documentation`, `replace ${match[0]} with the real value`));
  }
  for (const token of tokens) {
    if (token.syntax === 'bracket' || (token.syntax === 'brace' && token.name === '')) {
      findings.push(finding('error', 'placeholder', token.param, `"${token.raw}" is a placeholder from documentation`, token.name === '' ? `put the sender's macro between the braces${token.param ? ` (the one for ${token.param})` : ''}` : `replace ${token.raw} with the real value`));
    }
  }

  if (tpbMode) {
    // tpb's own macros must be known; foreign syntaxes would be sent literally.
    for (const match of url.matchAll(MACRO_PATTERN)) {
      const name = match[1]!;
      if (url[match.index - 1] === '{' || url[match.index + match[0].length] === '}') continue; // {{x}}: reported below
      if (url[match.index - 1] === '$') continue; // ${x}: reported below
      macroUses.push({ macro: match[0], param: paramAt(url, match.index), dialect: known.includes(name) ? 'tpb' : null, meaning: known.includes(name) ? (tpbMeaning(name) ?? 'a --var value') : null, role: tpbRole(name), uncertain: false });
      if (known.includes(name)) continue;
      const suggestion = suggestMacro(name, known);
      const elsewhere = dialectsKnowing('brace', name).filter((item) => item.dialect.id !== 'tpb');
      findings.push(
        finding(
          'error',
          'unresolved-macro',
          paramAt(url, match.index),
          `{${name}} is not a macro tpb fills: it would reach the tracker literally${elsewhere.length > 0 ? ` (it is ${titles(elsewhere)} syntax: lint with --sender ${elsewhere[0]!.dialect.id}, fire with --as ${elsewhere[0]!.dialect.id})` : ''}`,
          suggestion ? `write {${suggestion}}` : `give it a value with --var ${name}=…, or use one of ${known.map((m) => `{${m}}`).join(' ')}`,
        ),
      );
    }
    for (const { pattern, what } of FOREIGN_MACROS) {
      for (const match of url.matchAll(pattern)) {
        const name = match[1]!;
        const suggestion = suggestMacro(name, known) ?? (known.includes(name) ? name : undefined);
        findings.push(
          finding(
            'error',
            'foreign-macro',
            paramAt(url, match.index),
            `${match[0]} is ${what}; tpb does not expand it, so it would be sent literally`,
            suggestion ? `write {${suggestion}}` : 'write tpb macros as {name}; give custom values with --var name=value',
          ),
        );
      }
    }
  } else {
    for (const token of tokens) {
      if (token.syntax === 'bracket' || (token.syntax === 'brace' && token.name === '')) continue; // placeholders, above
      knowledge.set(token, dialectFindings(token, dialect, mixed, findings, macroUses));
    }
  }

  // Query parameters, with every macro masked so "#s2#" is not taken for a fragment.
  const hashIndex = masked.indexOf('#');
  if (hashIndex >= 0) {
    const fragment = url.slice(hashIndex);
    findings.push(finding('warning', 'fragment', paramAt(url, hashIndex), `everything from "#" on ("${fragment.slice(0, 40)}") is a fragment and is never sent to the tracker`, 'remove it, or encode # as %23 if it belongs to a value'));
  }
  const queryStart = maskedQueryStart;
  const query = queryStart < 0 ? '' : url.slice(queryStart + 1, hashIndex >= 0 ? hashIndex : undefined);
  const pairs = splitQuery(query);
  const seen = new Map<string, number>();
  const values = new Map<string, Set<string>>();
  const tokenSpans = tokens.filter((token) => token.index > queryStart);
  for (const pair of pairs) {
    if (pair.rawName === '' && pair.rawValue === '' && !pair.hasEquals) {
      findings.push(finding('warning', 'empty-pair', null, 'an empty parameter (&& or a trailing &)', 'remove the extra &'));
      continue;
    }
    if (pair.rawName === '') {
      findings.push(finding('warning', 'empty-name', null, `a parameter without a name ("=${pair.rawValue}")`, 'give it a name or remove it'));
      continue;
    }
    seen.set(pair.name, (seen.get(pair.name) ?? 0) + 1);
    values.set(pair.name, (values.get(pair.name) ?? new Set()).add(pair.rawValue));
    const required = info?.requiredParams.includes(pair.name) ?? false;
    if (pair.rawValue === '') {
      findings.push(
        required
          ? finding('error', 'required-empty', pair.name, `${pair.name} is empty, and ${info!.title} requires it`, `give it a value${pair.name === info!.clickIdParam ? `: ${tpbMode ? '{click_id}' : `the sender's click-id macro${dialect?.clickIdMacros[0] ? ` (${writeMacro(dialect.syntax, dialect.clickIdMacros[0])})` : ''}`}` : ''}`)
          : finding('warning', 'empty-value', pair.name, `${pair.name} is empty`, 'remove it or give it a value: some trackers store empty strings over real values'),
      );
    }
    if (PLACEHOLDER_VALUES.test(decode(pair.rawValue))) {
      const isClickIdParam = pair.name === info?.clickIdParam || /id$/i.test(pair.name);
      const senderMacro = !tpbMode && dialect ? placeholderFix(dialect, pair.name, isClickIdParam) : undefined;
      findings.push(
        finding(
          'error',
          'placeholder-value',
          pair.name,
          `${pair.name}=${pair.rawValue} is a placeholder from documentation`,
          senderMacro ? `write ${pair.name}=${senderMacro}` : isClickIdParam ? `write ${pair.name}=${tpbMode ? '{click_id}' : "the sender's click-id macro"}` : `write a value or a macro such as ${tpbMode ? '{payout}' : "the sender's payout macro"}`,
        ),
      );
    }
    let valueOutsideMacros = pair.rawValue;
    if (tpbMode) {
      for (const { pattern } of FOREIGN_MACROS) valueOutsideMacros = valueOutsideMacros.replace(pattern, '');
      valueOutsideMacros = valueOutsideMacros.replace(MACRO_PATTERN, '');
    } else {
      for (const token of tokenSpans) valueOutsideMacros = valueOutsideMacros.split(token.raw).join('');
    }
    valueOutsideMacros = valueOutsideMacros.replace(/<[A-Za-z][\w -]*>/g, '').replace(/\{\}/g, '').replace(/\[[A-Za-z_][\w -]*\]/g, '');
    const unencoded = [...new Set(valueOutsideMacros.match(/[\s"<>\\^`|{}]|[^\x00-\x7f]/gu) ?? [])].filter((char) => !(char in EATEN_ENTITIES));
    if (unencoded.length > 0) {
      findings.push(finding('warning', 'unencoded', pair.name, `${pair.name} has characters that should be percent-encoded: ${unencoded.map((c) => JSON.stringify(c)).join(' ')}`, `encode the value (a space is %20); tpb encodes them on sending, a tracker may not read them the same way`));
    }
    if (valueOutsideMacros.includes('+')) {
      findings.push(finding('warning', 'plus-sign', pair.name, `${pair.name} has a literal "+": most trackers read it as a space`, 'write %2B if you mean a plus sign, %20 for a space'));
    }
    if (/%(?![0-9A-Fa-f]{2})/.test(valueOutsideMacros)) {
      findings.push(finding('warning', 'bad-escape', pair.name, `${pair.name} has a "%" that is not followed by two hex digits`, 'write a literal % as %25'));
    }
    if (/%25[0-9A-Fa-f]{2}/.test(valueOutsideMacros)) {
      findings.push(finding('warning', 'double-encoded', pair.name, `${pair.name} looks encoded twice (%25XX)`, 'decode the value once before putting it in the URL'));
    }
    // A literal click id in the click-id parameter: check its format.
    const hasMacro = (tpbMode ? /\{[A-Za-z_][\w.-]*\}/.test(pair.rawValue) : tokenSpans.some((token) => pair.rawValue.includes(token.raw))) || /\{\}|\[[A-Za-z_][\w -]*\]/.test(pair.rawValue);
    if (info && pair.name === info.clickIdParam && pair.rawValue !== '' && !hasMacro && !PLACEHOLDER_VALUES.test(decode(pair.rawValue))) {
      for (const item of lintClickId(decode(pair.rawValue), preset, pair.name)) findings.push(item);
    }
  }
  for (const [name, count] of seen) {
    if (count <= 1) continue;
    const distinct = [...(values.get(name) ?? [])];
    if (distinct.length > 1) {
      findings.push(finding('error', 'repeated-different', name, `${name} appears ${count} times with different values (${distinct.map((v) => v || '""').join(', ')}): trackers read either the first or the last`, `keep the one ${name} that carries the value the tracker expects`));
    } else {
      findings.push(finding('warning', 'repeated', name, `${name} appears ${count} times; trackers read either the first or the last`, `keep one ${name}`));
    }
  }

  // Where the click id travels.
  const landing = clickIdLanding(url, tokens, knowledge, tpbMode, preset, pairs);

  // What the receiver requires.
  if (info) {
    for (const name of info.requiredParams) {
      if (!seen.has(name)) {
        findings.push(
          finding(
            'error',
            'required-missing',
            name,
            `${info.title} requires ${name}, and the URL has no ${name} parameter`,
            `add &${name}=${name === info.clickIdParam ? (tpbMode ? '{click_id}' : dialect?.clickIdMacros[0] ? writeMacro(dialect.syntax, dialect.clickIdMacros[0]) : "the sender's click-id macro") : tpbMode ? `{${name}} (with --var ${name}=…)` : '…'}`,
          ),
        );
      }
    }
    if (preset === 'tune' && options.method && options.method.toUpperCase() !== 'GET') {
      findings.push(finding('warning', 'method', null, `TUNE postbacks must be GET, not ${options.method.toUpperCase()}`, 'drop -X / --data'));
    }
    if (!tpbMode && seen.has(info.clickIdParam) && landing.lands === false) {
      const holder = pairs.find((pair) => pair.name === info.clickIdParam);
      const holds = holder && holder.rawValue !== '' && !PLACEHOLDER_VALUES.test(decode(holder.rawValue)) ? holder.rawValue : null;
      const literal = holds !== null && !tokenSpans.some((token) => holds.includes(token.raw));
      if (holds !== null && !literal) {
        findings.push(
          finding(
            'error',
            'click-id-param',
            info.clickIdParam,
            `${info.title} reads the click id from ${info.clickIdParam}, which holds ${holds}${landing.macros.length > 0 ? `; the click id (${landing.macros.join(', ')}) is in ${landing.params.join(', ')}` : ''}`,
            `put the sender's click-id macro in ${info.clickIdParam}${dialect?.clickIdMacros[0] ? `: ${info.clickIdParam}=${writeMacro(dialect.syntax, dialect.clickIdMacros[0])}` : ''}`,
          ),
        );
      }
    }
  } else if (tpbMode) {
    if (!pairs.some((pair) => /\{click_id\}/.test(pair.rawValue)) && !url.includes('{click_id}')) {
      findings.push(finding('warning', 'no-click-id', null, 'no parameter carries {click_id}: the tracker cannot tell which click converted', 'add the tracker\'s click-id parameter, e.g. &click_id={click_id}, or pass --preset'));
    }
  } else if (landing.macros.length === 0) {
    findings.push(
      finding(
        'warning',
        'no-click-id',
        null,
        `no parameter carries a click id${dialect ? ` (${dialect.title} fills it as ${dialect.clickIdMacros.map((name) => writeMacro(dialect!.syntax, name)).join(' or ') || 'no documented macro'})` : ''}: the receiver cannot tell which click converted`,
        "add the receiver's click-id parameter with the sender's click-id macro, or pass --receiver",
      ),
    );
  }

  const dialectInfo: PostbackAnalysis['dialect'] =
    options.sender === undefined
      ? { id: 'tpb', title: 'tpb', chosen: 'default', detection: null, tiedWith: [], mixed: false }
      : dialect
        ? { id: dialect.id, title: dialect.title, chosen, detection: detection ? describeDetection(detection) : null, tiedWith: detection?.dialect === dialect ? detection.tiedWith.map((d) => d.id) : [], mixed }
        : chosen === 'default'
          ? { id: 'tpb', title: 'tpb', chosen: 'detected', detection: detection ? (!tokens.some((t) => t.syntax !== 'bracket' && !(t.syntax === 'brace' && t.name === '')) ? 'no macros' : "tpb: only tpb's macros") : null, tiedWith: [], mixed: false }
          : { id: 'unknown', title: 'unknown', chosen, detection: detection ? describeDetection(detection) : null, tiedWith: [], mixed: true };
  const unique = findings.filter((item, i) => findings.findIndex((other) => other.code === item.code && other.param === item.param && other.message === item.message) === i);
  return { findings: unique, dialect: dialectInfo, macros: macroUses, clickId: landing };
}

function titles(items: readonly MacroKnowledge[]): string {
  const names = [...new Set(items.map((item) => item.dialect.title))];
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')}…`;
}

const TPB_ROLES: Readonly<Record<string, MacroRole>> = { click_id: 'click_id', payout: 'payout', revenue: 'revenue', txid: 'txid', status: 'status', event: 'event', currency: 'currency', timestamp: 'timestamp', unix: 'unix' };
function tpbRole(name: string): MacroRole | null {
  return TPB_ROLES[name] ?? null;
}
function tpbMeaning(name: string): string | undefined {
  return findDialect('tpb')?.macros.find((entry) => entry.name === name)?.meaning;
}

/** The sender's macro for a documentation placeholder in parameter `name` (cid=REPLACE → cid={externalid}). */
function placeholderFix(dialect: Dialect, name: string, isClickIdParam: boolean): string | undefined {
  const role: MacroRole | undefined = isClickIdParam || (KNOWN_CLICK_ID_PARAMS as readonly string[]).includes(name) ? 'click_id' : PARAM_ROLES[name.toLowerCase()];
  if (!role) return undefined;
  const macro = equivalentIn(dialect, { role });
  return macro ? writeMacro(dialect.syntax, macro) : undefined;
}

/** Parameter names receivers use for a role (placeholders are filled by it: payout=OPTIONAL). */
export const PARAM_ROLES: Readonly<Record<string, MacroRole>> = {
  payout: 'payout', sum: 'payout', amount: 'payout', revenue: 'revenue', price: 'payout', cpa: 'payout', amt: 'payout',
  txid: 'txid', tid: 'txid', txn_id: 'txid', transaction: 'txid', order_id: 'txid', action_id: 'txid',
  status: 'status', cnv_status: 'status', et: 'event', event: 'event', goal: 'event', type: 'event', currency: 'currency', cnv_currency: 'currency',
};

/** Findings for one macro token read in `dialect` (or, in a mixed URL, by whichever dictionary knows it). */
function dialectFindings(token: MacroToken, dialect: Dialect | undefined, mixed: boolean, findings: LintFinding[], uses: MacroUse[]): MacroKnowledge | undefined {
  const use = (knownBy: MacroKnowledge | undefined) =>
    uses.push({ macro: token.raw, param: token.param, dialect: knownBy?.dialect.id ?? null, meaning: knownBy?.meaning ?? null, role: knownBy?.role ?? null, uncertain: knownBy?.uncertain ?? false });
  if (token.syntax === 'encoded') {
    use(undefined);
    findings.push(finding('error', 'foreign-macro', token.param, `${token.raw} is a macro that was URL-encoded before being filled: the sender will not recognise it and sends it literally`, `write it unencoded: ${token.raw.replace(/%7B/gi, '{').replace(/%7D/gi, '}')}`));
    return undefined;
  }
  if (token.syntax === 'mustache' || token.syntax === 'dollar' || token.syntax === 'double-hash') {
    use(undefined);
    findings.push(finding('error', 'foreign-macro', token.param, `${token.raw} is ${token.syntax === 'mustache' ? 'a template engine (Mustache, Jinja)' : token.syntax === 'double-hash' ? 'a network\'s ##name##' : 'Branch or shell'} macro syntax, which ${dialect ? dialect.title : 'no dialect tpb knows'} does not fill`, dialect ? `write ${dialect.title} macros as ${syntaxLabel(dialect.syntax)}` : 'write the sender\'s macro'));
    return undefined;
  }
  const own = dialect ? lookupMacro(dialect, token.syntax, token.name) : undefined;
  if (own) {
    use(own);
    return own;
  }
  const others = dialectsKnowing(token.syntax, token.name).filter((item) => item.dialect.id !== dialect?.id);
  // Documentation placeholders in braces: {NID}, {TRACKING_DOMAIN}, {your_domain}; in the host or path: {domain}.
  if (token.syntax === 'brace' && (isBracePlaceholder(token) || token.inPath)) {
    use(undefined);
    findings.push(finding('error', 'placeholder', token.param, `"${token.raw}" is a placeholder from documentation, not ${dialect ? `a ${dialect.title}` : 'a known'} macro`, `replace ${token.raw} with the real value${token.param ? ` (or the sender's macro for ${token.param})` : ''}`));
    return undefined;
  }
  if (mixed && others.length > 0) {
    // Auto-detected mixed URL: an error only where no dictionary knows the macro.
    use(others[0]);
    findings.push(
      finding(
        'warning',
        'mixed-dialect',
        token.param,
        `${token.raw} is ${titles(others)}'s${dialect ? `, while the URL reads as ${dialect.title}` : ''}: one sender fills only its own macros`,
        dialect ? (() => { const eq = equivalentIn(dialect, others[0]!); return eq ? `if ${dialect.title} sends it, write ${writeMacro(dialect.syntax, eq)}` : `check which platform sends this URL (--sender)`; })() : 'check which platform sends this URL (--sender)',
      ),
    );
    return others[0];
  }
  use(undefined);
  if (!dialect || mixed) {
    findings.push(finding('error', 'unknown-macro', token.param, `${token.raw} is no macro of any platform tpb knows: it would reach the receiver literally`, 'check the macro list of the platform that sends this URL'));
    return undefined;
  }
  if (token.syntax === dialect.syntax) {
    const suggestion = didYouMean(dialect, token.name);
    const equivalent = others[0] ? equivalentIn(dialect, others[0]) : undefined;
    findings.push(
      finding(
        'error',
        'unknown-macro',
        token.param,
        `${token.raw} is not a ${dialect.title} macro${others.length > 0 ? ` (it is ${titles(others)}'s)` : ''}: ${dialect.title} would send it literally`,
        suggestion ? `write ${writeMacro(dialect.syntax, suggestion)}` : equivalent ? `${dialect.title} fills ${writeMacro(dialect.syntax, equivalent)}` : `use one of ${dialect.title}'s macros (tpb lint --sender ${dialect.id} -v lists what the URL uses)`,
      ),
    );
    return undefined;
  }
  const owner = others[0];
  const equivalent = owner ? equivalentIn(dialect, owner) : undefined;
  findings.push(
    finding(
      'error',
      'foreign-macro',
      token.param,
      `${token.raw} is ${owner ? `${titles(others)} syntax` : `${syntaxLabel(token.syntax)} syntax`}; ${dialect.title} writes macros as ${syntaxLabel(dialect.syntax)} and would send it literally`,
      equivalent ? `${dialect.title} fills ${writeMacro(dialect.syntax, equivalent)}` : `write the ${dialect.title} macro for it as ${syntaxLabel(dialect.syntax)}`,
    ),
  );
  return undefined;
}

/** The click-id carriers of the URL: tpb's {click_id}; or macros meaning a click id; or a sub id echoed in a click-id parameter. */
function clickIdLanding(
  url: string,
  tokens: readonly MacroToken[],
  knowledge: ReadonlyMap<MacroToken, MacroKnowledge | undefined>,
  tpbMode: boolean,
  preset: PresetName | undefined,
  pairs: readonly QueryPair[],
  explicitParam?: string,
): ClickIdLanding {
  const receiverParam = preset ? PRESETS[preset].clickIdParam : null;
  const idParams = clickIdParamNames(preset);
  let carriers: MacroToken[];
  if (explicitParam !== undefined) {
    carriers = tokens.filter((token) => token.param === explicitParam);
  } else if (tpbMode) {
    carriers = tokens.filter((token) => token.syntax === 'brace' && token.name === 'click_id');
  } else {
    const direct = tokens.filter((token) => knowledge.get(token)?.role === 'click_id');
    const echo = tokens.filter((token) => {
      const known = knowledge.get(token);
      return known !== undefined && known.role !== 'click_id' && known.sub !== undefined && token.param !== null && idParams.includes(token.param);
    });
    const directInIdParam = direct.filter((token) => token.param !== null && idParams.includes(token.param));
    carriers = directInIdParam.length > 0 ? directInIdParam : echo.length > 0 ? echo : direct;
    // Nothing reads as the click id where a receiver looks: the sender's declared click-id macro, wherever it is (#s2# in a path).
    if (carriers.length === 0) {
      carriers = tokens.filter((token) => {
        const known = knowledge.get(token);
        return known !== undefined && known.dialect.clickIdMacros.includes(known.name);
      });
    }
  }
  const params = [...new Set(carriers.map((token) => token.param).filter((param): param is string => param !== null))];
  const literal = receiverParam ? pairs.find((pair) => pair.name === receiverParam && pair.rawValue !== '' && !/[{}#[\]()]/.test(pair.rawValue) && !PLACEHOLDER_VALUES.test(decode(pair.rawValue))) : undefined;
  void url;
  return {
    macros: [...new Set(carriers.map((token) => token.raw))],
    params,
    receiverParam,
    lands: receiverParam === null ? null : literal !== undefined || params.includes(receiverParam),
  };
}

/** The macros in the URL that carry the click id, as `tpb fire --as` fills them (same rules as lint). */
export function clickIdCarriers(template: string, dialect: Dialect | undefined, preset?: PresetName, clickIdParam?: string): MacroToken[] {
  const tokens = tokenize(template.trim());
  const knowledge = new Map<MacroToken, MacroKnowledge | undefined>();
  for (const token of tokens) if (dialect && DIALECT_SYNTAXES.includes(token.syntax)) knowledge.set(token, lookupMacro(dialect, token.syntax, token.name));
  const landing = clickIdLanding(template, tokens, knowledge, dialect?.id === 'tpb', preset, [], clickIdParam);
  return tokens.filter((token) => landing.macros.includes(token.raw));
}

export function hasErrors(findings: readonly LintFinding[]): boolean {
  return findings.some((item) => item.severity === 'error');
}

/** Lint found errors: nothing was sent (exit 2). The findings are attached for the report. */
export class LintFailedError extends UsageError {
  constructor(
    readonly findings: readonly LintFinding[],
    what: string,
  ) {
    const errors = findings.filter((item) => item.severity === 'error');
    const first = errors[0];
    super(`${what}: ${errors.length} lint error${errors.length === 1 ? '' : 's'}${first ? ` (first: ${first.param ? `${first.param}: ` : ''}${first.message})` : ''}; nothing was sent`, {
      hint: first ? `${first.fix}${errors.length > 1 ? `; run tpb lint for all of them` : ''} (or --no-lint to send anyway)` : undefined,
    });
  }
}
