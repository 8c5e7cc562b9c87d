import { UsageError } from '../errors.js';
import type { Store } from '../store/db.js';
import { BreakdownQueries, type GroupCountRow, type GroupKey, type LagBinRow } from '../store/breakdown.js';
import { formatDuration, formatWindow } from '../units/duration.js';
import { localClock, type LocalClock } from '../units/local-time.js';
import { microsToUnits } from '../units/micros.js';
import {
  BY_FIELDS,
  type ByField,
  type DailyPoint,
  type Group,
  type GroupCounts,
  type IgnoredRecent,
  type InsightOptions,
  type Lag,
  type LagBucket,
  type Maturity,
  type MaturityDay,
  type ReconcileInsights,
  type Series,
} from './insight-types.js';
import type { ReconcileReport } from './types.js';


export interface InsightScope {
  windowMs: number;
  clickSources: readonly string[] | null;
}

/** The groups to check per-group thresholds with: the report's, or without the conversions --ignore-last leaves out. */
const THRESHOLD_GROUPS = new WeakMap<ReconcileReport, Group[]>();

export function groupsForThresholds(report: ReconcileReport): Group[] {
  return THRESHOLD_GROUPS.get(report) ?? report.groups ?? [];
}

/** Parse `--by source,affiliate+offer` into breakdowns; unknown fields are a usage error. */
export function parseBy(words: readonly string[]): ByField[][] {
  const breakdowns: ByField[][] = [];
  for (const word of words.flatMap((value) => value.split(','))) {
    const text = word.trim().toLowerCase();
    if (text === '') continue;
    const fields = text.split('+').map((field) => field.trim());
    for (const field of fields) {
      if (!(BY_FIELDS as readonly string[]).includes(field)) {
        throw new UsageError(`--by: unknown field ${JSON.stringify(field)}`, { hint: `choose from ${BY_FIELDS.join(', ')}; join fields with + to combine them (affiliate+offer)` });
      }
    }
    if (new Set(fields).size !== fields.length) throw new UsageError(`--by: ${JSON.stringify(text)} names a field twice`);
    if (fields.includes('day') && fields.includes('hour')) throw new UsageError('--by: day+hour is the same as hour (an hour names its day)');
    const name = fields.join('+');
    if (!breakdowns.some((existing) => existing.join('+') === name)) breakdowns.push(fields as ByField[]);
  }
  return breakdowns;
}

export function parseTimezoneOption(spec: string): LocalClock {
  const clock = localClock(spec);
  if (!clock) throw new UsageError(`--timezone: ${JSON.stringify(spec)} is not a time zone`, { hint: 'UTC, an offset such as +05:30 or -08:00, or an IANA name such as America/New_York' });
  return clock;
}

const DAY_MS = 86_400_000;
/** Upper edges of the lag histogram's buckets (the window is added as an edge). */
const LAG_EDGES_MS = [
  60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, DAY_MS, 2 * DAY_MS, 3 * DAY_MS, 7 * DAY_MS,
  14 * DAY_MS, 30 * DAY_MS, 60 * DAY_MS, 90 * DAY_MS,
];
/** A day is listed as immature above this share of its conversions still to come. */
const IMMATURE_SHARE = 0.01;
/** Lag needs this many measured conversions before maturity is estimated from it. */
const MIN_LAG_SAMPLE = 20;

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 1e6) / 1e6;
}

function bucketStartMs(bucket: string): number {
  // "2026-03-01T10:2" → 10:30
  return Date.parse(`${bucket.slice(0, 13)}:${String(Number(bucket.slice(14)) * 15).padStart(2, '0')}:00.000Z`);
}

interface Accumulator extends Omit<GroupCountRow, `k${number}`> {
  values: Record<string, string | null>;
}

