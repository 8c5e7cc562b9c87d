import type { InsightOptions, ReconcileInsights } from './insight-types.js';
import type { RowScope } from '../store/row-scope.js';

/**
 * The reconcile report: what `tpb reconcile --json` prints and what demo and check consume.
 * Field names are snake_case because they are the JSON document's keys.
 */

/** Finding categories, in report order. */
export const FINDING_TYPES = [
  'unmatched',
  'missing_click_id',
  'duplicate_extra',
  'duplicate_clicks',
  'clicks_not_recorded',
  'before_click',
  'outside_window',
  'missing_in_b',
  'missing_in_a',
  'payout_mismatch',
  'status_mismatch',
] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

/** Categories a threshold can apply to: every finding type plus duplicate_groups. */
export const THRESHOLD_CATEGORIES = [
  'unmatched',
  'missing_click_id',
  'duplicate_groups',
  'duplicate_extra',
  'duplicate_clicks',
  'clicks_not_recorded',
  'before_click',
  'outside_window',
  'missing_in_b',
  'missing_in_a',
  'payout_mismatch',
  'status_mismatch',
] as const;
export type ThresholdCategory = (typeof THRESHOLD_CATEGORIES)[number];

export type Severity = 'error' | 'warning';

/** Conversions in these categories will not be paid; the rest deserve a look. */
export const SEVERITY: Readonly<Record<FindingType, Severity>> = {
  unmatched: 'error',
  missing_click_id: 'error',
  duplicate_extra: 'warning',
  duplicate_clicks: 'warning',
  clicks_not_recorded: 'warning',
  before_click: 'warning',
  outside_window: 'error',
  missing_in_a: 'error',
  missing_in_b: 'error',
  payout_mismatch: 'warning',
  status_mismatch: 'warning',
};

export const CATEGORY_TITLES: Readonly<Record<FindingType, string>> = {
  unmatched: 'Unmatched conversions (no click has the id)',
  missing_click_id: 'Conversions without a click id',
  duplicate_extra: 'Duplicate conversions (beyond the first of each group)',
  duplicate_clicks: 'Click ids shared by several clicks of one source',
  clicks_not_recorded: 'Clicks tpb click made that the tracker did not record',
  before_click: 'Conversions earlier than their click',
  outside_window: 'Conversions outside the attribution window',
  missing_in_a: 'Only in source b',
  missing_in_b: 'Only in source a',
  payout_mismatch: 'Payout differs between the sources',
  status_mismatch: 'Status differs between the sources',
};

/** What diagnosed an unmatched click id. `not_found`: nothing wrong with the id itself. */
export const UNMATCHED_HINT_KINDS = ['macro', 'empty', 'encoding', 'truncated', 'shape', 'not_recorded', 'not_found'] as const;
export type UnmatchedHintKind = (typeof UNMATCHED_HINT_KINDS)[number];

export type HintKind =
  | UnmatchedHintKind
  | 'missing_click_id'
  | 'duplicate'
  | 'duplicate_no_txid'
  | 'duplicate_clicks'
  | 'clicks_not_recorded'
  | 'timezone_offset'
  | 'clock_offset'
  | 'before_click'
  | 'outside_window'
  | 'missing'
  | 'payout'
  | 'status';

/**
 * One finding row. Every finding has every key (null when not applicable), so the JSON rows are
 * uniform and CSV columns are the keys. `related_*` is the row it was compared with: the click for
 * before_click / outside_window / a diagnosed id, the first conversion of a duplicate group, the
 * other source's row in compare mode, the second click of a shared click id.
 */
export interface Finding {
  type: FindingType;
  severity: Severity;
  source: string;
  file: string | null;
  line: number | null;
  click_id: string | null;
  txid: string | null;
  event: string | null;
  status: string | null;
  occurred_at: string | null;
  payout: number | null;
  currency: string | null;
  conversion_id: string | null;
  hint: string | null;
  hint_kind: HintKind | null;
  /** Rows in the duplicate group, or clicks sharing the id. */
  count: number | null;
  related_source: string | null;
  related_file: string | null;
  related_line: number | null;
  related_click_id: string | null;
  related_occurred_at: string | null;
  related_payout: number | null;
  related_status: string | null;
}

export const FINDING_COLUMNS: ReadonlyArray<keyof Finding> = [
  'type',
  'severity',
  'source',
  'file',
  'line',
  'click_id',
  'txid',
  'event',
  'status',
  'occurred_at',
  'payout',
  'currency',
  'conversion_id',
  'hint',
  'hint_kind',
  'count',
  'related_source',
  'related_file',
  'related_line',
  'related_click_id',
  'related_occurred_at',
  'related_payout',
  'related_status',
];

export interface PayoutAtStake {
  unmatched: number;
  missing_click_id: number;
  duplicate_extra: number;
  outside_window: number;
  /** --compare: payout of the rows only in b (missing in a), only in a, and the payout differences. */
  missing_in_a: number;
  missing_in_b: number;
  payout_mismatch: number;
  /** The sum of the above: conversions that will not be paid. */
  total: number;
}

