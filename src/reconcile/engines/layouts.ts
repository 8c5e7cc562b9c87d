import path from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import type { Store } from '../../store/db.js';
import { clickIdBounds, clickRowsById, conversionRowsById, distinctClickSources, importFiles, overlapRowIds, sourceCounts } from '../../store/engine-meta.js';
import { ReconcileQueries, type ReconcileScope } from '../../store/reconcile.js';
import { microsFromAny, tsFromText, type ClickDetails, type ConversionDetails, type FieldExpressions, type Layout, type TableLayout } from './layout.js';
import { sqlString } from './runner.js';

type Kind = 'clicks' | 'conversions';

const RUN_FILE = "if(run_id IS NULL, NULL, concat(source, ' run ', toString(run_id)))";

/** tpb's own SQLite file, read in place by ClickHouse's sqlite() table function (no copy). */
export function sqliteTable(kind: Kind, file: string): TableLayout {
  const expr: FieldExpressions = {
    id: 'id',
    source: 'source',
    click_id: 'click_id',
    occurred_at: 'occurred_at',
    ts: tsFromText('occurred_at'),
    line: 'line',
    file: `coalesce(nullIf(transform(ifNull(import_id, 0), {importIds:Array(Int64)}, {importFiles:Array(String)}, ''), ''), ${RUN_FILE})`,
    naive: 'if(import_id IS NULL, 0, transform(import_id, {importIds:Array(Int64)}, {importNaive:Array(UInt8)}, 0))',
  };
  if (kind === 'conversions') {
    Object.assign(expr, { txid: 'txid', event: 'event', status: 'status', payout: 'payout_micros', currency: 'currency', conversion_id: 'conversion_id' });
  }
  return { label: `${file} (${kind})`, from: `sqlite(${sqlString(file)}, '${kind}')`, expr, canonicalText: true };
}

/** A row's file as sqliteTable's expression computes it: the import's file, or "<source> run <n>" for tpb's own runs. */
function rowFile(imports: ReadonlyMap<number, { file: string }>, row: { import_id: number | null; run_id: number | null; source: string }): string | null {
  const imported = row.import_id === null ? undefined : imports.get(row.import_id);
  return imported && imported.file !== '' ? imported.file : row.run_id === null ? null : `${row.source} run ${row.run_id}`;
}

/**
 * Clicks from tpb's SQLite file by rowid, with the fields sqliteTable's expressions compute: the
 * file, and naive when the import read timestamps without an offset (never for a run).
 */
export function sqliteClickDetails(store: Store): (ids: readonly number[]) => Map<number, ClickDetails> {
  const imports = new Map(importFiles(store).map((row) => [row.id, row]));
  return (ids) => {
    const found = new Map<number, ClickDetails>();
    for (const row of clickRowsById(store, ids)) {
      const imported = row.import_id === null ? undefined : imports.get(row.import_id);
      found.set(row.id, { file: rowFile(imports, row), line: row.line, naive: imported ? imported.naive : 0, source: row.source, click_id: row.click_id, at: row.occurred_at });
    }
    return found;
  };
}

/** Conversions from tpb's SQLite file by rowid, every field as sqliteTable's expressions give it. */
export function sqliteConversionDetails(store: Store): (ids: readonly number[]) => Map<number, ConversionDetails> {
  const imports = new Map(importFiles(store).map((row) => [row.id, row]));
  return (ids) => {
    const found = new Map<number, ConversionDetails>();
    for (const row of conversionRowsById(store, ids)) {
      found.set(row.id, {
        source: row.source,
        file: rowFile(imports, row),
        line: row.line,
        click_id: row.click_id,
        txid: row.txid,
        event: row.event,
        status: row.status,
        at: row.occurred_at,
        payout: row.payout_micros,
        currency: row.currency,
        conversion_id: row.conversion_id,
      });
    }
    return found;
  };
}

export function sqliteParams(store: Store): Record<string, unknown> {
  const imports = importFiles(store);
  return { importIds: imports.map((row) => row.id), importFiles: imports.map((row) => row.file), importNaive: imports.map((row) => row.naive) };
}

export function sqliteLayoutExtras(store: Store): Pick<Layout, 'sourceCounts' | 'clickIdBounds' | 'clickSourceNames'> {
  return { sourceCounts: (kind) => sourceCounts(store, kind), clickIdBounds: () => clickIdBounds(store), clickSourceNames: () => distinctClickSources(store) };
}

/**
 * Overlapping imports are the store's finding (it knows the imports): ask its own query, then take
 * the row ids it set aside, so the engine leaves out exactly what SQLite leaves out.
 */
export function sqliteOverlaps(store: Store, scope: ReconcileScope, windowMs: number): { counts: unknown[]; clickIds: number[]; conversionIds: number[] } {
  const queries = new ReconcileQueries(store, scope, windowMs) as unknown as { findOverlaps?: () => unknown[]; dispose(): void };
  if (!queries.findOverlaps) return { counts: [], clickIds: [], conversionIds: [] };
  try {
    const counts = queries.findOverlaps();
    return { counts, clickIds: overlapRowIds(store, 'clicks'), conversionIds: overlapRowIds(store, 'conversions') };
  } finally {
    queries.dispose();
  }
}

