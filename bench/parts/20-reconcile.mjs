// Reconcile of 1,000,000 clicks and 200,000 conversions: `tpb reconcile --json` against the sqlite3
// shell running the equivalent hand-written queries on a copy of the same database, side by side.
// The JSON summary's counts must equal the hand-written queries' counts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const title = 'reconcile: 1,000,000 clicks × 200,000 conversions';

const CLICKS = 1_000_000;
const CONVERSIONS = 200_000;
const RUNS = 5;
const DAY = 86_400_000;
const WINDOW_SECONDS = 30 * 86_400;
const SQLITE3 = '/usr/bin/sqlite3';
export const DATA_VERSION = 2;

/** Deterministic PRNG (mulberry32): the same data on every machine and run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (ms) => new Date(ms).toISOString();

/** clicks.csv and conversions.csv in the generic preset's headers, written once into dataDir. */
export function generate(dir, log) {
  const clicksFile = path.join(dir, 'clicks.csv');
  const conversionsFile = path.join(dir, 'conversions.csv');
  if (fs.existsSync(clicksFile) && fs.existsSync(conversionsFile)) return { clicksFile, conversionsFile };
  log(`generating ${CLICKS} clicks and ${CONVERSIONS} conversions in ${dir}`);
  fs.mkdirSync(dir, { recursive: true });
  const random = prng(20260301);
  const hex32 = () => Array.from({ length: 4 }, () => ((random() * 2 ** 32) >>> 0).toString(16).padStart(8, '0')).join('');
  const start = Date.UTC(2026, 0, 1);
  const ids = new Array(CLICKS);
  const times = new Float64Array(CLICKS);
  let out = ['click_id,occurred_at,offer_id,affiliate_id,sub1'];
  const clicks = fs.openSync(`${clicksFile}.tmp`, 'w');
  for (let i = 0; i < CLICKS; i += 1) {
    // 0.2% of clicks reuse an earlier click's id (duplicate_clicks)
    ids[i] = i > 0 && random() < 0.002 ? ids[Math.floor(random() * i)] : hex32();
    times[i] = start + Math.floor(random() * 60 * DAY);
    out.push(`${ids[i]},${iso(times[i])},${1000 + (i % 50)},${2000 + (i % 300)},s${i % 1000}`);
    if (out.length >= 10_000) {
      fs.writeSync(clicks, `${out.join('\n')}\n`);
      out = [];
    }
  }
  if (out.length > 0) fs.writeSync(clicks, `${out.join('\n')}\n`);
  fs.closeSync(clicks);

  out = ['click_id,occurred_at,txid,event,status,payout,currency'];
  const conversions = fs.openSync(`${conversionsFile}.tmp`, 'w');
  const previous = [];
  const macros = ['{clickid}', '{transaction_id}', '#s2#', 'REPLACE', 'null'];
  for (let i = 0; i < CONVERSIONS; i += 1) {
    const click = Math.floor(random() * CLICKS);
    const r = random();
    const payout = (1 + Math.floor(random() * 4900) / 100).toFixed(2);
    let id = ids[click];
    let at = times[click] + 60_000 + Math.floor(random() * 7 * DAY);
    if (r < 0.03) {
      const kind = random();
      if (kind < 0.7) id = hex32(); // a click the export does not have
      else if (kind < 0.8) id = macros[i % macros.length];
      else if (kind < 0.85) id = ids[click].toUpperCase();
      else if (kind < 0.9) id = ids[click].slice(0, 20);
      else id = String(100_000_000 + Math.floor(random() * 899_999_999)); // an order id
    } else if (r < 0.04) {
      id = '';
    } else if (r < 0.06 && previous.length > 0) {
      const copy = previous[Math.floor(random() * previous.length)];
      out.push(copy.replace(/,(\d{4}-[^,]+),/, (_m, time) => `,${iso(Date.parse(time) + 5000)},`));
      continue;
    } else if (r < 0.07) {
      at = times[click] + 31 * DAY + Math.floor(random() * 50 * DAY);
    } else if (r < 0.08) {
      at = times[click] - 60_000 - Math.floor(random() * 3 * 3_600_000);
    }
    const line = `${id},${iso(at)},T${i},sale,approved,${payout},USD`;
    if (previous.length < 50_000) previous.push(line);
    else previous[Math.floor(random() * previous.length)] = line;
    out.push(line);
    if (out.length >= 10_000) {
      fs.writeSync(conversions, `${out.join('\n')}\n`);
      out = [];
    }
  }
  if (out.length > 0) fs.writeSync(conversions, `${out.join('\n')}\n`);
  fs.closeSync(conversions);
  fs.renameSync(`${clicksFile}.tmp`, clicksFile);
  fs.renameSync(`${conversionsFile}.tmp`, conversionsFile);
  return { clicksFile, conversionsFile };
}

/** Whether this build has `tpb ingest` (it lands on main from another branch). */
export function hasIngest(bin) {
  const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  return /^\s+ingest\b/m.test(help.stdout);
}

