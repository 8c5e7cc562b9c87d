// Reconcile engines side by side on the same generated tpb database: the expert's SQL in the
// sqlite3 shell (the baseline), `tpb reconcile --json` (sqlite engine) and
// `tpb reconcile --json --engine chdb` (embedded ClickHouse reading the SQLite file in place), whole
// processes as a user runs them, with wall time and peak RSS (/usr/bin/time). The engines' summaries
// must agree with each other.
//
// Sizes: 1,000,000 clicks × 200,000 conversions and 10,000,000 × 2,000,000 in the default run;
// 100,000,000 × 20,000,000 only on demand: npm run bench -- scale --big (generated once, ~25 GB).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const title = 'reconcile engines: sqlite3 expert SQL, tpb --engine sqlite, tpb --engine chdb';
export const keywords = ['scale', 'engines'];

const SQLITE3 = '/usr/bin/sqlite3';
const TIME = '/usr/bin/time';
export const DATA_VERSION = 1;
const WINDOW_SECONDS = 30 * 86_400;

const SIZES = [
  { name: '1M', clicks: 1_000_000, conversions: 200_000, runs: 3, chdbTarget: (base) => ({ text: '≤ 0.5× sqlite3', ok: (ms) => ms <= 0.5 * base }) },
  { name: '10M', clicks: 10_000_000, conversions: 2_000_000, runs: 1, chdbTarget: () => ({ text: '< 5 s', ok: (ms) => ms < 5000 }) },
];
/**
 * 100M: chdb alone, one cold run (no warm-up: the 25 GB file does not fit this machine's page cache
 * anyway, and the target includes reading it). The expert SQL and the sqlite engine would take
 * about 20 and 10 minutes here; TPB_BENCH_BIG_ALL=1 runs them too.
 */
export const BIG = {
  name: '100M',
  clicks: 100_000_000,
  conversions: 20_000_000,
  runs: 1,
  warmup: false,
  chdbOnly: process.env.TPB_BENCH_BIG_ALL !== '1',
  chdbTarget: () => ({ text: '< 180 s, RSS < 8 GB', ok: (ms, rssMb) => ms < 180_000 && rssMb < 8192 }),
};

/**
 * The data, generated in SQL straight into tpb's schema (ingest is measured by its own part): hex
 * click ids, 0.2% of clicks reusing an earlier id; conversions 2.1% with an id no click has, 0.3%
 * literal macros, 0.3% upper-cased, 0.3% truncated, 1% without a click id, 1% outside the 30-day
 * window, 1% before their click, and 2% extra copies of a conversion (duplicates).
 */
