import type { Catcher } from './receiver.js';

export interface StopConditions {
  /** Stop after this many requests. */
  count?: number;
  /** Stop after this long (ms). */
  untilMs?: number;
  /** Requests that must have arrived by the time catch stops (exit 1 otherwise). */
  expect?: number;
}

export type StopReason = 'count' | 'time' | 'signal';

export interface StopOutcome {
  reason: StopReason;
  /** The signal's name, for reason "signal". */
  signal?: string;
  requests: number;
  /** Whether --expect held (true without --expect). */
  expectationMet: boolean;
}

/**
 * Wait until the receiver should stop: N requests (--count, or --expect when no count is given),
 * a time (--until), or an interruption (a signal, a test's abort). Resolves; never closes the
 * receiver (the caller does, and then reports).
 */
export async function waitForStop(catcher: Catcher, conditions: StopConditions, interrupted: Promise<string>): Promise<StopOutcome> {
  const count = conditions.count ?? conditions.expect;
  const racers: Array<Promise<{ reason: StopReason; signal?: string }>> = [interrupted.then((signal) => ({ reason: 'signal' as const, signal }))];
  let timer: NodeJS.Timeout | undefined;
  if (conditions.untilMs !== undefined) racers.push(new Promise((resolve) => (timer = setTimeout(() => resolve({ reason: 'time' }), conditions.untilMs))));
  if (count !== undefined) {
    const enough = () => catcher.stats().requests >= count;
    racers.push(
      enough()
        ? Promise.resolve({ reason: 'count' as const })
        : catcher.waitFor(enough, 2 ** 31 - 1).then((found) => (found ? { reason: 'count' as const } : new Promise<never>(() => {}))),
    );
  }
  const stopped = await Promise.race(racers);
  if (timer) clearTimeout(timer);
  const requests = catcher.stats().requests;
  return { ...stopped, requests, expectationMet: conditions.expect === undefined || requests >= conditions.expect };
}
