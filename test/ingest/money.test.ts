import { describe, expect, it } from 'vitest';
import { formatMoney, MoneyError, parseMoney } from '../../src/units/money.js';

describe('parseMoney', () => {
  it.each([
    ['1234.56', 1_234_560_000],
    ['$1,234.56', 1_234_560_000],
    ['1,234,567.5', 1_234_567_500_000],
    ['0.1', 100_000],
    ['.5', 500_000],
    ['5.', 5_000_000],
    ['12', 12_000_000],
    ['-5.00', -5_000_000],
    ['(5.25)', -5_250_000],
    ['-$12.50', -12_500_000],
    ['$-12.50', -12_500_000],
    ['USD 12.34', 12_340_000],
    ['12.34 EUR', 12_340_000],
    ['€ 7', 7_000_000],
    ['US$3.10', 3_100_000],
    ['1.5E+3', 1_500_000_000],
    ['2.5e-3', 2_500],
    ['0.0000015', 2],
    ['0.0000014', 1],
    ['-0.0000015', -2],
    ['0.000000', 0],
    ['  42.00  ', 42_000_000],
    ['1 234.56', 1_234_560_000],
    ['00123.40', 123_400_000],
  ])('%s → %d micros', (text, micros) => {
    expect(parseMoney(text)).toBe(micros);
  });

  it.each([
    ['12,34', 12_340_000],
    ['1.234,56', 1_234_560_000],
    ['€1.234,56', 1_234_560_000],
    ['1 234,5', 1_234_500_000],
    ['-0,5', -500_000],
    ['12', 12_000_000],
  ])('with a decimal comma: %s → %d micros', (text, micros) => {
    expect(parseMoney(text, true)).toBe(micros);
  });

  it('an empty cell is no amount, not zero', () => {
    expect(parseMoney('')).toBeNull();
    expect(parseMoney('   ')).toBeNull();
  });

  it.each(['abc', '12.34.56', '1,23.45', '$', '--5', '12,34', '1e', '99999999999999999999', 'NaN', '0x10'])('rejects %s', (text) => {
    expect(() => parseMoney(text)).toThrow(MoneyError);
  });

  it('hints at --decimal-comma for 12,34', () => {
    expect(() => parseMoney('12,34')).toThrow(/--decimal-comma/);
  });

  it('property: random amounts formatted then parsed give the same micros (both decimal marks)', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 5000; i += 1) {
      const micros = Math.round((random() - 0.3) * 10 ** Math.floor(random() * 15)) || 0;
      expect(parseMoney(formatMoney(micros))).toBe(micros);
      expect(parseMoney(formatMoney(micros, { decimalComma: true }), true)).toBe(micros);
      // With thousands separators and a currency symbol, as spreadsheets write them.
      const [whole, fraction] = formatMoney(Math.abs(micros)).split('.') as [string, string];
      const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
      expect(parseMoney(`${micros < 0 ? '-' : ''}$${grouped}.${fraction}`)).toBe(micros);
    }
  });

  it('never goes through floats: 0.1 + 0.2 style values are exact', () => {
    expect(parseMoney('0.3')).toBe(300_000);
    expect(parseMoney('1.005')).toBe(1_005_000);
    expect(parseMoney('9007199254.740991')).toBe(9_007_199_254_740_991);
    expect(() => parseMoney('9007199254.740992')).toThrow(/too large/);
  });
});

describe('formatMoney', () => {
  it('writes at least two decimals', () => {
    expect(formatMoney(1_234_560_000)).toBe('1234.56');
    expect(formatMoney(5)).toBe('0.000005');
    expect(formatMoney(-12_000_000)).toBe('-12.00');
    expect(formatMoney(1_500_000, { decimalComma: true })).toBe('1,50');
  });
});
