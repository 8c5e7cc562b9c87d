import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/stats/latency.js';
import { PerSecondSeries } from '../../src/stats/series.js';
import { LoadRecorder } from '../../src/stats/load.js';
import { evaluateLoadThresholds } from '../../src/stats/thresholds.js';
import { createRequire } from 'node:module';
import { runSchedule, type LoadSlot } from '../../src/http/schedule.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('LatencyHistogram', () => {
  it('gives percentiles within 0.1 % and the max exactly', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i += 1) h.record(i / 10); // 0.1 … 1000 ms
    const s = h.stats();
    expect(s.count).toBe(10_000);
    expect(s.p50).toBeCloseTo(500, -0.3);
    expect(Math.abs(s.p99 - 990) / 990).toBeLessThan(0.001);
    expect(Math.abs(s.p999 - 999) / 999).toBeLessThan(0.001);
    expect(s.max).toBeCloseTo(1000, 0);
    expect(s.min).toBeCloseTo(0.1, 2);
    expect(s.mean).toBeCloseTo(500.05, 0);
  });

  it("computes the mean exactly as the package's own mean (its iterator is slow cold)", () => {
    const require = createRequire(import.meta.url);
    const Int32Histogram = (require('hdr-histogram-js/dist/Int32Histogram.js') as { default: new (a: number, b: number, c: number) => { autoResize: boolean; recordValue(v: number): void; mean: number } }).default;
    let state = 3;
    const next = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (const size of [1, 7, 1000, 30_000]) {
      const ours = new LatencyHistogram();
      const theirs = new Int32Histogram(1, 3_600_000_000, 3);
      theirs.autoResize = true;
      for (let i = 0; i < size; i += 1) {
        const ms = next() < 0.01 ? next() * 60_000 : next() * next() * 40;
        ours.record(ms);
        theirs.recordValue(ms > 0 ? Math.round(ms * 1000) : 0);
      }
      expect(ours.stats().mean).toBe(Math.round((theirs.mean / 1000) * 100) / 100);
    }
  });

  it('buckets in 1-2-5 steps that add up to the count', () => {
    const h = new LatencyHistogram();
    for (const ms of [0.3, 0.4, 3, 4, 4.5, 150]) h.record(ms);
    const buckets = h.buckets();
    expect(buckets[0]).toEqual({ le_ms: 0.5, count: 2 });
    expect(buckets.find((b) => b.le_ms === 5)).toEqual({ le_ms: 5, count: 3 });
    expect(buckets.at(-1)).toEqual({ le_ms: 200, count: 1 });
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(6);
    expect(new LatencyHistogram().stats().p99).toBe(0);
  });
});

describe('PerSecondSeries', () => {
  it('counts requests, errors and p99 per second, with empty seconds as zeros', () => {
    const series = new PerSecondSeries(1000);
    series.record(1100, 5, true);
    series.record(1900, 7, false);
    series.record(4200, 100, true);
    // p99 is HDR's highest equivalent value: within 0.1 %.
    expect(series.toArray().map((p) => ({ ...p, p99_ms: Math.round(p.p99_ms) }))).toEqual([
      { second: 0, requests: 2, errors: 1, p99_ms: 7 },
      { second: 1, requests: 0, errors: 0, p99_ms: 0 },
      { second: 2, requests: 0, errors: 0, p99_ms: 0 },
      { second: 3, requests: 1, errors: 0, p99_ms: 100 },
    ]);
  });
});

describe('thresholds', () => {
  it('names each broken threshold and passes the kept ones', () => {
    const result = evaluateLoadThresholds({ p95: 250, p99: 400, errorRate: 0.02, rate: 90 }, { maxP95: 200, maxP99: 500, maxErrorRate: 0.01, minRate: 100 }, 'clicks');
    expect(result.failed).toBe(true);
    expect(result.reasons).toEqual([
      'p95 latency 250 ms is over --max-p95 200 ms',
      'error rate 2% is over --max-error-rate 0.01 (1%)',
      'rate 90 clicks/s is under --min-rate 100/s',
    ]);
    expect(result.verdicts.map((v) => [v.name, v.failed])).toEqual([['max-p95', true], ['max-p99', false], ['max-error-rate', true], ['min-rate', true]]);
    expect(evaluateLoadThresholds({ p95: 250, p99: 400, errorRate: 0, rate: 90 }, {}).failed).toBe(false);
  });
});