function generationSql(size) {
  const { clicks: n, conversions: m } = size;
  const extra = Math.floor(m * 0.02);
  return `
PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -400000;
BEGIN;
INSERT INTO imports (id, kind, source, preset, file, sha256, rows, rejected, started_at, finished_at) VALUES
  (1, 'clicks', 'tracker', 'generic', 'bench-clicks.csv', 'bench-clicks-${n}', ${n}, 0, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  (2, 'conversions', 'network', 'generic', 'bench-conversions.csv', 'bench-conversions-${m}', ${m + extra}, 0, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO clicks (id, import_id, source, line, click_id, occurred_at, offer_id, affiliate_id, sub1)
  SELECT value, 1, 'tracker', value + 1, lower(hex(randomblob(16))),
    strftime('%Y-%m-%dT%H:%M:%fZ', 1767225600 + abs(random() % 5184000), 'unixepoch'),
    1000 + value % 50, 2000 + value % 300, 's' || (value % 1000)
  FROM generate_series(1, ${n});
UPDATE clicks SET click_id = (SELECT k.click_id FROM clicks k WHERE k.id = clicks.id - 1 - (clicks.id % 97)) WHERE id % 500 = 0 AND id > 200;
INSERT INTO conversions (id, import_id, source, line, click_id, occurred_at, txid, event, status, payout_micros, currency)
  SELECT g.value, 2, 'network', g.value + 1,
    CASE WHEN g.r < 210 THEN lower(hex(randomblob(16)))
         WHEN g.r < 240 THEN '{clickid}'
         WHEN g.r < 270 THEN upper(k.click_id)
         WHEN g.r < 300 THEN substr(k.click_id, 1, 20)
         WHEN g.r < 400 THEN ''
         ELSE k.click_id END,
    strftime('%Y-%m-%dT%H:%M:%fZ', k.occurred_at,
      CASE WHEN g.r BETWEEN 600 AND 699 THEN '+' || (31 * 86400 + g.s % (50 * 86400)) || ' seconds'
           WHEN g.r BETWEEN 700 AND 799 THEN '-' || (60 + g.s % 10800) || ' seconds'
           ELSE '+' || (60 + g.s % (7 * 86400)) || ' seconds' END),
    'T' || g.value, 'sale', 'approved', (100 + g.s % 4900) * 10000, 'USD'
  FROM (SELECT value, (value * 2654435761) % ${n} + 1 AS k, ((value * 48271) % 2147483647) % 10000 AS r, (value * 7919 + 104729) AS s FROM generate_series(1, ${m})) g
  JOIN clicks k ON k.id = g.k;
INSERT INTO conversions (id, import_id, source, line, click_id, occurred_at, txid, event, status, payout_micros, currency)
  SELECT ${m} + value, 2, 'network', ${m} + value + 1, c.click_id, strftime('%Y-%m-%dT%H:%M:%fZ', c.occurred_at, '+5 seconds'), c.txid, c.event, c.status, c.payout_micros, c.currency
  FROM generate_series(1, ${extra}) JOIN conversions c ON c.id = (value * 7919) % ${m} + 1;
COMMIT;
`;
}

/**
 * The expert's SQL: one pass over the conversions with an indexed probe for the earliest click
 * (a second probe only for the few past the window), one group-by for duplicate conversions and one
 * for duplicate clicks — the definitions tpb uses (README, reconcile).
 */
export const EXPERT_SQL = `
WITH probe AS (
  SELECT c.occurred_at AS at, c.click_id AS click_id, c.payout_micros AS payout,
    (c.click_id IS NOT NULL AND trim(c.click_id, char(32, 9, 10, 13)) <> '') AS has_id,
    CASE WHEN c.click_id IS NOT NULL AND trim(c.click_id, char(32, 9, 10, 13)) <> ''
      THEN (SELECT min(ifnull(k.occurred_at, '')) FROM clicks k WHERE k.click_id = c.click_id) END AS first_click
  FROM conversions c WHERE c.source <> 'tpb:fire')
SELECT 'conversions', count(*), 'matched', sum(first_click IS NOT NULL), 'unmatched', sum(has_id AND first_click IS NULL),
  'missing_click_id', sum(NOT has_id), 'before_click', sum(first_click > '' AND at < first_click),
  'outside_window', sum(first_click > '' AND at > strftime('%Y-%m-%dT%H:%M:%fZ', first_click, '+${WINDOW_SECONDS} seconds')
    AND at > (SELECT strftime('%Y-%m-%dT%H:%M:%fZ', max(k.occurred_at), '+${WINDOW_SECONDS} seconds') FROM clicks k WHERE k.click_id = probe.click_id AND k.occurred_at <= probe.at))
FROM probe;
SELECT 'duplicate_groups', count(*), 'duplicate_extra', ifnull(sum(n - 1), 0) FROM (
  SELECT count(*) AS n FROM conversions WHERE source <> 'tpb:fire' AND trim(click_id, char(32, 9, 10, 13)) <> ''
  GROUP BY source, click_id, ifnull(event, ''), ifnull(txid, '') HAVING count(*) > 1);
SELECT 'duplicate_clicks', count(*) FROM (SELECT click_id FROM clicks WHERE click_id <> '' GROUP BY click_id HAVING count(*) > count(DISTINCT source));
SELECT 'clicks', count(*) FROM clicks;
`;

