import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { openClickHouseBackend } from '../../src/reconcile/engines/index.js';
import type { ReconcileOptions, ReconcileReport } from '../../src/reconcile/types.js';
import { BIN, FIXTURES, REPO_ROOT, runBin } from '../helpers/cli.js';
import { buildCorpus, corpusDir } from './corpus.js';

/** The JSON document with only the keys the other has (the daily series and breakdowns are sqlite-only for now). */
function sameKeys(text: string, other: string): string {
  const doc = JSON.parse(text) as Record<string, unknown>;
  const keys = new Set(Object.keys(JSON.parse(other) as Record<string, unknown>));
  return JSON.stringify(Object.fromEntries(Object.entries(doc).filter(([key]) => keys.has(key))), null, 2);
}

let dir: string;
let db: string;

beforeAll(async () => {
  dir = corpusDir();
  db = await buildCorpus(dir);
}, 120_000);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Reconcile the corpus with the sqlite engine and with chDB over the same file. */
async function both(options: ReconcileOptions): Promise<[ReconcileReport, ReconcileReport]> {
  const store = Store.open(db);
  try {
    const sqlite = reconcile(store, options);
    const backend = await openClickHouseBackend({ engine: 'chdb', store, dbFile: db });
    try {
      return [sqlite, reconcile(backend, options)];
    } finally {
      backend.close();
    }
  } finally {
    store.close();
  }
}

const OPTION_SETS: Array<[string, ReconcileOptions]> = [
  ['the defaults', {}],
  ['--dedupe-key click_id', { dedupeKey: 'click_id' }],
  ['--window 1d', { windowMs: 86_400_000 }],
  ['--window 60d', { windowMs: 60 * 86_400_000 }],
  ['--clicks-source tracker', { clicksSource: ['tracker'] }],
  ['--conversions-source network,tpb:fire', { conversionsSource: ['network', 'tpb:fire'] }],
  ['--compare advertiser affiliate-net', { compare: ['advertiser', 'affiliate-net'] }],
  ['--compare advertiser affiliate-net --payout-tolerance 0', { compare: ['advertiser', 'affiliate-net'], payoutToleranceMicros: 0 }],
  ['--compare tpb:fire network', { compare: ['tpb:fire', 'network'] }],
  ['--limit 2', { limit: 2 }],
  ['--limit 0', { limit: 0 }],
];

