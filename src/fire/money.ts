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
