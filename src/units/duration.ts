/** Durations: parsed from tpb's flags and scenario files (`30d`, `1h30m`, `500ms`) and written back. */

/** A duration that cannot be read; the CLI turns it into a usage error naming the flag. */
export class DurationError extends Error {}

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w';

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Durations like `500ms`, `10s`, `45m`, `12h`, `30d`, `1h30m`; a bare number is `bareUnit`. Returns milliseconds. */
export function parseDurationMs(value: string, bareUnit: DurationUnit = 's'): number {
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * DURATION_UNITS[bareUnit]!);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(part)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new DurationError(`expected a duration such as 30d, 12h, 45m, 10s or 500ms.`);
  }
  return Math.round(total);
}

/**
 * Node's timers hold at most 2^31 - 1 ms (about 24.8 days); a longer delay silently becomes 1 ms,
 * so `wait: 25d` passed at once and `--timeout 25d` failed at once. Durations that become timers
 * are bounded well below that, and a longer one is a usage error.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The longest timeout of one HTTP exchange (fire, click, a check step): an hour. */
export const MAX_TIMEOUT_MS = 3_600_000;
/** The longest wait (a check `wait`, its timeout and interval, a retry delay): a day. */
export const MAX_WAIT_MS = 86_400_000;

/** parseDurationMs, refusing more than `maxMs` (a timer's duration). */
export function parseTimerDurationMs(value: string, maxMs: number, bareUnit: DurationUnit = 's'): number {
  const ms = parseDurationMs(value, bareUnit);
  if (ms > Math.min(maxMs, MAX_TIMER_MS)) throw new DurationError(`${value.trim()} is too long: at most ${formatDuration(Math.min(maxMs, MAX_TIMER_MS), 5)}.`);
  return ms;
}

const UNITS: ReadonlyArray<[suffix: string, ms: number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** "30d", "5h", "41d 3h", "2m 5s": the two largest non-zero units, as tpb's duration flags spell them. */
export function formatDuration(ms: number, parts = 2): string {
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0s';
  const out: string[] = [];
  for (const [suffix, size] of UNITS) {
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${suffix}`);
      rest %= size;
    } else if (out.length > 0) {
      break;
    }
    if (out.length === parts) break;
  }
  return `${ms < 0 ? '-' : ''}${out.join(' ')}`;
}

/** Exact spelling of a window for the report options ("30d", "1d 12h", "90m"). */
export function formatWindow(ms: number): string {
  return formatDuration(ms, 5);
}
