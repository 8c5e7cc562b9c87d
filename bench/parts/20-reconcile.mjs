// Reconcile at two sizes — 1,000,000 clicks × 200,000 conversions and 10,000,000 × 2,000,000 —
// `tpb reconcile --json` (every finding written) against the SQL an expert would type into the
// sqlite3 shell for the same counts, side by side on copies of the same database, plus tpb's peak
// RSS. The JSON summary's counts must equal the expert SQL's counts.
// TPB_BENCH_RECONCILE_SIZES=1m (or 10m, or 1m,10m: the default) picks the sizes.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const title = 'reconcile: 1,000,000 clicks × 200,000 conversions, and 10,000,000 × 2,000,000';

const SIZES = [
  { label: '1m', clicks: 1_000_000, conversions: 200_000, runs: 5 },
  { label: '10m', clicks: 10_000_000, conversions: 2_000_000, runs: 3 },
];
const DAY = 86_400_000;
const WINDOW_SECONDS = 30 * 86_400;
/** Data version (the generator is unchanged since v2; 21-report-html reuses the 1M data). */
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

/**
 * clicks.csv and conversions.csv in the generic preset's headers, written once into dir: ~3%
 * unmatched (wrong ids, macros, upper-cased, truncated, order ids), 1% missing click id, 2%
 * duplicates, 1% out of window, 1% before the click, 0.2% shared click ids.
 */