function emptyAccumulator(values: Record<string, string | null>): Accumulator {
  return {
    values,
    conversions: 0,
    matched: 0,
    unmatched: 0,
    missing_click_id: 0,
    duplicate_extra: 0,
    before_click: 0,
    outside_window: 0,
    unmatched_payout: 0,
    missing_click_id_payout: 0,
    duplicate_extra_payout: 0,
    outside_window_payout: 0,
  };
}

const COUNT_KEYS = [
  'conversions', 'matched', 'unmatched', 'missing_click_id', 'duplicate_extra', 'before_click', 'outside_window',
  'unmatched_payout', 'missing_click_id_payout', 'duplicate_extra_payout', 'outside_window_payout',
] as const;

/** Computes the insights for one reconcile run (inside its transaction). */
class Insights {
  private readonly queries: BreakdownQueries;
  private readonly clock: LocalClock;
  /** Without clicks to match (compare mode, no clicks), the click categories are zero, as in the summary. */
  private readonly clickMatching: boolean;

  constructor(
    store: Store,
    private readonly report: ReconcileReport,
    private readonly scope: InsightScope,
    options: InsightOptions,
  ) {
    this.queries = new BreakdownQueries(store, { clickSources: scope.clickSources, windowMs: scope.windowMs });
    this.clock = localClock(options.timezone ?? 'UTC') ?? parseTimezoneOption(options.timezone ?? 'UTC');
    this.clickMatching = report.options.compare === null || report.summary.clicks > 0;
  }

  dispose(): void {
    this.queries.dispose();
  }

  private localOf(bucket: string): string {
    return this.clock.local(bucketStartMs(bucket));
  }

  /** Accumulated counts per group of one breakdown (time fields folded from quarter hours). */
  private accumulate(fields: readonly ByField[], filter: { until?: string; after?: string } = {}): Accumulator[] {
    return this.accumulateAll([fields], filter)[0]!;
  }

  /**
   * Accumulated counts per group of each breakdown, from ONE query grouped by every key the
   * breakdowns name (each further key only splits a group, so every breakdown folds out of the
   * combined groups): a breakdown costs a pass over every conversion, and the HTML report's default
   * three would cost three.
   */
  private accumulateAll(breakdowns: readonly (readonly ByField[])[], filter: { until?: string; after?: string } = {}): Accumulator[][] {
    const sqlKeys: GroupKey[] = [];
    const position = (key: GroupKey): number => {
      const at = sqlKeys.indexOf(key);
      if (at >= 0) return at;
      sqlKeys.push(key);
      return sqlKeys.length - 1;
    };
    // Per breakdown, where each of its fields' values is in a row (day and hour from the quarter hour).
    const plans = breakdowns.map((fields) => fields.map((field) => ({ field, at: position(field === 'day' || field === 'hour' ? 'bucket' : field) })));
    const rows = this.queries.groupCounts(sqlKeys, filter);
    const locals = new Map<string, string>();
    const local = (bucket: string): string => {
      let text = locals.get(bucket);
      if (text === undefined) {
        text = this.localOf(bucket);
        locals.set(bucket, text);
      }
      return text;
    };
    return plans.map((plan) => {
      const groups = new Map<string, Accumulator>();
      for (const row of rows) {
        const values: Record<string, string | null> = {};
        for (const { field, at } of plan) {
          const value = row[`k${at}`] ?? null;
          if (field === 'day' || field === 'hour') {
            const time = value === null ? null : local(value);
            values[field] = time === null ? null : field === 'day' ? time.slice(0, 10) : `${time.slice(0, 13)}:00`;
          } else values[field] = value;
        }
        const id = JSON.stringify(plan.map(({ field }) => values[field]));
        let group = groups.get(id);
        if (!group) {
          group = emptyAccumulator(values);
          groups.set(id, group);
        }
        for (const key of COUNT_KEYS) group[key] += row[key];
      }
      return [...groups.values()];
    });
  }

