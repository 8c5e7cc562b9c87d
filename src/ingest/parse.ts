import { createHash } from 'node:crypto';
import type { PresetName } from '../presets/catalog.js';
import { EXPORT_FORMATS, type ExportKind } from '../presets/exports.js';
import { INGEST_FIELDS, ROW_VALUE_SEPARATOR, type RejectRecord } from '../store/ingest.js';
import { CsvParser } from './csv.js';
import { detectDelimiter } from '../csv/delimiter.js';
import { resolveMapping, type ColumnMapping, type MappingSource } from './headers.js';
import { FIELD_CONTROL, fieldControlProblem, openText, type InputInfo, type InputSpec, NotCsvError } from '../csv/input.js';
import { MoneyError, parseMoney } from '../units/money.js';
import { parseTimeZone, parseTimestamp, TimestampError, UTC, type TimeZone } from '../units/timestamp.js';

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
  /** Amounts use a decimal comma; undefined = the preset's convention, else detected (semicolon files). */
  decimalComma?: boolean;
  /** Load the file as --kind says even when its columns show it is the other kind. */
  forceKind?: boolean;
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
  /** The zone naive timestamps are read in (its name: "UTC", "America/New_York", "-05:00"). */
  timezone: string;
  /** Whether amounts are read with a decimal comma, and whether that was detected from the data. */
  decimalComma: boolean;
  decimalCommaDetected: boolean;
}

export interface BatchEvent {
  type: 'batch';
  /** Row values in insert order, joined with ROW_VALUE_SEPARATOR (see store/ingest.ts). */
  text: string;
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
  /** Rows whose timestamp had no offset (read in the timezone). */
  naiveTimes: number;
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

// Small enough that a batch string (~70 KB for typical rows) stays out of V8's large-object space,
// which is only reclaimed by full collections and would make the heap grow.
const DEFAULT_BATCH_ROWS = 256;

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
  return { source, convert, label };
}

