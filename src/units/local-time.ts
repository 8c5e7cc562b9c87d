import { parseTimeZone } from './timestamp.js';

/** A clock that names the local day and hour of a UTC instant in one time zone. */
export interface LocalClock {
  /** "UTC", "+05:30", "America/New_York". */
  readonly name: string;
  /** Local wall-clock time of a UTC instant, as "YYYY-MM-DDTHH:MM" text. */
  local(utcMs: number): string;
}

const FIXED = /^[+-]\d{2}:\d{2}$/;

/**
 * `--timezone` for reports: UTC, a fixed ±hh:mm offset, or an IANA name (DST-correct through Intl,
 * cached per UTC quarter hour, where every transition falls). Undefined when the spec is none.
 */
export function localClock(spec: string): LocalClock | undefined {
  const zone = parseTimeZone(spec);
  if (!zone) return undefined;
  const text = (ms: number) => new Date(ms).toISOString().slice(0, 16);
  if (zone.name === 'UTC' || FIXED.test(zone.name)) {
    // toUtc(local) = local − offset, so the offset is −toUtc(0).
    const offset = -zone.toUtc(0);
    return { name: zone.name, local: (ms) => text(ms + offset) };
  }
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone.name,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const cache = new Map<number, string>();
  return {
    name: zone.name,
    local(ms: number): string {
      const slot = Math.floor(ms / 900_000);
      let value = cache.get(slot);
      if (value === undefined) {
        const parts = Object.fromEntries(format.formatToParts(new Date(slot * 900_000)).map((part) => [part.type, part.value]));
        value = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
        if (cache.size > 200_000) cache.clear();
        cache.set(slot, value);
      }
      // Minutes within the quarter hour carry over unchanged (offsets are whole quarter hours).
      const minute = Number(value.slice(14, 16)) + Math.floor((ms % 900_000) / 60_000);
      return `${value.slice(0, 14)}${String(minute).padStart(2, '0')}`;
    },
  };
}
