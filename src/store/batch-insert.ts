import type { Statement } from 'better-sqlite3';
import type { Db, Store } from './db.js';

/**
 * Rows of a load run (tpb click's clicks, tpb fire's postbacks and conversions) written in
 * batches: flat arrays of values, one per table, inserted MULTI_ROW rows per statement step, one
 * transaction per batch.
 *
 * Measured and left on the calling thread: a worker thread writing the batches (its own
 * connection, WAL) made `tpb click -n 50000` slower on a 2-core machine, 1.34 s against 1.17 s,
 * because the worker took CPU from the tracker under test on the other core.
 */

/** One table's INSERT, by row. */
export interface InsertTable {
  /** `INSERT INTO t (a, b, c) VALUES ` */
  prefix: string;
  /** One row's tuple: `(?, 'constant', ?)`. */
  tuple: string;
  /** Parameters (`?`) per row. */
  width: number;
}

/** Rows per multi-row statement step (a 19-parameter row: 950 parameters, far under SQLite's 32766). */
const MULTI_ROW = 50;

/** Rows (of the first table) per batch. */
export const DEFAULT_BATCH_ROWS = 2000;

/**
 * A function inserting one batch (per table, its rows' values one after another) in one transaction.
 */
export function batchInserter(db: Db, tables: readonly InsertTable[]): (batch: readonly (readonly unknown[])[]) => void {
  const statements = tables.map((table) => {
    if (!Number.isInteger(table.width) || table.width < 1 || (table.tuple.match(/\?/g) ?? []).length !== table.width) {
      throw new Error(`an insert tuple with ${table.width} parameters expected: ${table.tuple}`);
    }
    return {
      width: table.width,
      one: db.prepare(table.prefix + table.tuple),
      many: db.prepare(table.prefix + Array.from({ length: MULTI_ROW }, () => table.tuple).join(', ')),
    };
  });
  return db.transaction((batch: readonly (readonly unknown[])[]) => {
    for (let t = 0; t < statements.length; t += 1) {
      const values = batch[t];
      if (values === undefined || values.length === 0) continue;
      insertFlat(values, statements[t]!);
    }
  });
}

function insertFlat(values: readonly unknown[], statement: { width: number; one: Statement; many: Statement }): void {
  const { width, one, many } = statement;
  if (values.length % width !== 0) throw new Error(`a batch of ${values.length} values for rows of ${width}`);
  const step = width * MULTI_ROW;
  let i = 0;
  // Spread, not one array: better-sqlite3 reads an array argument element by element through
  // V8's API (about 1 µs a row more than arguments).
  for (; i + step <= values.length; i += step) many.run(...values.slice(i, i + step));
  for (; i < values.length; i += width) one.run(...values.slice(i, i + width));
}

/**
 * The rows of one run on their way into the store. Push a row's values into `values[t]` (exactly
 * the table's width), call `endRow()` after each row of the first table, and `close()` at the end.
 */
export class BatchWriter {
  /** The batch being filled: one flat array of values per table. */
  values: unknown[][];
  /** Rows written so far (of the first table). */
  rows = 0;
  private readonly limit: number;
  private readonly insert: (batch: readonly (readonly unknown[])[]) => void;

  constructor(
    store: Store,
    private readonly tables: readonly InsertTable[],
    options: { batchRows?: number } = {},
  ) {
    this.values = tables.map(() => []);
    this.limit = (options.batchRows ?? DEFAULT_BATCH_ROWS) * tables[0]!.width;
    this.insert = batchInserter(store.db, tables);
  }

  /** After each row of the first table: writes the batch when it is full. */
  endRow(): void {
    if (this.values[0]!.length >= this.limit) this.flush();
  }

  /** Write the rows pushed so far. */
  flush(): void {
    const batch = this.values;
    if (batch.every((values) => values.length === 0)) return;
    this.rows += batch[0]!.length / this.tables[0]!.width;
    this.values = this.tables.map(() => []);
    this.insert(batch);
  }

  /** Write what is left (call it at the end of a run). */
  close(): void {
    this.flush();
  }
}
