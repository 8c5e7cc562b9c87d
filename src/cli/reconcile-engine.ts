import fs from 'node:fs';
import { Option, type Command } from 'commander';
import type { CliContext } from './context.js';
import { InputError, UsageError } from '../errors.js';
import type { ClickHouseBackend, EngineName } from '../reconcile/engines/index.js';
import type { ReconcileScope } from '../store/reconcile.js';

/** `tpb reconcile --engine …` and the options of the ClickHouse engines. */
export interface EngineCliOptions {
  engine: EngineName;
  clicks?: string;
  conversions?: string;
  clickhouseUrl?: string;
  clicksTable?: string;
  conversionsTable?: string;
  map: string[];
  emitSql?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addEngineOptions(command: Command): void {
  command
    .addOption(
      new Option('--engine <engine>', "where the reconcile runs: sqlite (tpb's database), chdb (embedded ClickHouse, npm install chdb), clickhouse (a server over HTTP)")
        .choices(['sqlite', 'chdb', 'clickhouse'])
        .default('sqlite'),
    )
    .option('--clicks <file>', 'chdb: read the clicks from an export file (CSV, .csv.gz, Parquet; clean columns) instead of the database')
    .option('--conversions <file>', 'chdb: read the conversions from an export file instead of the database')
    .option('--clickhouse-url <url>', 'clickhouse: the server\'s HTTP interface, e.g. http://127.0.0.1:8123 (user and password from CLICKHOUSE_USER, CLICKHOUSE_PASSWORD)')
    .option('--clicks-table <table>', 'clickhouse: the clicks table (default clicks)')
    .option('--conversions-table <table>', 'clickhouse: the conversions table (default conversions)')
    .option('--map <field=column>', 'chdb files, clickhouse tables: the column that holds a field, e.g. click_id=subid (repeatable)', collect, [])
    .option('--emit-sql', "print the engine's SQL with the scope bound (to run in your own ClickHouse console) instead of reconciling");
}

/** The scope reconcile uses by default, for --emit-sql (which does not run reconcile). */
function scopeOf(options: { clicksSource?: string[]; conversionsSource?: string[] }, compare: readonly string[] | undefined): ReconcileScope {
  return {
    clickSources: options.clicksSource ? [...options.clicksSource] : null,
    conversionSources: compare ? [...compare] : options.conversionsSource ? [...options.conversionsSource] : null,
    excludedConversionSources: options.conversionsSource || compare ? [] : ['tpb:fire'],
  };
}

/**
 * Open the engine the options ask for: null for sqlite (reconcile uses the store), a ClickHouse
 * backend for chdb and clickhouse. With --emit-sql it prints the SQL and returns 'emitted'.
 */
export async function openReconcileEngine(
  options: EngineCliOptions & { clicksSource?: string[]; conversionsSource?: string[]; window: number; dedupeKey: 'click_id' | 'click_id+event+txid'; format?: string; [key: string]: unknown },
  compare: readonly string[] | undefined,
  context: CliContext,
): Promise<ClickHouseBackend | 'emitted' | null> {
  const engine = options.engine;
  const fileFlags = [options.clicks && '--clicks', options.conversions && '--conversions'].filter(Boolean);
  const serverFlags = [options.clickhouseUrl && '--clickhouse-url', options.clicksTable && '--clicks-table', options.conversionsTable && '--conversions-table'].filter(Boolean);
  if (engine !== 'chdb' && fileFlags.length > 0) {
    throw new UsageError(`${fileFlags.join(' and ')} read${fileFlags.length === 1 ? 's' : ''} export files with the chdb engine`, { hint: 'add --engine chdb, or ingest the file: tpb ingest <file> --kind clicks|conversions' });
  }
  if (engine !== 'clickhouse' && serverFlags.length > 0) {
    throw new UsageError(`${serverFlags.join(', ')} ${serverFlags.length === 1 ? 'is' : 'are'} for --engine clickhouse`, { hint: 'add --engine clickhouse' });
  }
  if (engine === 'sqlite') {
    if (options.map.length > 0) throw new UsageError('--map names columns of export files (--engine chdb) or ClickHouse tables (--engine clickhouse)', { hint: 'the sqlite engine reads tpb\'s own tables; map an export\'s headers when ingesting: tpb ingest --map' });
    if (options.emitSql) throw new UsageError('--emit-sql prints the ClickHouse SQL of --engine chdb or clickhouse', { hint: "tpb reconcile --engine chdb --emit-sql (the sqlite engine's statements are in src/store/reconcile.ts)" });
    return null;
  }
  if (options.by !== undefined || options.format === 'html') {
    throw new UsageError(`${options.by !== undefined ? '--by' : '--format html'} is sqlite-only for now`, { hint: `drop --engine ${engine}, or drop ${options.by !== undefined ? '--by' : '--format html'}` });
  }
  const { openClickHouseBackend, parseEngineMap, statementGist } = await import('../reconcile/engines/index.js');
  const map = parseEngineMap(options.map);
  const needsDb = engine === 'chdb' && (!options.clicks || !options.conversions);
  if (needsDb && (context.dbPath === ':memory:' || !fs.existsSync(context.dbPath))) {
    throw new InputError(`no database at ${context.dbPath}`, {
      hint: 'ingest the exports first, point --db at one, or read export files directly: --clicks clicks.csv --conversions conversions.csv',
    });
  }
  const backend = await openClickHouseBackend({
    engine,
    ...(needsDb ? { store: context.openStore(), dbFile: context.dbPath } : {}),
    ...(options.clicks ? { clicksFile: context.resolvePath(options.clicks) } : {}),
    ...(options.conversions ? { conversionsFile: context.resolvePath(options.conversions) } : {}),
    ...(options.clickhouseUrl ? { clickhouseUrl: options.clickhouseUrl } : {}),
    ...(options.clicksTable ? { clicksTable: options.clicksTable } : {}),
    ...(options.conversionsTable ? { conversionsTable: options.conversionsTable } : {}),
    ...(context.io.env.CLICKHOUSE_USER ? { username: context.io.env.CLICKHOUSE_USER } : {}),
    ...(context.io.env.CLICKHOUSE_PASSWORD !== undefined ? { password: context.io.env.CLICKHOUSE_PASSWORD } : {}),
    map,
    ...(context.globals.verbose ? { onStatement: (sql: string, ms: number) => context.output.verbose(`reconcile: ${engine} ${Math.round(ms)} ms: ${statementGist(sql)}`) } : {}),
  });
  if (options.emitSql) {
    try {
      context.output.document(backend.emitSql(scopeOf(options, compare), options.window, options.dedupeKey));
    } finally {
      backend.close();
    }
    return 'emitted';
  }
  return backend;
}
