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
 *
 * A column whose value is the same in every row of the batch (a run's id, its user agent, a fixed
 * link's URL and fields, a status, a NULL) is bound once per statement step as a named parameter
 * instead of once per row: a click row binds 5 values instead of 18.
 */
export function batchInserter(db: Db, tables: readonly InsertTable[]): (batch: readonly (readonly unknown[])[]) => void {
  const shapes = tables.map((table) => {
    if (!Number.isInteger(table.width) || table.width < 1 || (table.tuple.match(/\?/g) ?? []).length !== table.width) {
      throw new Error(`an insert tuple with ${table.width} parameters expected: ${table.tuple}`);
    }
    return new TableStatements(db, table);
  });
  return db.transaction((batch: readonly (readonly unknown[])[]) => {
    for (let t = 0; t < shapes.length; t += 1) {
      const values = batch[t];
      if (values === undefined || values.length === 0) continue;
      shapes[t]!.insert(values);
    }
  });
}

/** One table's statements, by which columns are bound once (prepared when first needed). */
class TableStatements {
  private readonly byShape = new Map<string, { one: Statement; many: Statement }>();
  private readonly parts: string[];

  constructor(
    private readonly db: Db,
    private readonly table: InsertTable,
  ) {
    // The tuple around its parameters: parts[k] is the text before the k-th `?`.
    this.parts = table.tuple.split('?');
  }

  private statements(constant: readonly boolean[], key: string): { one: Statement; many: Statement } {
    let found = this.byShape.get(key);
    if (found === undefined) {
      let tuple = this.parts[0]!;
      for (let k = 0; k < this.table.width; k += 1) tuple += (constant[k] ? `@c${k}` : '?') + this.parts[k + 1]!;
      found = {
        one: this.db.prepare(this.table.prefix + tuple),
        many: this.db.prepare(this.table.prefix + Array.from({ length: MULTI_ROW }, () => tuple).join(', ')),
      };
      // A handful of shapes in a run; a table of shapes never grows past its columns' combinations seen.
      if (this.byShape.size < 64) this.byShape.set(key, found);
    }
    return found;
  }

  insert(values: readonly unknown[]): void {
    const width = this.table.width;
    if (values.length % width !== 0) throw new Error(`a batch of ${values.length} values for rows of ${width}`);
    const rows = values.length / width;
    const constant: boolean[] = [];
    const named: Record<string, unknown> = {};
    let key = '';
    const varying: number[] = [];
    for (let k = 0; k < width; k += 1) {
      const first = values[k];
      let same = true;
      for (let i = width + k; i < values.length; i += width) {
        if (values[i] !== first) {
          same = false;
          break;
        }
      }
      constant.push(same);
      key += same ? '1' : '0';
      if (same) named[`c${k}`] = first;
      else varying.push(k);
    }
    const { one, many } = this.statements(constant, key);
    const hasNamed = varying.length < width;
    const row = (args: unknown[], start: number) => {
      for (let v = 0; v < varying.length; v += 1) args.push(values[start + varying[v]!]);
    };
    let r = 0;
    // Spread, not one array: better-sqlite3 reads an array argument element by element through
    // V8's API (about 1 µs a row more than arguments).
    for (; r + MULTI_ROW <= rows; r += MULTI_ROW) {
      const args: unknown[] = hasNamed ? [named] : [];
      for (let j = r; j < r + MULTI_ROW; j += 1) row(args, j * width);
      many.run(...args);
    }
    for (; r < rows; r += 1) {
      const args: unknown[] = hasNamed ? [named] : [];
      row(args, r * width);
      one.run(...args);
    }
  }
}

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

  /** Write the rows pushed so far (and, at the end of a run, what is left). */
  flush(): void {
    const batch = this.values;
    if (batch.every((values) => values.length === 0)) return;
    this.rows += batch[0]!.length / this.tables[0]!.width;
    this.values = this.tables.map(() => []);
    this.insert(batch);
  }
}
