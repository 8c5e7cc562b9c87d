import fs from 'node:fs';
import { Readable } from 'node:stream';
import { InputError, UsageError } from '../errors.js';
import { KNOWN_CLICK_ID_PARAMS } from '../presets/click-id-params.js';
import { detectDelimiter } from '../csv/delimiter.js';
import { NotCsvError, openText, type InputSpec } from '../csv/input.js';
import { sanitizeForDisplay } from '../text/sanitize.js';

export interface CsvClickIds {
  ids: string[];
  column: string;
  /** The input had one column and no header (its first line was an id already). */
  headerless: boolean;
  /** Rows whose cell was empty (skipped), with their line numbers (first few). */
  emptyRows: number;
  emptyLines: number[];
}

export interface CsvClickIdInput {
  /** A path, or `-` with `stdin`. */
  file: string;
  /** How the input is named in messages (default: file). */
  display?: string;
  /** The stream read when file is `-`. */
  stdin?: AsyncIterable<Uint8Array | string>;
}

const CSV_CLICK_ID_HEADERS = [...KNOWN_CLICK_ID_PARAMS, 'click id', 'clickid', 'transaction id', 'sub id'];

/** Text enough to pick the delimiter from (the header and the first records). */
const DELIMITER_SAMPLE_CHARS = 64 * 1024;

/**
 * Click ids from one column of a CSV file or stdin (`--from-csv file --column name`); without a
 * column, the first header that names a click id. The input is read the way `tpb ingest` reads
 * exports: gzip by its magic bytes, UTF-8/UTF-16 by BOM or inspection, Windows-1252, binary files
 * refused, the delimiter detected among , ; tab |, stray quotes inside a cell kept as written.
 * Ids are kept exactly as written; empty cells are skipped and counted.
 */
