import { UsageError } from '../errors.js';
import { PRESETS, type PresetName } from '../presets/catalog.js';
import { FIRE_MACROS, MACRO_PATTERN, suggestMacro } from './macros.js';

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
  preset?: PresetName;
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
const PLACEHOLDER_VALUES = /^(REPLACE|OPTIONAL|CLICK_?ID|TRANSACTION_?ID|YOUR_[A-Z_]+|XXX+)$/;

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

export function lintTemplate(template: string, options: LintOptions = {}): LintFinding[] {
  const findings: LintFinding[] = [];
  const known = options.knownMacros ?? FIRE_MACROS;
  const preset = options.preset;
  const info = preset ? PRESETS[preset] : undefined;
  const url = template.trim();

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

  // Placeholders copied from documentation: <domain>, <postback-key>.
  for (const match of url.matchAll(/<([A-Za-z][\w -]*)>/g)) {
    findings.push(finding('error', 'placeholder', paramAt(url, match.index), `"${match[0]}" is a placeholder from documentation`, `replace ${match[0]} with the real value`));
  }

  // Macros: tpb's own must be known; foreign syntaxes would be sent literally.
  for (const match of url.matchAll(MACRO_PATTERN)) {
    const name = match[1]!;
    if (url[match.index - 1] === '{' || url[match.index + match[0].length] === '}') continue; // {{x}}: reported below
    if (url[match.index - 1] === '$') continue; // ${x}: reported below
    if (known.includes(name)) continue;
    const suggestion = suggestMacro(name, known);
    findings.push(
      finding(
        'error',
        'unresolved-macro',
        paramAt(url, match.index),
        `{${name}} is not a macro tpb fills: it would reach the tracker literally`,
        suggestion ? `write {${suggestion}}` : `give it a value with --var ${name}=…, or use one of ${known.map((m) => `{${m}}`).join(' ')}`,
      ),
    );
  }
  for (const { pattern, what } of FOREIGN_MACROS) {
    for (const match of url.matchAll(pattern)) {
      // "#x#" inside a URL is never a fragment we want; but "#section" alone is handled below.
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

  // Query parameters. Mask macros first so "#s2#" is not taken for a fragment.
  let masked = url.replace(MACRO_PATTERN, (m) => 'x'.repeat(m.length));
  for (const { pattern } of FOREIGN_MACROS) masked = masked.replace(pattern, (m) => 'x'.repeat(m.length));
  const hashIndex = masked.indexOf('#');
  if (hashIndex >= 0) {
    const fragment = url.slice(hashIndex);
    findings.push(finding('warning', 'fragment', paramAt(url, hashIndex), `everything from "#" on ("${fragment.slice(0, 40)}") is a fragment and is never sent to the tracker`, 'remove it, or encode # as %23 if it belongs to a value'));
  }
  const queryStart = masked.indexOf('?');
  const query = queryStart < 0 ? '' : url.slice(queryStart + 1, hashIndex >= 0 ? hashIndex : undefined);
  const pairs = splitQuery(query);
  const seen = new Map<string, number>();
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
    const required = info?.requiredParams.includes(pair.name) ?? false;
    if (pair.rawValue === '') {
      findings.push(
        required
          ? finding('error', 'required-empty', pair.name, `${pair.name} is empty, and ${info!.title} requires it`, `give it a value${pair.name === info!.clickIdParam ? ': {click_id}' : ''}`)
          : finding('warning', 'empty-value', pair.name, `${pair.name} is empty`, 'remove it or give it a value: some trackers store empty strings over real values'),
      );
    }
    if (PLACEHOLDER_VALUES.test(decode(pair.rawValue))) {
      findings.push(finding('error', 'placeholder-value', pair.name, `${pair.name}=${pair.rawValue} is a placeholder from documentation`, pair.name === info?.clickIdParam || /id$/i.test(pair.name) ? `write ${pair.name}={click_id}` : `write a value or a macro such as {payout}`));
    }
    let valueOutsideMacros = pair.rawValue;
    for (const { pattern } of FOREIGN_MACROS) valueOutsideMacros = valueOutsideMacros.replace(pattern, '');
    valueOutsideMacros = valueOutsideMacros.replace(MACRO_PATTERN, '');
    valueOutsideMacros = valueOutsideMacros.replace(/<[A-Za-z][\w -]*>/g, '');
    const unencoded = [...new Set(valueOutsideMacros.match(/[\s"<>\\^`|{}]|[^\x00-\x7f]/gu) ?? [])];
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
    const hasMacro = /\{[A-Za-z_][\w.-]*\}/.test(pair.rawValue);
    if (info && pair.name === info.clickIdParam && pair.rawValue !== '' && !hasMacro && !PLACEHOLDER_VALUES.test(decode(pair.rawValue))) {
      for (const item of lintClickId(decode(pair.rawValue), preset, pair.name)) findings.push(item);
    }
  }
  for (const [name, count] of seen) {
    if (count > 1) findings.push(finding('warning', 'repeated', name, `${name} appears ${count} times; trackers read either the first or the last`, `keep one ${name}`));
  }

  // What the preset requires.
  if (info) {
    for (const name of info.requiredParams) {
      if (!seen.has(name)) {
        findings.push(
          finding(
            'error',
            'required-missing',
            name,
            `${info.title} requires ${name}, and the URL has no ${name} parameter`,
            `add &${name}=${name === info.clickIdParam ? '{click_id}' : `{${name}} (with --var ${name}=…)`}`,
          ),
        );
      }
    }
    if (preset === 'tune' && options.method && options.method.toUpperCase() !== 'GET') {
      findings.push(finding('warning', 'method', null, `TUNE postbacks must be GET, not ${options.method.toUpperCase()}`, 'drop -X / --data'));
    }
  } else if (!pairs.some((pair) => /\{click_id\}/.test(pair.rawValue)) && !url.includes('{click_id}')) {
    findings.push(finding('warning', 'no-click-id', null, 'no parameter carries {click_id}: the tracker cannot tell which click converted', 'add the tracker\'s click-id parameter, e.g. &click_id={click_id}, or pass --preset'));
  }

  return findings;
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
