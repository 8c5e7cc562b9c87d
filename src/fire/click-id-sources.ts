import fs from 'node:fs';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
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

  const parser = Readable.from(text()).pipe(parse({ delimiter, relax_quotes: true, relax_column_count: true, skip_empty_lines: true, trim: false, info: true }));
  const ids: string[] = [];
  let header: string[] | undefined;
  let index = -1;
  let chosen = '';
  let emptyRows = 0;
  let headerless = false;
  const emptyLines: number[] = [];
  const columns = () => sanitizeForDisplay(header!.join(', '));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
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
            continue;
          }
          if (index < 0) throw new UsageError(`${display}: no column looks like a click id`, { hint: `name it with --column (the columns are: ${columns()})` });
        }
        chosen = header[index]!;
        continue;
      }
      const value = record[index] ?? '';
      if (value.trim() === '') {
        emptyRows += 1;
        if (emptyLines.length < 5) emptyLines.push(line);
        continue;
      }
      ids.push(value);
    }
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
