import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Store } from '../store/db.js';
import { iterateTable, tableColumns } from '../store/admin.js';
import type { ExportableTable } from '../store/schema.js';
import type { OutStream } from '../text/stream.js';
import { csvLine } from '../csv/write.js';
import { sanitizeForDisplay, toJson } from '../text/sanitize.js';

/**
 * Stream a table as CSV (formulas neutralised) or a JSON array, honouring backpressure so memory
 * stays flat on large tables. Returns the number of rows written.
 */
export async function exportTable(
  store: Store,
  table: ExportableTable,
  format: 'csv' | 'json',
  out: Writable | OutStream,
): Promise<number> {
  // On a terminal, cells from outside must not carry escape sequences; files get the exact bytes.
  const toTerminal = 'isTTY' in out && out.isTTY === true;
  const write = async (raw: string) => {
    const text = toTerminal ? sanitizeForDisplay(raw, { keepNewlines: true }) : raw;
    const ok = out.write(text);
    if (ok === false && 'once' in out) await once(out as Writable, 'drain');
  };
  let rows = 0;
  if (format === 'csv') {
    const columns = tableColumns(store, table);
    await write(csvLine(columns));
    for (const row of iterateTable(store, table)) {
      await write(csvLine(columns.map((column) => row[column])));
      rows += 1;
    }
  } else {
    await write('[');
    for (const row of iterateTable(store, table)) {
      await write(`${rows === 0 ? '\n' : ',\n'}  ${toJson(row)}`);
      rows += 1;
    }
    await write(rows === 0 ? ']\n' : '\n]\n');
  }
  // Never end stdout or stderr (the CLI hands a redacting wrapper of them: compare the descriptor).
  const fd = (out as { fd?: unknown }).fd;
  if ('end' in out && typeof out.end === 'function' && out !== process.stdout && fd !== 1 && fd !== 2) {
    (out as Writable).end();
    await once(out as Writable, 'finish');
  }
  return rows;
}
