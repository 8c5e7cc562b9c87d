import type { TimestampStyle } from '../presets/exports.js';

/**
 * Timestamps in exports come in a handful of shapes; tpb stores them all as UTC ISO 8601 text
 * (`2026-11-29T06:35:16.000Z`), which sorts and compares as text. Naive timestamps (no offset) are
 * read in a time zone: UTC by default, or `--timezone` (an IANA name or a fixed ±hh:mm offset).
 */

/** A time zone that turns a naive local wall-clock time into UTC. */
export interface TimeZone {
  /** What the user wrote, normalised ("UTC", "+05:30", "America/New_York"). */
  readonly name: string;
  /** UTC epoch ms of the local wall-clock time given as if it were UTC epoch ms. */
  toUtc(localAsUtcMs: number): number;
}

export const UTC: TimeZone = { name: 'UTC', toUtc: (ms) => ms };

function fixedOffset(name: string, offsetMinutes: number): TimeZone {
  const offsetMs = offsetMinutes * 60_000;
  return { name, toUtc: (ms) => ms - offsetMs };
}

const OFFSET_PATTERN = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/**
 * Parse `--timezone`: `UTC`, `Z`, `+05:30`, `-0800`, `+3`, `UTC+2`, or an IANA name such as
 * `America/New_York` (DST-correct, through Intl). Returns undefined when it is none of these.
 */
