import { DIALECTS, findDialect, type Dialect, type MacroEntry, type MacroFamily, type MacroRole, type MacroSyntax } from './dialects/index.js';

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
  | 'bracket';

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
  for (const token of raw) {
    tokens.push({ ...token, param: paramAt(url, queryStart, token.index), inPath: queryStart < 0 || token.index < queryStart });
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
  if (syntax !== dialect.syntax) return undefined;
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

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const saved = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length]!;
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

export interface DialectCandidate {
  dialect: Dialect;
  /** Macros of the URL it knows. */
  known: number;
  /** Sum over its known macros of 1 / (number of dialects that know each): how distinctive. */
  score: number;
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
  return tokens.filter((token) => DIALECT_SYNTAXES.includes(token.syntax) && !token.inPath && token.name !== '');
}

/** Which dialect the URL reads as: the one that knows the most of its macros, the most distinctively. */
export function detectDialect(tokens: readonly MacroToken[], dialects: readonly Dialect[] = DIALECTS): Detection {
  const considered = detectionTokens(tokens);
  const knowers = considered.map((token) => dialects.filter((dialect) => lookupMacro(dialect, token.syntax, token.name) !== undefined));
  const candidates: DialectCandidate[] = dialects.map((dialect) => {
    let known = 0;
    let score = 0;
    considered.forEach((token, i) => {
      if (knowers[i]!.includes(dialect)) {
        known += 1;
        score += 1 / knowers[i]!.length;
      }
    });
    return { dialect, known, score };
  });
  const ranked = candidates.filter((item) => item.known > 0).sort((a, b) => b.known - a.known || b.score - a.score);
  const top = ranked[0];
  if (!top) return { dialect: null, total: considered.length, known: 0, tiedWith: [], candidates: [] };
  const tiedWith = ranked.slice(1).filter((item) => item.known === top.known && Math.abs(item.score - top.score) < 1e-9).map((item) => item.dialect);
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