/** Load with `tpb ingest` (the realistic path) when it exists, else with plain SQL inserts. */
export async function load(context, files, dbFile) {
  const ingest = hasIngest(context.bin);
  if (ingest) {
    context.log('loading with tpb ingest');
    for (const [file, kind, source] of [[files.clicksFile, 'clicks', 'tracker'], [files.conversionsFile, 'conversions', 'network']]) {
      const result = spawnSync(process.execPath, [context.bin, '--db', dbFile, '-q', 'ingest', file, '--kind', kind, '--source', source, '--preset', 'generic'], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (result.status !== 0) throw new Error(`tpb ingest ${kind} failed (exit ${result.status}): ${result.stderr}`);
    }
  }
  const { Store } = await import(pathToFileURL(path.join(context.repoRoot, 'dist', 'store', 'db.js')).href);
  const store = Store.open(dbFile);
  try {
    if (!ingest) {
      context.log('loading with SQL inserts (tpb ingest is not in this build yet)');
      const { parse } = await import('csv-parse/sync');
      const db = store.db;
      const importRow = db.prepare(
        "INSERT INTO imports (kind, source, preset, file, sha256, rows, started_at, finished_at) VALUES (?, ?, 'generic', ?, ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
      );
      const insertClick = db.prepare('INSERT INTO clicks (import_id, source, line, click_id, occurred_at, offer_id, affiliate_id, sub1) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      const insertConversion = db.prepare(
        'INSERT INTO conversions (import_id, source, line, click_id, occurred_at, txid, event, status, payout_micros, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      db.transaction(() => {
        const clickRows = parse(fs.readFileSync(files.clicksFile), { from_line: 2 });
        const clickImport = importRow.run('clicks', 'tracker', files.clicksFile, 'bench-clicks', clickRows.length).lastInsertRowid;
        clickRows.forEach((r, i) => insertClick.run(clickImport, 'tracker', i + 2, r[0] || null, r[1], r[2], r[3], r[4]));
        const conversionRows = parse(fs.readFileSync(files.conversionsFile), { from_line: 2 });
        const conversionImport = importRow.run('conversions', 'network', files.conversionsFile, 'bench-conversions', conversionRows.length).lastInsertRowid;
        conversionRows.forEach((r, i) =>
          insertConversion.run(conversionImport, 'network', i + 2, r[0] || null, r[1], r[2], r[3], r[4], Math.round(Number(r[5]) * 100) * 10_000, r[6]),
        );
      })();
    }
    store.ensureIndexes();
    store.db.exec('ANALYZE');
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const counts = store.db.prepare('SELECT (SELECT count(*) FROM clicks) AS clicks, (SELECT count(*) FROM conversions) AS conversions').get();
    if (counts.clicks !== CLICKS || counts.conversions !== CONVERSIONS) {
      throw new Error(`loaded ${counts.clicks} clicks and ${counts.conversions} conversions, expected ${CLICKS} and ${CONVERSIONS}`);
    }
  } finally {
    store.close();
  }
  return ingest ? 'tpb ingest' : 'SQL inserts';
}

/**
 * What an engineer would type into sqlite3 for the same counts, with the same definitions as
 * tpb (README: conversions not from tpb:fire; a blank click id is missing; duplicates within a
 * source by click id + event + txid; before_click against the earliest click; outside the window
 * after the latest click at or before the conversion).
 */
const HAND_WRITTEN_SQL = `
SELECT 'clicks', count(*) FROM clicks;
SELECT 'conversions', count(*) FROM conversions WHERE source <> 'tpb:fire';
SELECT 'missing_click_id', count(*) FROM conversions WHERE source <> 'tpb:fire' AND (click_id IS NULL OR trim(click_id, char(32, 9, 10, 13)) = '');
SELECT 'matched', count(*) FROM conversions c WHERE c.source <> 'tpb:fire' AND trim(c.click_id, char(32, 9, 10, 13)) <> ''
  AND EXISTS (SELECT 1 FROM clicks k WHERE k.click_id = c.click_id);
SELECT 'unmatched', count(*) FROM conversions c WHERE c.source <> 'tpb:fire' AND trim(c.click_id, char(32, 9, 10, 13)) <> ''
  AND NOT EXISTS (SELECT 1 FROM clicks k WHERE k.click_id = c.click_id);
SELECT 'duplicate_groups', count(*), 'duplicate_extra', ifnull(sum(n - 1), 0) FROM (
  SELECT count(*) AS n FROM conversions WHERE source <> 'tpb:fire' AND trim(click_id, char(32, 9, 10, 13)) <> ''
  GROUP BY source, click_id, ifnull(event, ''), ifnull(txid, '') HAVING count(*) > 1);
SELECT 'duplicate_clicks', count(*) FROM (SELECT click_id FROM clicks WHERE click_id <> '' GROUP BY click_id HAVING count(*) > count(DISTINCT source));
SELECT 'before_click', count(*) FROM (
  SELECT c.occurred_at AS at, (SELECT min(k.occurred_at) FROM clicks k WHERE k.click_id = c.click_id) AS first_click
  FROM conversions c WHERE c.source <> 'tpb:fire' AND trim(c.click_id, char(32, 9, 10, 13)) <> '') WHERE at < first_click;
SELECT 'outside_window', count(*) FROM conversions c WHERE c.source <> 'tpb:fire' AND trim(c.click_id, char(32, 9, 10, 13)) <> ''
  AND c.occurred_at > (SELECT strftime('%Y-%m-%dT%H:%M:%fZ', max(k.occurred_at), '+${WINDOW_SECONDS} seconds')
                       FROM clicks k WHERE k.click_id = c.click_id AND k.occurred_at <= c.occurred_at);
`;

