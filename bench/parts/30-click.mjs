// tpb click against a local redirect server, side by side with autocannon at the same connection
// count. The server runs in its own process (so neither client shares a CPU thread with it);
// autocannon drives it for a fixed time, then `tpb click` (the built binary) sends a count sized
// for a similar duration, storing every click in a fresh database.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export const title = 'tpb click vs autocannon against a local 302 redirect server';

const require = createRequire(import.meta.url);
const CONNECTIONS = Number(process.env.TPB_BENCH_CONNECTIONS ?? 20);
const SECONDS = Number(process.env.TPB_BENCH_SECONDS ?? 3);

// A plain node:http server answering 302 with a fresh click id in Location, like a tracker's click route.
const SERVER = `
const http = require('node:http');
let n = 0;
const server = http.createServer((req, res) => {
  n += 1;
  res.writeHead(302, { location: '/lp?transaction_id=' + (0x10000000 + n).toString(16) + 'c0ffee' + n, 'content-length': '0' });
  res.end();
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

export function startServer(source) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout.setEncoding('utf8').once('data', (text) => resolve({ port: Number(text.trim()), stop: () => child.kill('SIGTERM') }));
  });
}

export async function autocannonRate(url, connections, seconds, headers = {}) {
  const autocannon = require('autocannon');
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1, headers });
  return { rps: result.requests.total / (result.duration || seconds), total: result.requests.total, errors: result.errors + result.non2xx - result['3xx'] };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Rounds alternate autocannon and tpb so both see the same machine (here shared with other
// work): the figures are the medians, the ratio is of the medians.
const ROUNDS = Number(process.env.TPB_BENCH_ROUNDS ?? 3);

export async function run(context) {
  const server = await startServer(SERVER);
  const url = `http://127.0.0.1:${server.port}/aff_c?offer_id=1&aff_id=2`;
  // autocannon sends the same request tpb click sends (its browser-like headers), so the server
  // does the same work for both and the ratio compares the clients.
  const { DEFAULT_USER_AGENT } = await import(pathToFileURL(path.join(context.repoRoot, 'dist', 'click', 'run.js')).href);
  const headers = { 'user-agent': DEFAULT_USER_AGENT, accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'accept-language': 'en-US,en;q=0.9' };
  const baselineRates = [];
  const tpbRates = [];
  let cpuRow;
  try {
    for (let round = 1; round <= ROUNDS; round += 1) {
      const baseline = await autocannonRate(url, CONNECTIONS, SECONDS, headers);
      baselineRates.push(baseline.rps);

      const count = Math.max(1000, Math.round(baseline.rps * SECONDS * 0.6));
      const db = path.join(context.dataDir, 'bench-click.db');
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
      const started = process.hrtime.bigint();
      // Human mode (-q): the timed run is what a user runs; the figures come from the stored run.
      execFileSync(process.execPath, [context.bin, 'click', url, '-n', String(count), '-c', String(CONNECTIONS), '--db', db, '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const runs = JSON.parse(execFileSync(process.execPath, [context.bin, 'db', 'export', 'runs', '--format', 'json', '--db', db], { maxBuffer: 1 << 26 }).toString('utf8'));
      const summary = JSON.parse(runs.at(-1).summary_json);
      const info = JSON.parse(execFileSync(process.execPath, [context.bin, 'db', 'info', '--db', db, '--json']).toString('utf8'));
      const stored = info.counts.find((c) => c.table === 'clicks' && c.source === 'tpb:click')?.rows;
      if (summary.captured !== count || stored !== count) throw new Error(`expected ${count} captured and stored clicks, got ${summary.captured} captured, ${stored} stored`);
      tpbRates.push(summary.requests_per_second);
      context.log(
        `round ${round}: autocannon ${baseline.rps.toFixed(0)} req/s; tpb click ${count} clicks in ${(summary.duration_ms / 1000).toFixed(2)} s = ${summary.requests_per_second.toFixed(0)}/s ` +
          `(${(count / wallSeconds).toFixed(0)}/s with process start), p50 ${summary.latency_ms.p50} ms, p99 ${summary.latency_ms.p99} ms, ${stored} stored; ratio ${(summary.requests_per_second / baseline.rps).toFixed(2)}`,
      );
    }
    // CPU per request, in this process for both: unlike req/s it barely moves with the load of a
    // shared machine, so it shows what each client costs.
    const cpu = await cpuPerRequest(context, url, headers);
    context.log(`CPU per request: autocannon ${cpu.autocannon.toFixed(1)} µs, tpb click (stored) ${cpu.tpb.toFixed(1)} µs`);
    cpuRow = {
      benchmark: 'click: CPU µs per request (in-process, clicks stored)',
      tpb: `${cpu.tpb.toFixed(1)} µs`,
      baseline: `${cpu.autocannon.toFixed(1)} µs autocannon`,
      ratio: `${(cpu.autocannon / cpu.tpb).toFixed(2)}×`,
      target: 'reported',
    };
  } finally {
    server.stop();
  }
  const tpbRps = median(tpbRates);
  const baselineRps = median(baselineRates);
  const ratio = tpbRps / baselineRps;
  return [
    {
      benchmark: `click: req/s at ${CONNECTIONS} connections, every click stored (median of ${ROUNDS})`,
      tpb: `${tpbRps.toFixed(0)}/s`,
      baseline: `${baselineRps.toFixed(0)}/s autocannon`,
      ratio: `${ratio.toFixed(2)}×`,
      target: '≥ 0.5×',
      ok: ratio >= 0.5,
    },
    cpuRow,
  ];
}

async function cpuPerRequest(context, url, headers) {
  const autocannon = require('autocannon');
  const amount = 40000;
  let start = process.cpuUsage();
  const result = await autocannon({ url, connections: CONNECTIONS, amount, headers });
  let used = process.cpuUsage(start);
  const autocannonCpu = (used.user + used.system) / result.requests.total;
  const { runClicks } = await import(pathToFileURL(path.join(context.repoRoot, 'dist', 'click', 'run.js')).href);
  const { Store } = await import(pathToFileURL(path.join(context.repoRoot, 'dist', 'store', 'db.js')).href);
  const db = path.join(context.dataDir, 'bench-click-cpu.db');
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
  const store = Store.open(db);
  await runClicks({ url, count: 10000, concurrency: CONNECTIONS, keepClicks: 'none' }); // JIT warm-up, as autocannon's rounds were
  start = process.cpuUsage();
  const run = await runClicks({ url, count: amount, concurrency: CONNECTIONS, store, keepClicks: 'failures' });
  used = process.cpuUsage(start);
  store.close();
  if (run.summary.captured !== amount) throw new Error(`in-process run captured ${run.summary.captured} of ${amount}`);
  return { autocannon: autocannonCpu, tpb: (used.user + used.system) / amount };
}
