// tpb click against a local 302 redirect server, side by side with autocannon at the same 20
// connections, both as a user runs them: whole processes, start-up included. The server runs in
// its own process. Each round runs autocannon for a duration and `tpb click -n 50000 -c 20` (the
// built binary, every click stored in a fresh database), alternating which goes first; the ratio
// is of the medians. CPU time per request (user + system of each whole process, from
// /usr/bin/time) moves much less with the load of a shared machine than req/s does.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export const title = 'tpb click vs autocannon against a local 302 redirect server (whole processes)';

const require = createRequire(import.meta.url);
const CONNECTIONS = Number(process.env.TPB_BENCH_CONNECTIONS ?? 20);
const SECONDS = Number(process.env.TPB_BENCH_SECONDS ?? 3);
const CLICKS = Number(process.env.TPB_BENCH_CLICKS ?? 50000);
const ROUNDS = Number(process.env.TPB_BENCH_ROUNDS ?? 5);

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

// The headers tpb click sends (a desktop browser's), so the server does the same work for both.
export const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.9',
};

export function startServer(source) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout.setEncoding('utf8').once('data', (text) => resolve({ port: Number(text.trim()), stop: () => child.kill('SIGTERM') }));
  });
}

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * Run a command as a whole process: wall seconds (start-up included), stdout, and the CPU seconds
 * (user + system) of the process when /usr/bin/time is there.
 */
export function timedProcess(args, options = {}) {
  const cpuFile = path.join(options.dataDir ?? '/tmp', `bench-cpu-${process.pid}.txt`);
  const command = TIME ? [TIME, ['-f', '%U %S', '-o', cpuFile, process.execPath, ...args]] : [process.execPath, args];
  const started = process.hrtime.bigint();
  const stdout = execFileSync(command[0], command[1], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'inherit'] });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  let cpu;
  if (TIME) {
    const [user, system] = fs.readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
    cpu = user + system;
    fs.rmSync(cpuFile, { force: true });
  }
  return { wall, cpu, stdout: stdout.toString('utf8') };
}

/**
 * autocannon's own CLI (a process of its own, as a user runs it) for a duration: req/s and CPU per
 * request. `rps` is of the whole process, start-up and exit included, as tpb's is (design.md's
 * targets are whole process for both sides); `ownRps` is what autocannon itself reports (its
 * requests over its own clock, which starts after its start-up), printed beside it.
 */
export function autocannonProcess(url, connections, seconds, headers, dataDir) {
  const cli = require.resolve('autocannon/autocannon.js');
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}=${value}`]);
  const run = timedProcess([cli, '-c', String(connections), '-d', String(seconds), '-p', '1', '-j', ...headerArgs, url], { dataDir });
  const result = JSON.parse(run.stdout);
  const total = result.requests.total;
  return { rps: total / run.wall, ownRps: total / (result.duration || seconds), wall: run.wall, total, cpuPerRequest: run.cpu === undefined ? undefined : (run.cpu / total) * 1e6, errors: result.errors };
}

/** One round's log text for an autocannon run. */
export function autocannonLine(a) {
  return `autocannon ${a.rps.toFixed(0)} req/s whole process (${a.total} in ${a.wall.toFixed(2)} s; ${a.ownRps.toFixed(0)} req/s by its own clock)${a.cpuPerRequest !== undefined ? ` (${a.cpuPerRequest.toFixed(0)} µs CPU/req)` : ''}`;
}

/** The baseline cell of a row: autocannon's whole-process median, and the ratio against its own figure. */
export function autocannonCell(baseline, tpbMedian) {
  const own = median(baseline.ownRps);
  return `${median(baseline.rps).toFixed(0)}/s autocannon, whole process (${own.toFixed(0)}/s by its own clock: ${(tpbMedian / own).toFixed(2)}×)`;
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run(context) {
  const server = await startServer(SERVER);
  const url = `http://127.0.0.1:${server.port}/aff_c?offer_id=1&aff_id=2`;
  const baseline = { rps: [], ownRps: [], cpu: [] };
  const tpb = { rps: [], cpu: [] };
  try {
    // One short unmeasured pass of each, so neither meets a cold server.
    autocannonProcess(url, CONNECTIONS, 1, BROWSER_HEADERS, context.dataDir);
    for (let round = 1; round <= ROUNDS; round += 1) {
      const order = round % 2 === 1 ? ['autocannon', 'tpb'] : ['tpb', 'autocannon'];
      const line = [];
      for (const who of order) {
        if (who === 'autocannon') {
          const a = autocannonProcess(url, CONNECTIONS, SECONDS, BROWSER_HEADERS, context.dataDir);
          baseline.rps.push(a.rps);
          baseline.ownRps.push(a.ownRps);
          if (a.cpuPerRequest !== undefined) baseline.cpu.push(a.cpuPerRequest);
          line.push(autocannonLine(a));
        } else {
          const db = path.join(context.dataDir, 'bench-click.db');
          for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
          // Human mode (-q): the timed run is what a user runs; the figures come from the stored run.
          const t = timedProcess([context.bin, 'click', url, '-n', String(CLICKS), '-c', String(CONNECTIONS), '--db', db, '-q'], { dataDir: context.dataDir });
          const runs = JSON.parse(execFileSync(process.execPath, [context.bin, 'db', 'export', 'runs', '--format', 'json', '--db', db], { maxBuffer: 1 << 26 }).toString('utf8'));
          const summary = JSON.parse(runs.at(-1).summary_json);
          const info = JSON.parse(execFileSync(process.execPath, [context.bin, 'db', 'info', '--db', db, '--json']).toString('utf8'));
          const stored = info.counts.find((c) => c.table === 'clicks' && c.source === 'tpb:click')?.rows;
          if (summary.captured !== CLICKS || stored !== CLICKS) throw new Error(`expected ${CLICKS} captured and stored clicks, got ${summary.captured} captured, ${stored} stored`);
          const rps = CLICKS / t.wall;
          tpb.rps.push(rps);
          const cpu = t.cpu === undefined ? undefined : (t.cpu / CLICKS) * 1e6;
          if (cpu !== undefined) tpb.cpu.push(cpu);
          line.push(`tpb click ${CLICKS} in ${t.wall.toFixed(2)} s = ${rps.toFixed(0)}/s whole process (${summary.requests_per_second.toFixed(0)}/s in the run, p99 ${summary.latency_ms.p99} ms)${cpu !== undefined ? ` (${cpu.toFixed(0)} µs CPU/click)` : ''}`);
        }
      }
      context.log(`round ${round}: ${line.join('; ')}`);
    }
  } finally {
    server.stop();
  }
  const ratio = median(tpb.rps) / median(baseline.rps);
  const rows = [
    {
      benchmark: `click: req/s at ${CONNECTIONS} connections, whole process, every click stored (median of ${ROUNDS})`,
      tpb: `${median(tpb.rps).toFixed(0)}/s`,
      baseline: autocannonCell(baseline, median(tpb.rps)),
      ratio: `${ratio.toFixed(2)}×`,
      target: '≥ 0.6×',
      ok: ratio >= 0.6,
    },
  ];
  if (tpb.cpu.length > 0 && baseline.cpu.length > 0) {
    rows.push({
      benchmark: 'click: CPU µs per request, whole process (median)',
      tpb: `${median(tpb.cpu).toFixed(0)} µs`,
      baseline: `${median(baseline.cpu).toFixed(0)} µs autocannon`,
      ratio: `${(median(baseline.cpu) / median(tpb.cpu)).toFixed(2)}×`,
      target: 'reported',
    });
  }
  return rows;
}
