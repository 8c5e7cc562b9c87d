// tpb catch: requests per second received, answered and recorded into SQLite (every request a
// caught_requests row, every postback a tpb:catch conversion), against a bare node:http server
// that answers the same and stores nothing. Both run in their own process; autocannon drives each
// for the same time at the same connection count, alternating rounds.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer } from './30-click.mjs';

export const title = 'tpb catch (every request recorded into SQLite) vs a bare node:http server';

const require = createRequire(import.meta.url);
const CONNECTIONS = Number(process.env.TPB_BENCH_CONNECTIONS ?? 20);
const SECONDS = Number(process.env.TPB_BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.TPB_BENCH_ROUNDS ?? 3);
const TARGET = '/postback?clickid=1027c887059b47bc69c699f45466b9&payout=2.50&txid=ord-1&status=approved';

// Reads the request (headers and body) and answers 200 "OK", as tpb catch does by default.
const BARE = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '3' }); res.end('OK\\n'); });
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

function startCatch(bin, db) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'catch', '-q', '--db', db], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.once('error', reject);
    child.stdout.setEncoding('utf8').on('data', (text) => {
      out += text;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (match) resolve({ port: Number(match[1]), stop: () => new Promise((done) => { child.once('close', done); child.kill('SIGTERM'); }) });
    });
  });
}

async function drive(url) {
  const autocannon = require('autocannon');
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, pipelining: 1, headers: { 'user-agent': 'tracker-postback/1.0' } });
  return { rps: result.requests.total / (result.duration || SECONDS), total: result.requests.total, errors: result.errors + result.non2xx };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run(context) {
  const bare = await startServer(BARE);
  const bareRates = [];
  const catchRates = [];
  try {
    for (let round = 1; round <= ROUNDS; round += 1) {
      const baseline = await drive(`http://127.0.0.1:${bare.port}${TARGET}`);
      bareRates.push(baseline.rps);
      const db = path.join(context.dataDir, 'bench-catch.db');
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
      const catcher = await startCatch(context.bin, db);
      const measured = await drive(`http://127.0.0.1:${catcher.port}${TARGET}`);
      await catcher.stop();
      const info = JSON.parse(execFileSync(process.execPath, [context.bin, 'db', 'info', '--db', db, '--json']).toString('utf8'));
      const stored = info.counts.find((c) => c.table === 'caught_requests')?.rows ?? 0;
      const conversions = info.counts.find((c) => c.table === 'conversions' && c.source === 'tpb:catch')?.rows ?? 0;
      if (measured.errors > 0 || stored < measured.total || conversions !== stored) {
        throw new Error(`expected every request recorded: ${measured.total} answered, ${measured.errors} errors, ${stored} stored, ${conversions} conversions`);
      }
      // Recorded per second: what reached the database, over the time autocannon drove it.
      const recordedRps = stored / SECONDS;
      catchRates.push(Math.min(recordedRps, measured.rps));
      context.log(`round ${round}: bare node:http ${baseline.rps.toFixed(0)} req/s; tpb catch ${measured.rps.toFixed(0)} req/s answered, ${stored} recorded (${recordedRps.toFixed(0)}/s); ratio ${(measured.rps / baseline.rps).toFixed(2)}`);
    }
  } finally {
    bare.stop();
  }
  const tpb = median(catchRates);
  const baseline = median(bareRates);
  return [
    {
      benchmark: `catch: req/s recorded at ${CONNECTIONS} connections (median of ${ROUNDS})`,
      tpb: `${tpb.toFixed(0)}/s`,
      baseline: `${baseline.toFixed(0)}/s bare node:http`,
      ratio: `${(tpb / baseline).toFixed(2)}×`,
      target: '≥ 5,000/s',
      ok: tpb >= 5000,
    },
  ];
}
