import fs from 'node:fs';
import { InputError, NetworkError, UsageError } from '../../errors.js';
import type { Store } from '../../store/db.js';
import { approximateRows, checkpoint } from '../../store/engine-meta.js';
import type { ReconcileScope } from '../../store/reconcile.js';
import { clickhouseRunner, parseClickHouseUrl } from './clickhouse.js';
import { chdbRunner, loadChdb } from './chdb.js';
import { ClickHouseQueries } from './clickhouse-queries.js';
import type { Layout, TableLayout } from './layout.js';
import { columnsLayout, fileFormat, fileSourceLabel, MAPPABLE_FIELDS, sqliteClickDetails, sqliteConversionDetails, sqliteLayoutExtras, sqliteOverlaps, sqliteParams, sqliteTable, type Column } from './layouts.js';
import { bindForDisplay, sqlString, type ClickHouseRunner } from './runner.js';
import type { EngineName, ReconcileBackend } from './types.js';

export { ENGINES, type EngineName, type ReconcileBackend } from './types.js';
export { sqliteBackend } from './sqlite.js';

export interface EngineOptions {
  engine: EngineName;
  /** tpb's database (sqlite, and chdb without --clicks/--conversions files). */
  store?: Store;
  dbFile?: string;
  /** chdb: export files to read directly instead of the database. */
  clicksFile?: string;
  conversionsFile?: string;
  /** clickhouse: the server, and the tables when they are not tpb's names. */
  clickhouseUrl?: string;
  clicksTable?: string;
  conversionsTable?: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
  /** field=column for tables and files not in tpb's layout. */
  map?: Readonly<Record<string, string>>;
  /** Each statement ClickHouse ran and how long it took (for -v: where a slow reconcile's time goes). */
  onStatement?: (statement: string, ms: number) => void;
}

/** The statement's gist for a log line: its first line, whitespace folded, at most 160 characters. */
export function statementGist(sql: string): string {
  const folded = sql.replace(/\s+/g, ' ').trim();
  return folded.length > 160 ? `${folded.slice(0, 159)}…` : folded;
}

/** A runner that reports every statement's time. */
function timedRunner(runner: ClickHouseRunner, onStatement: (statement: string, ms: number) => void): ClickHouseRunner {
  const timed = <T>(statement: string, run: () => T): T => {
    const started = performance.now();
    try {
      return run();
    } finally {
      onStatement(statement, performance.now() - started);
    }
  };
  return {
    name: runner.name,
    scratchTable: runner.scratchTable,
    ...(runner.diskScratch ? { diskScratch: true } : {}),
    rows: (sql, params) => timed(sql, () => runner.rows(sql, params)),
    exec: (sql, params) => timed(sql, () => runner.exec(sql, params)),
    insertStrings: (table, values) => timed(`INSERT INTO ${table} (${values.length} values)`, () => runner.insertStrings(table, values)),
    close: () => runner.close(),
  };
}

/** Parse repeated --map field=column values. */
export function parseEngineMap(values: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    const field = value.slice(0, at).trim();
    const column = value.slice(at + 1).trim();
    if (at <= 0 || column === '') throw new UsageError(`--map ${JSON.stringify(value)}: expected field=column`, { hint: 'e.g. --map click_id=subid --map occurred_at=datetime' });
    if (!MAPPABLE_FIELDS.includes(field)) throw new UsageError(`--map ${field}=…: unknown field ${JSON.stringify(field)}`, { hint: `fields: ${MAPPABLE_FIELDS.join(', ')}` });
    map[field] = column;
  }
  return map;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

function tableIdent(name: string, flag: string): string {
  if (!TABLE_NAME.test(name)) throw new UsageError(`${flag} ${JSON.stringify(name)} is not a table name`, { hint: 'database.table or table, letters, digits and _' });
  return name
    .split('.')
    .map((part) => `\`${part}\``)
    .join('.');
}

function describe(runner: ClickHouseRunner, from: string, label: string, settings?: string): Column[] {
  try {
    return runner.rows<Column>(`DESCRIBE TABLE ${from}${settings ? ` SETTINGS ${settings}` : ''}`).map((row) => ({ name: row.name, type: row.type }));
  } catch (error) {
    if (error instanceof NetworkError || (error instanceof UsageError && error.message.includes('credentials'))) throw error;
    throw new InputError(`cannot read ${label}: ${(error as Error).message.split('\n')[0]}`, { file: label, cause: error });
  }
}

