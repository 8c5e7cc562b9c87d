import { LatencyHistogram, type LatencyBucket, type LatencyStats } from './latency.js';
import { PerSecondSeries, type SecondPoint } from './series.js';

/** How a load run went as a whole: the part of click's and fire's summaries that is the same. */
export interface LoadSummary {
  /** closed: `concurrency` in flight, each sent when one finished; constant_rate: `--rate` arrivals. */
  model: 'closed' | 'constant_rate';
  /** The --rate asked for (null in the closed model). */
  targetRate: number | null;
  /** Requests per second over the measured time. */
  rate: number;
  /** Constant rate: whether the target was held (none dropped, at most 1 % sent behind schedule). */
  rateHeld: boolean | null;
  /** Measured requests sent more than 10 ms after they were due (constant rate). */
  behindSchedule: number;
  /** Requests due before the end that were never sent: every connection stayed busy (constant rate). */
  dropped: number;
  /** The most a request waited past its due time, ms. */
  maxLagMs: number;
  /** Measured time (the warm-up excluded), ms. */
  durationMs: number;
  warmup: { durationMs: number; sent: number };
  /** Failed / sent. */
  errorRate: number;
  /** Latency of each request from when it was due (constant rate) or sent (closed model). */
  latencyMs: LatencyStats;
  /** Constant rate: the time the tracker took once a request was sent (latency minus the wait). */
  serviceMs: LatencyStats | null;
  histogram: LatencyBucket[];
  series: SecondPoint[];
}

export interface LoadRecordTiming {
  /** performance.now() when the request was due (or sent, in the closed model). */
  scheduledAt: number;
  /** performance.now() when it was sent. */
  sentAt: number;
  /** performance.now() when its answer (or failure) was complete. */
  endedAt: number;
  /**
   * The request's own time as its client measured it (the HTTP exchange, retries included); when
   * given, latency is the wait for the send plus this, so the summary agrees with each request's
   * figure; else endedAt − sentAt.
   */
  serviceMs?: number;
}

/**
 * Collects the latency histogram(s) and the per-second series of the measured requests of a run.
 * Constant memory: a few histograms and one point per second.
 */
export class LoadRecorder {
  private readonly latency = new LatencyHistogram();
  private readonly service = new LatencyHistogram();
  private readonly series: PerSecondSeries;
  private failed = 0;
  private count = 0;

  constructor(
    private readonly measuredFrom: number,
    private readonly openModel: boolean,
  ) {
    this.series = new PerSecondSeries(measuredFrom);
  }

  record(timing: LoadRecordTiming, ok: boolean): void {
    const service = timing.serviceMs ?? timing.endedAt - timing.sentAt;
    const latency = timing.sentAt - timing.scheduledAt + service;
    this.count += 1;
    if (!ok) this.failed += 1;
    this.latency.record(latency);
    if (this.openModel) this.service.record(service);
    this.series.record(timing.endedAt, latency, ok);
  }

  /** The p95/p99 so far, in ms (for thresholds and the progress line). */
  percentile(p: number): number {
    return this.latency.percentile(p);
  }

  summary(run: {
    targetRate: number | undefined;
    behindSchedule: number;
    dropped: number;
    maxLagMs: number;
    measuredMs: number;
    warmupMs: number;
    warmupSent: number;
  }): LoadSummary {
    const durationMs = Math.max(0, run.measuredMs);
    const rate = durationMs > 0 ? Math.round((this.count / durationMs) * 1000 * 10) / 10 : 0;
    const target = run.targetRate;
    const rateHeld = target === undefined ? null : run.dropped === 0 && run.behindSchedule <= this.count * 0.01;
    return {
      model: this.openModel ? 'constant_rate' : 'closed',
      targetRate: target ?? null,
      rate,
      rateHeld,
      behindSchedule: run.behindSchedule,
      dropped: run.dropped,
      maxLagMs: Math.round(run.maxLagMs * 100) / 100,
      durationMs: Math.round(durationMs),
      warmup: { durationMs: Math.round(run.warmupMs), sent: run.warmupSent },
      errorRate: this.count > 0 ? Math.round((this.failed / this.count) * 1e6) / 1e6 : 0,
      latencyMs: this.latency.stats(),
      serviceMs: this.openModel ? this.service.stats() : null,
      histogram: this.latency.buckets(),
      series: this.series.toArray(),
    };
  }
}
