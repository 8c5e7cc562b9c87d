import { InvalidArgumentError } from 'commander';
import { DurationError, parseDurationMs, parseTimerDurationMs, type DurationUnit } from '../units/duration.js';

/**
 * Option-argument parsers: each validates at the edge and throws commander's InvalidArgumentError,
 * which commander reports as "option '--x <n>' argument 'y' is invalid. <message>" (exit 2).
 * They are also used to validate values from the config file.
 */

export function parseInteger(options: { min?: number; max?: number } = {}) {
  return (value: string): number => {
    const trimmed = value.trim();
    if (!/^-?\d+$/.test(trimmed)) throw new InvalidArgumentError('expected a whole number.');
    const n = Number(trimmed);
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('number too large.');
    if (options.min !== undefined && n < options.min) throw new InvalidArgumentError(`expected at least ${options.min}.`);
    if (options.max !== undefined && n > options.max) throw new InvalidArgumentError(`expected at most ${options.max}.`);
    return n;
  };
}

export function parseNumber(options: { min?: number; max?: number } = {}) {
  return (value: string): number => {
    const trimmed = value.trim();
    if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) throw new InvalidArgumentError('expected a number.');
    const n = Number(trimmed);
    if (options.min !== undefined && n < options.min) throw new InvalidArgumentError(`expected at least ${options.min}.`);
    if (options.max !== undefined && n > options.max) throw new InvalidArgumentError(`expected at most ${options.max}.`);
    return n;
  };
}

/** A ratio between 0 and 1 inclusive. */
export const parseRatio = parseNumber({ min: 0, max: 1 });

/** A duration flag; with maxMs (a timer's duration) a longer one is refused. */
export function durationParser(bareUnit: DurationUnit = 's', maxMs?: number) {
  return (value: string): number => {
    try {
      return maxMs === undefined ? parseDurationMs(value, bareUnit) : parseTimerDurationMs(value, maxMs, bareUnit);
    } catch (error) {
      if (error instanceof DurationError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

/** `key=value`; accumulates into an array of pairs when repeated. */
export function parseKeyValue(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected key=value.');
  return [...previous, [value.slice(0, eq).trim(), value.slice(eq + 1)]];
}

/** `Name: value` HTTP header; accumulates. */
export function parseHeader(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError('expected "Name: value".');
  const name = value.slice(0, colon).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new InvalidArgumentError(`"${name}" is not a valid header name.`);
  return [...previous, [name, value.slice(colon + 1).trim()]];
}

/** Repeatable and comma-separated both become one array: `--x a,b --x c` → [a, b, c]. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  ];
}

/** Repeatable, values kept whole (they may contain commas). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** An http(s) URL. Templates with {macros} are accepted as long as the scheme and host are there. */
export function parseHttpUrl(value: string): string {
  const trimmed = value.trim();
  if (!/^https?:\/\/[^/?#\s]+/i.test(trimmed)) {
    throw new InvalidArgumentError('expected an http:// or https:// URL.');
  }
  return trimmed;
}