  private counts(a: Omit<Accumulator, 'values'>): GroupCounts {
    const matching = this.clickMatching;
    const matched = matching ? a.matched : 0;
    const unmatched = matching ? a.unmatched : 0;
    const stake = (matching ? a.unmatched_payout + a.outside_window_payout : 0) + a.missing_click_id_payout + a.duplicate_extra_payout;
    return {
      conversions: a.conversions,
      matched,
      unmatched,
      missing_click_id: a.missing_click_id,
      duplicate_extra: a.duplicate_extra,
      before_click: matching ? a.before_click : 0,
      outside_window: matching ? a.outside_window : 0,
      match_rate: ratio(matched, a.conversions),
      unmatched_rate: ratio(unmatched + a.missing_click_id, a.conversions),
      payout_at_stake: microsToUnits(stake) ?? 0,
    };
  }

  groups(breakdowns: readonly (readonly ByField[])[], filter: { until?: string } = {}): Group[] {
    const out: Group[] = [];
    const accumulated = breakdowns.length === 0 ? [] : this.accumulateAll(breakdowns, filter);
    for (const [i, fields] of breakdowns.entries()) {
      const by = fields.join('+');
      const groups = accumulated[i]!.map((a): Group => {
        const values = a.values;
        const all = fields.map((field) => values[field] ?? null);
        const key = all.every((value) => value === null) ? null : all.map((value) => value ?? '(none)').join(' / ');
        return { by, key, values, ...this.counts(a) };
      });
      groups.sort((x, y) => y.payout_at_stake - x.payout_at_stake || y.conversions - x.conversions || (x.key ?? '\uffff').localeCompare(y.key ?? '\uffff'));
      out.push(...groups);
    }
    return out;
  }

  lag(): { lag: Lag; bins: MergedBin[] } {
    const windowMs = this.scope.windowMs;
    const edges = [...new Set([...LAG_EDGES_MS.filter((edge) => edge !== windowMs), windowMs])].sort((a, b) => a - b);
    const rows = this.clickMatching ? this.queries.lagBins(edges.map((edge) => edge / 1000)) : [];
    const buckets: LagBucket[] = [...edges.map((to, i) => ({ from: i === 0 ? 0 : edges[i - 1]!, to })), { from: edges[edges.length - 1]!, to: null }].map(({ from, to }) => ({
      label: to === null ? `≥ ${formatWindow(from)}` : `${from === 0 ? '0' : formatWindow(from)}–${formatWindow(to)}`,
      from_ms: from,
      to_ms: to,
      count: 0,
    }));
    let total = 0;
    let beyond = 0;
    for (const row of rows) {
      buckets[row.bucket]!.count += row.n;
      total += row.n;
      if (edges[row.bucket - 1] !== undefined && edges[row.bucket - 1]! >= windowMs) beyond += row.n;
    }
    // Fine bins merged across display buckets, for the percentiles.
    const bins = mergeBins(rows);
    const at = (q: number) => (total === 0 ? null : Math.round(quantile(bins, total, q) * 1000));
    const max = rows.reduce((m, row) => Math.max(m, row.max_s), 0);
    return {
      lag: {
        conversions: total,
        p50_ms: at(0.5),
        p90_ms: at(0.9),
        p99_ms: at(0.99),
        max_ms: total === 0 ? null : Math.round(max * 1000),
        beyond_window_share: ratio(beyond, total),
        window_ms: windowMs,
        buckets,
      },
      bins,
    };
  }

