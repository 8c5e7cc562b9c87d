import type { Store } from './db.js';
import type { SourceCount } from './reconcile.js';

/**
 * What the ClickHouse engines ask tpb's SQLite file directly before they read it with ClickHouse's
 * sqlite() table function: small answers an index gives at once.
 */
export function importFiles(store: Store): Array<{ id: number; file: string }> {
  return store.db.prepare('SELECT id, file FROM imports ORDER BY id').all() as Array<{ id: number; file: string }>;
}

export function sourceCounts(store: Store, kind: 'clicks' | 'conversions'): SourceCount[] {
  const table = kind === 'clicks' ? 'clicks' : 'conversions';
  return store.db.prepare(`SELECT source, count(*) AS rows FROM ${table} GROUP BY source ORDER BY source`).all() as SourceCount[];
}

export function clickIdBounds(store: Store): { low: number | null; high: number | null } {
  return store.db.prepare('SELECT min(id) AS low, max(id) AS high FROM clicks').get() as { low: number | null; high: number | null };
}

/** Make the file whole for another reader: fold the WAL into it (readers see committed rows either way). */
export function checkpoint(store: Store): void {
  store.db.pragma('wal_checkpoint(PASSIVE)');
}
