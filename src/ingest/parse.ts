import { createHash } from 'node:crypto';
import type { PresetName } from '../presets/catalog.js';
import { EXPORT_FORMATS, type ExportKind } from '../presets/exports.js';
import { INGEST_FIELDS, INSERT_ROWS, type RejectRecord } from '../store/ingest.js';
import { CsvParser } from './csv.js';
import { detectDelimiter } from './delimiter.js';
import { resolveMapping, type ColumnMapping, type MappingSource } from './headers.js';
import { openText, type InputInfo, type InputSpec, NotCsvError } from './input.js';
import { MoneyError, parseMoney } from './money.js';
import { parseTimeZone, parseTimestamp, TimestampError, UTC, type TimeZone } from './timestamp.js';

/**
 * The reading half of an ingest, shared by the worker thread and the inline mode: bytes → text →
 * CSV records → typed rows in insert order, grouped into chunks the store inserts as they are.
 * It never touches the database, so it can run on another thread while the main one inserts.
 */

export interface ParseOptions {
  kind: ExportKind;
  preset?: PresetName;
  map?: Array<[string, string]>;
  /** IANA name or ±hh:mm; naive timestamps are read in it. */
  timezone?: string;
  delimiter?: string;
  decimalComma?: boolean;
  /** Hash the raw bytes while reading (when the caller could not hash them up front). */
  hash?: boolean;
  /** Rows per batch handed to the writer. */
  batchRows?: number;
}

export interface HeaderEvent {
  type: 'header';
  headers: string[];
  delimiter: string;
  input: InputInfo;
  columns: ColumnMapping[];
  mappingSource: MappingSource;
  overridden: string[];
  unused: string[];
  warnings: string[];
}

export interface BatchEvent {
  type: 'batch';
  /** Flat row values, INSERT_ROWS rows per chunk except maybe the last. */
  chunks: unknown[][];
  rows: number;
  rejects: RejectRecord[];
  bytesRead: number;
}

export interface EndEvent {
  type: 'end';
  bytesRead: number;
  sha256: string | undefined;
  lines: number;
  blankRecords: number;
}

export type ParseEvent = HeaderEvent | BatchEvent | EndEvent;

/** An input problem found while reading: exit 2, nothing written. */
export class ParseInputError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

const enum Convert {
  Text = 0,
  Timestamp = 1,
  Money = 2,
}

const DEFAULT_BATCH_ROWS = INSERT_ROWS * 256;

/**
 * Build the row converter for a mapping: for each insert position, the source column (or -1) and
 * how to convert it. Empty cells become NULL; ids and other text stay exactly as written.
 */
function rowPlan(kind: ExportKind, columns: readonly ColumnMapping[], headers: readonly string[]) {
  const fields = INGEST_FIELDS[kind];
  const source = fields.map((field) => columns.find((entry) => entry.field === field)?.column ?? -1);
  const convert = fields.map((field) =>
    field === 'occurred_at' ? Convert.Timestamp : field === 'payout' || field === 'revenue' ? Convert.Money : Convert.Text,
  );
  const label = fields.map((field, i) => (source[i]! >= 0 ? headers[source[i]!]! : field));
  return { source, convert, label, width: fields.length + 1 };
}

