// tpb fire at concurrency 50 against a local postback server (its own process), every postback
// judged and stored; autocannon at 50 connections against the same server for scale.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { autocannonRate, startServer } from './30-click.mjs';

export const title = 'tpb fire at concurrency 50 against a local postback server';

const CONCURRENCY = 50;
const COUNT = Number(process.env.TPB_BENCH_POSTBACKS ?? 30000);

const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '13' });
  res.end('success=true;');
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

export async function run(context) {
  const server = await startServer(SERVER);
  const base = `http://127.0.0.1:${server.port}`;
  try {
    const baseline = await autocannonRate(`${base}/aff_lsr?offer_id=1&transaction_id=x`, CONCURRENCY, 3);
    context.log(`autocannon: ${baseline.rps.toFixed(0)} req/s at ${CONCURRENCY} connections`);
    const ids = path.join(context.dataDir, 'bench-fire-ids.csv');
    fs.writeFileSync(ids, `transaction_id\n${Array.from({ length: COUNT }, (_, i) => `${(0x10000000 + i).toString(16)}abcdef0123456789abcd`).join('\n')}\n`);
    const db = path.join(context.dataDir, 'bench-fire.db');
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
    const out = execFileSync(
      process.execPath,
      [context.bin, 'fire', `${base}/aff_lsr?offer_id=1&transaction_id={click_id}&amount={payout}`, '--preset', 'tune', '--from-csv', ids, '--payout', '1.25', '-c', String(CONCURRENCY), '--db', db, '--json'],
      { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const report = JSON.parse(out.toString('utf8'));
    if (report.summary.passed !== COUNT) throw new Error(`expected ${COUNT} passed postbacks, got ${report.summary.passed}`);
    const rate = report.summary.postbacks_per_second;
    context.log(`tpb fire: ${COUNT} postbacks in ${(report.summary.duration_ms / 1000).toFixed(2)} s, p50 ${report.summary.latency_ms.p50} ms, p99 ${report.summary.latency_ms.p99} ms`);
    return [
      {
        benchmark: `fire: postbacks/s at concurrency ${CONCURRENCY}, judged and stored`,
        tpb: `${rate.toFixed(0)}/s`,
        baseline: `${baseline.rps.toFixed(0)}/s autocannon`,
        ratio: `${(rate / baseline.rps).toFixed(2)}×`,
        target: 'reported',
      },
    ];
  } finally {
    server.stop();
  }
}