  /** The daily series from the `day` breakdown: every day from the first to the last, and the maturity days. */
  series(maturity: Maturity): Series {
    const days = this.accumulate(['day']);
    const byDay = new Map(days.filter((a) => a.values.day !== null).map((a) => [a.values.day!, a]));
    const undated = days.find((a) => a.values.day === null)?.conversions ?? 0;
    const incomplete = new Map(maturity.days.map((day) => [day.day, day.incomplete_share]));
    const names = [...byDay.keys(), ...incomplete.keys()].sort();
    const daily: DailyPoint[] = [];
    if (names.length > 0) {
      const last = names[names.length - 1]!;
      for (let ms = Date.parse(`${names[0]}T00:00:00Z`); ; ms += DAY_MS) {
        const day = new Date(ms).toISOString().slice(0, 10);
        if (day > last) break;
        const a = byDay.get(day);
        const counts = a ? this.counts(a) : null;
        daily.push({
          day,
          conversions: counts?.conversions ?? 0,
          matched: counts?.matched ?? 0,
          unmatched: counts?.unmatched ?? 0,
          missing_click_id: counts?.missing_click_id ?? 0,
          match_rate: counts?.match_rate ?? 0,
          incomplete_share: incomplete.get(day) ?? null,
        });
      }
    }
    return { timezone: this.clock.name, daily, undated };
  }

  maturity(lag: Lag, bins: readonly MergedBin[]): Maturity {
    const asOf = this.queries.latestConversion();
    const none: Maturity = { as_of: asOf, days: [], incomplete_share: 0, message: null };
    if (asOf === null || lag.conversions < MIN_LAG_SAMPLE) return none;
    const asOfMs = Date.parse(asOf);
    // Lags within the window: the conversions a click can still bring.
    const inWindow = bins.filter((bin) => bin.min_s * 1000 <= this.scope.windowMs);
    const total = inWindow.reduce((sum, bin) => sum + bin.n, 0);
    if (total === 0) return none;
    const horizonMs = Math.min(this.scope.windowMs, quantile(inWindow, total, 1 - IMMATURE_SHARE) * 1000);
    const days = new Map<string, { clicks: number; missing: number }>();
    // About 2000 slots over the horizon: ages precise to a thousandth of it (at least a second).
    const slotSeconds = Math.max(1, Math.ceil(horizonMs / 1000 / 2000));
    for (const row of this.queries.clicksBetween(new Date(asOfMs - horizonMs - slotSeconds * 1000).toISOString(), asOf, slotSeconds)) {
      const startMs = row.slot * slotSeconds * 1000;
      const ageMs = Math.max(0, asOfMs - Math.min(asOfMs, startMs + (slotSeconds * 1000) / 2));
      const missing = 1 - cdf(inWindow, total, ageMs / 1000);
      const day = this.clock.local(startMs).slice(0, 10);
      const entry = days.get(day) ?? { clicks: 0, missing: 0 };
      entry.clicks += row.clicks;
      entry.missing += row.clicks * missing;
      days.set(day, entry);
    }
    const list: MaturityDay[] = [...days.entries()]
      .map(([day, entry]) => ({ day, clicks: entry.clicks, incomplete_share: ratio(entry.missing, entry.clicks) }))
      .filter((day) => day.incomplete_share > IMMATURE_SHARE)
      .sort((a, b) => a.day.localeCompare(b.day));
    if (list.length === 0) return none;
    const clicks = list.reduce((sum, day) => sum + day.clicks, 0);
    const share = ratio(list.reduce((sum, day) => sum + day.clicks * day.incomplete_share, 0), clicks);
    const span = list.length === 1 ? `the last day (${list[0]!.day})` : `the last ${list.length} days (${list[0]!.day} to ${list[list.length - 1]!.day})`;
    const median = lag.p50_ms === null ? '' : ` (median lag ${formatDuration(lag.p50_ms)})`;
    return {
      as_of: asOf,
      days: list,
      incomplete_share: share,
      message: `${span} ${list.length === 1 ? 'is' : 'are'} about ${Math.round(share * 100)} % incomplete: ${list.length === 1 ? 'its' : 'their'} clicks are still converting${median}, so a gap there is expected, not lost`,
    };
  }

