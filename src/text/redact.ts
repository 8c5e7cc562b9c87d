/**
 * The one redaction edge. Secrets never reach output, logs or the database.
 *
 * A run has ONE Redactor. Everything secret the run knows goes into it:
 * - secret *names* (query parameters, form fields, JSON keys, headers): the defaults below, each
 *   --secret, and parameters a scenario fills from `${ENV}`. The value of a secret parameter is
 *   redacted at any length wherever that parameter appears (`token=Zq9`, `"token":"Zq9"`,
 *   `Authorization: …`, and inside URLs encoded once or twice);
 * - secret *values* (values of secret parameters and headers, every `${ENV}` value of a scenario,
 *   a Keitaro postback key…): redacted anywhere in any text, raw, URL-encoded (upper or lower hex,
 *   once or twice, RFC 3986 or PHP `urlencode` style), form-encoded (`+` for space, or a `+` that
 *   a form decoder turned into a space) and JSON-escaped (`\/`, `\uXXXX`). Values shorter than
 *   MIN_VALUE_CHARS are too short to redact wherever they appear (they would eat ordinary text):
 *   they are redacted only as the value of a secret parameter.
 *
 * Every output and storage path passes its text through the run's Redactor: the CLI wraps stdout
 * and stderr with it, the store applies it to every text column that holds a request or an answer,
 * and capabilities apply it to what they return.
 */
export const DEFAULT_SECRET_NAMES = [
  'token',
  'security_token',
  'verification_token',
  'access_token',
  'auth_token',
  'api_key',
  'apikey',
  'key',
  'secret',
  'client_secret',
  'password',
  'signature',
  'sig',
  'hmac',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
] as const;

export const REDACTED = 'REDACTED';

