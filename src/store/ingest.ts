import type { Store } from './db.js';
import type { ImportRecord } from './imports.js';
import type { CanonicalField, ExportKind } from '../presets/exports.js';

/**
 * The write side of `tpb ingest`: one import = one transaction. Rows arrive as flat arrays
 * ("chunks") of `line` followed by the kind's fields in INGEST_FIELDS order, INSERT_ROWS rows per
 * chunk, and go in through a multi-row INSERT prepared once per import (import id and source bound
 * by name, so a chunk binds exactly its values). A short last chunk goes in row by row.
 */

/** Insert order of a row's values after `line`. Money fields hold micro-units. */
export const INGEST_FIELDS: Readonly<Record<ExportKind, readonly CanonicalField[]>> = {
  clicks: ['click_id', 'occurred_at', 'offer_id', 'affiliate_id', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'ip', 'user_agent'],
  conversions: [
    'click_id',
    'occurred_at',
    'conversion_id',
    'txid',
    'event',
    'status',
    'payout',
    'revenue',
    'currency',
    'offer_id',
    'affiliate_id',
    'sub1',
    'sub2',
    'sub3',
    'sub4',
    'sub5',
    'ip',
    'user_agent',
  ],
};

/** Rows per multi-row INSERT (measured: 16–32 is the sweet spot for better-sqlite3 here). */
export const INSERT_ROWS = 24;

/** Values per row: line + fields. */
export function valuesPerRow(kind: ExportKind): number {
  return INGEST_FIELDS[kind].length + 1;
}

function columnName(field: CanonicalField): string {
  return field === 'payout' ? 'payout_micros' : field === 'revenue' ? 'revenue_micros' : field;
}

export interface ImportStart {
  kind: ExportKind;
  source: string;
  preset: string | null;
  file: string;
  /** Known up front for regular files; for a stream it is set at commit. */
  sha256: string | null;
  startedAt: string;
}

export interface RejectRecord {
  line: number;
  reason: string;
  raw: string;
}

export function findImportByContent(store: Store, kind: ExportKind, source: string, sha256: string): ImportRecord | undefined {
  return store.db
    .prepare('SELECT * FROM imports WHERE kind = ? AND source = ? AND sha256 = ? AND finished_at IS NOT NULL')
    .get(kind, source, sha256) as ImportRecord | undefined;
}

/** An open import transaction. Exactly one of commit() or rollback() ends it. */
export class ImportWriter {
  readonly importId: number;
  private readonly multi;
  private readonly single;
  private readonly reject;
  private readonly named: { import_id: number; source: string };
  private readonly perRow: number;
  private open = true;
  private readonly foreignKeysWereOn: boolean;

  private constructor(
    private readonly store: Store,
    readonly start: ImportStart,
  ) {
    const db = store.db;
    // Foreign keys are checked per inserted row otherwise; this import's parent row is ours and
    // the rows reference nothing else. (The pragma is a no-op inside a transaction, so set it first.)
    this.foreignKeysWereOn = (db.pragma('foreign_keys', { simple: true }) as number) === 1;
    db.pragma('foreign_keys = OFF');
    try {
      db.prepare('BEGIN IMMEDIATE').run();
    } catch (error) {
      if (this.foreignKeysWereOn) db.pragma('foreign_keys = ON');
      throw error;
    }
    try {
      const info = db
        .prepare('INSERT INTO imports (kind, source, preset, file, sha256, rows, rejected, started_at) VALUES (?, ?, ?, ?, ?, 0, 0, ?)')
        .run(start.kind, start.source, start.preset, start.file, start.sha256 ?? `pending:${process.pid}:${Date.now()}:${Math.random()}`, start.startedAt);
      this.importId = Number(info.lastInsertRowid);
      const table = start.kind;
      const fields = INGEST_FIELDS[start.kind];
      this.perRow = fields.length + 1;
      const columns = ['import_id', 'source', 'line', ...fields.map(columnName)].join(', ');
      const tuple = `(@import_id, @source, ${new Array(this.perRow).fill('?').join(', ')})`;
      this.multi = db.prepare(`INSERT INTO ${table} (${columns}) VALUES ${new Array(INSERT_ROWS).fill(tuple).join(', ')}`);
      this.single = db.prepare(`INSERT INTO ${table} (${columns}) VALUES ${tuple}`);
      this.reject = db.prepare('INSERT INTO rejects (import_id, line, reason, raw) VALUES (?, ?, ?, ?)');
      this.named = { import_id: this.importId, source: start.source };
    } catch (error) {
      this.rollback();
      throw error;
    }
  }

  /** BEGIN IMMEDIATE (waits for another writer up to the busy timeout) and create the import row. */
  static begin(store: Store, start: ImportStart): ImportWriter {
    return new ImportWriter(store, start);
  }

  /** Insert one chunk: `valuesPerRow × n` values. Returns n. */
  insertChunk(values: unknown[]): number {
    const rows = values.length / this.perRow;
    if (rows === INSERT_ROWS) {
      this.multi.run(values, this.named);
      return rows;
    }
    for (let row = 0; row < rows; row += 1) {
      this.single.run(values.slice(row * this.perRow, (row + 1) * this.perRow), this.named);
    }
    return rows;
  }

  insertRejects(rejects: readonly RejectRecord[]): void {
    for (const reject of rejects) this.reject.run(this.importId, reject.line, reject.reason, reject.raw);
  }

  /** Delete an earlier import and everything it brought in (`--force`). */
  deleteImport(id: number): void {
    const db = this.store.db;
    db.prepare('DELETE FROM rejects WHERE import_id = ?').run(id);
    db.prepare(`DELETE FROM ${this.start.kind} WHERE import_id = ?`).run(id);
    db.prepare('DELETE FROM imports WHERE id = ?').run(id);
  }

  findByContent(sha256: string): ImportRecord | undefined {
    return findImportByContent(this.store, this.start.kind, this.start.source, sha256);
  }

  commit(result: { rows: number; rejected: number; sha256: string; finishedAt: string }): void {
    this.store.db
      .prepare('UPDATE imports SET rows = ?, rejected = ?, sha256 = ?, finished_at = ? WHERE id = ?')
      .run(result.rows, result.rejected, result.sha256, result.finishedAt, this.importId);
    this.store.db.prepare('COMMIT').run();
    this.finish();
  }

  rollback(): void {
    if (!this.open) return;
    try {
      if (this.store.db.inTransaction) this.store.db.prepare('ROLLBACK').run();
    } finally {
      this.finish();
    }
  }

  private finish(): void {
    this.open = false;
    if (this.foreignKeysWereOn && this.store.db.open) this.store.db.pragma('foreign_keys = ON');
  }
}