describe('runSchedule', () => {
  it('closed model: count requests, at most concurrency at once', async () => {
    let inFlight = 0;
    let most = 0;
    const timing = await runSchedule({ count: 30, concurrency: 4 }, async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await sleep(2);
      inFlight -= 1;
    });
    expect(timing.sent).toBe(30);
    expect(most).toBe(4);
    expect(timing.behindSchedule).toBe(0);
  });

  it('closed model: a duration ends the run, -n bounds it, the warm-up is marked and not counted', async () => {
    const slots: LoadSlot[] = [];
    const timing = await runSchedule({ durationMs: 300, warmupMs: 100, concurrency: 2 }, async (slot) => {
      slots.push(slot);
      await sleep(10);
    });
    const elapsed = timing.endedAt - timing.startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(395);
    expect(elapsed).toBeLessThan(3000);
    expect(timing.warmupSent).toBeGreaterThan(4);
    expect(slots.filter((s) => s.warmup)).toHaveLength(timing.warmupSent);
    expect(slots.filter((s) => !s.warmup)).toHaveLength(timing.sent);
    expect(slots.every((s) => s.warmup === s.sentAt < timing.measuredFrom)).toBe(true);
    const bounded = await runSchedule({ durationMs: 5000, count: 7, concurrency: 3 }, () => sleep(1));
    expect(bounded.sent).toBe(7);
    expect(bounded.endedAt - bounded.startedAt).toBeLessThan(2000);
  });

  it('constant rate: requests are due on the schedule whatever the answers take', async () => {
    const slots: LoadSlot[] = [];
    const timing = await runSchedule({ count: 20, ratePerSecond: 100, concurrency: 50 }, async (slot) => {
      slots.push(slot);
      await sleep(30); // slower than the interval: an open model still sends on time
    });
    expect(timing.sent).toBe(20);
    const first = slots[0]!.scheduledAt;
    slots.forEach((slot, i) => expect(slot.scheduledAt - first).toBeCloseTo(i * 10, 5));
    // The last one is due at 190 ms and its answer takes 30: the run waits for it. Node's timers
    // count from a loop time truncated to the millisecond, so a 30 ms sleep can end up to 1 ms
    // early on performance.now()'s clock (CI saw 219.69): allow 2 ms.
    expect(timing.endedAt - timing.startedAt).toBeGreaterThanOrEqual(190 + 30 - 2);
  });

  it('constant rate against a stalled sender: latency from the due time, behind schedule and dropped counted', async () => {
    const recorder = { latencies: [] as number[] };
    const timing = await runSchedule({ durationMs: 400, ratePerSecond: 50, concurrency: 1 }, async (slot) => {
      await sleep(100); // one connection, 100 ms each, 20 ms apart: a queue builds
      recorder.latencies.push(performance.now() - slot.scheduledAt);
    });
    // 20 due in 400 ms; one connection sends about 4 of them, the rest are dropped at the end.
    expect(timing.sent).toBeGreaterThanOrEqual(3);
    expect(timing.sent).toBeLessThanOrEqual(8);
    expect(timing.sent + timing.dropped).toBe(20);
    expect(timing.behindSchedule).toBeGreaterThanOrEqual(timing.sent - 1);
    // The 4th request was due at 60 ms, sent at ~300 ms: its latency is ~340 ms, not 100 ms.
    expect(recorder.latencies.at(-1)!).toBeGreaterThan(250);
    expect(timing.maxLagMs).toBeGreaterThan(150);
  });

  it('stops starting requests when aborted', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const timing = await runSchedule({ durationMs: 10_000, ratePerSecond: 100, concurrency: 5, signal: abort.signal }, () => sleep(5));
    expect(timing.aborted).toBe(true);
    expect(timing.endedAt - timing.startedAt).toBeLessThan(1000);
    expect(timing.sent).toBeGreaterThan(3);
  });
});

describe('LoadRecorder', () => {
  it('counts latency from the due time and the service time apart, and says whether the rate held', () => {
    const recorder = new LoadRecorder(0, true);
    for (let i = 0; i < 100; i += 1) recorder.record({ scheduledAt: i * 10, sentAt: i * 10 + (i < 50 ? 0 : 200), endedAt: i * 10 + (i < 50 ? 5 : 205) }, i !== 7);
    const summary = recorder.summary({ targetRate: 100, behindSchedule: 50, dropped: 0, maxLagMs: 200, measuredMs: 1000, warmupMs: 0, warmupSent: 0 });
    expect(summary.model).toBe('constant_rate');
    expect(summary.latencyMs.p99).toBeCloseTo(205, 0);
    expect(summary.serviceMs!.p99).toBeCloseTo(5, 1);
    expect(summary.rateHeld).toBe(false);
    expect(summary.errorRate).toBe(0.01);
    expect(summary.rate).toBe(100);
    expect(summary.series.reduce((n, p) => n + p.requests, 0)).toBe(100);
  });
});
