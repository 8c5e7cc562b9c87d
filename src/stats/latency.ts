import { createRequire } from 'node:module';
import type { JsHistogram } from 'hdr-histogram-js';

// The one histogram class, not the package's index: that also loads the WebAssembly build, the log
// reader and writer and the encoders, about 0.2 s of start-up that a 2-second run would feel.
const require = createRequire(import.meta.url);
const Int32Histogram = (require('hdr-histogram-js/dist/Int32Histogram.js') as { default: new (lowest: number, highest: number, digits: number) => JsHistogram }).default;

/**
 * Latency in an HdrHistogram (microsecond resolution, 3 significant digits: a percentile is within
 * 0.1 % of the true value, whatever the run's length). Memory is fixed, not per request, so a run
 * of millions costs the same as one of a hundred.
 */
export interface LatencyStats {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** One bar of the latency histogram: requests whose latency was in (previous le_ms, le_ms]. */
export interface LatencyBucket {
  le_ms: number;
  count: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

// Bucket edges of the histogram in --json: 1-2-5 steps from 0.1 ms to 1,000 s.
const EDGES_MS: readonly number[] = (() => {
  const edges: number[] = [];
  for (let decade = 0.1; decade <= 1e6; decade *= 10) for (const step of [1, 2, 5]) edges.push(round2(decade * step) || decade * step);
  return edges;
})();

export class LatencyHistogram {
  private readonly histogram = (() => {
    const histogram = new Int32Histogram(1, 3_600_000_000, 3);
    histogram.autoResize = true;
    return histogram;
  })();

  /** Record one latency in milliseconds (negative values count as 0). */
  record(ms: number): void {
    this.histogram.recordValue(ms > 0 ? Math.round(ms * 1000) : 0);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency at percentile `p` (0–100), in ms; 0 for no values. */
  percentile(p: number): number {
    return this.count === 0 ? 0 : round2(this.valuesAt([p])[0]! / 1000);
  }

  /**
   * The values (µs) at several percentiles in one pass over the counts, stopping at the last
   * recorded value: the package's getValueAtPercentile scans from the start for each one, which
   * cold (once, after a run) cost ~140 ms for the seven of a summary.
   */
  private valuesAt(percentiles: readonly number[]): number[] {
    const h = this.histogram;
    const total = h.totalCount;
    const wanted = percentiles.map((p) => Math.max(1, Math.ceil((Math.min(p, 100) / 100) * total - 1e-9)));
    const values = new Array<number>(percentiles.length).fill(0);
    let found = 0;
    let cumulative = 0;
    for (let i = 0; i < h.countsArrayLength && found < wanted.length; i += 1) {
      const count = h.getCountAtIndex(i);
      if (count === 0) continue;
      cumulative += count;
      for (let k = 0; k < wanted.length; k += 1) {
        if (values[k] === 0 && cumulative >= wanted[k]!) {
          values[k] = h.highestEquivalentValue(h.valueFromIndex(i));
          found += 1;
        }
      }
    }
    return values;
  }

  /**
   * The mean (µs) as the package's `mean` computes it — each recorded bucket's median equivalent
   * value times its count, summed in index order, over the total — without its iterator, which
   * cost ~20 ms per summary (start-up of every click and fire run).
   */
  private mean(): number {
    const h = this.histogram;
    const total = h.totalCount;
    if (total === 0) return 0;
    let sum = 0;
    let seen = 0;
    for (let i = 0; i < h.countsArrayLength && seen < total; i += 1) {
      const count = h.getCountAtIndex(i);
      if (count === 0) continue;
      seen += count;
      sum += h.medianEquivalentValue(h.highestEquivalentValue(h.valueFromIndex(i))) * count;
    }
    return sum / total;
  }

  stats(): LatencyStats {
    if (this.count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    // A percentile is its bucket's highest equivalent value: never show one above the max.
    const max = round2(this.histogram.maxValue / 1000);
    const [p50, p90, p95, p99, p999] = this.valuesAt([50, 90, 95, 99, 99.9]).map((us) => Math.min(round2(us / 1000), max));
    return {
      count: this.count,
      min: round2(this.histogram.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : this.histogram.minNonZeroValue / 1000),
      mean: round2(this.mean() / 1000),
      p50: p50!,
      p90: p90!,
      p95: p95!,
      p99: p99!,
      p999: p999!,
      max,
    };
  }

  /** The histogram as 1-2-5 ms buckets, from the first to the last non-empty one. */
  buckets(): LatencyBucket[] {
    const counts = new Array<number>(EDGES_MS.length).fill(0);
    const h = this.histogram;
    let edge = 0;
    let seen = 0;
    for (let i = 0; i < h.countsArrayLength && seen < h.totalCount; i += 1) {
      const count = h.getCountAtIndex(i);
      if (count === 0) continue;
      seen += count;
      const ms = h.highestEquivalentValue(h.valueFromIndex(i)) / 1000;
      while (edge < EDGES_MS.length - 1 && ms > EDGES_MS[edge]!) edge += 1;
      counts[edge]! += count;
    }
    const first = counts.findIndex((n) => n > 0);
    if (first < 0) return [];
    let last = counts.length - 1;
    while (counts[last] === 0) last -= 1;
    return counts.slice(first, last + 1).map((count, i) => ({ le_ms: EDGES_MS[first + i]!, count }));
  }

  reset(): void {
    this.histogram.reset();
  }
}
