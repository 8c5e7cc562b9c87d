/**
 * Amounts in postbacks. The mock keeps money as integer micro-units like the store
 * (1 USD = 1_000_000) and never goes through a float, so an amount fired is the amount exported
 * (written back with ingest's formatMoney). Stricter than ingest's parseMoney on purpose: a
 * postback's amount is a plain decimal, and "$1,234" or a literal {payout} is refused.
 */
const MICROS = 1_000_000;
const MAX_MICROS = Number.MAX_SAFE_INTEGER;

/**
 * `12.34`, `12`, `-0.5`, `.5`; with `decimalComma` also `12,34` (Everflow documents `amount=12,34`).
 * Returns micro-units, `undefined` for an absent or empty value, or `null` when the text is not an
 * amount (the caller rejects the postback).
 */
export function parseAmount(text: string | undefined, options: { decimalComma?: boolean } = {}): number | undefined | null {
  if (text === undefined) return undefined;
  let value = text.trim();
  if (value === '') return undefined;
  if (options.decimalComma && /^-?\d*,\d+$/.test(value)) value = value.replace(',', '.');
  const match = /^(-?)(\d*)(?:\.(\d{0,6}))?$/.exec(value);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return null;
  const whole = Number(match[2] === '' ? '0' : match[2]);
  const fraction = Number((match[3] ?? '').padEnd(6, '0'));
  const micros = whole * MICROS + fraction;
  if (!Number.isSafeInteger(micros) || micros > MAX_MICROS) return null;
  return match[1] === '-' && micros !== 0 ? -micros : micros;
}
