import { randomUUID } from 'node:crypto';
import { UsageError } from '../errors.js';

/**
 * `{name}` macros in URL and body templates. Every value is encoded exactly once, for where it
 * lands: a URL (percent-encoding of everything but RFC 3986 unreserved characters, so `+`, `/`,
 * `=` and spaces in a click id reach the tracker intact), a JSON string, or nothing (`{base}`).
 * A macro without a value is an error naming it: the most common postback bug is a literal
 * `{clickid}` reaching the tracker.
 */

/** `{name}`: a letter or underscore, then letters, digits, `_`, `.` or `-`. JSON like `{"a":1}` is not a macro. */
export const MACRO_PATTERN = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/** Macros tpb resolves itself when firing postbacks. */
export const FIRE_MACROS = ['click_id', 'payout', 'revenue', 'txid', 'status', 'event', 'currency', 'timestamp', 'unix', 'uuid', 'i', 'rand', 'seq', 'repeat'] as const;

/** Macros a click URL or --param value may use. */
export const CLICK_MACROS = ['i', 'uuid', 'rand'] as const;

export type MacroValue = string | number | undefined;
export type MacroValues = Readonly<Record<string, MacroValue>>;

export type TemplateEncoding = 'url' | 'json' | 'none';

export interface ExpandOptions {
  /** How values are encoded (default 'url'). */
  encoding?: TemplateEncoding;
  /** Macros whose values are inserted as they are, whatever the encoding (e.g. `base`). */
  raw?: readonly string[];
  /** Where the template came from, for the error message (e.g. "--data"). */
  where?: string;
}

/** One or more `{macros}` had no value. Exit 2, before anything is sent. */
/** Macros filled by their own fire option (--payout, --txid…), not by --var. */
const VALUE_FLAG_MACROS: ReadonlySet<string> = new Set(['payout', 'revenue', 'txid', 'status', 'event', 'currency']);

export class UnresolvedMacroError extends UsageError {
  constructor(
    readonly macros: readonly string[],
    where: string,
    known: readonly string[],
  ) {
    const list = macros.map((name) => `{${name}}`).join(', ');
    const suggestion = suggestMacro(macros[0] ?? '', known);
    // {payout}, {txid}… have their own flags; --var does not fill them.
    const flags = macros.filter((name) => VALUE_FLAG_MACROS.has(name)).map((name) => `--${name} …`);
    const others = macros.filter((name) => !VALUE_FLAG_MACROS.has(name));
    const give = [...flags, ...others.map((name) => `--var ${name}=…`)].join(' ');
    super(`unresolved macro${macros.length > 1 ? 's' : ''} ${list} in ${where}`, {
      hint: suggestion
        ? `did you mean {${suggestion}}? tpb's macros: ${known.map((name) => `{${name}}`).join(' ')}; others come from --var name=value`
        : `give ${macros.length > 1 ? 'them values' : 'it a value'}: ${give}`,
    });
  }
}

const CLICK_ID_SPELLINGS = new Set(['clickid', 'click-id', 'clickId', 'transaction_id', 'transactionid', 'subid', 'sub_id', 'cid', 'cnv_id', 'reqid', 'aff_click_id', 'tid']);

/** A likely intended macro for a misspelt one. */
export function suggestMacro(name: string, known: readonly string[]): string | undefined {
  if (known.includes('click_id') && CLICK_ID_SPELLINGS.has(name)) return 'click_id';
  const lower = name.toLowerCase();
  return known.find((candidate) => candidate.toLowerCase() === lower || candidate.replace(/_/g, '') === lower.replace(/[_-]/g, ''));
}

const UNRESERVED_ONLY = /^[A-Za-z0-9\-._~]*$/;

/** Percent-encode everything outside RFC 3986's unreserved set (stricter than encodeURIComponent: `!'()*` too). */
export function encodeQueryValue(value: string): string {
  // Unreserved characters only (a hex click id, an amount): nothing to encode, and a test is
  // cheaper than encoding and replacing (this runs for every macro of every postback).
  if (UNRESERVED_ONLY.test(value)) return value;
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function encodeFor(value: string, encoding: TemplateEncoding): string {
  if (encoding === 'url') return encodeQueryValue(value);
  if (encoding === 'json') return JSON.stringify(value).slice(1, -1);
  return value;
}

/** The macro names a template uses, in order of first use. */
export function findMacros(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(MACRO_PATTERN)) if (!names.includes(match[1]!)) names.push(match[1]!);
  return names;
}

/**
 * Replace every `{name}` with its value, encoded once. Throws UnresolvedMacroError naming every
 * macro without a value (undefined); an empty string is a value.
 */
export function expandTemplate(template: string, values: MacroValues, options: ExpandOptions = {}): string {
  const encoding = options.encoding ?? 'url';
  const raw = new Set(options.raw ?? []);
  const missing: string[] = [];
  const out = template.replace(MACRO_PATTERN, (whole, name: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined) {
      if (!missing.includes(name)) missing.push(name);
      return whole;
    }
    const text = String(value);
    return raw.has(name) ? text : encodeFor(text, encoding);
  });
  if (missing.length > 0) {
    const known = Object.keys(values).filter((name) => values[name] !== undefined);
    throw new UnresolvedMacroError(missing, options.where ?? 'the template', known);
  }
  return out;
}

/** Values of the per-request macros every template may use: `{i}`, `{uuid}`, `{rand}`, `{timestamp}`, `{unix}`. */
export function generatedMacroValues(index: number, now: Date): Record<string, string> {
  return {
    i: String(index),
    uuid: randomUUID(),
    rand: String(Math.floor(Math.random() * 1_000_000_000)),
    timestamp: now.toISOString(),
    unix: String(Math.floor(now.getTime() / 1000)),
  };
}

/**
 * Expand the generated macros inside an option value (`--txid tx-{i}`, `--param sub1={uuid}`)
 * without encoding: the result is a value that will itself be encoded once where it lands.
 * Unknown macros in a value are left for the caller's check.
 */
export function expandValue(value: string, generated: Readonly<Record<string, string>>): string {
  return value.replace(MACRO_PATTERN, (whole, name: string) => (Object.hasOwn(generated, name) ? generated[name]! : whole));
}

/** Append `key=value` pairs to a URL's query, each name and value encoded once. */
export function appendQuery(url: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return url;
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const fragment = hash >= 0 ? url.slice(hash) : '';
  const query = pairs.map(([name, value]) => `${encodeQueryValue(name)}=${encodeQueryValue(value)}`).join('&');
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${query}${fragment}`;
}
