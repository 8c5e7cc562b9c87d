import fs from 'node:fs';
import { parse } from 'csv-parse';
import { InputError, UsageError } from '../errors.js';
import { KNOWN_CLICK_ID_PARAMS } from '../click/capture.js';

export interface CsvClickIds {
  ids: string[];
  column: string;
  /** Rows whose cell was empty (skipped), with their line numbers (first few). */
  emptyRows: number;
  emptyLines: number[];
}

const CSV_CLICK_ID_HEADERS = [...KNOWN_CLICK_ID_PARAMS, 'click id', 'clickid', 'transaction id', 'sub id'];

/**
 * Click ids from one column of a CSV file (`--from-csv file --column name`); without a column, the
 * first header that names a click id. Ids are kept exactly as written; empty cells are skipped and
 * counted. The delimiter is detected among , ; tab |.
 */
export async function readClickIdsFromCsv(file: string, column?: string): Promise<CsvClickIds> {
  let input: fs.ReadStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    input = fs.createReadStream(file);
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { file, hint: 'check the path given to --from-csv' });
  }
  const parser = input.pipe(parse({ bom: true, delimiter: [',', ';', '\t', '|'], relax_column_count: true, skip_empty_lines: true, trim: false, info: true }));
  const ids: string[] = [];
  let header: string[] | undefined;
  let index = -1;
  let chosen = '';
  let emptyRows = 0;
  const emptyLines: number[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!header) {
        header = record.map((cell) => cell.trim());
        if (column !== undefined) {
          index = header.findIndex((name) => name === column);
          if (index < 0) index = header.findIndex((name) => name.toLowerCase() === column.toLowerCase());
          if (index < 0) throw new InputError(`no column "${column}" in the header`, { file, line, hint: `the columns are: ${header.join(', ')}` });
        } else {
          for (const candidate of CSV_CLICK_ID_HEADERS) {
            index = header.findIndex((name) => name.toLowerCase() === candidate);
            if (index >= 0) break;
          }
          if (index < 0) throw new UsageError(`${file}: no column looks like a click id`, { hint: `name it with --column (the columns are: ${header.join(', ')})` });
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
    const line = (error as { lines?: number }).lines;
    throw new InputError(`not a readable CSV: ${(error as Error).message}`, { file, ...(line !== undefined ? { line } : {}) });
  }
  if (!header) throw new InputError('the file is empty', { file });
  return { ids, column: chosen, emptyRows, emptyLines };
}
