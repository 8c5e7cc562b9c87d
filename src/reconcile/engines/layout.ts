import type { FindingRow, SourceCount } from '../../store/reconcile.js';

/** The canonical fields the reconcile SQL reads, as ClickHouse expressions over a table's raw rows. */
export interface FieldExpressions {
  /** A stable row id (Int64); null: numbered as the rows are read. */
  id: string | null;
  source: string;
  click_id: string;
  /** The timestamp as text (printed as stored when `canonicalText`). */
  occurred_at: string;
  /** The timestamp as an instant: Nullable(Int64) milliseconds since the epoch, UTC. */
  ts: string;
  line: string;
  file: string;
  /** 1 when the row's timestamps were read without an offset (so --timezone can move them); unknown counts as 1, as in SQLite. */
  naive?: string;
  /** Conversions only. Money is exact Int64 micro-units (from text or Decimal, never a Float). */
  txid?: string;
  event?: string;
  status?: string;
  payout?: string;
  /** The payout as the table holds it, when it may fail to parse (a file's text column). */
  payout_raw?: string;
  currency?: string;
  conversion_id?: string;
}

export interface TableLayout {
  /** What the rows are, for messages: "tpb.db (clicks)", "clicks.csv", "analytics.clicks". */
  label: string;
  /** The FROM clause that yields the raw rows. */
  from: string;
  expr: FieldExpressions;
  /** SETTINGS for the query that reads the rows (CSV parsing: every column as text, exactly). */
  settings?: string;
  /** Timestamps are tpb's canonical UTC ISO text, printed as stored; otherwise printed from the instant. */
  canonicalText: boolean;
  /**
   * Clicks only: each row as the engine reports it, by row id, from where the rows live (tpb's
   * SQLite file answers by rowid). When given, the engine reads only id, source, click id and time
   * of every click, and fetches the rest — or the whole row — only for the clicks it reports.
   */
  details?: (ids: readonly number[]) => Map<number, ClickDetails>;
  /**
   * Conversions only: each row with every field a finding shows, by row id. When given, the engine
   * reads only the fields its SQL compares of every conversion, and fetches the rows it reports.
   */
  conversionDetails?: (ids: readonly number[]) => Map<number, ConversionDetails>;
}

export interface ClickDetails {
  file: string | null;
  line: number | null;
  naive: number;
  source: string;
  click_id: string | null;
  /** The stored timestamp text (the instant is computed as the engine computes ts). */
  at: string | null;
}

/** A conversion as a finding shows it (the stored time as text, the payout in micro-units). */
export type ConversionDetails = Pick<FindingRow, 'source' | 'file' | 'line' | 'click_id' | 'txid' | 'event' | 'status' | 'currency' | 'conversion_id'> & {
  at: string | null;
  payout: number | null;
};

/** Where an engine reads clicks and conversions from, and the parameters its FROM clauses use. */
export interface Layout {
  clicks: TableLayout;
  conversions: TableLayout;
  params: Record<string, unknown>;
  /** Source counts answered without a pass over the rows (tpb's SQLite file: an index scan). */
  sourceCounts?: (kind: 'clicks' | 'conversions') => SourceCount[];
  /** The click sources' names alone (tpb's SQLite file: a skip scan of the source index, one probe per source). */
  clickSourceNames?: () => string[];
  /**
   * Overlapping imports (rows of a later import of one source that repeat an earlier import's),
   * found by the store: the counts, and the row ids every query then leaves out.
   */
  overlaps?: (scope: import('../../store/reconcile.js').ReconcileScope, windowMs: number) => { counts: unknown[]; clickIds: number[]; conversionIds: number[] };
  /** min/max click row id over every click (the shape sample spreads over these like SQLite's). */
  clickIdBounds?: () => { low: number | null; high: number | null };
}

/** Milliseconds since the epoch of a text timestamp: ISO 8601, `YYYY-MM-DD hh:mm:ss` (UTC) or unix seconds. */
export function tsFromText(expression: string): string {
  return `toUnixTimestamp64Milli(parseDateTime64BestEffortOrNull(${expression}, 3, 'UTC'))`;
}

/** Exact micro-units from a money value of any type: through its text, as Decimal, never as a Float. */
export function microsFromAny(expression: string): string {
  return `toInt64(toDecimal128OrNull(nullIf(trimBoth(toString(${expression})), ''), 6) * 1000000)`;
}
