import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimeZone, parseTimestamp, TimestampError, UTC } from '../../src/units/timestamp.js';
import type { TimestampStyle } from '../../src/presets/exports.js';

const zone = (spec: string) => {
  const parsed = parseTimeZone(spec);
  if (!parsed) throw new Error(`bad zone ${spec}`);
  return parsed;
};

describe('parseTimestamp', () => {
  it.each([
    ['2026-11-29 06:35:16', '2026-11-29T06:35:16.000Z'],
    ['2026-11-29T06:35:16', '2026-11-29T06:35:16.000Z'],
    ['2026-11-29T06:35:16Z', '2026-11-29T06:35:16.000Z'],
    ['2026-11-29T06:35:16.123Z', '2026-11-29T06:35:16.123Z'],
    ['2026-11-29T06:35:16.123456+00:00', '2026-11-29T06:35:16.123Z'],
    ['2026-11-29T08:35:16+02:00', '2026-11-29T06:35:16.000Z'],
    ['2026-11-29T01:35:16-0500', '2026-11-29T06:35:16.000Z'],
    ['2026-11-29 06:35', '2026-11-29T06:35:00.000Z'],
    ['2026/11/29 06:35:16', '2026-11-29T06:35:16.000Z'],
    ['2026-11-29', '2026-11-29T00:00:00.000Z'],
    ['2026-11-29 06:35:16 UTC', '2026-11-29T06:35:16.000Z'],
    ['1795933516', '2026-11-29T06:25:16.000Z'],
    ['1795933516.5', '2026-11-29T06:25:16.500Z'],
    ['1795933516123', '2026-11-29T06:25:16.123Z'],
    ['11/29/2026 06:35:16 AM', '2026-11-29T06:35:16.000Z'],
    ['11/29/2026 6:35:16 PM', '2026-11-29T18:35:16.000Z'],
    ['11/29/2026 12:05 AM', '2026-11-29T00:05:00.000Z'],
    ['11/29/2026 12:05 PM', '2026-11-29T12:05:00.000Z'],
    ['1/2/2026 13:05:00', '2026-01-02T13:05:00.000Z'],
    ['11/29/2026', '2026-11-29T00:00:00.000Z'],
    ['29.11.2026 06:35:16', '2026-11-29T06:35:16.000Z'],
    ['2024-02-29 00:00:00', '2024-02-29T00:00:00.000Z'],
  ])('%s → %s', (text, iso) => {
    expect(parseTimestamp(text)).toBe(iso);
  });

  it.each(['2026-13-01 00:00:00', '2026-02-30 00:00:00', '2025-02-29 10:00:00', '2026-11-29 25:00:00', '2026-11-29 06:61:00', '13/29/2026 06:35 AM', '11/29/2026 13:00 PM', 'yesterday', '12345', '2026-11-29T06:35:16+25:00', 'NaN', '1e10'])(
    'rejects %s',
    (text) => {
      expect(() => parseTimestamp(text)).toThrow(TimestampError);
    },
  );

  it('reads naive times in a fixed offset', () => {
    expect(parseTimestamp('2026-11-29 06:35:16', zone('+05:30'))).toBe('2026-11-29T01:05:16.000Z');
    expect(parseTimestamp('2026-11-29 06:35:16', zone('-08:00'))).toBe('2026-11-29T14:35:16.000Z');
    expect(parseTimestamp('11/29/2026 06:35:16 PM', zone('-0800'))).toBe('2026-11-30T02:35:16.000Z');
  });

  it('an explicit offset in the value wins over --timezone', () => {
    expect(parseTimestamp('2026-11-29T06:35:16Z', zone('America/New_York'))).toBe('2026-11-29T06:35:16.000Z');
    expect(parseTimestamp('1795933516', zone('Asia/Tokyo'))).toBe('2026-11-29T06:25:16.000Z');
  });

  it('is DST-correct for IANA zones (winter and summer offsets differ)', () => {
    const ny = zone('America/New_York');
    expect(parseTimestamp('2026-01-15 12:00:00', ny)).toBe('2026-01-15T17:00:00.000Z');
    expect(parseTimestamp('2026-07-15 12:00:00', ny)).toBe('2026-07-15T16:00:00.000Z');
    const berlin = zone('Europe/Berlin');
    expect(parseTimestamp('2026-03-29 01:59:59', berlin)).toBe('2026-03-29T00:59:59.000Z');
    expect(parseTimestamp('2026-03-29 03:00:00', berlin)).toBe('2026-03-29T01:00:00.000Z');
  });

  it('resolves the skipped and the repeated hour like Temporal "compatible"', () => {
    const ny = zone('America/New_York');
    // 2026-03-08 02:30 does not exist in New York: moved forward by the gap (03:30 EDT).
    expect(parseTimestamp('2026-03-08 02:30:00', ny)).toBe('2026-03-08T07:30:00.000Z');
    // 2026-11-01 01:30 happens twice: the earlier one (EDT).
    expect(parseTimestamp('2026-11-01 01:30:00', ny)).toBe('2026-11-01T05:30:00.000Z');
  });

  it('property: every second of a year round-trips through each export style (UTC)', () => {
    const styles: TimestampStyle[] = ['iso', 'ymd_hms', 'unix_s', 'unix_ms', 'mdy_hms_ampm'];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 2000; i += 1) {
      const ms = Date.UTC(2000, 0, 1) + Math.floor(random() * 40 * 365 * 86400) * 1000;
      const date = new Date(ms);
      for (const style of styles) expect(parseTimestamp(formatTimestamp(date, style), UTC)).toBe(date.toISOString());
    }
  });

  it('property: local wall time in a zone maps back to the same wall time', () => {
    const tokyo = zone('Asia/Tokyo');
    const format = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo', dateStyle: 'short', timeStyle: 'medium' });
    for (let hour = 0; hour < 24 * 400; hour += 7) {
      const instant = new Date(Date.UTC(2026, 0, 1) + hour * 3_600_000 + 1000 * 17);
      const local = format.format(instant); // "2026-01-01 09:00:17"
      expect(parseTimestamp(local, tokyo)).toBe(instant.toISOString());
    }
  });
});

describe('formatTimestamp', () => {
  const date = new Date('2026-11-29T18:35:16.000Z');
  it.each([
    ['iso', '2026-11-29T18:35:16Z'],
    ['ymd_hms', '2026-11-29 18:35:16'],
    ['unix_s', '1795977316'],
    ['unix_ms', '1795977316000'],
    ['mdy_hms_ampm', '11/29/2026 06:35:16 PM'],
  ] as Array<[TimestampStyle, string]>)('%s', (style, text) => {
    expect(formatTimestamp(date, style)).toBe(text);
  });
});

describe('parseTimeZone', () => {
  it('accepts IANA names and offsets, refuses the rest', () => {
    expect(parseTimeZone('UTC')?.name).toBe('UTC');
    expect(parseTimeZone('+5:30')?.name).toBe('+05:30');
    expect(parseTimeZone('-0800')?.name).toBe('-08:00');
    expect(parseTimeZone('UTC+2')?.name).toBe('+02:00');
    expect(parseTimeZone('america/new_york')?.name).toBe('America/New_York');
    expect(parseTimeZone('Mars/Olympus')).toBeUndefined();
    expect(parseTimeZone('+15:00')).toBeUndefined();
    expect(parseTimeZone('')).toBeUndefined();
  });
});