export interface ReconcileSummary {
  conversions: number;
  clicks: number;
  matched: number;
  /** matched / conversions (0 when there are no conversions). */
  match_rate: number;
  unmatched: number;
  /** (unmatched + missing_click_id) / conversions: what --max-unmatched-rate checks. */
  unmatched_rate: number;
  missing_click_id: number;
  duplicate_groups: number;
  duplicate_extra: number;
  /** Click ids shared by more than one click of the same source ((source, id) groups). */
  duplicate_clicks: number;
  /** Clicks tpb click captured an id for that no click of the matched sources carries. */
  clicks_not_recorded: number;
  before_click: number;
  outside_window: number;
  missing_in_a: number;
  missing_in_b: number;
  payout_mismatch: number;
  status_mismatch: number;
  /** Payout (currency units) of the conversions that will not be paid. */
  payout_at_stake: PayoutAtStake;
  /** Currencies among the conversions at stake; more than one means the sums mix currencies. */
  currencies: string[];
  /** How many unmatched conversions each diagnosis explains. */
  unmatched_by_hint: Record<UnmatchedHintKind, number>;
  /** Rows of a later import repeating rows of an earlier import of the same source: counted once, left out above. */
  overlapping_conversions: number;
  overlapping_clicks: number;
}

/** Rows of one import that repeat rows of an earlier import of the same source (overlapping exports). */
export interface ImportOverlap {
  kind: 'clicks' | 'conversions';
  source: string;
  import_id: number;
  earlier_import_id: number;
  rows: number;
}

/** A hint about many rows at once (a timezone offset, a macro on hundreds of conversions). */
export interface SummaryHint {
  kind: HintKind | 'no_clicks' | 'compare_key' | 'overlap' | 'click_sources';
  category: FindingType | null;
  count: number;
  message: string;
  /** timezone_offset only: how many hours conversion times are behind click times. */
  offset_hours?: number;
}

export type DedupeKey = 'click_id+event+txid' | 'click_id';

export interface ReconcileOptions {
  /**
   * Click sources to match against; undefined = every source but tpb:click when another exists
   * (then tpb:click is what clicks_not_recorded checks the others against), else tpb:click.
   */
  clicksSource?: readonly string[];
  /** Conversion sources to reconcile; undefined = every source except `tpb:fire`. */
  conversionsSource?: readonly string[];
  /** Attribution window in milliseconds (default 30 days). */
  windowMs?: number;
  dedupeKey?: DedupeKey;
  /** Reconcile two conversion sources against each other. */
  compare?: readonly [a: string, b: string];
  /** Payout difference tolerated in compare mode, micro-units (default 10_000 = 0.01). */
  payoutToleranceMicros?: number;
  /** At most this many finding rows per category (undefined = all). Summary counts are always complete. */
  limit?: number;
  /** Called as each stage finishes (for -v timings). */
  onStage?: (stage: string, elapsedMs: number, cpuMs: number) => void;
  /**
   * Called before each long phase with what it is doing ("building indexes on 1,000,000 clicks…",
   * "waiting for another tpb process to finish writing"), for a status line on a terminal.
   */
  onStatus?: (message: string) => void;
  /** Breakdowns (--by), the daily series, lag and maturity (src/reconcile/breakdown.ts); absent = not computed. */
  insights?: InsightOptions;
  /**
   * Hand the findings over one by one instead of collecting them in `report.findings` (which then
   * stays empty), so memory does not grow with their number. `begin` gets the report complete but
   * for its findings (summary, hints, insights), before the first one.
   */
  findingSink?: FindingSink;
  /**
   * Only the clicks and conversions of these runs (tpb click / fire) and imports (ingest), as if
   * the database held nothing else (tpb check's reconcile step); absent = the whole database.
   * SQLite engine only.
   */
  rows?: RowScope;
}

export interface FindingSink {
  begin(report: ReconcileReport): void;
  finding(finding: Finding): void;
}

export interface ReconcileReport extends Partial<ReconcileInsights> {
  version: 1;
  options: {
    /** As given (--clicks-source), null by default. */
    clicks_source: string[] | null;
    /** The click sources matched against (empty when there are no clicks). */
    click_sources: string[];
    /** Click sources present but not matched against by default (tpb:click when another exists). */
    excluded_click_sources: string[];
    conversions_source: string[] | null;
    excluded_sources: string[];
    window: string;
    window_ms: number;
    dedupe_key: DedupeKey;
    compare: { a: string; b: string; key: 'click_id+txid' | 'click_id' } | null;
    payout_tolerance: number;
    limit: number | null;
  };
  summary: ReconcileSummary;
  hints: SummaryHint[];
  /** Overlapping imports, one entry per pair of imports (also in hints, as one line each). */
  overlaps: ImportOverlap[];
  findings: Finding[];
}

export const FIRE_SOURCE = 'tpb:fire';
/** Clicks `tpb click` recorded (the store's TPB_CLICK_SOURCE). */
export const CLICK_SOURCE = 'tpb:click';
export const DEFAULT_WINDOW_MS = 30 * 86_400_000;
export const DEFAULT_PAYOUT_TOLERANCE_MICROS = 10_000;