export async function* parseExport(spec: InputSpec, options: ParseOptions): AsyncGenerator<ParseEvent> {
  let zone: TimeZone = UTC;
  if (options.timezone !== undefined) {
    const parsed = parseTimeZone(options.timezone);
    if (!parsed) throw new ParseInputError(`--timezone ${options.timezone} is not an IANA time zone or ±hh:mm offset`);
    zone = parsed;
  }
  const counter = { bytes: 0 };
  const hash = options.hash ? createHash('sha256') : undefined;
  let opened;
  try {
    opened = await openText(spec, counter, hash);
  } catch (error) {
    if (error instanceof NotCsvError) throw new ParseInputError(`not a CSV file: ${error.message}`, error.hint);
    throw error;
  }
  const { info, chunks } = opened;
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const decimalComma = options.decimalComma ?? (options.preset ? EXPORT_FORMATS[options.preset].decimalComma : false);

  // The header record decides the delimiter (unless given) and the mapping.
  let pending = '';
  let delimiter = options.delimiter;
  let parser: CsvParser | undefined;
  let headers: string[] | undefined;
  let plan: ReturnType<typeof rowPlan> | undefined;
  let headerEvent: HeaderEvent | undefined;
  let headerError: ParseInputError | undefined;

  let chunk: unknown[] = [];
  let chunkOffset = 0;
  let batch: unknown[][] = [];
  let batchCount = 0;
  let rejects: RejectRecord[] = [];
  let blankRecords = 0;
  let headerCount = 0;

  const reject = (line: number, reason: string) => {
    rejects.push({ line, reason, raw: parser!.rawRecord() });
  };

  const onRecord = (fields: string[], line: number, error: string | undefined): void => {
    if (!headers) {
      if (error) {
        headerError = new ParseInputError(`the header row cannot be read: ${error}`, undefined, line);
        return;
      }
      if (fields.every((field) => field.trim() === '')) {
        blankRecords += 1;
        return; // blank lines before the header
      }
      headers = fields.map((field) => field.trim());
      headerCount = headers.length;
      try {
        const mapping = resolveMapping(headers, options.kind, { ...(options.preset ? { preset: options.preset } : {}), ...(options.map ? { map: options.map } : {}) });
        plan = rowPlan(options.kind, mapping.columns, headers);
        chunk = new Array(plan.width * INSERT_ROWS);
        headerEvent = {
          type: 'header',
          headers,
          delimiter: delimiter!,
          input: info,
          columns: mapping.columns,
          mappingSource: mapping.source,
          overridden: mapping.overridden,
          unused: mapping.unused,
          warnings: mapping.warnings,
        };
      } catch (error) {
        headerError = new ParseInputError((error as Error).message, (error as { hint?: string }).hint, line);
      }
      return;
    }
    if (headerError) return;
    if (error) {
      reject(line, error);
      return;
    }
    const count = fields.length;
    if (count !== headerCount) {
      if (count === 1 && fields[0] === '') {
        blankRecords += 1;
        return;
      }
      if (count < headerCount || fields.slice(headerCount).some((field) => field !== '')) {
        reject(line, `expected ${headerCount} fields, found ${count}`);
        return;
      }
    }
    const { source, convert, width } = plan!;
    const offset = chunkOffset;
    chunk[offset] = line;
    let empty = true;
    for (let i = 0; i < source.length; i += 1) {
      const column = source[i]!;
      const value = column < 0 ? '' : fields[column]!;
      if (value === '') {
        chunk[offset + 1 + i] = null;
        continue;
      }
      empty = false;
      const kind = convert[i];
      if (kind === Convert.Text) {
        chunk[offset + 1 + i] = value;
      } else if (kind === Convert.Timestamp) {
        const text = value.trim();
        try {
          chunk[offset + 1 + i] = text === '' ? null : parseTimestamp(text, zone);
        } catch (error) {
          if (!(error instanceof TimestampError)) throw error;
          reject(line, `bad timestamp in "${plan!.label[i]}": ${error.message}`);
          return;
        }
      } else {
        try {
          chunk[offset + 1 + i] = parseMoney(value, decimalComma);
        } catch (error) {
          if (!(error instanceof MoneyError)) throw error;
          reject(line, `bad amount in "${plan!.label[i]}": ${error.message}`);
          return;
        }
      }
    }
    if (empty && fields.every((field) => field === '')) {
      blankRecords += 1; // a row of empty cells (spreadsheets pad exports with them)
      return;
    }
    chunkOffset += width;
    if (chunkOffset === width * INSERT_ROWS) {
      batch.push(chunk);
      batchCount += INSERT_ROWS;
      chunk = new Array(width * INSERT_ROWS);
      chunkOffset = 0;
    }
  };

  const takeBatch = (final: boolean): BatchEvent | undefined => {
    if (final && chunkOffset > 0) {
      chunk.length = chunkOffset;
      batch.push(chunk);
      batchCount += chunkOffset / plan!.width;
      chunk = [];
      chunkOffset = 0;
    }
    if (batchCount === 0 && rejects.length === 0) return undefined;
    const event: BatchEvent = { type: 'batch', chunks: batch, rows: batchCount, rejects, bytesRead: counter.bytes };
    batch = [];
    batchCount = 0;
    rejects = [];
    return event;
  };

  for await (const text of chunks) {
    if (!parser) {
      // Wait for the end of the header line (or 64 KiB) before choosing the delimiter.
      pending += text;
      if (!/[\r\n]/.test(pending.slice(0, 256 * 1024)) && pending.length < 64 * 1024) continue;
      delimiter ??= detectDelimiter(pending.slice(0, 64 * 1024));
      parser = new CsvParser(delimiter, onRecord);
      const first = pending;
      pending = '';
      parser.push(first);
    } else {
      parser.push(text);
    }
    if (headerError) throw headerError;
    if (headerEvent) {
      yield headerEvent;
      headerEvent = undefined;
    }
    if (batchCount >= batchRows || rejects.length >= 1000) {
      const event = takeBatch(false);
      if (event) yield event;
    }
  }
  if (!parser) {
    delimiter ??= detectDelimiter(pending);
    parser = new CsvParser(delimiter, onRecord);
    parser.push(pending);
  }
  parser.end();
  if (headerError) throw headerError;
  if (headerEvent) {
    yield headerEvent;
    headerEvent = undefined;
  }
  if (!headers) throw new ParseInputError('not a CSV file: it has no header row');
  const last = takeBatch(true);
  if (last) yield last;
  yield { type: 'end', bytesRead: counter.bytes, sha256: hash?.digest('hex'), lines: parser.line - 1, blankRecords };
}

export { NotCsvError };