function fileTable(runner: ClickHouseRunner, kind: 'clicks' | 'conversions', file: string, map: Readonly<Record<string, string>>, mapped: Set<string>): TableLayout {
  if (!fs.existsSync(file)) throw new InputError(`no such file: ${file}`, { hint: `--${kind} <file>: a CSV (optionally .gz) or Parquet export` });
  const format = fileFormat(file);
  const from = `file(${sqlString(file)}, '${format.format}')`;
  const columns = describe(runner, from, file, format.settings);
  return columnsLayout(kind, {
    label: file,
    from,
    columns,
    map,
    source: fileSourceLabel(file),
    ...(format.settings ? { settings: format.settings } : {}),
    rowNumber: format.rowNumber,
    fileLiteral: file,
    mapped,
  });
}

function serverTable(runner: ClickHouseRunner, kind: 'clicks' | 'conversions', table: string, map: Readonly<Record<string, string>>, mapped: Set<string>): TableLayout {
  const from = tableIdent(table, `--${kind}-table`);
  return columnsLayout(kind, { label: table, from, columns: describe(runner, from, table), map, source: table, rowNumber: null, fileLiteral: null, mapped });
}

/** The ClickHouse engines' layout: where clicks and conversions come from. */
function layoutFor(runner: ClickHouseRunner, options: EngineOptions): Layout {
  const map = options.map ?? {};
  const mapped = new Set<string>();
  let layout: Layout;
  if (options.engine === 'clickhouse') {
    layout = {
      clicks: serverTable(runner, 'clicks', options.clicksTable ?? 'clicks', map, mapped),
      conversions: serverTable(runner, 'conversions', options.conversionsTable ?? 'conversions', map, mapped),
      params: {},
    };
  } else {
    const needsDb = !options.clicksFile || !options.conversionsFile;
    let params: Record<string, unknown> = {};
    let extras: Partial<Layout> = {};
    if (needsDb) {
      if (!options.store || !options.dbFile) throw new UsageError("the chdb engine reads tpb's database, and there is none", { hint: 'pass --clicks <file> and --conversions <file>, or --db' });
      checkpoint(options.store);
      params = sqliteParams(options.store);
      if (!options.clicksFile) extras = sqliteLayoutExtras(options.store);
      const store = options.store;
      const clicksFromDb = !options.clicksFile;
      const conversionsFromDb = !options.conversionsFile;
      extras.overlaps = (scope, windowMs) => {
        const found = sqliteOverlaps(store, scope, windowMs);
        return { counts: found.counts, clickIds: clicksFromDb ? found.clickIds : [], conversionIds: conversionsFromDb ? found.conversionIds : [] };
      };
    }
    layout = {
      clicks: options.clicksFile ? fileTable(runner, 'clicks', options.clicksFile, map, mapped) : { ...sqliteTable('clicks', options.dbFile!), details: sqliteClickDetails(options.store!) },
      conversions: options.conversionsFile
        ? fileTable(runner, 'conversions', options.conversionsFile, map, mapped)
        : { ...sqliteTable('conversions', options.dbFile!), conversionDetails: sqliteConversionDetails(options.store!) },
      params,
      ...extras,
    };
  }
  const unused = Object.entries(map).filter(([field]) => !mapped.has(field));
  if (unused.length > 0) {
    const tables = [layout.clicks.label, layout.conversions.label].filter((label, i) => (i === 0 ? options.clicksFile || options.engine === 'clickhouse' : options.conversionsFile || options.engine === 'clickhouse'));
    throw new InputError(`--map ${unused.map(([field, column]) => `${field}=${column}`).join(' ')}: no such column in ${tables.join(' or ') || 'the tables read'}`, {
      hint: '--map names a column of the export files (--engine chdb) or of the ClickHouse tables (--engine clickhouse)',
    });
  }
  return layout;
}

