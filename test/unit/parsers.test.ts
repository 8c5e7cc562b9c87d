import { describe, expect, it } from 'vitest';
import { collectList, parseHeader, parseInteger, parseKeyValue, parseRatio } from '../../src/cli/parsers.js';
import { parseDurationMs } from '../../src/units/duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['30d', 30 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['45m', 45 * 60_000],
    ['10s', 10_000],
    ['500ms', 500],
    ['1h30m', 90 * 60_000],
    ['2w', 14 * 86_400_000],
    ['1.5h', 5_400_000],
  ])('%s', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it('reads a bare number in the given unit', () => {
    expect(parseDurationMs('10')).toBe(10_000);
    expect(parseDurationMs('250', 'ms')).toBe(250);
  });

  it.each(['', 'd', '30x', '30d junk', 'h12', '-5m'])('rejects %j', (text) => {
    expect(() => parseDurationMs(text)).toThrow(/duration/);
  });
});

describe('integer and ratio parsers', () => {
  it('bounds integers', () => {
    expect(parseInteger({ min: 1 })('5')).toBe(5);
    expect(() => parseInteger({ min: 1 })('0')).toThrow(/at least 1/);
    expect(() => parseInteger()('1.5')).toThrow(/whole number/);
    expect(() => parseInteger()('9007199254740993')).toThrow(/too large/);
  });
  it('bounds ratios to 0..1', () => {
    expect(parseRatio('0.25')).toBe(0.25);
    expect(() => parseRatio('1.5')).toThrow(/at most 1/);
    expect(() => parseRatio('abc')).toThrow(/number/);
  });
});

describe('repeatable options', () => {
  it('splits commas and accumulates repeats', () => {
    expect(collectList('c', collectList('a, b'))).toEqual(['a', 'b', 'c']);
  });
  it('keeps everything after the first = in key=value', () => {
    expect(parseKeyValue('url=https://x/?a=b')).toEqual([['url', 'https://x/?a=b']]);
    expect(() => parseKeyValue('=v')).toThrow(/key=value/);
  });
  it('parses headers and refuses bad names', () => {
    expect(parseHeader('X-Token: abc: def')).toEqual([['X-Token', 'abc: def']]);
    expect(() => parseHeader('Bad Name: x')).toThrow(/header name/);
  });
});