export async function build(context, size, dbFile, log) {
  const partial = `${dbFile}.partial`;
  fs.rmSync(partial, { force: true });
  const { Store } = await import(pathToFileURL(path.join(context.repoRoot, 'dist', 'store', 'db.js')).href);
  Store.open(partial).close(); // tpb's schema, migrated
  log(`generating ${size.clicks.toLocaleString('en-US')} clicks × ${size.conversions.toLocaleString('en-US')} conversions into ${dbFile}`);
  const started = Date.now();
  const result = spawnSync(SQLITE3, ['-batch', partial], { input: generationSql(size), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`generation failed: ${result.stderr}`);
  const store = Store.open(partial);
  try {
    store.ensureIndexes();
    store.db.exec('ANALYZE');
    store.db.pragma('journal_mode = WAL');
    store.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    store.close();
  }
  fs.renameSync(partial, dbFile);
  log(`generated in ${((Date.now() - started) / 1000).toFixed(0)} s, ${(fs.statSync(dbFile).size / 1e9).toFixed(2)} GB`);
}

/** Run a whole process under /usr/bin/time: wall ms, peak RSS MB, stdout. */
function timed(command, args, options = {}) {
  const stats = path.join(options.dir, `.time-${process.pid}`);
  const result = spawnSync(TIME, ['-f', '%e %M', '-o', stats, command, ...args], {
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const [wall, rssKb] = fs.readFileSync(stats, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  fs.rmSync(stats, { force: true });
  if (result.status !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} failed (exit ${result.status}): ${result.stderr.slice(0, 2000)}`);
  return { ms: wall * 1000, rssMb: rssKb / 1024, stdout: result.stdout };
}

function baselineCounts(stdout) {
  const counts = {};
  for (const line of stdout.trim().split('\n')) {
    const cells = line.split('|');
    for (let i = 0; i + 1 < cells.length; i += 2) counts[cells[i]] = Number(cells[i + 1]);
  }
  return counts;
}

/**
 * The report's summary without reading the whole report (100M's findings are a 1.6 GB document,
 * longer than a JavaScript string can be): the document up to its findings, closed.
 */
function readSummary(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(8 * 1024 * 1024);
    const text = head.subarray(0, fs.readSync(fd, head, 0, head.length, 0)).toString('utf8');
    const at = text.indexOf('\n  "findings": [');
    return JSON.parse(at < 0 ? text : `${text.slice(0, at).replace(/,\s*$/, '')}\n}`).summary;
  } finally {
    fs.closeSync(fd);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mb = (value) => `${Math.round(value)} MB`;
const KEYS = ['clicks', 'conversions', 'matched', 'unmatched', 'missing_click_id', 'duplicate_groups', 'duplicate_extra', 'duplicate_clicks', 'before_click', 'outside_window'];

async function measure(context, size) {
  const dir = path.join(context.dataDir, `engines-v${DATA_VERSION}-${size.name}`);
  fs.mkdirSync(dir, { recursive: true });
  const dbFile = path.join(dir, 'tpb.db');
  if (!fs.existsSync(dbFile)) await build(context, size, dbFile, context.log);
  const out = path.join(dir, 'report.json');
  const tpb = (engine) => timed(process.execPath, [context.bin, '--db', dbFile, 'reconcile', '--json', '--engine', engine, '--out', out], { dir });
  const expert = () => timed(SQLITE3, ['-batch', '-noheader', '-separator', '|', '-readonly', dbFile], { input: EXPERT_SQL, dir });

  const sizeText = `${size.clicks.toLocaleString('en-US')} × ${size.conversions.toLocaleString('en-US')}`;
  if (size.chdbOnly) {
    const chdb = tpb('chdb');
    const summary = readSummary(out);
    for (const key of KEYS) context.log(`${size.name} ${key.padEnd(17)} chdb ${String(summary[key]).padStart(11)}`);
    context.log(`${size.name}: chdb ${seconds(chdb.ms)}, peak ${mb(chdb.rssMb)} (one cold run; TPB_BENCH_BIG_ALL=1 adds sqlite3 and --engine sqlite)`);
    const target = size.chdbTarget(0);
    // without a baseline, at least every generated row is counted
    const extra = Math.floor(size.conversions * 0.02);
    const whole = summary.clicks === size.clicks && summary.conversions === size.conversions + extra;
    return [
      {
        benchmark: `reconcile ${sizeText} --engine chdb (peak ${mb(chdb.rssMb)})`,
        tpb: seconds(chdb.ms),
        baseline: 'not run (TPB_BENCH_BIG_ALL=1)',
        ratio: '',
        target: `${target.text}${whole ? ', every row counted' : `, COUNTS OFF: ${summary.clicks} clicks, ${summary.conversions} conversions`}`,
        ok: target.ok(chdb.ms, chdb.rssMb) && whole,
      },
    ];
  }
  // a warm-up of each (page cache), then alternate
  if (size.warmup !== false) {
    expert();
    tpb('chdb');
  }
  const runs = { expert: [], sqlite: [], chdb: [] };
  let counts;
  const summaries = {};
  for (let i = 0; i < size.runs; i += 1) {
    const base = expert();
    runs.expert.push(base);
    counts = baselineCounts(base.stdout);
    for (const engine of ['sqlite', 'chdb']) {
      runs[engine].push(tpb(engine));
      summaries[engine] = readSummary(out);
    }
  }
  const pick = (list) => list.find((run) => run.ms === median(list.map((r) => r.ms)));
  const [base, sqlite, chdb] = [pick(runs.expert), pick(runs.sqlite), pick(runs.chdb)];
  const differ = KEYS.filter((key) => summaries.sqlite[key] !== summaries.chdb[key]);
  const offBaseline = KEYS.filter((key) => counts[key] !== undefined && counts[key] !== summaries.chdb[key]);
  for (const key of KEYS) {
    context.log(`${size.name} ${key.padEnd(17)} sqlite3 ${String(counts[key] ?? '-').padStart(10)}  sqlite ${String(summaries.sqlite[key]).padStart(10)}  chdb ${String(summaries.chdb[key]).padStart(10)}${differ.includes(key) ? '  ENGINES DIFFER' : ''}`);
  }
  context.log(
    `${size.name}: sqlite3 ${runs.expert.map((r) => seconds(r.ms)).join(', ')}; sqlite ${runs.sqlite.map((r) => seconds(r.ms)).join(', ')}; chdb ${runs.chdb.map((r) => seconds(r.ms)).join(', ')}`,
  );
  const target = size.chdbTarget(base.ms);
  return [
    {
      benchmark: `reconcile ${sizeText} --engine chdb (peak ${mb(chdb.rssMb)})`,
      tpb: seconds(chdb.ms),
      baseline: `${seconds(base.ms)} sqlite3`,
      ratio: (chdb.ms / base.ms).toFixed(2),
      target: `${target.text}, summaries equal`,
      ok: target.ok(chdb.ms, chdb.rssMb) && differ.length === 0,
    },
    {
      benchmark: `reconcile ${sizeText} --engine sqlite (peak ${mb(sqlite.rssMb)})`,
      tpb: seconds(sqlite.ms),
      baseline: `${seconds(base.ms)} sqlite3`,
      ratio: (sqlite.ms / base.ms).toFixed(2),
      target: `(beside chdb)${offBaseline.length > 0 ? ` counts off the baseline: ${offBaseline.join(', ')}` : ''}`,
    },
  ];
}

export async function run(context) {
  for (const tool of [SQLITE3, TIME]) if (!fs.existsSync(tool)) throw new Error(`${tool} is needed for the engines benchmark`);
  const big = context.flags?.includes('--big') ?? process.argv.includes('--big');
  const only = process.env.TPB_BENCH_ENGINES_SIZES?.split(',');
  const sizes = [...SIZES, ...(big ? [BIG] : [])].filter((size) => !only || only.includes(size.name));
  const rows = [];
  for (const size of sizes) rows.push(...(await measure(context, size)));
  return rows;
}
