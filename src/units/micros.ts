/**
 * Money is integer micro-units everywhere (1 USD = 1_000_000); these turn it into text and back
 * without going through floating point.
 */
const MICROS = 1_000_000;

/** "12.50" for 12_500_000; at least `minDecimals` decimals, at most 6, trailing zeros dropped beyond that. */
export function formatMicros(micros: number, minDecimals = 2): string {
  const negative = micros < 0;
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS);
  let fraction = String(abs % MICROS).padStart(6, '0');
  while (fraction.length > minDecimals && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${negative ? '-' : ''}${whole}${fraction.length > 0 ? `.${fraction}` : ''}`;
}

/** A JSON-friendly number of currency units (exact for any amount below 9 billion). */
export function microsToUnits(micros: number | null | undefined): number | null {
  if (micros === null || micros === undefined) return null;
  return Number(formatMicros(micros, 0));
}

/** "0.01" → 10000. Plain decimal notation only (a tolerance or an amount typed on the command line). */
export function parseAmountToMicros(text: string): number {
  const match = /^\s*(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!match || (match[1] === '' && (match[2] ?? '') === '')) throw new Error(`"${text}" is not an amount such as 0.01`);
  const fraction = match[2] ?? '';
  if (fraction.length > 6) throw new Error(`"${text}" has more than 6 decimals`);
  const micros = Number(match[1] || '0') * MICROS + Number(fraction.padEnd(6, '0'));
  if (!Number.isSafeInteger(micros)) throw new Error(`"${text}" is too large`);
  return micros;
}

/**
 * A payout or revenue given on the command line ("1.50", "12", "0.000001") as exact integer
 * micro-units, never through a float. Undefined when the text is not a plain decimal.
 */
export function decimalToMicros(text: string): number | undefined {
  const match = /^\s*(-)?(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  const fraction = (match[3] ?? '').padEnd(6, '0');
  if (fraction.length > 6 && /[1-9]/.test(fraction.slice(6))) return undefined;
  const micros = BigInt(match[2] || '0') * 1_000_000n + BigInt(fraction.slice(0, 6));
  const value = Number(match[1] ? -micros : micros);
  return Number.isSafeInteger(value) ? value : undefined;
}
