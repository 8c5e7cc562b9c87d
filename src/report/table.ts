import { sanitizeForDisplay } from '../text/sanitize.js';

export interface TableOptions {
  /** Right-align these columns (numbers). */
  alignRight?: readonly number[];
  /** Cut cells longer than this. */
  maxCellWidth?: number;
  /** Style applied to the header cells (already padded). */
  headerStyle?: (text: string) => string;
}

function displayWidth(text: string): number {
  // Good enough for a terminal: one column per code point.
  return [...text].length;
}

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

/** A plain aligned text table; every cell is sanitised (cells may come from untrusted files). */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>, options: TableOptions = {}): string {
  const max = options.maxCellWidth ?? 60;
  const text = rows.map((row) => row.map((value) => cut(sanitizeForDisplay(value === null || value === undefined ? '' : String(value)), max)));
  header = header.map((name) => sanitizeForDisplay(name));
  const widths = header.map((name, column) =>
    Math.max(displayWidth(name), ...text.map((row) => displayWidth(row[column] ?? ''))),
  );
  const right = new Set(options.alignRight ?? []);
  const pad = (value: string, column: number) => {
    const gap = ' '.repeat(Math.max(0, widths[column]! - displayWidth(value)));
    return right.has(column) ? gap + value : value + gap;
  };
  const headerLine = header.map((name, column) => pad(name, column)).join('  ').trimEnd();
  const lines = [options.headerStyle ? options.headerStyle(headerLine) : headerLine];
  for (const row of text) lines.push(row.map((value, column) => pad(value, column)).join('  ').trimEnd());
  return `${lines.join('\n')}\n`;
}