export function generate(dir, size, log) {
  if (typeof size === 'function') [size, log] = [SIZES[0], size]; // generate(dir, log): the 1M size
  const clicksFile = path.join(dir, 'clicks.csv');
  const conversionsFile = path.join(dir, 'conversions.csv');
  if (fs.existsSync(clicksFile) && fs.existsSync(conversionsFile)) return { clicksFile, conversionsFile };
  log(`generating ${size.clicks} clicks and ${size.conversions} conversions in ${dir}`);
  fs.mkdirSync(dir, { recursive: true });
  const random = prng(20260301);
  const hex32 = () => Array.from({ length: 4 }, () => ((random() * 2 ** 32) >>> 0).toString(16).padStart(8, '0')).join('');
  const start = Date.UTC(2026, 0, 1);
  const ids = new Array(size.clicks);
  const times = new Float64Array(size.clicks);
  let out = ['click_id,occurred_at,offer_id,affiliate_id,sub1'];
  const clicks = fs.openSync(`${clicksFile}.tmp`, 'w');
  for (let i = 0; i < size.clicks; i += 1) {
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
  for (let i = 0; i < size.conversions; i += 1) {
    const click = Math.floor(random() * size.clicks);
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

/** The sqlite3 shell: Debian's package, installed when missing (the bench machine is Debian). */
function ensureSqlite3(log) {
  if (spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0) return 'sqlite3';
  log('sqlite3 not found; trying apt-get install -y sqlite3');
  const installed = spawnSync('sh', ['-c', 'apt-get install -y sqlite3 || sudo -n apt-get install -y sqlite3'], { stdio: 'inherit' });
  if (installed.status === 0 && spawnSync('sqlite3', ['-version']).status === 0) return 'sqlite3';
  throw new Error('the baseline needs the sqlite3 shell: install it (Debian/Ubuntu: apt-get install sqlite3) and run again');
}

/** Whether this build has `tpb ingest` (kept for the parts that reuse this one's data). */
export function hasIngest(bin) {
  const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  return /^\s+ingest\b/m.test(help.stdout);
}

/** Load with `tpb ingest` (the realistic path), then build the indexes both sides probe. */
export async function load(context, files, dbFile, size = SIZES[0]) {
  context.log(`loading ${dbFile} with tpb ingest`);
  for (const [file, kind, source] of [[files.clicksFile, 'clicks', 'tracker'], [files.conversionsFile, 'conversions', 'network']]) {
    const result = spawnSync(process.execPath, [context.bin, '--db', dbFile, '-q', 'ingest', file, '--kind', kind, '--source', source, '--preset', 'generic'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`tpb ingest ${kind} failed (exit ${result.status}): ${result.stderr}`);
  }
  const { Store } = await import(pathToFileURL(path.join(context.repoRoot, 'dist', 'store', 'db.js')).href);
  const store = Store.open(dbFile);
  try {
    store.ensureIndexes();
    store.db.exec('ANALYZE');
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const counts = store.db.prepare('SELECT (SELECT count(*) FROM clicks) AS clicks, (SELECT count(*) FROM conversions) AS conversions').get();
    if (counts.clicks !== size.clicks || counts.conversions !== size.conversions) {
      throw new Error(`loaded ${counts.clicks} clicks and ${counts.conversions} conversions, expected ${size.clicks} and ${size.conversions}`);
    }
  } finally {
    store.close();
  }
}

/**
 * The SQL an expert would write for the same counts, with the same definitions as tpb (README):
 * conversions not from tpb:fire; a blank click id is missing; matched when a click has the id;
 * before_click against the earliest click; outside_window after the latest click at or before the
 * conversion; duplicates within a source by click id + event + txid; duplicate clicks within a
 * source. ONE pass over the conversions, each joined through the (click_id, occurred_at) index to
 * its clicks — the earliest click and the latest one at or before the conversion in the same probe —
 * every count a sum of a condition; then one group-by for duplicate conversions and one for
 * duplicate clicks. (The indexes are built before either side is timed.)
 */
export const EXPERT_SQL = `
SELECT 'conversions', count(*),
       'missing_click_id', sum(NOT has_id),
       'matched', sum(has_id AND clicks > 0),
       'unmatched', sum(has_id AND clicks = 0),
       'before_click', sum(has_id AND first_click > '' AND at < first_click),
       'outside_window', sum(has_id AND first_click > '' AND at > strftime('%Y-%m-%dT%H:%M:%fZ', last_before, '+${WINDOW_SECONDS} seconds'))
FROM (
  SELECT c.occurred_at AS at,
         c.click_id IS NOT NULL AND trim(c.click_id, char(32, 9, 10, 13)) <> '' AS has_id,
         count(k.click_id) AS clicks,
         min(ifnull(k.occurred_at, '')) AS first_click,
         max(CASE WHEN k.occurred_at <= c.occurred_at THEN k.occurred_at END) AS last_before
  FROM conversions c LEFT JOIN clicks k ON k.click_id = c.click_id
  WHERE c.source <> 'tpb:fire'
  GROUP BY c.id);
SELECT 'duplicate_groups', count(*), 'duplicate_extra', ifnull(sum(n - 1), 0) FROM (
  SELECT count(*) AS n FROM conversions
  WHERE source <> 'tpb:fire' AND trim(click_id, char(32, 9, 10, 13)) <> ''
  GROUP BY source, click_id, ifnull(event, ''), ifnull(txid, '') HAVING count(*) > 1);
SELECT 'duplicate_clicks', count(*) FROM (
  SELECT 1 FROM clicks WHERE click_id <> '' GROUP BY click_id, source HAVING count(*) > 1);
SELECT 'clicks', count(*) FROM clicks;
`;

/** Run a command, return wall ms and the peak RSS in MB (VmHWM, polled from /proc). */
function measure(command, args, { input, outFile } = {}) {
  return new Promise((resolve, reject) => {
    const fd = outFile ? fs.openSync(outFile, 'w') : undefined;
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', fd ?? 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    if (input !== undefined) child.stdin.end(input);
    let peakKb = 0;
    const poll = () => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      } catch {
        /* exited */
      }
    };
    const timer = setInterval(poll, 20);
    child.on('error', reject);
    child.on('exit', () => poll());
    child.on('close', (code) => {
      clearInterval(timer);
      if (fd !== undefined) fs.closeSync(fd);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ ms, peakMb: peakKb / 1024, stdout, stderr });
    });
  });
}

async function runExpert(sqlite3, dbFile) {
  const result = await measure(sqlite3, ['-batch', '-noheader', '-separator', '|', dbFile], { input: EXPERT_SQL });
  const counts = {};
  for (const line of result.stdout.trim().split('\n')) {
    const cells = line.split('|');
    for (let i = 0; i + 1 < cells.length; i += 2) counts[cells[i]] = Number(cells[i + 1]);
  }
  return { ms: result.ms, counts };
}

const runTpb = (context, dbFile, outFile) => measure(process.execPath, [context.bin, '--db', dbFile, 'reconcile', '--json'], { outFile });

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const count = (n) => n.toLocaleString('en-US');