describe('every engine gives the same report on the corpus', () => {
  it.each(OPTION_SETS)('sqlite and chdb agree with %s: summary, hints and every finding', async (_name, options) => {
    const [sqlite, chdb] = await both(options);
    expect(chdb).toEqual(sqlite);
  }, 120_000);

  it('the corpus holds every category (so the equality above covers them all)', async () => {
    const [sqlite] = await both({});
    const [, compare] = await both({ compare: ['advertiser', 'affiliate-net'] });
    const s = sqlite.summary;
    for (const key of ['matched', 'unmatched', 'missing_click_id', 'duplicate_groups', 'duplicate_extra', 'duplicate_clicks', 'before_click', 'outside_window'] as const) {
      expect(s[key], key).toBeGreaterThan(0);
    }
    for (const kind of ['macro', 'empty', 'encoding', 'truncated', 'shape', 'not_found'] as const) expect(s.unmatched_by_hint[kind], kind).toBeGreaterThan(0);
    expect(sqlite.hints.map((hint) => hint.kind)).toContain('timezone_offset');
    expect(s.currencies).toEqual(['EUR', 'USD']);
    for (const key of ['missing_in_a', 'missing_in_b', 'payout_mismatch', 'status_mismatch'] as const) expect(compare.summary[key], key).toBeGreaterThan(0);
  }, 120_000);

  it('money is exact: micro-unit payouts a Float would round sum to the same cents in both engines', async () => {
    const [sqlite, chdb] = await both({ conversionsSource: ['network'], windowMs: 60 * 86_400_000 });
    const payouts = chdb.findings.filter((f) => f.click_id?.startsWith('ffffffff') || f.click_id?.startsWith('e')).map((f) => [f.type, f.click_id, f.payout]);
    expect(payouts).toContainEqual(['unmatched', 'ffffffff00000001', -5.25]);
    expect(payouts).toContainEqual(['unmatched', 'ffffffff00000002', 19.999999]);
    expect(payouts).toContainEqual(['before_click', 'e2e2e2e2b3b3b3b3', 123456789.123456]);
    expect(chdb.summary.payout_at_stake).toEqual(sqlite.summary.payout_at_stake);
  }, 120_000);

  it('a reported click whose stored time is not canonical text gets the instant ClickHouse computes', async () => {
    // the rows a report shows come from the SQLite file by rowid; a time stored as
    // "YYYY-MM-DD hh:mm:ss.sss" (UTC) is not parsed in JavaScript but read from ClickHouse
    const copy = path.join(dir, 'odd-times.db');
    fs.copyFileSync(db, copy);
    const store = Store.open(copy);
    try {
      store.db.prepare("UPDATE clicks SET occurred_at = replace(replace(occurred_at, 'T', ' '), 'Z', '') WHERE click_id = 'e2e2e2e2b3b3b3b3'").run();
      const backend = await openClickHouseBackend({ engine: 'chdb', store, dbFile: copy });
      try {
        const chdb = reconcile(backend, { windowMs: 60 * 86_400_000 });
        const before = chdb.findings.find((f) => f.type === 'before_click' && f.click_id === 'e2e2e2e2b3b3b3b3');
        expect(before?.related_occurred_at).toBe('2026-03-05T08:00:00.123Z');
        expect(before?.related_file).toMatch(/clicks\.csv$/);
        expect(before?.related_line).toBe(3);
      } finally {
        backend.close();
      }
    } finally {
      store.close();
      fs.rmSync(copy, { force: true });
    }
  }, 120_000);

  it('timestamps compare as instants to the millisecond', async () => {
    const [, chdb] = await both({ windowMs: 60 * 86_400_000 });
    const before = chdb.findings.find((f) => f.type === 'before_click' && f.click_id === 'e2e2e2e2b3b3b3b3');
    expect(before?.related_occurred_at).toBe('2026-03-05T08:00:00.123Z');
    expect(before?.occurred_at).toBe('2026-03-05T08:00:00.122Z');
    const outside = chdb.findings.find((f) => f.type === 'outside_window' && f.click_id === 'e4e4e4e4d5d5d5d5');
    expect(outside?.occurred_at).toBe('2026-05-05T09:30:00.001Z');
    // the click without a time is matched, and never before or outside
    expect(chdb.findings.some((f) => f.click_id === 'e3e3e3e3c4c4c4c4')).toBe(false);
  }, 120_000);
});

