import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchWriter, batchInserter } from '../../src/store/batch-insert.js';
import { Store } from '../../src/store/db.js';
import { tempDir } from '../helpers/tmp.js';

function scratch(): Store {
  const store = Store.open(path.join(tempDir(), 'batch.db'));
  store.db.exec("CREATE TABLE a (id INTEGER PRIMARY KEY, kind TEXT, n INTEGER, label TEXT); CREATE TABLE b (id INTEGER PRIMARY KEY, n INTEGER, half REAL)");
  return store;
}

const TABLES = [
  { prefix: 'INSERT INTO a (kind, n, label) VALUES ', tuple: "('fixed', ?, ?)", width: 2 },
  { prefix: 'INSERT INTO b (n, half) VALUES ', tuple: '(?, ?)', width: 2 },
];

describe('BatchWriter', () => {
  it('writes every row, in order, across batches and multi-row steps that do not divide the count', () => {
    const store = scratch();
    // 7 rows a batch, 50 rows a statement step: batches end mid-step and runs end mid-batch.
    const writer = new BatchWriter(store, TABLES, { batchRows: 7 });
    const count = 1234;
    for (let n = 1; n <= count; n += 1) {
      writer.values[0]!.push(n, n % 3 === 0 ? null : `row "${n}"; DROP TABLE a; --`);
      // The second table takes only some rows (fire's conversions: first copies only).
      if (n % 2 === 0) writer.values[1]!.push(n, n / 2);
      writer.endRow();
      // Written as each batch fills, not at the end.
      if (n === 14) expect(store.db.prepare('SELECT count(*) FROM a').pluck().get()).toBe(14);
    }
    writer.flush();
    const a = store.db.prepare('SELECT kind, n, label FROM a ORDER BY id').all() as { kind: string; n: number; label: string | null }[];
    expect(a).toHaveLength(count);
    expect(a.map((row) => row.n)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(a[2]).toEqual({ kind: 'fixed', n: 3, label: null });
    expect(a[3]).toEqual({ kind: 'fixed', n: 4, label: 'row "4"; DROP TABLE a; --' });
    const b = store.db.prepare('SELECT n, half FROM b ORDER BY id').all() as { n: number; half: number }[];
    expect(b).toHaveLength(count / 2);
    expect(b[10]).toEqual({ n: 22, half: 11 });
    expect(writer.rows).toBe(count);
    store.close();
  });

  it('binds a column that is the same in every row of a batch once, and still writes each row its own values', () => {
    const store = Store.open(path.join(tempDir(), 'shapes.db'));
    store.db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, run INTEGER, kind TEXT, n INTEGER, ua TEXT, note TEXT, x REAL)');
    const table = { prefix: 'INSERT INTO t (run, kind, n, ua, note, x) VALUES ', tuple: "(?, 'k', ?, ?, ?, ?)", width: 5 };
    const writer = new BatchWriter(store, [table], { batchRows: 60 });
    const expected: unknown[][] = [];
    for (let n = 1; n <= 250; n += 1) {
      // batch 1 (rows 1-60): run, ua, note constant; batch 2: note varies; batch 3: ua varies; the rest: x constant too.
      const row = [7, n, n > 120 && n <= 180 ? `ua ${n % 2}` : 'Mozilla/5.0', n > 60 && n <= 120 ? (n % 3 === 0 ? null : `n${n}`) : null, n > 180 ? 0.25 : n / 4];
      expected.push(row);
      writer.values[0]!.push(...row);
      writer.endRow();
    }
    // A batch of one row: every column "the same in every row".
    writer.flush();
    writer.values[0]!.push(8, 999, 'solo', 'only', -1.5);
    expected.push([8, 999, 'solo', 'only', -1.5]);
    writer.flush();
    const rows = store.db.prepare('SELECT run, kind, n, ua, note, x FROM t ORDER BY id').raw().all() as unknown[][];
    expect(rows.map((row) => row[1])).toEqual(Array(251).fill('k'));
    expect(rows.map(([run, , n, ua, note, x]) => [run, n, ua, note, x])).toEqual(expected);
    store.close();
  });

  it('writes a batch all or nothing', () => {
    const store = scratch();
    store.db.exec('CREATE UNIQUE INDEX a_n ON a (n)');
    const insert = batchInserter(store.db, TABLES);
    insert([[1, 'x', 2, 'y'], []]);
    // The second row repeats n = 1: the batch's first row is not kept either.
    expect(() => insert([[5, 'x', 1, 'y'], [5, 2.5]])).toThrow(/UNIQUE/);
    expect(store.db.prepare('SELECT n FROM a ORDER BY n').pluck().all()).toEqual([1, 2]);
    expect(store.db.prepare('SELECT count(*) FROM b').pluck().get()).toBe(0);
    store.close();
  });

  it('refuses a table whose tuple does not have its width of parameters, and a batch that is not whole rows', () => {
    const store = scratch();
    expect(() => batchInserter(store.db, [{ prefix: 'INSERT INTO b (n, half) VALUES ', tuple: '(?, ?)', width: 3 }])).toThrow(/3 parameters/);
    const insert = batchInserter(store.db, TABLES);
    expect(() => insert([[1, 'x', 2], []])).toThrow(/3 values for rows of 2/);
    store.close();
  });
});
