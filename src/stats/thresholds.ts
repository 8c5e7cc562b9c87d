/**
 * Pass/fail limits on a load run as a whole (k6 thresholds, stepci performance checks):
 * `--max-p95 <ms>`, `--max-p99 <ms>`, `--max-error-rate <0..1>`, `--min-rate <n/s>`. The same keys
 * are the `max_p95`, `max_p99`, `max_error_rate` and `min_rate` of a `tpb check` click or fire step.
 */
export interface LoadThresholds {
  maxP95?: number;
  maxP99?: number;
  maxErrorRate?: number;
  minRate?: number;
}

/** The run's figures the thresholds look at. */
export interface LoadFigures {
  p95: number;
  p99: number;
  /** Failed / sent (0 when nothing was sent). */
  errorRate: number;
  /** Requests per second over the measured time. */
  rate: number;
}

export type LoadThresholdName = 'max-p95' | 'max-p99' | 'max-error-rate' | 'min-rate';

export interface LoadThresholdVerdict {
  name: LoadThresholdName;
  /** The CLI flag (`--max-p95`). */
  flag: string;
  limit: number;
  value: number;
  failed: boolean;
  /** "p95 latency 312.4 ms is over --max-p95 200 ms", or null when it held. */
  reason: string | null;
}

export interface LoadThresholdResult {
  failed: boolean;
  /** One per threshold given, in flag order. */
  verdicts: LoadThresholdVerdict[];
  /** The reasons of the broken ones. */
  reasons: string[];
}

const percent = (value: number) => `${(value * 100).toFixed(2).replace(/\.?0+$/, '')}%`;

export function hasLoadThresholds(thresholds: LoadThresholds | undefined): boolean {
  return thresholds !== undefined && (thresholds.maxP95 !== undefined || thresholds.maxP99 !== undefined || thresholds.maxErrorRate !== undefined || thresholds.minRate !== undefined);
}

/** Check the figures against the thresholds given; none given: nothing fails. */
export function evaluateLoadThresholds(figures: LoadFigures, thresholds: LoadThresholds, unit = 'requests'): LoadThresholdResult {
  const verdicts: LoadThresholdVerdict[] = [];
  const add = (name: LoadThresholdName, limit: number | undefined, value: number, broken: (value: number, limit: number) => boolean, words: (value: number, limit: number) => string) => {
    if (limit === undefined) return;
    const failed = broken(value, limit);
    verdicts.push({ name, flag: `--${name}`, limit, value, failed, reason: failed ? words(value, limit) : null });
  };
  add('max-p95', thresholds.maxP95, figures.p95, (v, l) => v > l, (v, l) => `p95 latency ${v} ms is over --max-p95 ${l} ms`);
  add('max-p99', thresholds.maxP99, figures.p99, (v, l) => v > l, (v, l) => `p99 latency ${v} ms is over --max-p99 ${l} ms`);
  add('max-error-rate', thresholds.maxErrorRate, figures.errorRate, (v, l) => v > l, (v, l) => `error rate ${percent(v)} is over --max-error-rate ${l} (${percent(l)})`);
  add('min-rate', thresholds.minRate, figures.rate, (v, l) => v < l, (v, l) => `rate ${Math.round(v * 10) / 10} ${unit}/s is under --min-rate ${l}/s`);
  const reasons = verdicts.filter((v) => v.failed).map((v) => v.reason!);
  return { failed: reasons.length > 0, verdicts, reasons };
}