/** Text chunks, with a damaged input found midway (a truncated gzip) reported as an input error. */
async function* readText(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  try {
    for await (const text of chunks) yield text;
  } catch (error) {
    if (error instanceof NotCsvError) throw new ParseInputError(`cannot be read to the end: ${error.message}`, error.hint);
    throw error;
  }
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
  let decimalComma = options.decimalComma ?? (options.preset ? EXPORT_FORMATS[options.preset].decimalComma : false);
  let decimalCommaDetected = false;
  let naiveTimes = 0;

  // The header record decides the delimiter (unless given) and the mapping.
  let pending = '';
  let delimiter = options.delimiter;
  let parser: CsvParser | undefined;
  let headers: string[] | undefined;
  let plan: ReturnType<typeof rowPlan> | undefined;
  let headerEvent: HeaderEvent | undefined;
  let headerError: ParseInputError | undefined;

  // The current row's values in insert order, joined into one string per row, and the rows joined
  // into one string per batch: one string is far cheaper to hand to the other thread than arrays
  // of values, and a row's field strings die young instead of surviving until the batch is sent.
  let decimalCommaExample = '';
  const out: string[] = [];
  let batchRowsText: string[] = [];
  let batchCount = 0;
  let rejects: RejectRecord[] = [];
  let blankRecords = 0;
  let headerCount = 0;
  // A cell holding the separator would shift every later value of its batch: such rows are
  // rejected. Checked only once a decoded chunk contained the character at all.
  let separatorSeen = false;

  const reject = (line: number, reason: string) => {
    rejects.push({ line, reason, raw: parser!.rawRecord() });
  };

  const onRecord = (fields: string[], count: number, line: number, error: string | undefined): void => {
    if (!headers) {
      if (error) {
        headerError = new ParseInputError(`the header row cannot be read: ${error}`, undefined, line);
        return;
      }
      const cells = fields.slice(0, count);
      if (cells.every((field) => field.trim() === '')) {
        blankRecords += 1;
        return; // blank lines before the header
      }
      headers = cells.map((field) => field.trim());
      headerCount = headers.length;
      try {
        const mapping = resolveMapping(headers, options.kind, { ...(options.preset ? { preset: options.preset } : {}), ...(options.map ? { map: options.map } : {}) });
        if (!options.forceKind) checkKind(headers, options.kind, options.preset);
        plan = rowPlan(options.kind, mapping.columns, headers);
        const detectedNote = decimalCommaDetected
          ? [`amounts are written with a decimal comma (${decimalCommaExample}): read as 12,34 = 12.34 (--no-decimal-comma reads the comma as a thousands separator)`]
          : [];
        headerEvent = {
          type: 'header',
          headers,
          delimiter: delimiter!,
          input: info,
          columns: mapping.columns,
          mappingSource: mapping.source,
          overridden: mapping.overridden,
          unused: mapping.unused,
          warnings: [
            ...(info.encoding === 'windows-1252' ? ['not valid UTF-8: read as Windows-1252 (re-export as UTF-8 if accented text looks wrong)'] : []),
            ...mapping.warnings,
            ...detectedNote,
          ],
          timezone: zone.name,
          decimalComma,
          decimalCommaDetected,
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
    if (count !== headerCount) {
      if (count === 1 && fields[0] === '') {
        blankRecords += 1;
        return;
      }
      let extraFilled = count < headerCount;
      for (let i = headerCount; i < count && !extraFilled; i += 1) if (fields[i] !== '') extraFilled = true;
      if (extraFilled) {
        reject(line, `expected ${headerCount} fields, found ${count}`);
        return;
      }
    }
    if (separatorSeen) {
      for (let i = 0; i < count; i += 1) {
        const problem = fieldControlProblem(fields[i]!);
        if (problem !== undefined) {
          reject(line, problem);
          return;
        }
      }
    }
    const { source, convert } = plan!;
    out.length = 0; // reused row by row
    out.push(String(line));
    let empty = true;
    for (let i = 0; i < source.length; i += 1) {
      const column = source[i]!;
      const value = column < 0 ? '' : fields[column]!;
      if (value === '') {
        out.push('');
        continue;
      }
      empty = false;
      const kind = convert[i];
      if (kind === Convert.Text) {
        out.push(value);
      } else if (kind === Convert.Timestamp) {
        const text = value.trim();
        // The common shape (2026-11-29 06:35:16) is naive by its length alone; others are checked.
        if (text !== '' && (text.length === 19 || !EXPLICIT_OFFSET.test(text))) naiveTimes += 1;
        try {
          out.push(text === '' ? '' : parseTimestamp(text, zone));
        } catch (error) {
          if (!(error instanceof TimestampError)) throw error;
          reject(line, `bad timestamp in "${plan!.label[i]}": ${error.message}`);
          return;
        }
      } else {
        try {
          const micros = parseMoney(value, decimalComma);
          out.push(micros === null ? '' : String(micros));
        } catch (error) {
          if (!(error instanceof MoneyError)) throw error;
          reject(line, `bad amount in "${plan!.label[i]}": ${error.message}`);
          return;
        }
      }
    }
    if (empty) {
      let blank = true;
      for (let i = 0; i < count && blank; i += 1) if (fields[i] !== '') blank = false;
      if (blank) {
        blankRecords += 1; // a row of empty cells (spreadsheets pad exports with them)
        return;
      }
    }
    batchRowsText.push(out.join(ROW_VALUE_SEPARATOR));
    batchCount += 1;
  };

  /** The next batch: `batchRows` rows (fewer at the end), with the rejects gathered so far. */
  const takeBatch = (): BatchEvent | undefined => {
    if (batchCount === 0 && rejects.length === 0) return undefined;
    const rowsText = batchCount <= batchRows ? batchRowsText : batchRowsText.slice(0, batchRows);
    const event: BatchEvent = { type: 'batch', text: rowsText.join(ROW_VALUE_SEPARATOR), rows: rowsText.length, rejects, bytesRead: counter.bytes };
    batchRowsText = batchCount <= batchRows ? [] : batchRowsText.slice(batchRows);
    batchCount = batchRowsText.length;
    rejects = [];
    return event;
  };

  /**
   * Choose the delimiter and start the reader on `pending` (the beginning of the text). Excel
   * writes a first line `sep=;` naming the delimiter; it is honoured (unless --delimiter) and
   * skipped, so the header is line 2.
   */
  const startParser = (): CsvParser => {
    let firstLine = 1;
    const sep = /^sep=(.)\r?\n|^sep=(.)\r(?!\n)/i.exec(pending);
    if (sep && (sep[1] ?? sep[2]) !== '"') {
      delimiter ??= sep[1] ?? sep[2];
      pending = pending.slice(sep[0].length);
      firstLine = 2;
    }
    delimiter ??= detectDelimiter(pending.slice(0, 64 * 1024));
    // A semicolon-separated file is usually written where the comma is the decimal mark: when no
    // option or preset says, the amounts of the first rows decide (as the delimiter is detected).
    if (options.decimalComma === undefined && !options.preset && delimiter === ';') {
      const example = detectDecimalComma(pending.slice(0, 64 * 1024), delimiter, firstLine, options);
      if (example !== undefined) {
        decimalComma = true;
        decimalCommaDetected = true;
        decimalCommaExample = JSON.stringify(example);
      }
    }
    return new CsvParser(delimiter, onRecord, { firstLine });
  };

  for await (const text of readText(chunks)) {
    if (!separatorSeen && FIELD_CONTROL.test(text)) separatorSeen = true;
    if (!parser) {
      // Wait for the end of the header line (or 64 KiB) before choosing the delimiter.
      pending += text;
      if (!/[\r\n]/.test(pending.slice(0, 256 * 1024)) && pending.length < 64 * 1024) continue;
      parser = startParser();
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
    while (batchCount >= batchRows || rejects.length >= 1000) {
      const event = takeBatch();
      if (event) yield event;
    }
  }
  if (!parser) {
    if (FIELD_CONTROL.test(pending)) separatorSeen = true;
    parser = startParser();
    parser.push(pending);
  }
  parser.end();
  if (headerError) throw headerError;
  if (headerEvent) {
    yield headerEvent;
    headerEvent = undefined;
  }
  if (!headers) throw new ParseInputError('not a CSV file: it has no header row');
  for (let event = takeBatch(); event; event = takeBatch()) yield event;
  yield { type: 'end', bytesRead: counter.bytes, sha256: hash?.digest('hex'), lines: parser.line - 1, blankRecords, naiveTimes };
}

/** A timestamp that says its own offset (Z, ±hh:mm, UTC/GMT) or is unix time: --timezone does not apply. */
const EXPLICIT_OFFSET = /:\d\d(?:\.\d+)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?|UTC|GMT)$|^\d{9,13}(?:\.\d+)?$/i;

/** Columns that only a conversion export has, and those that show a click export. */
const CONVERSION_ONLY = ['payout', 'status', 'txid'] as const;
const CONVERSION_MARKS = ['payout', 'revenue', 'status', 'txid', 'event'] as const;
const CLICK_MARKS = ['user_agent', 'ip'] as const;

/**
 * `--kind clicks` on a conversion export (a payout, status or txid column), or `--kind conversions`
 * on a click export (none of payout/revenue/status/txid/event, and a user-agent or IP column): an
 * input error naming the columns that show it, unless --force-kind.
 */
function checkKind(headers: readonly string[], kind: ExportKind, preset: PresetName | undefined): void {
  let other;
  try {
    other = resolveMapping(headers, 'conversions', preset ? { preset } : {});
  } catch {
    return; // nothing maps as a conversion export: no evidence either way
  }
  const found = (fields: readonly string[]) => other.columns.filter((column) => fields.includes(column.field));
  if (kind === 'clicks') {
    const marks = found(CONVERSION_ONLY);
    if (marks.length > 0) {
      throw new ParseInputError(
        `looks like a conversion export, not clicks: it has ${marks.map((column) => `"${column.header}" (${column.field})`).join(', ')}`,
        'ingest it with --kind conversions (or --force-kind to load it as clicks anyway); nothing was written',
      );
    }
  } else if (found(CONVERSION_MARKS).length === 0) {
    const marks = found(CLICK_MARKS);
    if (marks.length > 0) {
      throw new ParseInputError(
        `looks like a click export, not conversions: no payout, revenue, status, txid or event column, and it has ${marks.map((column) => `"${column.header}" (${column.field})`).join(', ')}`,
        'ingest it with --kind clicks (or --force-kind to load it as conversions anyway); nothing was written',
      );
    }
  }
}

/**
 * Whether the amounts in the first records only read with a decimal comma: every sampled amount
 * reads with one, and at least one does not read with a decimal point ("12,34", "1.234,56").
 * Returns such an amount, or undefined.
 */
function detectDecimalComma(text: string, delimiter: string, firstLine: number, options: ParseOptions): string | undefined {
  const records: string[][] = [];
  const cut = Math.max(text.lastIndexOf('\n'), 0);
  const sampler = new CsvParser(delimiter, (fields, count, _line, error) => {
    if (!error && records.length < 500) records.push(fields.slice(0, count));
  }, { firstLine });
  sampler.push(text.slice(0, cut));
  sampler.end();
  const header = records.findIndex((cells) => cells.some((cell) => cell.trim() !== ''));
  if (header < 0) return undefined;
  let columns: number[];
  try {
    const mapping = resolveMapping(records[header]!.map((cell) => cell.trim()), options.kind, options.map ? { map: options.map } : {});
    columns = mapping.columns.filter((column) => column.field === 'payout' || column.field === 'revenue').map((column) => column.column);
  } catch {
    return undefined;
  }
  let example: string | undefined;
  for (const cells of records.slice(header + 1)) {
    for (const column of columns) {
      const value = cells[column]?.trim() ?? '';
      if (value === '') continue;
      try {
        parseMoney(value, true);
      } catch {
        return undefined; // something a decimal comma cannot read: not a decimal-comma file
      }
      if (example === undefined) {
        try {
          parseMoney(value, false);
        } catch {
          example = value;
        }
      }
    }
  }
  return example;
}

export { NotCsvError };
