import type { Store } from './db.js';
import { EXPORTABLE_TABLES, type ExportableTable } from './schema.js';

export interface TableCount {
  table: string;
  source: string | null;
  rows: number;
}

const TABLES_WITH_SOURCE = new Set(['clicks', 'conversions', 'imports']);

/** Row counts per table, and per source for the tables that have one. */
export function countRows(store: Store): TableCount[] {
  const counts: TableCount[] = [];
  for (const table of EXPORTABLE_TABLES) {
    if (TABLES_WITH_SOURCE.has(table)) {
      const rows = store.db
        .prepare(`SELECT source, count(*) AS rows FROM ${table} GROUP BY source ORDER BY source`)
        .all() as Array<{ source: string; rows: number }>;
      if (rows.length === 0) counts.push({ table, source: null, rows: 0 });
      for (const row of rows) counts.push({ table, source: row.source, rows: row.rows });
    } else {
      const row = store.db.prepare(`SELECT count(*) AS rows FROM ${table}`).get() as { rows: number };
      counts.push({ table, source: null, rows: row.rows });
    }
  }
  return counts;
}

/** Delete every row of every table, in one transaction, and reclaim the space. */
export function resetStore(store: Store): void {
  const wipe = store.db.transaction(() => {
    // Children first, so foreign keys hold at every step.
    for (const table of ['caught_requests', 'rejects', 'postbacks', 'clicks', 'conversions', 'imports', 'runs', 'mock_clicks', 'mock_conversions']) {
      store.db.prepare(`DELETE FROM ${table}`).run();
    }
  });
  wipe.immediate();
  store.db.exec('VACUUM');
}

export function isExportableTable(name: string): name is ExportableTable {
  return (EXPORTABLE_TABLES as readonly string[]).includes(name);
}

/** Column names of a table, in schema order. */
export function tableColumns(store: Store, table: ExportableTable): string[] {
  return (store.db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map(
    (row) => row.name,
  );
}

/** Every row of a table, streamed in id order (the table name is checked against the schema's list). */
export function iterateTable(store: Store, table: ExportableTable): IterableIterator<Record<string, unknown>> {
  return store.db.prepare(`SELECT * FROM ${table} ORDER BY id`).iterate() as IterableIterator<Record<string, unknown>>;
}