  ignored(ignoreLastMs: number): { ignored: IgnoredRecent; until: string | null } {
    const asOf = this.queries.latestConversion();
    const since = asOf === null ? null : new Date(Date.parse(asOf) - ignoreLastMs).toISOString();
    const recent = since === null ? emptyAccumulator({}) : (this.accumulate([], { after: since })[0] ?? emptyAccumulator({}));
    const counts = this.counts(recent);
    return {
      ignored: {
        duration: formatWindow(ignoreLastMs),
        duration_ms: ignoreLastMs,
        since,
        conversions: counts.conversions,
        counts: {
          matched: counts.matched,
          unmatched: counts.unmatched,
          missing_click_id: counts.missing_click_id,
          duplicate_extra: counts.duplicate_extra,
          before_click: counts.before_click,
          outside_window: counts.outside_window,
        },
        ...(since !== null && this.report.options.compare ? { compare: this.queries.compareOnlyInAfter(since) } : {}),
        ...(since !== null ? { duplicate_groups_kept: this.queries.duplicateGroupsUntil(since) } : {}),
      },
      until: since,
    };
  }
}

interface MergedBin {
  n: number;
  min_s: number;
  max_s: number;
}

function mergeBins(rows: readonly LagBinRow[]): MergedBin[] {
  const bins = new Map<number, MergedBin>();
  for (const row of rows) {
    const bin = bins.get(row.bin);
    if (!bin) bins.set(row.bin, { n: row.n, min_s: row.min_s, max_s: row.max_s });
    else {
      bin.n += row.n;
      bin.min_s = Math.min(bin.min_s, row.min_s);
      bin.max_s = Math.max(bin.max_s, row.max_s);
    }
  }
  return [...bins.entries()].sort((a, b) => a[0] - b[0]).map(([, bin]) => bin);
}

/** The q-quantile (nearest rank), read inside the fine bin that holds it as if its values were spread evenly. */
function quantile(bins: readonly MergedBin[], total: number, q: number): number {
  const rank = Math.min(total, Math.max(1, Math.ceil(q * total)));
  let seen = 0;
  for (const bin of bins) {
    if (seen + bin.n >= rank) {
      if (bin.n === 1) return bin.min_s;
      return bin.min_s + ((bin.max_s - bin.min_s) * (rank - seen - 1)) / (bin.n - 1);
    }
    seen += bin.n;
  }
  return bins[bins.length - 1]?.max_s ?? 0;
}

/** Share of the lags at or below `seconds`. */
function cdf(bins: readonly MergedBin[], total: number, seconds: number): number {
  let below = 0;
  for (const bin of bins) {
    if (bin.max_s <= seconds) below += bin.n;
    else if (bin.min_s <= seconds) below += bin.n * (bin.max_s === bin.min_s ? 1 : (seconds - bin.min_s) / (bin.max_s - bin.min_s));
    else break;
  }
  return total === 0 ? 1 : below / total;
}

/**
 * Breakdowns, the daily series, lag and maturity for a reconcile run. Called by reconcile() inside
 * its transaction, after the findings, while its temporary tables exist.
 */
export function computeInsights(store: Store, report: ReconcileReport, scope: InsightScope, options: InsightOptions): ReconcileInsights {
  const insights = new Insights(store, report, scope, options);
  try {
    const by = options.by ?? [];
    const groups = insights.groups(by);
    const { lag, bins } = insights.lag();
    const maturity = insights.maturity(lag, bins);
    const series = insights.series(maturity);
    const result: ReconcileInsights = { by: by.map((fields) => fields.join('+')), groups, series, lag, maturity };
    let thresholdGroups = groups;
    if (options.ignoreLastMs !== undefined) {
      const { ignored, until } = insights.ignored(options.ignoreLastMs);
      result.ignored_recent = ignored;
      if (until !== null && by.length > 0) thresholdGroups = insights.groups(by, { until });
    }
    THRESHOLD_GROUPS.set(report, thresholdGroups);
    return result;
  } finally {
    insights.dispose();
  }
}
