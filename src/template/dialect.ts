import { KNOWN_CLICK_ID_PARAMS } from '../presets/click-id-params.js';
import { editDistance } from '../text/edit-distance.js';
import { DIALECTS, findDialect, PLATFORM_DIALECTS, type Dialect, type MacroEntry, type MacroFamily, type MacroRole, type MacroSyntax } from './dialects/index.js';

/**
 * Reading a postback URL in any platform's macro dialect: the macro tokens it holds (whatever the
 * syntax), what a given dialect knows of each, and which dialect the URL reads as. Pure functions
 * over the data files in ./dialects/.
 */

/** Syntaxes that are no platform's dialect but show up in copied URLs. */
export type ForeignSyntax =
  /** `{{name}}` (Mustache, Jinja). */
  | 'mustache'
  /** `${name}` (shell, Branch, some traffic sources). */
  | 'dollar'
  /** `%7Bname%7D`: a macro URL-encoded before it was filled. */
  | 'encoded'
  /** `[name]`: a documentation placeholder such as `[your_domain]`. */
  | 'bracket'
  /** `##name##`: Adsterra and other networks. */
  | 'double-hash';

export type TokenSyntax = MacroSyntax | ForeignSyntax;

export interface MacroToken {
  syntax: TokenSyntax;
  /** Between the delimiters, as written. */
  name: string;
  /** The whole token as written, e.g. `#s2#`. */
  raw: string;
  index: number;
  end: number;
  /** The query parameter that holds it (decoded), or null in the scheme, host or path. */
  param: string | null;
  /** In the host or path (before the query). */
  inPath: boolean;
  /** In the host (the authority): there a brace is a domain placeholder, not a sender's macro. */
  inHost: boolean;
}

const SYNTAX_LABEL: Record<TokenSyntax, string> = {
  brace: '{name}',
  hash: '#name#',
  'double-bracket': '[[name]]',
  paren: '(name)',
  mustache: '{{name}}',
  dollar: '${name}',
  encoded: '%7Bname%7D',
  bracket: '[name]',
  'double-hash': '##name##',
};

export function syntaxLabel(syntax: TokenSyntax): string {
  return SYNTAX_LABEL[syntax];
}

/** Write a name in a syntax: `s2` in hash → `#s2#`. */
export function writeMacro(syntax: TokenSyntax, name: string): string {
  return SYNTAX_LABEL[syntax].replace('name', name);
}

