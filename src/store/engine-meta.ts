import type { Store } from './db.js';
import { clickRowIdBounds, type SourceCount } from './reconcile.js';

/**
 * What the ClickHouse engines ask tpb's SQLite file directly before they read it with ClickHouse's
 * sqlite() table function: small answers an index gives at once.
 */
export function importFiles(store: Store): Array<{ id: number; file: string; naive: number }> {
  // naive: the import read timestamps without an offset (naive_times > 0, or not recorded)
  const rows = store.db.prepare('SELECT * FROM imports ORDER BY id').all() as Array<{ id: number; file: string; naive_times?: number | null }>;
  return rows.map((row) => ({ id: row.id, file: row.file, naive: row.naive_times === undefined || row.naive_times === null || row.naive_times > 0 ? 1 : 0 }));
}

export function sourceCounts(store: Store, kind: 'clicks' | 'conversions'): SourceCount[] {
  const table = kind === 'clicks' ? 'clicks' : 'conversions';
  return store.db.prepare(`SELECT source, count(*) AS rows FROM ${table} GROUP BY source ORDER BY source`).all() as SourceCount[];
}

export function clickIdBounds(store: Store): { low: number | null; high: number | null } {
  return clickRowIdBounds(store.db);
}

export interface StoredClickRow {
  id: number;
  line: number | null;
  source: string;
  import_id: number | null;
  run_id: number | null;
  click_id: string | null;
  occurred_at: string | null;
}

export interface StoredConversionRow extends StoredClickRow {
  txid: string | null;
  event: string | null;
  status: string | null;
  payout_micros: number | null;
  currency: string | null;
  conversion_id: string | null;
}

/**
 * Rows by rowid, 10,000 ids per statement (each a rowid probe), read as arrays: better-sqlite3
 * builds an object per row key by key, which cost more than the probe (13 columns).
 */
function rowsById<T>(store: Store, sql: string, ids: readonly number[], row: (values: unknown[]) => T): T[] {
  const statement = store.db.prepare(sql).raw(true);
  const rows: T[] = [];
  for (let i = 0; i < ids.length; i += 10_000) for (const values of statement.all(JSON.stringify(ids.slice(i, i + 10_000))) as unknown[][]) rows.push(row(values));
  return rows;
}

/** The first seven columns of both row kinds, in the order both statements select them. */
const ROW_COLUMNS = 'id, line, source, import_id, run_id, click_id, occurred_at';
const rowOf = (v: unknown[]): StoredClickRow => ({
  id: v[0] as number,
  line: v[1] as number | null,
  source: v[2] as string,
  import_id: v[3] as number | null,
  run_id: v[4] as number | null,
  click_id: v[5] as string | null,
  occurred_at: v[6] as string | null,
});

/** Rows in clicks plus conversions, about (the largest rowids: an index lookup each, not a count). */
export function approximateRows(store: Store): number {
  const high = (table: 'clicks' | 'conversions') => (store.db.prepare(`SELECT max(id) FROM ${table}`).pluck().get() as number | null) ?? 0;
  return high('clicks') + high('conversions');
}

/**
 * The clicks a ClickHouse engine reports, by row id: what it reads of every click (source, click
 * id, time) and what it does not (line, where the row came from).
 */
export function clickRowsById(store: Store, ids: readonly number[]): StoredClickRow[] {
  return rowsById(store, `SELECT ${ROW_COLUMNS} FROM clicks WHERE id IN (SELECT value FROM json_each(?))`, ids, rowOf);
}

/** The conversions a ClickHouse engine reports, by row id, with every field a finding shows. */
export function conversionRowsById(store: Store, ids: readonly number[]): StoredConversionRow[] {
  const sql = `SELECT ${ROW_COLUMNS}, txid, event, status, payout_micros, currency, conversion_id FROM conversions WHERE id IN (SELECT value FROM json_each(?))`;
  return rowsById(store, sql, ids, (v) =>
    Object.assign(rowOf(v), {
      txid: v[7] as string | null,
      event: v[8] as string | null,
      status: v[9] as string | null,
      payout_micros: v[10] as number | null,
      currency: v[11] as string | null,
      conversion_id: v[12] as string | null,
    }),
  );
}

/** Make the file whole for another reader: fold the WAL into it (readers see committed rows either way). */
export function checkpoint(store: Store): void {
  store.db.pragma('wal_checkpoint(PASSIVE)');
}

/** The distinct click sources (a skip scan of the clicks_source index: one probe per source). */
export function distinctClickSources(store: Store): string[] {
  const rows = store.db
    .prepare(
      `WITH RECURSIVE s(source) AS (
        SELECT (SELECT min(source) FROM clicks)
        UNION ALL SELECT (SELECT min(k.source) FROM clicks k WHERE k.source > s.source) FROM s WHERE s.source IS NOT NULL)
      SELECT source FROM s WHERE source IS NOT NULL`,
    )
    .all() as Array<{ source: string }>;
  return rows.map((row) => row.source);
}

/**
 * The row ids a reconcile's overlap detection set aside on this connection (temp tables rc_overlap,
 * rc_overlap_click of ReconcileQueries.findOverlaps), for engines that read the same file elsewhere.
 */
export function overlapRowIds(store: Store, kind: 'clicks' | 'conversions'): number[] {
  const table = kind === 'conversions' ? 'rc_overlap' : 'rc_overlap_click';
  const exists = store.db.prepare("SELECT 1 FROM temp.sqlite_master WHERE type = 'table' AND name = ?").get(table);
  if (!exists) return [];
  return (store.db.prepare(`SELECT id FROM temp.${table} ORDER BY id`).all() as Array<{ id: number }>).map((row) => row.id);
}
