import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { Store } from '../../src/store/db.js';
import { FIXTURES, REPO_ROOT } from '../helpers/cli.js';

export const RECONCILE_FIXTURES = path.join(FIXTURES, 'reconcile');

const CLICK_FIELDS = ['click_id', 'occurred_at', 'offer_id', 'affiliate_id', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'ip', 'user_agent'] as const;
const CONVERSION_FIELDS = [
  'click_id', 'occurred_at', 'conversion_id', 'txid', 'event', 'status', 'currency', 'offer_id', 'affiliate_id',
  'sub1', 'sub2', 'sub3', 'sub4', 'sub5',
] as const;

function micros(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const match = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!match) throw new Error(`bad amount ${text}`);
  const value = Number(match[2]) * 1_000_000 + Number((match[3] ?? '').padEnd(6, '0'));
  return match[1] === '-' ? -value : value;
}

/** Empty cells are stored as NULL, like ingest does; everything else exactly as written. */
function cell(record: Record<string, string>, field: string): string | null {
  const value = record[field];
  return value === undefined || value === '' ? null : value;
}

/**
 * Load a canonical-header CSV fixture into the store with parameterised SQL (one import row, data
 * lines numbered from 2 like ingest numbers them). Stands in for `tpb ingest` in core tests.
 */
export function seedCsv(store: Store, file: string, kind: 'clicks' | 'conversions', source: string): number {
  const absolute = path.isAbsolute(file) ? file : path.join(RECONCILE_FIXTURES, file);
  const text = fs.readFileSync(absolute);
  const records = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: true }) as Array<Record<string, string>>;
  const db = store.db;
  const importId = Number(
    db
      .prepare(`INSERT INTO imports (kind, source, preset, file, sha256, rows, started_at, finished_at) VALUES (?, ?, 'generic', ?, ?, ?, ?, ?)`)
      .run(kind, source, path.relative(REPO_ROOT, absolute), crypto.createHash('sha256').update(text).update(source).digest('hex'), records.length, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z')
      .lastInsertRowid,
  );
  const fields: readonly string[] = kind === 'clicks' ? CLICK_FIELDS : CONVERSION_FIELDS;
  const columns = ['import_id', 'source', 'line', ...fields, ...(kind === 'conversions' ? ['payout_micros', 'revenue_micros'] : [])];
  const insert = db.prepare(`INSERT INTO ${kind} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
  db.transaction(() => {
    records.forEach((record, index) => {
      const values: unknown[] = [importId, source, index + 2, ...fields.map((field) => cell(record, field))];
      if (kind === 'conversions') values.push(micros(record.payout), micros(record.revenue));
      insert.run(...values);
    });
  })();
  return records.length;
}

/** A database in `dir` seeded with the basic fixture (clicks from `tracker`, conversions from `network`, fired postbacks). */
export function seedBasic(dir: string, dbName = 'tpb.db'): string {
  const file = path.join(dir, dbName);
  const store = Store.open(file);
  try {
    seedCsv(store, 'basic/clicks.csv', 'clicks', 'tracker');
    seedCsv(store, 'basic/conversions.csv', 'conversions', 'network');
    seedCsv(store, 'basic/fired.csv', 'conversions', 'tpb:fire');
  } finally {
    store.close();
  }
  return file;
}
