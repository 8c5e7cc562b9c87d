// tpb click against a local redirect server, side by side with autocannon at the same connection
// count. The server runs in its own process (so neither client shares a CPU thread with it);
// autocannon drives it for a fixed time, then `tpb click` (the built binary) sends a count sized
// for a similar duration, storing every click in a fresh database.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export const title = 'tpb click vs autocannon against a local 302 redirect server';

const require = createRequire(import.meta.url);
const CONNECTIONS = Number(process.env.TPB_BENCH_CONNECTIONS ?? 20);
const SECONDS = Number(process.env.TPB_BENCH_SECONDS ?? 5);

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

export async function autocannonRate(url, connections, seconds) {
  const autocannon = require('autocannon');
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
  return { rps: result.requests.total / (result.duration || seconds), total: result.requests.total, errors: result.errors + result.non2xx - result['3xx'] };
}

export async function run(context) {
  const server = await startServer(SERVER);
  const url = `http://127.0.0.1:${server.port}/aff_c?offer_id=1&aff_id=2`;
  try {
    context.log(`autocannon: ${CONNECTIONS} connections for ${SECONDS} s`);
    const baseline = await autocannonRate(url, CONNECTIONS, SECONDS);
    context.log(`autocannon: ${baseline.total} requests, ${baseline.rps.toFixed(0)} req/s`);

    const count = Math.max(1000, Math.round(baseline.rps * SECONDS * 0.6));
    const db = path.join(context.dataDir, 'bench-click.db');
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
    context.log(`tpb click: ${count} clicks at -c ${CONNECTIONS}, storing into ${path.basename(db)}`);
    const started = process.hrtime.bigint();
    // Human mode (-q): the timed run is what a user runs; the figures come from the stored run.
    execFileSync(process.execPath, [context.bin, 'click', url, '-n', String(count), '-c', String(CONNECTIONS), '--db', db, '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const runs = JSON.parse(execFileSync(process.execPath, [context.bin, 'db', 'export', 'runs', '--format', 'json', '--db', db], { maxBuffer: 1 << 26 }).toString('utf8'));
    const summary = JSON.parse(runs.at(-1).summary_json);
    const report = { summary: { captured: summary.captured, requests_per_second: summary.requestsPerSecond, duration_ms: summary.durationMs, latency_ms: summary.latencyMs } };
    const info = JSON.parse(execFileSync(process.execPath, [context.bin, 'db', 'info', '--db', db, '--json']).toString('utf8'));
    const stored = info.counts.find((c) => c.table === 'clicks' && c.source === 'tpb:click')?.rows;
    if (report.summary.captured !== count || stored !== count) throw new Error(`expected ${count} captured and stored clicks, got ${report.summary.captured} captured, ${stored} stored`);
    const tpbRps = report.summary.requests_per_second;
    const wallRps = count / wallSeconds;
    context.log(`tpb click: ${count} clicks in ${(report.summary.duration_ms / 1000).toFixed(2)} s (${tpbRps.toFixed(0)}/s; ${wallRps.toFixed(0)}/s including process start), p50 ${report.summary.latency_ms.p50} ms, p99 ${report.summary.latency_ms.p99} ms, ${stored} stored`);
    const ratio = tpbRps / baseline.rps;
    return [
      {
        benchmark: `click: req/s at ${CONNECTIONS} connections, every click stored`,
        tpb: `${tpbRps.toFixed(0)}/s`,
        baseline: `${baseline.rps.toFixed(0)}/s autocannon`,
        ratio: `${ratio.toFixed(2)}×`,
        target: '≥ 0.5×',
        ok: ratio >= 0.5,
      },
    ];
  } finally {
    server.stop();
  }
}
