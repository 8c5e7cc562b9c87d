/**
 * Text that came from outside (tracker answers, CSV cells and headers, URLs) can carry terminal
 * escape sequences. Everything untrusted goes through here before it reaches a terminal.
 */

// ESC-introduced sequences (CSI, OSC, and two-character escapes), then any other C0/C1 control.
// eslint-disable-next-line no-control-regex
const ANSI_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Strip escape sequences and control characters; keep tabs and newlines only when asked. */
export function sanitizeForDisplay(text: string, options: { keepNewlines?: boolean } = {}): string {
  const stripped = text.replace(ANSI_SEQUENCE, '').replace(CONTROL, '');
  return options.keepNewlines ? stripped : stripped.replace(/[\t\n]/g, ' ');
}

/** Sanitise and cut to `max` characters, marking the cut. */
export function excerpt(text: string, max: number, options: { keepNewlines?: boolean } = {}): string {
  const clean = sanitizeForDisplay(text, options);
  if (clean.length <= max) return clean;
  return `${clean.slice(0, max)}… (${clean.length - max} more characters)`;
}

// eslint-disable-next-line no-control-regex
const JSON_UNESCAPED_CONTROLS = /[\u007f-\u009f\u2028\u2029]/g;
const unicodeEscape = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * JSON for machines: JSON.stringify escapes C0 controls but writes DEL, C1 controls (U+009B is an
 * 8-bit CSI) and the line separators raw; here every one of them is a \\uXXXX escape, so a document
 * shown by `cat` or a CI log viewer carries no terminal control. The value parses back the same.
 */
export function toJson(value: unknown, indent?: number): string {
  return escapeJsonControls(JSON.stringify(value, null, indent));
}

/**
 * toJson's escaping applied to JSON text made by JSON.stringify (a piece of a document written in
 * pieces): each DEL, C1 control and U+2028/U+2029 becomes \\uXXXX. Character by character, so the
 * pieces escaped one by one are the whole document escaped.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(JSON_UNESCAPED_CONTROLS, unicodeEscape);
}

/**
 * toJson(value, 2) cut around its top-level array `key` (made empty), for a document written in
 * pieces: `head` ends with `"key": [`, `tail` is what follows the `]`; the items go between. (The
 * cut is found by the marker's newline and two-space indent: only the top level has them, a
 * string's newlines being escaped.)
 */
export function jsonAroundArray(value: object, key: string): { head: string; tail: string } {
  const name = JSON.stringify(key);
  const text = toJson({ ...value, [key]: [] }, 2);
  const marker = `\n  ${name}: []`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`no top-level ${name} in the document`);
  return { head: `${text.slice(0, at)}\n  ${name}: [`, tail: text.slice(at + marker.length) };
}

// eslint-disable-next-line no-control-regex
const TEXT_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/**
 * Untrusted text for a machine format that cannot escape controls itself (XML 1.0 forbids C0
 * controls even as references, and a C1 reference is decoded back into a control by viewers):
 * every control except tab, newline and CR becomes the visible text \\uXXXX.
 */
export function escapeControls(text: string): string {
  return text.replace(TEXT_CONTROLS, unicodeEscape);
}

/**
 * A deep copy of a JSON-like value with every string sanitised (and every object key): a renderer
 * that takes its data through here cannot print a control from the data, whichever field it uses.
 */
export function sanitizeDeep<T>(value: T): T {
  return deep(value) as T;
}

function deep(value: unknown): unknown {
  if (typeof value === 'string') return sanitizeForDisplay(value);
  if (Array.isArray(value)) return value.map(deep);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[sanitizeForDisplay(key)] = deep(item);
    return out;
  }
  return value;
}