describe('tpb reconcile --engine chdb (the built binary)', () => {
  it('prints the same JSON document as the sqlite engine, and the same table', async () => {
    for (const extra of [[], ['--window', '60d'], ['--compare', 'advertiser', 'affiliate-net']]) {
      const sqlite = await runBin(['--db', db, 'reconcile', '--json', ...extra], { cwd: dir });
      const chdb = await runBin(['--db', db, 'reconcile', '--json', '--engine', 'chdb', ...extra], { cwd: dir });
      expect(chdb.code).toBe(sqlite.code);
      expect(sameKeys(chdb.stdout, sqlite.stdout)).toBe(sqlite.stdout === chdb.stdout ? chdb.stdout : sameKeys(sqlite.stdout, chdb.stdout));
    }

  }, 120_000);

  it('keeps its scratch tables in a directory of its own in $TMPDIR, removes it, and removes those of killed runs', async () => {
    const tmp = fs.mkdtempSync(path.join(dir, 'tmpdir-'));
    // a run killed mid-reconcile (the pid of a process that has exited) and one still running (this test's)
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const stale = path.join(tmp, `tpb-chdb-${gone}-abc123`);
    const running = path.join(tmp, `tpb-chdb-${process.pid}-def456`);
    for (const session of [stale, running]) {
      fs.mkdirSync(path.join(session, 'store'), { recursive: true });
      fs.writeFileSync(path.join(session, 'store', 'part.bin'), 'x'.repeat(1000));
    }
    const other = path.join(tmp, 'chdb-node-unrelated');
    fs.mkdirSync(other);
    const run = await runBin(['--db', db, 'reconcile', '--json', '--engine', 'chdb'], { cwd: dir, env: { TMPDIR: tmp } });
    expect(run.code).toBe(0);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(running)).toBe(true);
    expect(fs.existsSync(other)).toBe(true);
    // and its own directory is gone when it is done
    expect(fs.readdirSync(tmp).sort()).toEqual([path.basename(other), path.basename(running)].sort());
  }, 120_000);

  it('-v says how long each ClickHouse statement took (where a slow reconcile spends its time)', async () => {
    // A small input keeps its scratch tables in memory (faster to build)…
    const small = await runBin(['--db', db, '-v', 'reconcile', '--json', '--engine', 'chdb'], { cwd: dir });
    expect(small.code).toBe(0);
    expect(small.stderr).toMatch(/^reconcile: chdb \d+ ms: CREATE TABLE rc_k ENGINE = Memory AS SELECT id, source, click_id, ts/m);
    // …a big one (here: past a limit of 0 rows) on disk: every click in scope in MergeTree in the
    // session's directory, as 100,000,000 do not fit in memory; the same document either way.
    const verbose = await runBin(['--db', db, '-v', 'reconcile', '--json', '--engine', 'chdb'], { cwd: dir, env: { TPB_CHDB_MEMORY_ROWS: '0' } });
    expect(verbose.code).toBe(0);
    expect(verbose.stdout).toBe(small.stdout);
    expect(verbose.stderr).toMatch(/^reconcile: chdb \d+ ms: CREATE TABLE rc_k ENGINE = MergeTree ORDER BY tuple\(\) SETTINGS allow_nullable_key = 1 AS SELECT id, source, click_id, ts/m);
    // over tpb's SQLite file a conversion's file, line, text time and conversion id are not read for every row
    expect(verbose.stderr).toMatch(/^reconcile: chdb \d+ ms: CREATE TABLE rc_c ENGINE = MergeTree ORDER BY id SETTINGS allow_nullable_key = 1 AS SELECT \* EXCEPT \(at, payout_raw\)/m);
    expect(verbose.stderr).toMatch(/^reconcile: chdb \d+ ms: INSERT INTO rc_cand \(\d+ values\)$/m);
    const quiet = await runBin(['--db', db, 'reconcile', '--json', '--engine', 'chdb'], { cwd: dir });
    expect(quiet.stderr).not.toMatch(/reconcile: chdb \d+ ms/);
  }, 120_000);

  it('--emit-sql prints runnable ClickHouse SQL with the scope bound, and it gives the same counts', async () => {
    const result = await runBin(['--db', db, 'reconcile', '--engine', 'chdb', '--emit-sql', '--conversions-source', 'network'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`sqlite('${db}', 'clicks')`);
    expect(result.stdout).toContain("has(['network'], source)");
    expect(result.stdout).not.toMatch(/\{[a-zA-Z_]+:[A-Za-z0-9()]+\}/);
    // run the script in chDB as a user would paste it into a console
    const require = createRequire(import.meta.url);
    const { Session } = require('chdb') as { Session: new () => { query(sql: string, format: string): string; cleanup(): void } };
    const session = new Session();
    try {
      let counts = '';
      for (const statement of result.stdout.split(/;\n/).map((s) => s.trim()).filter((s) => s && !s.startsWith('--'))) {
        const out = session.query(statement.replace(/^--.*\n/gm, ''), 'JSONEachRow');
        if (statement.includes('AS n_conversions')) counts = out;
      }
      const store = Store.open(db);
      const report = (() => {
        try {
          return reconcile(store, { conversionsSource: ['network'] });
        } finally {
          store.close();
        }
      })();
      const row = JSON.parse(counts) as Record<string, string>;
      expect(Number(row.n_conversions)).toBe(report.summary.conversions);
      expect(Number(row.n_unmatched)).toBe(report.summary.unmatched);
      expect(Number(row.n_before_click)).toBe(report.summary.before_click);
    } finally {
      session.cleanup();
    }
  }, 60_000);

  it('says npm install chdb and exits 2 when chdb cannot be loaded (a copy of tpb whose node_modules lacks it)', async () => {
    const copy = fs.mkdtempSync(path.join(dir, 'no-chdb-'));
    fs.cpSync(path.join(REPO_ROOT, 'bin'), path.join(copy, 'bin'), { recursive: true });
    fs.cpSync(path.join(REPO_ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(copy, 'package.json'));
    fs.mkdirSync(path.join(copy, 'node_modules'));
    const modules = fs.realpathSync(path.join(REPO_ROOT, 'node_modules'));
    for (const name of fs.readdirSync(modules)) {
      if (name === 'chdb' || name === '.bin') continue;
      fs.symlinkSync(path.join(modules, name), path.join(copy, 'node_modules', name));
    }
    const { spawnSync } = await import('node:child_process');
    const run = (engine: string) =>
      spawnSync(process.execPath, [path.join(copy, 'bin', 'tpb.js'), '--db', db, 'reconcile', '--engine', engine, '--limit', '0'], { encoding: 'utf8', cwd: copy, env: { PATH: process.env.PATH ?? '' } });
    const result = run('chdb');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('npm install chdb');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(run('sqlite').status).toBe(0); // the default engine does not need it
    expect(fs.existsSync(BIN)).toBe(true);
  }, 60_000);
});

describe('--engine chdb over export files (no ingest)', () => {
  /** Clean export files made from the fixtures: CSV with timestamps in several spellings, gzip, Parquet. */
  function exportFiles(): { clicks: string; conversions: string; conversionsGz: string; parquet: string } {
    const read = (file: string) => fs.readFileSync(path.join(FIXTURES, file), 'utf8').trim().split('\n');
    const clicks = ['click_id,occurred_at,source'];
    for (const file of ['reconcile/basic/clicks.csv', 'engines/clicks.csv']) {
      for (const line of read(file).slice(1)) {
        const [id, at] = line.split(',');
        // the same instant written as "YYYY-MM-DD hh:mm:ss.sss" (UTC) or with a +02:00 offset
        const spelled = at && clicks.length % 2 === 0 ? new Date(Date.parse(at) + 2 * 3_600_000).toISOString().replace('Z', '+02:00') : (at ?? '').replace('T', ' ').replace('Z', '');
        clicks.push(`${id},${spelled},tracker`);
      }
    }
    const conversions = ['click_id,occurred_at,txid,event,status,payout,currency'];
    for (const file of ['reconcile/basic/conversions.csv', 'engines/conversions.csv']) conversions.push(...read(file).slice(1));
    const out = {
      clicks: path.join(dir, 'export-clicks.csv'),
      conversions: path.join(dir, 'export-conversions.csv'),
      conversionsGz: path.join(dir, 'export-conversions.csv.gz'),
      parquet: path.join(dir, 'export-conversions.parquet'),
    };
    fs.writeFileSync(out.clicks, `${clicks.join('\n')}\n`);
    fs.writeFileSync(out.conversions, `${conversions.join('\n')}\n`);
    return out;
  }

  it('reads CSV, gzip and Parquet files and reports what the sqlite engine reports after ingesting them', async () => {
    const files = exportFiles();
    const { gzipSync } = await import('node:zlib');
    fs.writeFileSync(files.conversionsGz, gzipSync(fs.readFileSync(files.conversions)));
    const require = createRequire(import.meta.url);
    const { query } = require('chdb') as { query(sql: string, format: string): string };
    // Parquet with typed columns: DateTime64 and Decimal, as a warehouse would write them
    query(
      `SELECT click_id, parseDateTime64BestEffortOrNull(occurred_at, 3, 'UTC') AS occurred_at, txid, event, status, toDecimal64OrNull(payout, 6) AS payout, currency
       FROM file('${files.conversions}', 'CSVWithNames') INTO OUTFILE '${files.parquet}' FORMAT Parquet
       SETTINGS input_format_csv_use_best_effort_in_schema_inference = 0, input_format_csv_trim_whitespaces = 0`,
      'CSV',
    );
    const ingested = path.join(dir, 'ingested.db');
    for (const [file, kind, source] of [[files.clicks, 'clicks', 'tracker'], [files.conversions, 'conversions', 'export-conversions']] as const) {
      const result = await runBin(['--db', ingested, '-q', 'ingest', file, '--kind', kind, '--source', source, '--preset', 'generic'], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
    }
    const strip = (text: string) => {
      const report = JSON.parse(text) as ReconcileReport;
      return { ...report, findings: report.findings.map((f) => ({ ...f, file: f.file && path.basename(f.file), related_file: f.related_file && path.basename(f.related_file) })) };
    };
    const sqlite = await runBin(['--db', ingested, 'reconcile', '--json', '--window', '60d'], { cwd: dir });
    expect(sqlite.code).toBe(0);
    for (const conversions of [files.conversions, files.conversionsGz]) {
      const chdb = await runBin(['reconcile', '--json', '--window', '60d', '--engine', 'chdb', '--clicks', files.clicks, '--conversions', conversions], { cwd: dir, env: { TPB_DB: path.join(dir, 'none.db') } });
      expect(chdb.code, chdb.stderr).toBe(0);
      const expected = strip(sqlite.stdout);
      // the gzip file's name is the one thing that differs: its rows and lines are the same
      const got = strip(chdb.stdout.replaceAll('export-conversions.csv.gz', 'export-conversions.csv'));
      expect(got.summary).toEqual(expected.summary);
      expect(got.hints).toEqual(expected.hints);
      expect(got.findings).toEqual(expected.findings);
    }
    // Parquet: typed columns (DateTime64, Decimal) give the same summary; lines count rows, no header
    const parquet = await runBin(['reconcile', '--json', '--window', '60d', '--engine', 'chdb', '--clicks', files.clicks, '--conversions', files.parquet], { cwd: dir, env: { TPB_DB: path.join(dir, 'none.db') } });
    expect(parquet.code, parquet.stderr).toBe(0);
    expect(strip(parquet.stdout).summary).toEqual(strip(sqlite.stdout).summary);
    expect(fs.existsSync(path.join(dir, 'none.db'))).toBe(false); // nothing was written
  }, 120_000);

  it('names the file, line and column when a file is not clean, and when a column is missing', async () => {
    const bad = path.join(dir, 'bad-conversions.csv');
    fs.writeFileSync(bad, 'click_id,occurred_at,payout\nabc,2026-03-01T10:00:00Z,12.50\nabd,2026-03-01T10:00:00Z,"$1,234.56"\n');
    const files = exportFiles();
    const result = await runBin(['reconcile', '--engine', 'chdb', '--clicks', files.clicks, '--conversions', bad], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad-conversions.csv:3');
    expect(result.stderr).toContain('payout that is not a plain decimal amount');
    const noId = path.join(dir, 'no-id.csv');
    fs.writeFileSync(noId, 'subid,occurred_at\nabc,2026-03-01T10:00:00Z\n');
    const missing = await runBin(['reconcile', '--engine', 'chdb', '--clicks', noId, '--conversions', files.conversions], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('has no click_id column');
    expect(missing.stderr).toContain('--map click_id=<column>');
    const mapped = await runBin(['reconcile', '--json', '--engine', 'chdb', '--clicks', noId, '--conversions', files.conversions, '--map', 'click_id=subid'], { cwd: dir });
    expect(mapped.code, mapped.stderr).toBe(0);
    expect((JSON.parse(mapped.stdout) as ReconcileReport).summary.clicks).toBe(1);
  }, 60_000);

  it('refuses file flags without --engine chdb, and --map with the sqlite engine', async () => {
    const files = exportFiles();
    const noEngine = await runBin(['--db', db, 'reconcile', '--clicks', files.clicks], { cwd: dir });
    expect(noEngine.code).toBe(2);
    expect(noEngine.stderr).toContain('--engine chdb');
    const map = await runBin(['--db', db, 'reconcile', '--map', 'click_id=subid'], { cwd: dir });
    expect(map.code).toBe(2);
    const badMap = await runBin(['--db', db, 'reconcile', '--engine', 'chdb', '--map', 'clickid=subid'], { cwd: dir });
    expect(badMap.code).toBe(2);
    expect(badMap.stderr).toContain('unknown field');
  }, 60_000);
});
