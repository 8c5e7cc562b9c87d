import type { Random } from './random.js';

/** Added latency: a fixed delay, or uniform between min and max (ms). */
export interface LatencyRange {
  minMs: number;
  maxMs: number;
}

const PART = /^(\d+(?:\.\d+)?)(ms|s)?$/;

function partMs(text: string): number | undefined {
  const match = PART.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (match[2] === 's' ? 1000 : 1));
}

/** `250`, `250ms`, `1s`, `50-200`, `100ms-2s`. Throws a message fit for the user on anything else. */
export function parseLatency(text: string): LatencyRange {
  const [low, high, ...rest] = text.split('-');
  const minMs = low === undefined ? undefined : partMs(low);
  const maxMs = high === undefined ? minMs : partMs(high);
  if (rest.length > 0 || minMs === undefined || maxMs === undefined) {
    throw new Error('expected milliseconds or a range, such as 200, 50-500 or 100ms-2s');
  }
  if (maxMs < minMs) throw new Error(`the range ${text} ends before it starts`);
  if (maxMs > 600_000) throw new Error('at most 10 minutes of latency');
  return { minMs, maxMs };
}

export interface FaultOptions {
  latency?: LatencyRange | number;
  /** Share of requests answered 503 (0..1). */
  failRate?: number;
  /** Share of requests whose connection is destroyed without an answer (0..1). */
  resetRate?: number;
}

export type FaultDecision = { delayMs: number; fault: 'none' | 'fail' | 'reset' };

/**
 * Decides each request's fate. Every request draws the same three numbers in the same order
 * whatever is configured or decided, so with a fixed seed the n-th request always gets the same
 * fate: runs are repeatable for a client that sends its requests one after another.
 */
export class FaultPlan {
  private readonly latency: LatencyRange;
  private readonly failRate: number;
  private readonly resetRate: number;

  constructor(
    private readonly random: Random,
    options: FaultOptions,
  ) {
    const latency = options.latency ?? 0;
    this.latency = typeof latency === 'number' ? { minMs: latency, maxMs: latency } : latency;
    this.failRate = options.failRate ?? 0;
    this.resetRate = options.resetRate ?? 0;
    for (const [name, rate] of [['failRate', this.failRate], ['resetRate', this.resetRate]] as const) {
      if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${name} must be between 0 and 1`);
    }
  }

  get active(): boolean {
    return this.latency.maxMs > 0 || this.failRate > 0 || this.resetRate > 0;
  }

  decide(): FaultDecision {
    const resetDraw = this.random.next();
    const failDraw = this.random.next();
    const latencyDraw = this.random.next();
    const { minMs, maxMs } = this.latency;
    const delayMs = minMs + Math.round((maxMs - minMs) * latencyDraw);
    if (resetDraw < this.resetRate) return { delayMs, fault: 'reset' };
    if (failDraw < this.failRate) return { delayMs, fault: 'fail' };
    return { delayMs, fault: 'none' };
  }
}
