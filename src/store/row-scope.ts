import type { Store } from './db.js';
import { ensureReconcileIndexes } from './reconcile.js';

/**
 * The rows one piece of work produced: the runs it made (tpb click / fire) and the imports it
 * loaded (ingest). `tpb check` reconciles only these, so a scenario's verdict does not depend on
 * what else the database holds.
 */
export interface RowScope {
  runIds: readonly number[];
  importIds: readonly number[];
}

/**
 * Run `work` with this connection's view of `clicks`, `conversions` and `imports` limited to the
 * rows of `scope`. Temporary views of the same names shadow the tables (SQLite resolves an
 * unqualified name in the temp schema first), so every query of reconcile — summary, findings,
 * hints, breakdowns — sees the scope without a filter of its own; the views are dropped before
 * this returns or throws. `work` must be synchronous: nothing else may use the connection (or
 * write to these tables) while the views exist. The reconcile indexes are built first, on the
 * real tables (an index cannot be built on a view).
 */
export function withRowScope<T>(store: Store, scope: RowScope, work: () => T): T {
  const ids = (values: readonly number[]) => {
    for (const value of values) if (!Number.isSafeInteger(value)) throw new TypeError(`row scope: ${String(value)} is not an id`);
    return JSON.stringify([...new Set(values)]);
  };
  const db = store.db;
  ensureReconcileIndexes(store);
  const runs = ids(scope.runIds);
  const imports = ids(scope.importIds);
  db.exec('DROP TABLE IF EXISTS temp.rs_runs; DROP TABLE IF EXISTS temp.rs_imports');
  db.exec('CREATE TEMP TABLE rs_runs (id INTEGER PRIMARY KEY); CREATE TEMP TABLE rs_imports (id INTEGER PRIMARY KEY)');
  try {
    db.prepare('INSERT INTO temp.rs_runs (id) SELECT value FROM json_each(?)').run(runs);
    db.prepare('INSERT INTO temp.rs_imports (id) SELECT value FROM json_each(?)').run(imports);
    const where = 'run_id IN (SELECT id FROM temp.rs_runs) OR import_id IN (SELECT id FROM temp.rs_imports)';
    db.exec(`CREATE TEMP VIEW clicks AS SELECT * FROM main.clicks WHERE ${where}`);
    db.exec(`CREATE TEMP VIEW conversions AS SELECT * FROM main.conversions WHERE ${where}`);
    db.exec('CREATE TEMP VIEW imports AS SELECT * FROM main.imports WHERE id IN (SELECT id FROM temp.rs_imports)');
    return work();
  } finally {
    db.exec('DROP VIEW IF EXISTS temp.clicks; DROP VIEW IF EXISTS temp.conversions; DROP VIEW IF EXISTS temp.imports');
    db.exec('DROP TABLE IF EXISTS temp.rs_runs; DROP TABLE IF EXISTS temp.rs_imports');
  }
}