function decodeName(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Which parameter (if any) holds the text at `index` of the URL (after the first "?"). */
function paramAt(url: string, queryStart: number, index: number): string | null {
  if (queryStart < 0 || index < queryStart) return null;
  const before = url.slice(queryStart + 1, index);
  const pair = before.slice(before.lastIndexOf('&') + 1);
  const eq = pair.indexOf('=');
  return eq < 0 ? null : decodeName(pair.slice(0, eq));
}

// Order matters: longer delimiters first, and a span once taken is not matched again.
const TOKEN_PATTERNS: ReadonlyArray<{ syntax: TokenSyntax; pattern: RegExp }> = [
  { syntax: 'double-bracket', pattern: /\[\[([A-Za-z_][\w.-]*)\]\]/g },
  { syntax: 'mustache', pattern: /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g },
  { syntax: 'dollar', pattern: /\$\{\(?([A-Za-z_][\w.-]*)\)?!?\}/g },
  { syntax: 'double-hash', pattern: /##([A-Za-z_][\w.-]*)##/g },
  { syntax: 'encoded', pattern: /%7B(?:%7B)?([A-Za-z_][\w.-]*)%7D(?:%7D)?/gi },
  // {name}, {name:args}, and {} (an empty placeholder from documentation).
  { syntax: 'brace', pattern: /\{([^{}\r\n]{0,80})\}/g },
  { syntax: 'hash', pattern: /#([A-Za-z_][\w.-]*)#/g },
  { syntax: 'bracket', pattern: /\[([A-Za-z_][\w -]*)\]/g },
  // (name) only as a whole query value: parentheses inside text are not macros.
  { syntax: 'paren', pattern: /(?<==)\(([A-Za-z][\w-]*)\)(?=&|#|$)/g },
];

/** Every macro token of a URL, in order, whatever its syntax. */
export function tokenize(url: string): MacroToken[] {
  const taken: Array<[number, number]> = [];
  const tokens: MacroToken[] = [];
  // The query starts at the first "?" that is not inside a token.
  const raw: Array<{ syntax: TokenSyntax; name: string; raw: string; index: number; end: number }> = [];
  for (const { syntax, pattern } of TOKEN_PATTERNS) {
    for (const match of url.matchAll(pattern)) {
      const index = match.index;
      const end = index + match[0].length;
      if (taken.some(([a, b]) => index < b && end > a)) continue;
      taken.push([index, end]);
      raw.push({ syntax, name: match[1] ?? '', raw: match[0], index, end });
    }
  }
  raw.sort((a, b) => a.index - b.index);
  const masked = maskSpans(url, raw);
  const queryStart = masked.indexOf('?');
  const authority = /^[a-z][a-z0-9+.()-]*:\/\//i.exec(masked);
  const hostStart = authority ? authority[0].length : 0;
  const hostEnd = hostStart + (/^[^/?#]*/.exec(masked.slice(hostStart))?.[0].length ?? 0);
  for (const token of raw) {
    tokens.push({ ...token, param: paramAt(url, queryStart, token.index), inPath: queryStart < 0 || token.index < queryStart, inHost: token.index < hostEnd });
  }
  return tokens;
}

function maskSpans(url: string, spans: ReadonlyArray<{ index: number; end: number }>): string {
  let out = '';
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.index - b.index)) {
    if (span.index < at) continue;
    out += url.slice(at, span.index) + 'x'.repeat(span.end - span.index);
    at = span.end;
  }
  return out + url.slice(at);
}

/** The URL with every token replaced by x's of the same length: its structure without macros. */
export function maskTokens(url: string, tokens: readonly MacroToken[]): string {
  return maskSpans(url, tokens);
}

export const DIALECT_SYNTAXES: readonly TokenSyntax[] = ['brace', 'hash', 'double-bracket', 'paren'];

export interface MacroKnowledge {
  dialect: Dialect;
  /** The dictionary's spelling. */
  name: string;
  meaning: string;
  role: MacroRole;
  sub?: number;
  uncertain: boolean;
  source: string;
}

function sourceUrl(dialect: Dialect, index: number): string {
  return dialect.sources[index]?.url ?? dialect.sources[0]?.url ?? '';
}

function fromEntry(dialect: Dialect, entry: MacroEntry): MacroKnowledge {
  return { dialect, name: entry.name, meaning: entry.meaning, role: entry.role, ...(entry.sub !== undefined ? { sub: entry.sub } : {}), uncertain: entry.uncertain === true, source: sourceUrl(dialect, entry.source) };
}

function fromFamily(dialect: Dialect, family: MacroFamily, name: string, match: RegExpExecArray): MacroKnowledge {
  const sub = family.subGroup !== undefined ? Number(match[family.subGroup]) : undefined;
  return { dialect, name, meaning: family.meaning.replace(/\bN\b/, sub !== undefined ? String(sub) : 'N'), role: family.role, ...(sub !== undefined && Number.isFinite(sub) ? { sub } : {}), uncertain: family.uncertain === true, source: sourceUrl(dialect, family.source) };
}

/** What `dialect` knows of a macro written `name` in `syntax`, if anything. */
export function lookupMacro(dialect: Dialect, syntax: TokenSyntax, name: string): MacroKnowledge | undefined {
  if (syntax !== dialect.syntax && !(dialect.altSyntaxes ?? []).includes(syntax as MacroSyntax)) return undefined;
  const same = (a: string, b: string) => (dialect.caseSensitive ? a === b : a.toLowerCase() === b.toLowerCase());
  const entry = dialect.macros.find((item) => same(item.name, name));
  if (entry) return fromEntry(dialect, entry);
  for (const family of dialect.families) {
    const match = new RegExp(`^(?:${family.pattern})$`, dialect.caseSensitive ? '' : 'i').exec(name);
    if (match) return fromFamily(dialect, family, name, match);
  }
  return undefined;
}

/** Every dialect that knows the token. */
export function dialectsKnowing(syntax: TokenSyntax, name: string): MacroKnowledge[] {
  const out: MacroKnowledge[] = [];
  for (const dialect of DIALECTS) {
    const known = lookupMacro(dialect, syntax, name);
    if (known) out.push(known);
  }
  return out;
}


/** The dictionary name closest to a misspelt one (`externa_id` → `external_id`), if close enough. */
export function didYouMean(dialect: Dialect, name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const entry of dialect.macros) {
    const candidate = entry.name.toLowerCase();
    const distance = candidate === lower ? 0 : candidate.replace(/[_.-]/g, '') === lower.replace(/[_.-]/g, '') ? 0.5 : editDistance(candidate, lower);
    if (!best || distance < best.distance) best = { name: entry.name, distance };
  }
  if (!best) return undefined;
  const limit = name.length <= 4 ? 1 : 2;
  return best.distance <= limit ? best.name : undefined;
}

/** The macro of `dialect` with the same meaning as `known` (same role, or the same sub-id slot). */
export function equivalentIn(dialect: Dialect, known: Pick<MacroKnowledge, 'role' | 'sub'>): string | undefined {
  if (known.sub !== undefined) {
    const entry = dialect.macros.find((item) => item.sub === known.sub);
    if (entry) return entry.name;
    for (const family of dialect.families) {
      if (family.subGroup === undefined) continue;
      const candidate = family.example.replace(/[0-9]+/, String(known.sub));
      if (new RegExp(`^(?:${family.pattern})$`).test(candidate)) return candidate;
    }
    return undefined;
  }
  if (known.role === 'other') return undefined;
  if (known.role === 'click_id' && dialect.clickIdMacros[0]) return dialect.clickIdMacros[0];
  if (known.role === 'payout' && dialect.payoutMacros[0]) return dialect.payoutMacros[0];
  return dialect.macros.find((item) => item.role === known.role && !item.uncertain)?.name ?? dialect.macros.find((item) => item.role === known.role)?.name;
}

/** A brace token that is a documentation placeholder, not a macro: {}, {NID}, {AID-FROM-DASHBOARD}, {your_domain}, {payout_token}. */
export function isBracePlaceholder(token: Pick<MacroToken, 'syntax' | 'name'>): boolean {
  if (token.syntax !== 'brace') return false;
  if (token.name === '') return true;
  if (/^[A-Z][A-Z0-9]*(?:[_-][A-Z0-9]+)*$/.test(token.name) && token.name.length >= 2) return true;
  return /(^|[_-])(your|replace|insert|token|macro|parameter|placeholder)([_-]|$)|^your/i.test(token.name);
}

export interface DialectCandidate {
  dialect: Dialect;
  /** Macros of the URL it knows. */
  known: number;
  /** Sum over its known macros of 1 / (number of dialects that know each): how distinctive. */
  score: number;
  /** 2: a macro is one of its declared click-id macros; 1: it reads one as the click id (or a sub id echoed in a click-id parameter); 0: neither. */
  knowsClickId: number;
  /** Macros it knows spelt exactly as written (case and all). */
  exact: number;
}

export interface Detection {
  /** The dialect the URL reads as, or null (no macros, or none known). */
  dialect: Dialect | null;
  /** Macros considered (dialect syntaxes, in the query). */
  total: number;
  known: number;
  /** Other dialects that know as many macros, as distinctively (a tie the order broke). */
  tiedWith: Dialect[];
  candidates: DialectCandidate[];
}

/** The macro tokens detection looks at: dialect syntaxes, in the query (host placeholders are not a sender's). */
export function detectionTokens(tokens: readonly MacroToken[]): MacroToken[] {
  return tokens.filter((token) => DIALECT_SYNTAXES.includes(token.syntax) && !token.inHost && token.name !== '' && !isBracePlaceholder(token));
}

/**
 * Which platform's dialect the URL reads as: the one that knows the most of its macros; on a tie,
 * the one that reads a macro as the click id, then the one that knows them spelt exactly as
 * written, then the most distinctive (macros few dialects share), then the order of DIALECTS.
 * tpb's own dialect is not a candidate: a URL with only tpb's macros is tpb's template.
 */
export function detectDialect(tokens: readonly MacroToken[], dialects: readonly Dialect[] = PLATFORM_DIALECTS): Detection {
  const considered = detectionTokens(tokens);
  const knowledge = considered.map((token) => dialects.map((dialect) => lookupMacro(dialect, token.syntax, token.name)));
  const candidates: DialectCandidate[] = dialects.map((dialect, d) => {
    let known = 0;
    let score = 0;
    let exact = 0;
    let knowsClickId = 0;
    considered.forEach((token, i) => {
      const item = knowledge[i]![d];
      if (!item) return;
      known += 1;
      score += 1 / knowledge[i]!.filter(Boolean).length;
      if (item.name === token.name) exact += 1;
      if (dialect.clickIdMacros.includes(item.name)) knowsClickId = 2;
      else if (item.role === 'click_id' || (item.sub !== undefined && token.param !== null && (KNOWN_CLICK_ID_PARAMS as readonly string[]).includes(token.param))) knowsClickId = Math.max(knowsClickId, 1);
    });
    return { dialect, known, score, exact, knowsClickId };
  });
  const order = (a: DialectCandidate, b: DialectCandidate) => b.known - a.known || b.knowsClickId - a.knowsClickId || b.exact - a.exact || b.score - a.score;
  const ranked = candidates.filter((item) => item.known > 0).sort(order);
  const top = ranked[0];
  if (!top) return { dialect: null, total: considered.length, known: 0, tiedWith: [], candidates: [] };
  const tiedWith = ranked.slice(1).filter((item) => order(item, top) === 0 || Math.abs(order(item, top)) < 1e-9).map((item) => item.dialect);
  return { dialect: top.dialect, total: considered.length, known: top.known, tiedWith, candidates: ranked };
}

/** "Keitaro: 4 of 4 macros" (with the dialects it could as well be). */
export function describeDetection(detection: Detection): string {
  if (!detection.dialect) return detection.total === 0 ? 'no macros' : `no dialect knows its ${detection.total} macro${detection.total === 1 ? '' : 's'}`;
  const also = detection.tiedWith.length > 0 ? ` (as do ${detection.tiedWith.map((d) => d.title).join(', ')})` : '';
  return `${detection.dialect.title}: ${detection.known} of ${detection.total} macro${detection.total === 1 ? '' : 's'}${also}`;
}

/** A dialect by --sender/--as value; throws nothing (the CLI validates with DIALECT_IDS). */
export function resolveDialect(name: string): Dialect | undefined {
  return findDialect(name);
}

