import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { PresetName } from '../presets/catalog.js';
import { EXPORT_FORMATS, type ExportKind } from '../presets/exports.js';
import { CSV_WRITE_OPTIONS, neutralizeFormula } from '../csv/write.js';
import { formatMoney } from '../units/money.js';
import { formatTimestamp } from '../units/timestamp.js';
import type { MockClick, MockConversion, MockLedger } from './ledger.js';

const PAGE_SIZE = 1000;

/** Resolves when `out` wants more, or is gone (a client that hung up must not leave us waiting). */
function writable(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

type Row = MockClick | MockConversion;

/** One export row's cells, in the preset's column order. */
export function exportCells(preset: PresetName, kind: ExportKind, row: Row): string[] {
  const format = EXPORT_FORMATS[preset];
  const columns = Object.keys(format[kind]) as Array<keyof typeof format.conversions>;
  return columns.map((field) => {
    switch (field) {
      case 'occurred_at':
        return formatTimestamp(new Date(row.occurred_at), format.timestampStyle);
      case 'payout':
      case 'revenue': {
        const micros = (row as MockConversion)[`${field}_micros`];
        return micros === null || micros === undefined ? '' : formatMoney(micros, { decimalComma: format.decimalComma });
      }
      default: {
        const value = (row as unknown as Record<string, string | null | undefined>)[field];
        // Sub ids and user agents came from clients: a cell a spreadsheet would run is neutralised.
        return value === null || value === undefined ? '' : neutralizeFormula(value);
      }
    }
  });
}

export function exportHeader(preset: PresetName, kind: ExportKind): string[] {
  return Object.values(EXPORT_FORMATS[preset][kind]) as string[];
}

function csv(preset: PresetName, records: string[][]): string {
  return stringify(records, { ...CSV_WRITE_OPTIONS, delimiter: EXPORT_FORMATS[preset].delimiter });
}

/**
 * Write a tracker export (EXPORT_FORMATS[preset]: headers in column order, delimiter, timestamp
 * style) to `out`, a page of the ledger at a time, waiting for the client when it reads slowly.
 * Clicks are all the clicks; conversions only the recorded ones (duplicates and postbacks for
 * unknown clicks are not conversions, as in a real tracker's report).
 */
export async function writeExport(ledger: MockLedger, kind: ExportKind, out: Writable, begin: () => void = () => {}): Promise<number> {
  const preset = ledger.preset;
  const pageOf = (after: number) => (kind === 'clicks' ? ledger.clickPage(after, PAGE_SIZE) : ledger.conversionPage(after, PAGE_SIZE));
  // Read before writing anything: a ledger that fails (database gone) fails before the 200 is sent.
  let page = pageOf(0);
  begin();
  let rows = 0;
  if (!out.write(csv(preset, [exportHeader(preset, kind)]))) await writable(out);
  let after = 0;
  for (;;) {
    if (page.rows.length > 0) {
      rows += page.rows.length;
      const text = csv(preset, page.rows.map((row) => exportCells(preset, kind, row)));
      if (!out.write(text)) await writable(out);
    }
    if (page.next === after || out.destroyed) break;
    after = page.next;
    page = pageOf(after);
  }
  return rows;
}