/** Values shorter than this are redacted only where they are a secret parameter's value. */
export const MIN_VALUE_CHARS = 4;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Percent-encode every byte outside `keep` (upper-case hex). */
function percentEncode(value: string, keep: RegExp): string {
  let out = '';
  for (const char of value) {
    if (keep.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const KEEP_URI_COMPONENT = /^[A-Za-z0-9\-_.!~*'()]$/; // encodeURIComponent
const KEEP_RFC3986 = /^[A-Za-z0-9\-_.~]$/; // rawurlencode, URLSearchParams-like
const KEEP_PHP_URLENCODE = /^[A-Za-z0-9\-_.]$/; // PHP urlencode (also `~` encoded)
const KEEP_FORM = /^[A-Za-z0-9*\-_.]$/; // WHATWG application/x-www-form-urlencoded (URLSearchParams)

/** JSON string escaping as JSON.stringify does it, and as PHP's json_encode does it (`\/`, `\uXXXX`). */
function jsonEscapes(value: string): string[] {
  const plain = JSON.stringify(value).slice(1, -1);
  const php = plain.replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return [plain, plain.replace(/\//g, '\\/'), php];
}

/** Every spelling of `value` an echo might carry. */
export function secretVariants(value: string): string[] {
  const variants = new Set<string>([value]);
  // A form decoder reads a raw `+` as a space.
  if (value.includes('+')) variants.add(value.replace(/\+/g, ' '));
  const once = new Set<string>();
  for (const keep of [KEEP_URI_COMPONENT, KEEP_RFC3986, KEEP_PHP_URLENCODE, KEEP_FORM]) {
    const encoded = percentEncode(value, keep);
    once.add(encoded);
    once.add(encoded.replace(/%20/g, '+'));
  }
  for (const encoded of once) {
    variants.add(encoded);
    // Encoded twice: every `%` (and a form `+`) encoded again.
    variants.add(encoded.replace(/%/g, '%25').replace(/\+/g, '%2B'));
    variants.add(encoded.replace(/%/g, '%25'));
  }
  for (const variant of [...variants]) for (const escaped of jsonEscapes(variant)) variants.add(escaped);
  return [...variants].filter((variant) => variant.length > 0);
}

/** A regexp source matching `text` literally, with its %XX escapes in either hex case. */
function literalSource(text: string): string {
  return escapeRegExp(text).replace(/%([0-9A-F])([0-9A-F])/g, (_m, a: string, b: string) => `%${hexClass(a)}${hexClass(b)}`);
}
const hexClass = (digit: string): string => (/[A-F]/.test(digit) ? `[${digit}${digit.toLowerCase()}]` : digit);

// Where a parameter name may start: not inside a longer name. `%3F`/`%26` (once or twice encoded)
// are a `?` or `&` of a URL carried inside another URL.
const NAME_START = String.raw`(?<=^|[^A-Za-z0-9_.\-]|%3[Ff]|%26|%253[Ff]|%2526)`;
// The separator between a name and its value: `=`, encoded once or twice.
const EQUALS = String.raw`(?:=|%3[Dd]|%253[Dd])`;
// A value runs to the next parameter, fragment, quote, space or tag (plain or encoded).
const VALUE = String.raw`(?:(?!%26|%2526|%23|%2523|\\")[^&#\s"'<>])*`;

/**
 * What a secret value's match becomes, so that escaped text (JSON, above all) stays whole where a
 * match meets an escape it does not contain: a value ending in an odd run of backslashes can
 * match the start of one (the secret `abc\` over the JSON of abc"def, `abc\"def`), and a value
 * can start right after one (the secret `nabc1` over the JSON of a newline and abc1, `\nabc1`).
 * The escape's backslash is kept at the end, and the one before the match is paired with another
 * (`\\REDACTED`: an escaped backslash, then the mark). Nothing of the value is left either way.
 */
function redactedValue(match: string, offset: number, text: string): string {
  let before = 0;
  for (let i = offset - 1; i >= 0 && text.charCodeAt(i) === 92; i -= 1) before += 1;
  let after = 0;
  for (let i = match.length - 1; i >= 0 && match.charCodeAt(i) === 92; i -= 1) after += 1;
  return `${before % 2 === 1 ? '\\' : ''}${REDACTED}${after % 2 === 1 ? '\\' : ''}`;
}

export class Redactor {
  private readonly names = new Set<string>();
  private readonly values = new Set<string>();
  private valuePattern: RegExp | undefined;
  private paramPattern: RegExp | undefined;
  private jsonPattern: RegExp | undefined;
  private headerLinePattern: RegExp | undefined;
  private dirty = true;
  private changes = 0;
  private cores: string[] = [];
  private alwaysScan = false;

  /** Changes each time a name or value is learnt (for callers that cache redacted text). */
  get version(): number {
    return this.changes;
  }

  constructor(extraNames: readonly string[] = []) {
    for (const name of [...DEFAULT_SECRET_NAMES, ...extraNames]) this.names.add(name.toLowerCase());
  }

  isSecretName(name: string): boolean {
    return this.names.has(name.toLowerCase());
  }

  /** Treat another parameter, field, JSON key or header name as secret (--secret, a scenario's ${ENV} parameters). */
  addName(name: string): void {
    const lower = name.trim().toLowerCase();
    if (lower === '' || this.names.has(lower)) return;
    this.names.add(lower);
    this.dirty = true;
    this.changes += 1;
  }

  addNames(names: Iterable<string>): void {
    for (const name of names) this.addName(name);
  }

  /**
   * A secret value, redacted wherever it appears in any of its encodings. An authorization scheme
   * (`Bearer x`) is learnt with and without its scheme; Basic credentials also decoded.
   */
  addValue(value: string): void {
    const candidates = [value];
    const scheme = /^(Bearer|Basic|Token|Digest)\s+(.+)$/i.exec(value.trim());
    if (scheme) {
      candidates.push(scheme[2]!);
      if (scheme[1]!.toLowerCase() === 'basic') {
        const decoded = Buffer.from(scheme[2]!, 'base64').toString('utf8');
        if (/^[^\u0000-\u001f]+:[^\u0000-\u001f]+$/.test(decoded)) candidates.push(decoded, decoded.slice(decoded.indexOf(':') + 1));
      }
    }
    for (const candidate of candidates) {
      if (candidate.length < MIN_VALUE_CHARS || this.values.has(candidate)) continue;
      this.values.add(candidate);
      this.dirty = true;
      this.changes += 1;
    }
  }

  /** Learn the secret values of a URL's secret query parameters (and its userinfo password). */
  learnUrl(url: string): void {
    for (const [name, value, raw] of queryPairs(url)) {
      if (!this.isSecretName(name) || /\{[^}]*\}/.test(raw)) continue;
      this.addValue(value);
      if (raw !== value) this.addValue(raw);
    }
    const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/@\s?#]+)@/i.exec(url);
    if (userinfo) {
      const password = userinfo[1]!.split(':')[1];
      if (password) this.addValue(safeDecode(password));
    }
  }

  /** Learn the values of secret headers. */
  learnHeaders(headers: Record<string, string> | ReadonlyArray<readonly [string, string]>): void {
    const entries = Array.isArray(headers) ? headers : Object.entries(headers);
    for (const [name, value] of entries) if (this.isSecretName(name)) this.addValue(value);
  }

  /** Learn the values of a request body's secret fields (JSON keys at any depth, or form fields). */
  learnBody(body: string): void {
    const trimmed = body.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        const walk = (value: unknown): void => {
          if (value === null || typeof value !== 'object') return;
          for (const [key, item] of Object.entries(value)) {
            if (item !== null && typeof item === 'object') walk(item);
            else if (this.isSecretName(key) && item !== null && item !== undefined) this.addValue(String(item));
          }
        };
        walk(JSON.parse(trimmed));
        return;
      } catch {
        // not JSON after all: read it as a form
      }
    }
    for (const [name, value] of queryPairs(`?${body}`)) if (this.isSecretName(name)) this.addValue(value);
  }

  private compile(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const variants = new Set<string>();
    for (const value of this.values) for (const variant of secretVariants(value)) if (variant.length >= MIN_VALUE_CHARS) variants.add(variant);
    const sources = [...variants].sort((a, b) => b.length - a.length).map(literalSource);
    this.valuePattern = sources.length > 0 ? new RegExp(sources.join('|'), 'g') : undefined;
    // Every spelling of a value keeps its letters and digits: a text without the longest run of
    // them cannot hold that value, so most texts skip the (long) alternation entirely.
    this.cores = [];
    this.alwaysScan = false;
    for (const value of this.values) {
      const core = (value.match(/[A-Za-z0-9]+/g) ?? []).sort((a, b) => b.length - a.length)[0];
      if (core === undefined || core.length < 3) this.alwaysScan = true;
      else this.cores.push(core);
    }
    const names = [...this.names].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
    // The match starts at the `=` (cheap to find); a lookbehind then checks the name before it.
    this.paramPattern = new RegExp(`${EQUALS}(?<=${NAME_START}(${names})(${EQUALS}))(${VALUE})`, 'gi');
    this.jsonPattern = new RegExp(String.raw`("(?:${names})"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)`, 'gi');
    this.headerLinePattern = new RegExp(String.raw`(^|[\r\n])([ \t]*(?:${names})[ \t]*:[ \t]*)([^\r\n]*)`, 'gi');
  }

  /**
   * Redact known secret values anywhere, and secret parameters' values where they appear as
   * `name=value` (plain, or inside an encoded URL). Safe on any text; idempotent.
   */
  text(text: string): string {
    if (text === '') return text;
    this.compile();
    let out = this.valuePattern && (this.alwaysScan || this.cores.some((core) => text.includes(core))) ? text.replace(this.valuePattern, redactedValue) : text;
    out = out.replace(this.paramPattern!, (match, _name: string, equals: string, value: string) => (value === '' || value === REDACTED ? match : `${equals}${REDACTED}`));
    return out;
  }

  /** text(), plus secret JSON keys (`"token": "x"`) and header lines (`Authorization: x`): for bodies and answers. */
  body(text: string): string {
    if (text === '') return text;
    let out = this.text(text);
    out = out.replace(this.jsonPattern!, (_match, key: string) => `${key}"${REDACTED}"`);
    out = out.replace(this.headerLinePattern!, (match, start: string, head: string, value: string) => (value.trim() === '' ? match : `${start}${head}${REDACTED}`));
    return out;
  }

  /** Redact secret query parameters of a URL (absolute or a template), its userinfo, and any known secret values. */
  url(url: string): string {
    const queryStart = url.indexOf('?');
    let out = url;
    if (queryStart >= 0 && this.hasSecretParam(url, queryStart)) {
      const hashStart = url.indexOf('#', queryStart);
      const query = url.slice(queryStart + 1, hashStart >= 0 ? hashStart : undefined);
      const pairs = query.split('&');
      // Rebuilt only when a secret parameter is found (this runs per click and per postback).
      let changed = false;
      for (let i = 0; i < pairs.length; i += 1) {
        const pair = pairs[i]!;
        const eq = pair.indexOf('=');
        if (eq < 0 || pair.length === eq + 1) continue;
        const rawName = pair.slice(0, eq);
        const name = rawName.includes('%') || rawName.includes('+') ? safeDecode(rawName) : rawName;
        if (this.isSecretName(name)) {
          pairs[i] = `${rawName}=${REDACTED}`;
          changed = true;
        }
      }
      if (changed) out = url.slice(0, queryStart + 1) + pairs.join('&') + (hashStart >= 0 ? url.slice(hashStart) : '');
    }
    // user:password@host
    if (out.includes('@')) out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s?#]+)@/i, (_m, scheme: string) => `${scheme}${REDACTED}@`);
    return this.text(out);
  }

  /**
   * Whether a query (from `queryStart`, the `?`) has a secret parameter with a value: url()'s
   * question, asked without splitting the query (url() runs per click and per postback; most
   * queries have none). Raw names are remembered: a run's URLs repeat the same few.
   */
  private hasSecretParam(url: string, queryStart: number): boolean {
    const hash = url.indexOf('#', queryStart);
    const end = hash >= 0 ? hash : url.length;
    if (this.rawNamesVersion !== this.changes) {
      this.rawNames.clear();
      this.rawNamesVersion = this.changes;
    }
    let start = queryStart + 1;
    let eq = -1;
    while (start <= end) {
      let amp = url.indexOf('&', start);
      if (amp < 0 || amp > end) amp = end;
      // The next `=` (found once for all the pairs before it, not again for each).
      if (eq !== -2 && eq < start) {
        eq = url.indexOf('=', start);
        if (eq < 0) eq = -2;
      }
      if (eq >= 0 && eq < amp - 1) {
        const rawName = url.slice(start, eq);
        let secret = this.rawNames.get(rawName);
        if (secret === undefined) {
          secret = this.isSecretName(rawName.includes('%') || rawName.includes('+') ? safeDecode(rawName) : rawName);
          if (this.rawNames.size >= 256) this.rawNames.clear();
          this.rawNames.set(rawName, secret);
        }
        if (secret) return true;
      }
      start = amp + 1;
    }
    return false;
  }

  private readonly rawNames = new Map<string, boolean>();
  private rawNamesVersion = -1;

  /** A header value: REDACTED when its name is secret, else its text redacted. */
  header(name: string, value: string): string {
    return this.isSecretName(name) ? REDACTED : this.text(value);
  }

  headers(headers: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, this.header(name, value)]));
  }

  /** A request body: secret JSON keys or form fields redacted at any depth, then known values. */
  requestBody(body: string): string {
    const trimmed = body.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        const value = JSON.parse(trimmed, (key, item: unknown) => (key && this.isSecretName(key) && typeof item !== 'object' ? REDACTED : item)) as unknown;
        return this.text(JSON.stringify(value));
      } catch {
        return this.body(body);
      }
    }
    return this.url(`?${body}`).slice(1);
  }

  /** A deep copy of a JSON-able value with every string passed through text() (keys kept). */
  deep<T>(value: T): T {
    return redactDeep(value, (text) => this.text(text)) as T;
  }
}

function redactDeep(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item, redact);
    return out;
  }
  return value;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** name/value pairs of a URL's (or `?body`'s) query, decoded. */
function queryPairs(url: string): Array<[name: string, value: string, rawValue: string]> {
  const start = url.indexOf('?');
  if (start < 0) return [];
  const end = url.indexOf('#', start);
  const query = url.slice(start + 1, end >= 0 ? end : undefined);
  const pairs: Array<[string, string, string]> = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    pairs.push([safeDecode(pair.slice(0, eq)), safeDecode(pair.slice(eq + 1)), pair.slice(eq + 1)]);
  }
  return pairs;
}

/** A stream that passes everything written through the redactor (the CLI's stdout and stderr). */
export function redactingStream<S extends { write(chunk: string): unknown }>(stream: S, redactor: Redactor): S {
  return new Proxy(stream, {
    get(target, property, receiver) {
      if (property === 'write') return (chunk: unknown, ...rest: unknown[]) => (target.write as (...args: unknown[]) => unknown).call(target, typeof chunk === 'string' ? redactor.text(chunk) : chunk, ...rest);
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
