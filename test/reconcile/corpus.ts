import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, runBin } from '../helpers/cli.js';

/**
 * The engine-equality corpus: one tpb database, loaded with the real `tpb ingest`, that holds every
 * reconcile category (the basic fixture: macros, encodings, truncation, shapes, duplicates, shared
 * click ids, before/outside the window; the timezone fixture: a 5h offset; the compare fixture:
 * missing rows, payout and status mismatches; the engines fixture: money a Float would round,
 * millisecond edges, a click without a time, two currencies).
 */
export const CORPUS_IMPORTS: ReadonlyArray<readonly [file: string, kind: 'clicks' | 'conversions', source: string]> = [
  ['reconcile/basic/clicks.csv', 'clicks', 'tracker'],
  ['reconcile/basic/conversions.csv', 'conversions', 'network'],
  ['reconcile/basic/fired.csv', 'conversions', 'tpb:fire'],
  ['reconcile/timezone/clicks.csv', 'clicks', 'tracker'],
  ['reconcile/timezone/conversions-local.csv', 'conversions', 'network'],
  ['reconcile/compare/advertiser.csv', 'conversions', 'advertiser'],
  ['reconcile/compare/network.csv', 'conversions', 'affiliate-net'],
  ['engines/clicks.csv', 'clicks', 'tracker'],
  ['engines/conversions.csv', 'conversions', 'network'],
];

export async function buildCorpus(dir: string): Promise<string> {
  const db = path.join(dir, 'corpus.db');
  for (const [file, kind, source] of CORPUS_IMPORTS) {
    const result = await runBin(['--db', db, '-q', 'ingest', path.join(FIXTURES, file), '--kind', kind, '--source', source, '--preset', 'generic'], { cwd: dir });
    if (result.code !== 0) throw new Error(`tpb ingest ${file} failed (${result.code}): ${result.stderr}`);
  }
  return db;
}

export function corpusDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tpb-engines-'));
}
