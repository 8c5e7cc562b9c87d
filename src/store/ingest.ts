import type { Store } from './db.js';
import { deleteImportRows, importsOfSource, type ImportRecord } from './imports.js';
import { CLICK_FIELDS, CONVERSION_FIELDS, type CanonicalField, type ExportKind } from '../presets/exports.js';

/**
 * The write side of `tpb ingest`: one import = one transaction. Rows arrive as one string per
 * batch: for each row `line` then the kind's fields in INGEST_FIELDS order (money in micro-units,
 * timestamps normalised), every value joined with ROW_VALUE_SEPARATOR, an empty value meaning NULL.
 * (One string crosses from the parsing thread far more cheaply than arrays of values.) They go in
 * through a multi-row INSERT prepared once per import, INSERT_ROWS rows per statement, import id
 * and source bound by name; an empty value is bound as NULL, and column affinity turns the digits
 * of `line` and the micro-units into integers.
 */

/** Joins row values on the wire; parse.ts rejects a row whose cells contain it. */
export const ROW_VALUE_SEPARATOR = '\u0001';

/** Insert order of a row's values after `line`: the canonical fields. Money fields hold micro-units. */
export const INGEST_FIELDS: Readonly<Record<ExportKind, readonly CanonicalField[]>> = {
  clicks: CLICK_FIELDS,
  conversions: CONVERSION_FIELDS,
};

/** Rows per multi-row INSERT (measured on the bench: 8 rows used 4–15% less main-thread CPU than 4, 16, 24, 48 or 96). */
export const INSERT_ROWS = 8;


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
  /** JSON of the options that change stored values (compared on re-ingest). */
  optionsJson: string;
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

/** Whether a file of this path was imported before (a re-ingest is then likely: hash it first). */
export function hasImportOfFile(store: Store, kind: ExportKind, file: string): boolean {
  return store.db.prepare('SELECT 1 FROM imports WHERE kind = ? AND file = ? LIMIT 1').get(kind, file) !== undefined;
}

/** An open import transaction. Exactly one of commit() or rollback() ends it. */
export class ImportWriter {
  readonly importId: number;
  private readonly multi;
  private readonly single;
  private readonly reject;
  private readonly named: { import_id: number; source: string };
  private readonly perRow: number;
  private readonly params: unknown[];
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
        .prepare('INSERT INTO imports (kind, source, preset, file, sha256, rows, rejected, started_at, options_json) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)')
        .run(start.kind, start.source, start.preset, start.file, start.sha256 ?? `pending:${process.pid}:${Date.now()}:${Math.random()}`, start.startedAt, start.optionsJson);
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
      this.params = new Array<unknown>(INSERT_ROWS * this.perRow);
    } catch (error) {
      this.rollback();
      throw error;
    }
  }

  /** BEGIN IMMEDIATE (waits for another writer up to the busy timeout) and create the import row. */
  static begin(store: Store, start: ImportStart): ImportWriter {
    return new ImportWriter(store, start);
  }

  /**
   * Insert a batch of `rows` rows in the wire format described above. Values are cut out of the
   * batch string one statement at a time: splitting the whole batch at once would keep tens of
   * thousands of strings alive across garbage collections, and V8 would grow the heap to hold them.
   */
  insertRows(text: string, rows: number): void {
    if (rows === 0) return;
    const width = this.perRow;
    const params = this.params;
    const perStatement = params.length;
    let position = 0;
    let row = 0;
    const take = (into: unknown[], count: number) => {
      for (let i = 0; i < count; i += 1) {
        let next = text.indexOf(ROW_VALUE_SEPARATOR, position);
        if (next === -1) next = text.length;
        into[i] = next === position ? null : text.slice(position, next);
        position = next + 1;
      }
    };
    for (; row + INSERT_ROWS <= rows; row += INSERT_ROWS) {
      take(params, perStatement);
      this.multi.run(params, this.named);
    }
    const single = new Array<unknown>(width);
    for (; row < rows; row += 1) {
      take(single, width);
      this.single.run(single, this.named);
    }
    if (position !== text.length + 1) throw new Error(`ingest batch does not hold ${rows} rows of ${width} values`);
  }

  insertRejects(rejects: readonly RejectRecord[]): void {
    for (const reject of rejects) this.reject.run(this.importId, reject.line, reject.reason, reject.raw);
  }

  /** Delete an earlier import and everything it brought in (`--force`), in this transaction. */
  deleteImport(id: number): void {
    deleteImportRows(this.store, { id, kind: this.start.kind });
  }

  /** Delete every earlier import of this kind and source (`--replace`), in this transaction. */
  deleteEarlierImports(): ImportRecord[] {
    const earlier = importsOfSource(this.store, this.start.kind, this.start.source, this.importId);
    for (const record of earlier) deleteImportRows(this.store, record);
    return earlier;
  }

  findByContent(sha256: string): ImportRecord | undefined {
    return findImportByContent(this.store, this.start.kind, this.start.source, sha256);
  }

  commit(result: { rows: number; rejected: number; sha256: string; finishedAt: string; naiveTimes: number }): void {
    this.store.db
      .prepare('UPDATE imports SET rows = ?, rejected = ?, sha256 = ?, finished_at = ?, naive_times = ? WHERE id = ?')
      .run(result.rows, result.rejected, result.sha256, result.finishedAt, result.naiveTimes, this.importId);
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
