import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';
import { detectDelimiter } from '../csv/delimiter.js';
import type { DataRow } from './run.js';

/** Data rows are read whole: a data file is a handful of test cases, not an export. */
const MAX_DATA_BYTES = 16 * 1024 * 1024;

/**
 * `tpb check --data rows.csv`: one scenario run per row, the row's columns as `{vars}`.
 * Header names must be usable as var names; empty lines are skipped.
 */
export function readDataRows(file: string): DataRow[] {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_DATA_BYTES) throw new InputError(`the data file is ${size} bytes; at most ${MAX_DATA_BYTES} are read`, { file });
    text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read the data file: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { file });
  }
  if (text.trim() === '') throw new InputError('the data file is empty: expected a header row and one row per run', { file });
  let records: string[][];
  try {
    records = parse(text, { delimiter: detectDelimiter(text.slice(0, 64 * 1024)), skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new InputError(`not a CSV file: ${(error as Error).message}`, { file, ...(line !== undefined ? { line } : {}) });
  }
  const [header, ...rows] = records;
  const names = (header ?? []).map((name) => name.trim());
  names.forEach((name, column) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new InputError(`column ${column + 1} header "${name}" is not usable as a {var} name (letters, digits, _)`, { file, line: 1 });
    }
  });
  if (new Set(names).size !== names.length) throw new InputError('two columns have the same header', { file, line: 1 });
  if (rows.length === 0) throw new InputError('the data file has a header but no rows', { file });
  return rows.map((cells, index) => ({ row: index + 1, values: Object.fromEntries(names.map((name, column) => [name, cells[column] ?? ''])) }));
}
