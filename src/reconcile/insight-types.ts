/**
 * Where and when: the parts of the reconcile report beyond totals and findings (breakdowns by a
 * field, the daily series, conversion lag and the maturity of the last days). JSON keys, so
 * snake_case.
 */

/** Fields `--by` groups by. offer/affiliate/sub1…sub5 fall back to the credited click's value. */
export const BY_FIELDS = ['source', 'offer', 'affiliate', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'event', 'status', 'currency', 'day', 'hour'] as const;
export type ByField = (typeof BY_FIELDS)[number];

/** The breakdowns the HTML report shows when --by is not given. */
export const DEFAULT_HTML_BY: readonly ByField[] = ['source', 'offer', 'affiliate'];

/** Counts of one group: the summary's conversion categories, restricted to the group's rows. */
export interface GroupCounts {
  conversions: number;
  matched: number;
  unmatched: number;
  missing_click_id: number;
  duplicate_extra: number;
  before_click: number;
  outside_window: number;
  /** matched / conversions */
  match_rate: number;
  /** (unmatched + missing_click_id) / conversions, what --max-unmatched-rate checks */
  unmatched_rate: number;
  /** Payout of the group's unmatched, missing-click-id, duplicate-extra and out-of-window conversions. */
  payout_at_stake: number;
}

export interface Group extends GroupCounts {
  /** The breakdown: a field, or fields joined by "+" (`affiliate+offer`). */
  by: string;
  /** The group's value(s) in one string ("2001", "2001 / 1005"); null when every value is empty. */
  key: string | null;
  /** Each field's value (null: the rows have none). */
  values: Record<string, string | null>;
}

export interface DailyPoint {
  /** YYYY-MM-DD in the series' time zone. */
  day: string;
  conversions: number;
  matched: number;
  unmatched: number;
  missing_click_id: number;
  match_rate: number;
  /** For the last days: the share of the conversions of this day's clicks not arrived yet; else null. */
  incomplete_share: number | null;
}

export interface Series {
  /** IANA name or ±hh:mm; "UTC" by default. */
  timezone: string;
  /** One point per day from the first to the last conversion day (days without conversions included). */
  daily: DailyPoint[];
  /** Conversions without a time (not in any day). */
  undated: number;
}

export interface LagBucket {
  /** "1h–2h", "≥ 90d" */
  label: string;
  from_ms: number;
  /** null: open-ended. */
  to_ms: number | null;
  count: number;
}

/** Time from the credited click to the conversion, for matched conversions not before their click. */
export interface Lag {
  conversions: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  /** Share of the measured conversions later than the attribution window. */
  beyond_window_share: number;
  window_ms: number;
  buckets: LagBucket[];
}

export interface MaturityDay {
  day: string;
  clicks: number;
  /** Share of the conversions this day's clicks will bring that the lag distribution says are still to come. */
  incomplete_share: number;
}

/**
 * How complete the last days are. Measured against the data's own clock (`as_of`: the latest
 * click or conversion time in scope), so an old export reads the same on any day.
 */
export interface Maturity {
  as_of: string | null;
  /** The days (of clicks) more than 1 % incomplete, oldest first. */
  days: MaturityDay[];
  /** Over those days together, weighted by their clicks. */
  incomplete_share: number;
  message: string | null;
}

/** What `--ignore-last` left out of the threshold checks. */
export interface IgnoredRecent {
  duration: string;
  duration_ms: number;
  /** Conversions later than this are left out of the threshold checks. */
  since: string | null;
  conversions: number;
  /** What those conversions count in each category (left out of the thresholds). */
  counts: Pick<GroupCounts, 'unmatched' | 'missing_click_id' | 'duplicate_extra' | 'before_click' | 'outside_window' | 'matched'>;
  /** Compare mode: rows on one side only among them. */
  compare?: { missing_in_a: number; missing_in_b: number };
  /** Duplicate groups with an extra row before `since` (what duplicate_groups is checked against). */
  duplicate_groups_kept?: number;
}

/** What the breakdowns, series, lag and maturity are computed with. */
export interface InsightOptions {
  /** Breakdowns: each a field or fields joined by "+" (parsed with parseBy). */
  by?: readonly (readonly ByField[])[];
  /** Time zone of `day`, `hour` and the daily series (default UTC). */
  timezone?: string;
  /** Leave conversions of the last this-many ms (before the latest conversion) out of the thresholds. */
  ignoreLastMs?: number;
}

export interface ReconcileInsights {
  /** --by, in the order given. */
  by: string[];
  groups: Group[];
  series: Series;
  lag: Lag;
  maturity: Maturity;
  ignored_recent?: IgnoredRecent;
}