/** The fields a click or conversion table can have, and which are required. */
const FIELDS: Record<Kind, readonly string[]> = {
  clicks: ['id', 'source', 'click_id', 'occurred_at', 'line', 'file'],
  conversions: ['id', 'source', 'click_id', 'occurred_at', 'line', 'file', 'txid', 'event', 'status', 'payout', 'payout_micros', 'currency', 'conversion_id'],
};
export const MAPPABLE_FIELDS = [...new Set([...FIELDS.clicks, ...FIELDS.conversions])];

export interface Column {
  name: string;
  type: string;
}

const ident = (name: string) => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
const isText = (type: string) => /^(Nullable\()?(LowCardinality\()?(Nullable\()?(String|FixedString)/.test(type);
const isTime = (type: string) => /DateTime|^(Nullable\()?Date/.test(type);

/**
 * Field expressions over a table whose columns are named like tpb's (click_id, occurred_at,
 * payout…) or mapped with --map field=column. Values are read exactly: ids as text, instants from
 * DateTime columns or text, money through Decimal.
 */
export function columnsLayout(
  kind: Kind,
  options: { label: string; from: string; columns: readonly Column[]; map: Readonly<Record<string, string>>; source: string; settings?: string; rowNumber?: 'file-csv' | 'file' | null; fileLiteral?: string | null; mapped?: Set<string> },
): TableLayout {
  const byName = new Map(options.columns.map((column) => [column.name, column]));
  const lowerName = new Map(options.columns.map((column) => [column.name.toLowerCase(), column]));
  const column = (field: string): Column | undefined => {
    const mapped = options.map[field];
    if (mapped !== undefined) {
      const found = byName.get(mapped) ?? lowerName.get(mapped.toLowerCase());
      if (found) {
        options.mapped?.add(field);
        return found;
      }
    }
    return byName.get(field) ?? lowerName.get(field);
  };
  const text = (field: string): string | undefined => {
    const found = column(field);
    if (!found) return undefined;
    return isText(found.type) ? ident(found.name) : `toString(${ident(found.name)})`;
  };
  const clickId = column('click_id');
  if (!clickId) {
    throw new InputError(`${options.label} has no click_id column`, {
      hint: `its columns: ${options.columns.map((c) => c.name).join(', ')}; name the one that holds the click id with --map click_id=<column>`,
    });
  }
  const time = column('occurred_at');
  const ts = !time ? 'NULL' : isTime(time.type) ? `toUnixTimestamp64Milli(toDateTime64(${ident(time.name)}, 3, 'UTC'))` : tsFromText(text('occurred_at')!);
  const id = column('id');
  const line = column('line');
  const rowLine = options.rowNumber === 'file-csv' ? 'toInt64(_row_number) + 2' : options.rowNumber === 'file' ? 'toInt64(_row_number) + 1' : 'NULL';
  const expr: FieldExpressions = {
    id: id ? ident(id.name) : options.rowNumber ? 'toInt64(_row_number) + 1' : null,
    source: text('source') ?? sqlString(options.source),
    click_id: text('click_id')!,
    occurred_at: time ? (isTime(time.type) ? `formatDateTime(${ident(time.name)}, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC')` : text('occurred_at')!) : 'NULL',
    ts,
    line: line ? ident(line.name) : rowLine,
    file: options.fileLiteral ? sqlString(options.fileLiteral) : (text('file') ?? 'NULL'),
  };
  if (kind === 'conversions') {
    const micros = column('payout_micros');
    const payout = column('payout');
    Object.assign(expr, {
      txid: text('txid') ?? 'NULL',
      event: text('event') ?? 'NULL',
      status: text('status') ?? 'NULL',
      currency: text('currency') ?? 'NULL',
      conversion_id: text('conversion_id') ?? 'NULL',
      ...(payout && !options.map.payout_micros
        ? { payout: microsFromAny(ident(payout.name)), payout_raw: `toString(${ident(payout.name)})` }
        : micros
          ? { payout: `toInt64(${ident(micros.name)})` }
          : {}),
    });
  }
  return { label: options.label, from: options.from, expr, canonicalText: false, ...(options.settings ? { settings: options.settings } : {}) };
}

/** CSV read exactly: every column as text, whitespace kept, empty cells as NULL. */
export const CSV_SETTINGS =
  'input_format_csv_use_best_effort_in_schema_inference = 0, input_format_csv_trim_whitespaces = 0, input_format_csv_empty_as_default = 1, schema_inference_make_columns_nullable = 1';

/** What an export file is, from its name: CSV (optionally gzip) or Parquet. */
export function fileFormat(file: string): { format: 'CSVWithNames' | 'Parquet'; settings?: string; rowNumber: 'file-csv' | 'file' } {
  const name = file.toLowerCase().replace(/\.(gz|gzip|zst|xz|bz2)$/, '');
  if (name.endsWith('.parquet')) return { format: 'Parquet', rowNumber: 'file' };
  if (name.endsWith('.csv') || name.endsWith('.txt')) return { format: 'CSVWithNames', settings: CSV_SETTINGS, rowNumber: 'file-csv' };
  throw new UsageError(`cannot tell the format of ${file}`, { hint: 'the chdb engine reads .csv, .csv.gz and .parquet files' });
}

export function fileSourceLabel(file: string): string {
  return path.basename(file).replace(/\.(gz|gzip)$/i, '').replace(/\.(csv|parquet|txt)$/i, '');
}