export function parseTimeZone(spec: string): TimeZone | undefined {
  const text = spec.trim();
  if (/^(utc|gmt|z|etc\/utc|etc\/gmt|[+-]00:?00)$/i.test(text)) return UTC;
  const offset = OFFSET_PATTERN.exec(text);
  if (offset) {
    const hours = Number(offset[2]);
    const minutes = Number(offset[3] ?? '0');
    if (hours > 14 || minutes > 59) return undefined;
    const sign = offset[1] === '-' ? -1 : 1;
    const total = sign * (hours * 60 + minutes);
    const name = `${sign < 0 ? '-' : '+'}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
    return fixedOffset(name, total);
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: text,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
  } catch {
    return undefined;
  }
  return ianaZone(format.resolvedOptions().timeZone, format);
}

/** An IANA zone: offsets from Intl, cached per 15 minutes of local time (transitions fall on them). */
function ianaZone(name: string, format: Intl.DateTimeFormat): TimeZone {
  const offsetAt = (utcMs: number): number => {
    const parts = format.formatToParts(new Date(utcMs));
    const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)?.value);
    let year = get('year');
    if (parts.find((part) => part.type === 'era')?.value === 'BC') year = 1 - year;
    const asUtc = Date.UTC(year, get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return asUtc - (utcMs - (((utcMs % 1000) + 1000) % 1000));
  };
  const cache = new Map<number, number>();
  const SLOT = 15 * 60_000;
  const DAY = 86_400_000;
  return {
    name,
    toUtc(local: number): number {
      const slot = Math.floor(local / SLOT);
      let offset = cache.get(slot);
      if (offset === undefined) {
        // Temporal's "compatible" disambiguation: in a repeated hour take the earlier instant, in a
        // skipped hour move forward by the gap (read with the offset in force before it).
        const slotStart = slot * SLOT;
        const before = offsetAt(slotStart - DAY);
        const after = offsetAt(slotStart + DAY);
        const validBefore = offsetAt(slotStart - before) === before;
        const validAfter = offsetAt(slotStart - after) === after;
        if (validBefore && validAfter) offset = Math.max(before, after);
        else if (validBefore) offset = before;
        else if (validAfter) offset = after;
        else offset = before;
        if (cache.size > 100_000) cache.clear();
        cache.set(slot, offset);
      }
      return local - offset;
    },
  };
}

export class TimestampError extends Error {}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

// 2026-11-29 06:35:16, 2026-11-29T06:35:16.123Z, 2026-11-29T06:35+02:00, 2026/11/29 06:35:16, 2026-11-29
const YMD = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:(?:[T ]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
// 11/29/2026 6:35:16 AM, 11/29/2026 06:35, 11/29/2026
const MDY = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?$/;
// 29.11.2026 06:35:16 (day first, as in Russian and German exports)
const DMY_DOTTED = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const UNIX = /^\d{9,13}(?:\.\d{1,6})?$/;

function digit(text: string, index: number): number {
  const code = text.charCodeAt(index) - 48;
  return code >= 0 && code <= 9 ? code : -100;
}

/** `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DDTHH:MM:SS` as UTC, or undefined to take the general path. */
function fastYmdHms(text: string): string | undefined {
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const separator = text.charCodeAt(10);
  if (separator !== 32 && separator !== 84) return undefined;
  const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3);
  const month = digit(text, 5) * 10 + digit(text, 6);
  const day = digit(text, 8) * 10 + digit(text, 9);
  const hour = digit(text, 11) * 10 + digit(text, 12);
  const minute = digit(text, 14) * 10 + digit(text, 15);
  const second = digit(text, 17) * 10 + digit(text, 18);
  // A non-digit makes its field negative.
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (day > daysIn(year, month)) return undefined;
  return separator === 84 ? `${text}.000Z` : `${text.slice(0, 10)}T${text.slice(11)}.000Z`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Render epoch ms as tpb's stored form, `2026-11-29T06:35:16.000Z`. */
export function toIsoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

function build(
  text: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fraction: string | undefined,
  offsetMinutes: number | undefined,
  zone: TimeZone,
): string {
  if (month < 1 || month > 12) throw new TimestampError(`month ${month} out of range in "${text}"`);
  if (day < 1 || day > daysIn(year, month)) throw new TimestampError(`day ${day} out of range in "${text}"`);
  if (hour > 23 || minute > 59 || second > 59) {
    if (!(hour === 24 && minute === 0 && second === 0)) throw new TimestampError(`time out of range in "${text}"`);
  }
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const utc = offsetMinutes === undefined ? zone.toUtc(local) : local - offsetMinutes * 60_000;
  if (!Number.isFinite(utc) || utc < -62_135_596_800_000 || utc > 253_402_300_799_999) {
    throw new TimestampError(`"${text}" is out of range`);
  }
  return toIsoUtc(utc);
}

function parseOffset(text: string): number {
  if (/^(z|utc|gmt)$/i.test(text)) return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 14 || minutes > 59) throw new TimestampError(`offset ${text} out of range`);
  return sign * (hours * 60 + minutes);
}

/**
 * Parse a timestamp as exports write them and return UTC ISO 8601 (`2026-11-29T06:35:16.000Z`).
 * Accepts `YYYY-MM-DD HH:MM[:SS[.fff]]` (also with `T` or `/`), ISO 8601 with `Z` or `±hh:mm`,
 * unix seconds (9–11 digits, optionally with a fraction) or milliseconds (12–13 digits),
 * `MM/DD/YYYY hh:mm[:ss] [AM|PM]` and `DD.MM.YYYY HH:MM[:SS]`. Naive times are read in `zone`.
 * Throws TimestampError for anything else. The caller passes trimmed, non-empty text.
 */
export function parseTimestamp(text: string, zone: TimeZone = UTC): string {
  // Fast path, the most common export shape: 2026-11-29 06:35:16 (or with T) in UTC, checked
  // digit by digit without allocating (it runs once per row).
  if (text.length === 19 && zone === UTC) {
    const fast = fastYmdHms(text);
    if (fast !== undefined) return fast;
  }
  let match = YMD.exec(text);
  if (match) {
    const offset = match[8] === undefined ? undefined : parseOffset(match[8]);
    return build(text, Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4] ?? 0), Number(match[5] ?? 0), Number(match[6] ?? 0), match[7], offset, zone);
  }
  if (UNIX.test(text)) {
    const [whole, fraction = ''] = text.split('.') as [string, string?];
    let ms: number;
    if (whole.length <= 11) ms = Number(whole) * 1000 + Number(fraction.slice(0, 3).padEnd(3, '0'));
    else if (fraction === '') ms = Number(whole);
    else throw new TimestampError(`"${text}" has a fraction after milliseconds`);
    if (ms > 253_402_300_799_999) throw new TimestampError(`"${text}" is out of range`);
    return toIsoUtc(ms);
  }
  match = MDY.exec(text);
  if (match) {
    let hour = Number(match[4] ?? 0);
    const meridiem = match[8]?.toLowerCase();
    if (meridiem !== undefined) {
      if (hour < 1 || hour > 12) throw new TimestampError(`hour ${hour} is not a 12-hour clock hour in "${text}"`);
      if (meridiem === 'a' && hour === 12) hour = 0;
      else if (meridiem === 'p' && hour !== 12) hour += 12;
    }
    return build(text, Number(match[3]), Number(match[1]), Number(match[2]), hour, Number(match[5] ?? 0), Number(match[6] ?? 0), match[7], undefined, zone);
  }
  match = DMY_DOTTED.exec(text);
  if (match) {
    return build(text, Number(match[3]), Number(match[2]), Number(match[1]), Number(match[4] ?? 0), Number(match[5] ?? 0), Number(match[6] ?? 0), undefined, undefined, zone);
  }
  throw new TimestampError(`"${text}" is not a timestamp tpb reads (YYYY-MM-DD HH:MM:SS, ISO 8601, unix seconds or ms, MM/DD/YYYY hh:mm:ss AM)`);
}

/**
 * Write a UTC instant the way a tracker's export does (`tpb serve` uses this for its exports).
 * Whole seconds: exports do not carry milliseconds, except `unix_ms`.
 */
export function formatTimestamp(date: Date, style: TimestampStyle): string {
  const iso = date.toISOString();
  switch (style) {
    case 'iso':
      return `${iso.slice(0, 19)}Z`;
    case 'ymd_hms':
      return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
    case 'unix_s':
      return String(Math.floor(date.getTime() / 1000));
    case 'unix_ms':
      return String(date.getTime());
    case 'mdy_hms_ampm': {
      const hour = date.getUTCHours();
      const twelve = hour % 12 === 0 ? 12 : hour % 12;
      return `${pad2(date.getUTCMonth() + 1)}/${pad2(date.getUTCDate())}/${date.getUTCFullYear()} ${pad2(twelve)}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())} ${hour < 12 ? 'AM' : 'PM'}`;
    }
  }
}
