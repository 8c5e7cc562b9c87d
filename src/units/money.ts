/**
 * Money as exact integer micro-units (1 USD = 1_000_000), by string arithmetic: `0.1 + 0.2` never
 * happens here. Exports write amounts as `1234.56`, `$1,234.56`, `USD 12.34`, `-5.00`, `(5.00)`,
 * `1.5E+3`, and in Europe `12,34` or `1.234,56` (`--decimal-comma`).
 */

export const MICROS_PER_UNIT = 1_000_000;

export class MoneyError extends Error {}

// Currency symbols and ISO 4217-looking codes, before or after the number.
const CURRENCY_PREFIX = /^(?:[A-Z]{3}|[A-Z]{1,2}\$|[$€£¥₽₹₩₺₴₱฿₫₪₦₲₡₵₸¢]|R\$|Fr\.?|zł|kr\.?)\s*/u;
const CURRENCY_SUFFIX = /\s*(?:[A-Z]{3}|[$€£¥₽₹₩₺₴₱฿₫₪₦₲₡₵₸¢]|zł|kr\.?|руб\.?|р\.)$/u;
// Group separators that are never decimal marks: spaces (incl. no-break and thin) and apostrophes.
const SPACE_GROUPS = /[\s\u00a0\u202f\u2009'’]/gu;

function groupsValid(integer: string, separator: string): boolean {
  const groups = integer.split(separator);
  if (groups.length === 1) return true;
  if (!/^\d{1,3}$/.test(groups[0]!)) return false;
  for (let i = 1; i < groups.length; i += 1) if (!/^\d{3}$/.test(groups[i]!)) return false;
  return true;
}

/**
 * Parse an amount into micro-units. Returns null for an empty cell. Digits beyond the sixth
 * decimal are rounded half away from zero (an exact decision on the digits, not a float rounding).
 * Throws MoneyError with a reason for anything that is not an amount.
 */
export function parseMoney(input: string, decimalComma = false): number | null {
  try {
    return parseAmount(input, decimalComma);
  } catch (error) {
    if (!(error instanceof MoneyError) || !/[.,]/.test(input)) throw error;
    // Would the other decimal mark have read it? Then say so.
    try {
      parseAmount(input, !decimalComma);
    } catch {
      throw error;
    }
    throw new MoneyError(`${error.message.replace(/ \(a decimal comma\? use --decimal-comma\)$/, '')} (${decimalComma ? 'a decimal point? drop --decimal-comma' : 'a decimal comma? use --decimal-comma'})`);
  }
}

function parseAmount(input: string, decimalComma: boolean): number | null {
  let text = input.trim();
  if (text === '') return null;
  // Fast path: plain 123 or 123.45 (the bulk of machine-written exports).
  if (!decimalComma && /^\d{1,9}(?:\.\d{1,6})?$/.test(text)) {
    const dot = text.indexOf('.');
    if (dot === -1) return Number(text) * MICROS_PER_UNIT;
    return Number(text.slice(0, dot)) * MICROS_PER_UNIT + Number(text.slice(dot + 1).padEnd(6, '0'));
  }
  const original = text;
  let negative = false;
  // Accounting parentheses are the amount's sign: a sign inside them, "(-5)", is a second one.
  let signed = false;
  if (text.startsWith('(') && text.endsWith(')')) {
    negative = true;
    signed = true;
    text = text.slice(1, -1).trim();
  }
  const strip = (): void => {
    text = text.replace(CURRENCY_PREFIX, '').replace(CURRENCY_SUFFIX, '').trim();
  };
  const sign = (): void => {
    const first = text[0];
    if (first === '-' || first === '−' || first === '+' || (text.length > 1 && text.endsWith('-'))) {
      if (signed) throw new MoneyError(`"${original}" has more than one sign`);
      signed = true;
    }
    if (first === '-' || first === '−' || first === '+') {
      if (first !== '+') negative = !negative;
      text = text.slice(1).trim();
    } else if (text.endsWith('-')) {
      negative = !negative;
      text = text.slice(0, -1).trim();
    }
  };
  // "-$12.50", "$-12.50", "USD -12.50" and "12.50 USD" all occur.
  sign();
  strip();
  sign();
  strip();
  if (text === '') throw new MoneyError(`"${original}" is not an amount`);

  let exponent = 0;
  const exp = /^(.*?)[eE]([+-]?\d{1,3})$/.exec(text);
  if (exp) {
    text = exp[1]!;
    exponent = Number(exp[2]);
  }

  const decimalMark = decimalComma ? ',' : '.';
  const groupMark = decimalComma ? '.' : ',';
  text = text.replace(SPACE_GROUPS, '');
  const firstDecimal = text.indexOf(decimalMark);
  if (firstDecimal !== text.lastIndexOf(decimalMark)) {
    throw new MoneyError(`"${original}" has more than one decimal ${decimalComma ? 'comma' : 'point'}`);
  }
  let integer = firstDecimal === -1 ? text : text.slice(0, firstDecimal);
  const fraction = firstDecimal === -1 ? '' : text.slice(firstDecimal + 1);
  if (integer.includes(groupMark)) {
    if (!groupsValid(integer, groupMark)) {
      throw new MoneyError(`"${original}" is not an amount`);
    }
    integer = integer.split(groupMark).join('');
  }
  if (!/^\d*$/.test(integer) || !/^\d*$/.test(fraction) || integer + fraction === '') {
    throw new MoneyError(`"${original}" is not an amount`);
  }
  // Shift the decimal point by the exponent, on the digit string.
  let digits = integer + fraction;
  let point = integer.length + exponent;
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits = digits.padEnd(point, '0');
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const decimals = digits.slice(point);
  let micros = BigInt(whole) * 1_000_000n + BigInt(decimals.slice(0, 6).padEnd(6, '0'));
  if (decimals.length > 6 && decimals.charCodeAt(6) >= 53 /* '5' */) micros += 1n;
  if (negative) micros = -micros;
  if (micros > BigInt(Number.MAX_SAFE_INTEGER) || micros < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MoneyError(`"${original}" is too large`);
  }
  const result = Number(micros);
  return result === 0 ? 0 : result; // no -0
}

/** Micro-units back to a decimal string with at least two decimals: 1234560000 → "1234.56". */
export function formatMoney(micros: number, options: { decimalComma?: boolean } = {}): string {
  const negative = micros < 0;
  const digits = String(Math.abs(micros)).padStart(7, '0');
  const whole = digits.slice(0, -6);
  let fraction = digits.slice(-6).replace(/0+$/, '');
  if (fraction.length < 2) fraction = fraction.padEnd(2, '0');
  return `${negative ? '-' : ''}${whole}${options.decimalComma ? ',' : '.'}${fraction}`;
}