export interface ClickHouseBackend extends ReconcileBackend {
  /** The SQL this engine runs for a scope, with the scope bound (for --emit-sql). */
  emitSql(scope: ReconcileScope, windowMs: number, dedupeKey: 'click_id' | 'click_id+event+txid'): string;
  /** The statements the last reconcile ran (for -v). */
  statements(): readonly string[];
}

/**
 * Rows (clicks and conversions) up to which chdb keeps its scratch tables in memory: there they
 * cost ~0.3 KB a row (about 0.6 GB here) and are faster to build than MergeTree parts on disk
 * (1M × 204k: 2.19 s on disk); past it, on disk, so 10^8 clicks stay under 8 GB.
 */
export const CHDB_MEMORY_ROWS = 2_500_000;

/** The limit in force: TPB_CHDB_MEMORY_ROWS overrides it (0: always on disk, for a machine short of memory). */
function chdbMemoryRows(): number {
  const set = process.env.TPB_CHDB_MEMORY_ROWS;
  const value = set === undefined || set.trim() === '' ? NaN : Number(set);
  return Number.isFinite(value) && value >= 0 ? value : CHDB_MEMORY_ROWS;
}

/** Bytes of an export file per row, about (the bench's TUNE-style clicks: 211 bytes). */
const BYTES_PER_ROW = 200;

function chdbNeedsDisk(options: EngineOptions): boolean {
  const fileRows = (file: string | undefined): number | undefined => (file === undefined ? undefined : (fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) / BYTES_PER_ROW);
  const clicks = fileRows(options.clicksFile);
  const conversions = fileRows(options.conversionsFile);
  let rows = (clicks ?? 0) + (conversions ?? 0);
  // Either side read from tpb's database: its rowids say how big it is.
  if ((clicks === undefined || conversions === undefined) && options.store) rows += approximateRows(options.store);
  else if (clicks === undefined || conversions === undefined) return true;
  return rows > chdbMemoryRows();
}

/** Open a ClickHouse engine (chdb or clickhouse) on its data. The sqlite engine is sqliteBackend(store). */
export async function openClickHouseBackend(options: EngineOptions): Promise<ClickHouseBackend> {
  let runner: ClickHouseRunner;
  if (options.engine === 'chdb') {
    runner = chdbRunner(await loadChdb(), { diskScratch: chdbNeedsDisk(options) });
  } else if (options.engine === 'clickhouse') {
    if (!options.clickhouseUrl) throw new UsageError('--engine clickhouse needs --clickhouse-url', { hint: 'e.g. --clickhouse-url http://127.0.0.1:8123; user and password from CLICKHOUSE_USER and CLICKHOUSE_PASSWORD' });
    parseClickHouseUrl(options.clickhouseUrl);
    runner = clickhouseRunner({
      url: options.clickhouseUrl,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      timeoutMs: options.timeoutMs ?? 300_000,
    });
  } else {
    throw new UsageError(`openClickHouseBackend: ${options.engine} is not a ClickHouse engine`);
  }
  if (options.onStatement) runner = timedRunner(runner, options.onStatement);
  let layout: Layout;
  try {
    layout = layoutFor(runner, options);
  } catch (error) {
    runner.close();
    throw error;
  }
  let last: ClickHouseQueries | undefined;
  return {
    engine: options.engine,
    prepare: () => undefined,
    queries: (scope, windowMs) => {
      last = new ClickHouseQueries(runner, layout, scope, windowMs);
      return last;
    },
    transaction: (run) => run(),
    clickSourceNames: () =>
      layout.clickSourceNames?.() ??
      (layout.sourceCounts ? layout.sourceCounts('clicks') : new ClickHouseQueries(runner, layout, { clickSources: null, conversionSources: null, excludedConversionSources: [] }, 1).clickSources()).map(
        (row) => row.source,
      ),
    close: () => runner.close(),
    statements: () => last?.log ?? [],
    emitSql: (scope, windowMs, dedupeKey) => {
      const queries = new ClickHouseQueries(runner, layout, scope, windowMs);
      const params = queries.boundParams();
      const statements = queries.script(dedupeKey);
      return `${statements.map((sql) => `${bindForDisplay(sql, params)};`).join('\n\n')}\n`;
    },
  };
}
