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

/** What a ClickHouse engine reports of a click besides what it reads: its line and where it came from, by row id. */
export function clickRowOrigins(store: Store, ids: readonly number[]): Array<{ id: number; line: number | null; source: string; import_id: number | null; run_id: number | null }> {
  const statement = store.db.prepare('SELECT id, line, source, import_id, run_id FROM clicks WHERE id IN (SELECT value FROM json_each(?))');
  const rows: Array<{ id: number; line: number | null; source: string; import_id: number | null; run_id: number | null }> = [];
  for (let i = 0; i < ids.length; i += 10_000) rows.push(...(statement.all(JSON.stringify(ids.slice(i, i + 10_000))) as typeof rows));
  return rows;
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