async function runSize(context, sqlite3, size) {
  // The 1M data is where it always was (21-report-html reads it too).
  const dir = path.join(context.dataDir, size.label === '1m' ? `reconcile-v${DATA_VERSION}` : `reconcile-v${DATA_VERSION}-${size.label}`);
  const files = generate(dir, size, context.log);
  const dbFile = path.join(dir, 'ingested.db');
  if (!fs.existsSync(dbFile)) {
    const partial = `${dbFile}.partial`;
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(partial + suffix, { force: true });
    await load(context, files, partial, size);
    fs.renameSync(partial, dbFile);
  }
  const copy = path.join(dir, 'baseline-copy.db');
  fs.copyFileSync(dbFile, copy);
  const outFile = path.join(dir, 'reconcile.json');

  // One warm-up each (page cache), then alternate which goes first.
  await runTpb(context, dbFile, outFile);
  await runExpert(sqlite3, copy);
  const tpb = [];
  const expert = [];
  let peakMb = 0;
  let baselineCounts;
  for (let i = 0; i < size.runs; i += 1) {
    const pair = i % 2 === 0 ? [() => runTpb(context, dbFile, outFile), () => runExpert(sqlite3, copy)] : [() => runExpert(sqlite3, copy), () => runTpb(context, dbFile, outFile)];
    for (const step of pair) {
      const result = await step();
      if ('counts' in result) {
        expert.push(result.ms);
        baselineCounts = result.counts;
      } else {
        tpb.push(result.ms);
        peakMb = Math.max(peakMb, result.peakMb);
      }
    }
  }
  const report = JSON.parse(fs.readFileSync(outFile, 'utf8'));
  const bytes = fs.statSync(outFile).size;
  const keys = ['clicks', 'conversions', 'matched', 'unmatched', 'missing_click_id', 'duplicate_groups', 'duplicate_extra', 'duplicate_clicks', 'before_click', 'outside_window'];
  const mismatches = keys.filter((key) => report.summary[key] !== baselineCounts[key]);
  for (const key of keys) context.log(`${key.padEnd(17)} tpb ${String(report.summary[key]).padStart(9)}   expert SQL ${String(baselineCounts[key]).padStart(9)}${mismatches.includes(key) ? '   MISMATCH' : ''}`);
  context.log(`tpb --json: ${count(report.findings.length)} findings, ${(bytes / 1024 / 1024).toFixed(1)} MiB; tpb ${tpb.map(seconds).join(', ')}; expert SQL ${expert.map(seconds).join(', ')}; peak RSS ${peakMb.toFixed(0)} MB`);
  if (mismatches.length > 0) context.log(`COUNTS DIFFER: ${mismatches.join(', ')}`);
  const all = median(tpb);
  const base = median(expert);
  const rows = [
    {
      benchmark: `reconcile ${count(size.clicks)} clicks × ${count(size.conversions)} conversions, --json with all ${count(report.findings.length)} findings (median of ${size.runs})`,
      tpb: seconds(all),
      baseline: `expert SQL in sqlite3 ${seconds(base)}`,
      ratio: `${(all / base).toFixed(2)}×`,
      target: '≤ 1.5×, counts equal',
      ok: all / base <= 1.5 && mismatches.length === 0,
    },
  ];
  rows.push({
    benchmark: `reconcile ${count(size.clicks)} × ${count(size.conversions)}: peak RSS`,
    tpb: `${peakMb.toFixed(0)} MB`,
    baseline: '',
    ratio: '',
    target: size.clicks >= 10_000_000 ? '< 400 MB' : '',
    ...(size.clicks >= 10_000_000 ? { ok: peakMb < 400 } : {}),
  });
  return rows;
}

export async function run(context) {
  const sqlite3 = ensureSqlite3(context.log);
  const wanted = (process.env.TPB_BENCH_RECONCILE_SIZES ?? '1m,10m').split(',').map((label) => label.trim().toLowerCase());
  const rows = [];
  for (const size of SIZES.filter((entry) => wanted.includes(entry.label))) {
    context.log(`— ${count(size.clicks)} clicks × ${count(size.conversions)} conversions`);
    rows.push(...(await runSize(context, sqlite3, size)));
  }
  return rows;
}