export async function readClickIdsFromCsv(input: CsvClickIdInput, column?: string): Promise<CsvClickIds> {
  const display = input.display ?? input.file;
  let spec: InputSpec;
  if (input.file === '-') {
    if (!input.stdin) throw new InputError('reading stdin needs a stream', { file: display });
    spec = { kind: 'stream', stream: input.stdin };
  } else {
    try {
      const stat = await fs.promises.stat(input.file);
      if (stat.isDirectory()) throw Object.assign(new Error('it is a directory'), { code: 'EISDIR' });
      await fs.promises.access(input.file, fs.constants.R_OK);
    } catch (error) {
      throw new InputError(`cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { file: display, hint: 'check the path given to --from-csv' });
    }
    spec = { kind: 'file', path: input.file };
  }

  let chunks: AsyncGenerator<string>;
  try {
    ({ chunks } = await openText(spec, { bytes: 0 }));
  } catch (error) {
    if (error instanceof NotCsvError) throw new InputError(`not a CSV file: ${error.message}`, { file: display, ...(error.hint ? { hint: error.hint } : {}) });
    throw new InputError(`cannot read it: ${sanitizeForDisplay((error as Error).message)}`, { file: display });
  }

  // The delimiter is chosen from the beginning of the text, as ingest does.
  let sample = '';
  let exhausted = false;
  while (sample.length < DELIMITER_SAMPLE_CHARS) {
    const next = await chunks.next();
    if (next.done) {
      exhausted = true;
      break;
    }
    sample += next.value;
  }
  const delimiter = detectDelimiter(sample);
  async function* text(): AsyncGenerator<string> {
    if (sample.length > 0) yield sample;
    if (!exhausted) yield* chunks;
  }

  const ids: string[] = [];
  let header: string[] | undefined;
  let index = -1;
  let chosen = '';
  let emptyRows = 0;
  let headerless = false;
  const emptyLines: number[] = [];
  const columns = () => sanitizeForDisplay(header!.join(', '));
  const onRecord = (record: string[], line: number): void => {
    if (!header) {
      header = record.map((cell) => cell.trim());
      if (column !== undefined) {
        index = header.findIndex((name) => name === column);
        if (index < 0) index = header.findIndex((name) => name.toLowerCase() === column.toLowerCase());
        if (index < 0) throw new InputError(`no column "${sanitizeForDisplay(column)}" in the header`, { file: display, line, hint: `the columns are: ${columns()}` });
      } else {
        for (const candidate of CSV_CLICK_ID_HEADERS) {
          index = header.findIndex((name) => name.toLowerCase() === candidate);
          if (index >= 0) break;
        }
        // `tpb click --print-ids | tpb fire --from-csv -`: one column and no header, its first line an id.
        if (index < 0 && header.length === 1 && looksLikeId(header[0]!)) {
          index = 0;
          chosen = '1';
          headerless = true;
          const value = record[0] ?? '';
          if (value.trim() !== '') ids.push(value);
          return;
        }
        if (index < 0) throw new UsageError(`${display}: no column looks like a click id`, { hint: `name it with --column (the columns are: ${columns()})` });
      }
      chosen = header[index]!;
      return;
    }
    const value = record[index] ?? '';
    if (value.trim() === '') {
      emptyRows += 1;
      if (emptyLines.length < 5) emptyLines.push(line);
      return;
    }
    ids.push(value);
  };
  try {
    await readCsvRecords(text(), delimiter, onRecord);
  } catch (error) {
    if (error instanceof InputError || error instanceof UsageError) throw error;
    if (error instanceof NotCsvError) throw new InputError(`not a CSV file: ${error.message}`, { file: display });
    const line = (error as { lines?: number }).lines;
    throw new InputError(`not a readable CSV: ${sanitizeForDisplay((error as Error).message)}`, { file: display, ...(line !== undefined ? { line } : {}) });
  }
  if (!header) throw new InputError('the file is empty', { file: display });
  return { ids, column: headerless ? '1' : sanitizeForDisplay(chosen), headerless, emptyRows, emptyLines };
}

/**
 * A first line that is a click id rather than a column name: one token of id characters with a
 * digit in it, or long (UUIDs, hex, TUNE's 102… ids) — not a word like "subid" or "Click ID".
 */
export function looksLikeId(cell: string): boolean {
  const text = cell.trim();
  if (!/^[A-Za-z0-9._~:+\/=-]+$/.test(text)) return false;
  if (CSV_CLICK_ID_HEADERS.includes(text.toLowerCase())) return false;
  return /\d/.test(text) || text.length >= 16;
}

/** csv-parse's options for a click-id file (as ingest reads exports: stray quotes kept, ragged rows allowed). */
const CSV_OPTIONS = { relax_quotes: true, relax_column_count: true, skip_empty_lines: true, trim: false, info: true } as const;

/**
 * The records of a CSV text with the line each ends on, exactly as csv-parse reads them (with
 * CSV_OPTIONS). csv-parse costs about 7–12 µs a line, more than firing a postback takes: so while
 * the text holds no quote and no CR — an id file almost always — its lines are split here (a
 * record is a line, its cells split at the delimiter, empty lines skipped, as csv-parse does for
 * such text); from the first piece that holds either, csv-parse reads the rest, from the start of
 * the line where the hand-split part stopped, its line numbers counted on from there.
 * `fast: false` gives everything to csv-parse (the tests compare the two).
 */
export async function readCsvRecords(text: AsyncIterable<string>, delimiter: string, onRecord: (record: string[], line: number) => void, options: { fast?: boolean } = {}): Promise<void> {
  const pieces = text[Symbol.asyncIterator]();
  let carry = '';
  let lines = 0;
  if (options.fast !== false) {
    for (;;) {
      const next = await pieces.next();
      if (next.done) {
        if (carry !== '') onRecord(carry.split(delimiter), lines + 1);
        return;
      }
      const piece = next.value;
      if (piece.includes('"') || piece.includes('\r')) {
        carry += piece;
        break;
      }
      const chunk = carry + piece;
      let start = 0;
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        lines += 1;
        if (end > start) onRecord(chunk.slice(start, end).split(delimiter), lines);
        start = end + 1;
      }
      carry = chunk.slice(start);
    }
  }
  // The rest goes to csv-parse. Its first record delimiter, when lines were split here already, was
  // a bare LF (no CR came before): said explicitly, as its auto-detection would have found it.
  const offset = lines;
  async function* rest(): AsyncGenerator<string> {
    if (carry !== '') yield carry;
    for (;;) {
      const next = await pieces.next();
      if (next.done) return;
      yield next.value;
    }
  }
  // Loaded only for such a text.
  const { parse } = await import('csv-parse');
  const parser = Readable.from(rest()).pipe(parse({ ...CSV_OPTIONS, delimiter, ...(offset > 0 ? { record_delimiter: '\n' } : {}) }));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) onRecord(record, offset + info.lines);
  } catch (error) {
    // Its message and its line count from where it started reading: from the file's start here.
    const line = (error as { lines?: unknown }).lines;
    if (offset > 0 && typeof line === 'number') {
      (error as { lines: number }).lines = offset + line;
      if (error instanceof Error) error.message = error.message.replace(`at line ${line}`, `at line ${offset + line}`);
    }
    throw error;
  }
}