function runSqlite(dbFile) {
  const started = process.hrtime.bigint();
  const result = spawnSync(SQLITE3, ['-batch', '-noheader', '-separator', '|', dbFile], { input: HAND_WRITTEN_SQL, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`sqlite3 failed: ${result.stderr}`);
  const counts = {};
  for (const line of result.stdout.trim().split('\n')) {
    const cells = line.split('|');
    for (let i = 0; i + 1 < cells.length; i += 2) counts[cells[i]] = Number(cells[i + 1]);
  }
  return { ms, counts };
}

function runTpb(context, dbFile, outFile, extra = []) {
  const fd = fs.openSync(outFile, 'w');
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [context.bin, '--db', dbFile, 'reconcile', '--json', ...extra], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  fs.closeSync(fd);
  if (result.status !== 0) throw new Error(`tpb reconcile failed (exit ${result.status}): ${result.stderr}`);
  return { ms, bytes: fs.statSync(outFile).size };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

export async function run(context) {
  if (!fs.existsSync(SQLITE3)) throw new Error(`${SQLITE3} is needed for the reconcile baseline`);
  const dir = path.join(context.dataDir, `reconcile-v${DATA_VERSION}`);
  const files = generate(dir, context.log);
  const ingest = hasIngest(context.bin);
  const dbFile = path.join(dir, ingest ? 'ingested.db' : 'sql-loaded.db');
  let how = ingest ? 'tpb ingest' : 'SQL inserts';
  if (!fs.existsSync(dbFile)) {
    const partial = `${dbFile}.partial`;
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(partial + suffix, { force: true });
    how = await load(context, files, partial);
    fs.renameSync(partial, dbFile);
  }
  context.log(`database ${dbFile} (loaded with ${how})`);
  const copy = path.join(dir, 'baseline-copy.db');
  fs.copyFileSync(dbFile, copy);
  const outFile = path.join(dir, 'reconcile.json');

  // One warm-up each (page cache), then alternate.
  runTpb(context, dbFile, outFile);
  runSqlite(copy);
  const tpbAll = [];
  const tpbCounts = [];
  const sqlite = [];
  let baselineCounts;
  let bytes = 0;
  for (let i = 0; i < RUNS; i += 1) {
    const all = runTpb(context, dbFile, outFile);
    tpbAll.push(all.ms);
    bytes = all.bytes;
    const base = runSqlite(copy);
    sqlite.push(base.ms);
    baselineCounts = base.counts;
    tpbCounts.push(runTpb(context, dbFile, `${outFile}.limit0`, ['--limit', '0']).ms);
  }
  const report = JSON.parse(fs.readFileSync(outFile, 'utf8'));
  const keys = ['clicks', 'conversions', 'matched', 'unmatched', 'missing_click_id', 'duplicate_groups', 'duplicate_extra', 'duplicate_clicks', 'before_click', 'outside_window'];
  const mismatches = keys.filter((key) => report.summary[key] !== baselineCounts[key]);
  for (const key of keys) context.log(`${key.padEnd(17)} tpb ${String(report.summary[key]).padStart(8)}   sqlite3 ${String(baselineCounts[key]).padStart(8)}${mismatches.includes(key) ? '   MISMATCH' : ''}`);
  context.log(`tpb --json: ${report.findings.length} findings, ${(bytes / 1024 / 1024).toFixed(1)} MiB of JSON; runs ${tpbAll.map(seconds).join(', ')}; sqlite3 ${sqlite.map(seconds).join(', ')}`);
  if (mismatches.length > 0) context.log(`COUNTS DIFFER: ${mismatches.join(', ')}`);

  const base = median(sqlite);
  const all = median(tpbAll);
  const countsOnly = median(tpbCounts);
  return [
    {
      benchmark: `reconcile --json, all ${report.findings.length} findings (${how})`,
      tpb: seconds(all),
      baseline: `${seconds(base)} sqlite3`,
      ratio: (all / base).toFixed(2),
      target: '≤ 1.5, counts equal',
      ok: all / base <= 1.5 && mismatches.length === 0,
    },
    {
      benchmark: 'reconcile --json --limit 0 (counts and hints, no rows)',
      tpb: seconds(countsOnly),
      baseline: `${seconds(base)} sqlite3`,
      ratio: (countsOnly / base).toFixed(2),
      target: '(information)',
    },
  ];
}
