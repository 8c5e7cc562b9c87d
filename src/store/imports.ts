import type { Store } from './db.js';

export interface ImportRecord {
  id: number;
  kind: 'clicks' | 'conversions';
  source: string;
  preset: string | null;
  file: string;
  sha256: string;
  rows: number;
  rejected: number;
  started_at: string;
  finished_at: string | null;
  /** The options that change stored values, as JSON (see ImportOptionsRecord); null when not recorded. */
  options_json: string | null;
  /** Rows whose timestamp carried no offset; null when not recorded. */
  naive_times: number | null;
}

export function listImports(store: Store): ImportRecord[] {
  return store.db.prepare('SELECT * FROM imports ORDER BY id').all() as ImportRecord[];
}

/** One import as `tpb db imports` lists it. */
export type ImportSummary = ImportRecord;

/**
 * Remove one import and everything it brought in (its rows and rejects), in one transaction.
 * Returns the import as it was, or undefined when there is no import of that id.
 */
export function dropImport(store: Store, id: number): { record: ImportRecord; rows: number; rejects: number } | undefined {
  const db = store.db;
  const drop = db.transaction(() => {
    const record = db.prepare('SELECT * FROM imports WHERE id = ?').get(id) as ImportRecord | undefined;
    if (!record) return undefined;
    const removed = deleteImportRows(store, record);
    return { record, ...removed };
  });
  return drop.immediate();
}

/**
 * Delete an import's rejects, rows and imports row (children first, so foreign keys hold at every
 * step). Runs inside the caller's transaction.
 */
export function deleteImportRows(store: Store, record: Pick<ImportRecord, 'id' | 'kind'>): { rows: number; rejects: number } {
  const db = store.db;
  const rejects = db.prepare('DELETE FROM rejects WHERE import_id = ?').run(record.id).changes;
  // The table name comes from the CHECK-constrained kind column, never from input.
  const table = record.kind === 'clicks' ? 'clicks' : 'conversions';
  const rows = db.prepare(`DELETE FROM ${table} WHERE import_id = ?`).run(record.id).changes;
  db.prepare('DELETE FROM imports WHERE id = ?').run(record.id);
  return { rows, rejects };
}

/** Finished imports of this kind and source, other than `exceptId` (what `ingest --replace` replaces). */
export function importsOfSource(store: Store, kind: ImportRecord['kind'], source: string, exceptId: number): ImportRecord[] {
  return store.db
    .prepare('SELECT * FROM imports WHERE kind = ? AND source = ? AND id <> ? AND finished_at IS NOT NULL ORDER BY id')
    .all(kind, source, exceptId) as ImportRecord[];
}
