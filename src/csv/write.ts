import { stringify } from 'csv-stringify/sync';

/**
 * csv-stringify quotes fields holding the delimiter, a quote or "\n", but not a bare "\r" when the
 * record delimiter is "\n": readers that end records at CR would then split the row, and the cell
 * after the CR would escape neutralisation. Quote CR and LF always.
 */
export const CSV_WRITE_OPTIONS = { record_delimiter: '\n', quoted_match: /[\r\n]/ } as const;

/**
 * A cell that a spreadsheet would evaluate (`=`, `+`, `-`, `@`, or a tab/CR that some spreadsheets
 * also treat as a formula start) gets a leading apostrophe, the OWASP-recommended neutralisation.
 * Plain negative numbers are left alone so amounts stay numeric.
 */
export function neutralizeFormula(value: string): string {
  if (value.length === 0) return value;
  if (/^-\d+(\.\d+)?$/.test(value)) return value;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return neutralizeFormula(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return neutralizeFormula(JSON.stringify(value));
}

/** CSV text (header + rows) with every cell neutralised. */
export function toCsv(columns: readonly string[], rows: Iterable<Record<string, unknown>>): string {
  const records: string[][] = [columns.map((name) => neutralizeFormula(name))];
  for (const row of rows) records.push(columns.map((name) => cell(row[name])));
  return stringify(records, CSV_WRITE_OPTIONS);
}

/** One CSV line (for streaming large tables without holding them in memory). */
export function csvLine(values: readonly unknown[]): string {
  return stringify([values.map(cell)], CSV_WRITE_OPTIONS);
}
