// The HTML reconcile report of the reconcile part's data (1,000,000 clicks × 200,000 conversions)
// with --limit 1000, against the JSON report of the same run: the extra time to write it, and its
// size. Targets (issue 14): under 2 MB, under 2 s more than the JSON report.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DATA_VERSION, generate, hasIngest, load } from './20-reconcile.mjs';

export const title = 'reconcile --format html: 1,000,000 clicks × 200,000 conversions, --limit 1000';

const RUNS = 3;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

function timed(context, dbFile, args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [context.bin, '--db', dbFile, '-q', 'reconcile', ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`tpb reconcile ${args.join(' ')} failed (exit ${result.status}): ${result.stderr}`);
  return ms;
}

export async function run(context) {
  const dir = path.join(context.dataDir, `reconcile-v${DATA_VERSION}`);
  const files = generate(dir, context.log);
  const dbFile = path.join(dir, hasIngest(context.bin) ? 'ingested.db' : 'sql-loaded.db');
  if (!fs.existsSync(dbFile)) {
    const partial = `${dbFile}.partial`;
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(partial + suffix, { force: true });
    await load(context, files, partial);
    fs.renameSync(partial, dbFile);
  }
  const jsonFile = path.join(dir, 'report-limit1000.json');
  const htmlFile = path.join(dir, 'report-limit1000.html');
  const json = ['--format', 'json', '--limit', '1000', '--out', jsonFile];
  const html = ['--format', 'html', '--limit', '1000', '--out', htmlFile];
  timed(context, dbFile, json); // warm-up (page cache)
  const jsonMs = [];
  const htmlMs = [];
  for (let i = 0; i < RUNS; i += 1) {
    jsonMs.push(timed(context, dbFile, json));
    htmlMs.push(timed(context, dbFile, html));
  }
  const bytes = fs.statSync(htmlFile).size;
  const extra = median(htmlMs) - median(jsonMs);
  context.log(`json ${jsonMs.map(seconds).join(', ')}; html ${htmlMs.map(seconds).join(', ')}; html ${(bytes / 1024 / 1024).toFixed(2)} MiB at ${htmlFile}`);
  return [
    {
      benchmark: 'reconcile --format html --limit 1000 (size)',
      tpb: `${(bytes / 1e6).toFixed(2)} MB`,
      baseline: '',
      ratio: '',
      target: '< 2 MB',
      ok: bytes < 2e6,
    },
    {
      benchmark: 'reconcile --format html --limit 1000 (time over --format json)',
      tpb: seconds(median(htmlMs)),
      baseline: `${seconds(median(jsonMs))} json`,
      ratio: `+${seconds(extra)}`,
      target: '< +2 s',
      ok: extra < 2000,
    },
  ];
}
