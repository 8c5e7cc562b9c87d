import type { ChalkInstance } from 'chalk';
import type { LoadSummary } from '../stats/load.js';
import type { LoadThresholdResult } from '../stats/thresholds.js';

// 1,234,567 without toLocaleString: its first call loads ICU's number data (~100 ms of start-up).
const n = (value: number) => {
  const [whole, fraction] = String(value).split('.');
  return `${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction !== undefined ? `.${fraction}` : ''}`;
};

/** The load part of a click or fire summary in --json (snake_case, like every document). */
export function loadJson(load: LoadSummary): Record<string, unknown> {
  return {
    model: load.model,
    target_rate: load.targetRate,
    rate: load.rate,
    rate_held: load.rateHeld,
    behind_schedule: load.behindSchedule,
    dropped: load.dropped,
    max_lag_ms: load.maxLagMs,
    duration_ms: load.durationMs,
    warmup: { duration_ms: load.warmup.durationMs, sent: load.warmup.sent },
    error_rate: load.errorRate,
    latency_ms: load.latencyMs,
    service_ms: load.serviceMs,
    histogram: load.histogram,
    series: load.series,
  };
}

/**
 * The human lines of a load run: latency (from the schedule with --rate), rate, whether a
 * constant rate was held, the warm-up, and each threshold's verdict.
 */
export function renderLoadLines(load: LoadSummary, thresholds: LoadThresholdResult | null, color: ChalkInstance, unit: string): string[] {
  const l = load.latencyMs;
  const lines: string[] = [];
  const from = load.model === 'constant_rate' ? ' (from the scheduled time)' : '';
  lines.push(`latency${from} p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, p99.9 ${l.p999} ms, max ${l.max} ms; ${n(load.rate)} ${unit}/s over ${(load.durationMs / 1000).toFixed(2)} s`);
  if (load.model === 'constant_rate' && load.targetRate !== null) {
    const late = load.behindSchedule > 0 ? `${n(load.behindSchedule)} sent behind schedule (up to ${Math.round(load.maxLagMs)} ms late)` : 'none behind schedule';
    const dropped = load.dropped > 0 ? `, ${n(load.dropped)} never sent` : '';
    const verdict = load.rateHeld ? color.green(`held`) : color.red(`NOT held`);
    lines.push(`target rate ${n(load.targetRate)}/s ${verdict}: ${late}${dropped}${load.serviceMs ? `; the tracker's own time p50 ${load.serviceMs.p50} ms, p99 ${load.serviceMs.p99} ms` : ''}`);
    if (!load.rateHeld) lines.push(color.dim('  the client or the tracker could not keep up: raise -c (connections), or the tracker is saturated'));
  }
  if (load.warmup.sent > 0 || load.warmup.durationMs > 0) lines.push(color.dim(`warm-up: ${n(load.warmup.sent)} ${unit} in ${(load.warmup.durationMs / 1000).toFixed(2)} s, not counted above`));
  for (const verdict of thresholds?.verdicts ?? []) {
    const value =
      verdict.name === 'max-error-rate' ? `error rate ${(verdict.value * 100).toFixed(2)}%` : verdict.name === 'min-rate' ? `${n(verdict.value)}/s` : `${verdict.name.slice(4)} ${verdict.value} ms`;
    lines.push(verdict.failed ? color.red(`✗ ${verdict.reason}`) : color.green(`✓ ${verdict.flag} ${verdict.limit}: ${value}`));
  }
  return lines;
}
