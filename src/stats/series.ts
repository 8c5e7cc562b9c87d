import { LatencyHistogram } from './latency.js';

/** One second of a run: requests finished in it, how many failed, and their p99 latency. */
export interface SecondPoint {
  /** Seconds since the measured part of the run began (0 = the first second). */
  second: number;
  requests: number;
  errors: number;
  p99_ms: number;
}

/**
 * Throughput, errors and p99 per second of a run, by completion time. Completions arrive in time
 * order, so one histogram is kept for the current second and folded into a point when it ends:
 * memory grows by one small point per second, not per request.
 */
export class PerSecondSeries {
  private readonly points: SecondPoint[] = [];
  private readonly current = new LatencyHistogram();
  private second = 0;
  private requests = 0;
  private errors = 0;

  /** @param startMs performance.now() when the measured part began. */
  constructor(private readonly startMs: number) {}

  record(atMs: number, latencyMs: number, ok: boolean): void {
    const second = Math.max(0, Math.floor((atMs - this.startMs) / 1000));
    if (second > this.second) this.roll(second);
    this.requests += 1;
    if (!ok) this.errors += 1;
    this.current.record(latencyMs);
  }

  private roll(to: number): void {
    this.points.push({ second: this.second, requests: this.requests, errors: this.errors, p99_ms: this.current.percentile(99) });
    // Seconds with nothing finished are points too: a stalled tracker shows as zeros, not a gap.
    for (let s = this.second + 1; s < to; s += 1) this.points.push({ second: s, requests: 0, errors: 0, p99_ms: 0 });
    this.current.reset();
    this.second = to;
    this.requests = 0;
    this.errors = 0;
  }

  /** The points so far, the current (partial) second included when it has requests. */
  toArray(): SecondPoint[] {
    const points = [...this.points];
    if (this.requests > 0) points.push({ second: this.second, requests: this.requests, errors: this.errors, p99_ms: this.current.percentile(99) });
    return points;
  }
}
