// tpb fire against a local postback server (its own process), every postback judged (TUNE's rule)
// and stored, side by side with autocannon at the same connections — whole processes, alternating
// which goes first, the ratio of the medians (as 30-click).
import fs from 'node:fs';
import path from 'node:path';
import { autocannonProcess, median, startServer, timedProcess } from './30-click.mjs';

export const title = 'tpb fire vs autocannon against a local postback server (whole processes)';

const CONNECTIONS = Number(process.env.TPB_BENCH_CONNECTIONS ?? 20);
const SECONDS = Number(process.env.TPB_BENCH_SECONDS ?? 3);
const COUNT = Number(process.env.TPB_BENCH_POSTBACKS ?? 30000);
const ROUNDS = Number(process.env.TPB_BENCH_ROUNDS ?? 5);

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
  const ids = path.join(context.dataDir, 'bench-fire-ids.csv');
  fs.writeFileSync(ids, `transaction_id\n${Array.from({ length: COUNT }, (_, i) => `${(0x10000000 + i).toString(16)}abcdef0123456789abcd`).join('\n')}\n`);
  const baseline = { rps: [], cpu: [] };
  const tpb = { rps: [], cpu: [] };
  const sample = `${base}/aff_lsr?offer_id=1&transaction_id=${(0x10000000).toString(16)}abcdef0123456789abcd&amount=1.25`;
  try {
    autocannonProcess(sample, CONNECTIONS, 1, {}, context.dataDir);
    for (let round = 1; round <= ROUNDS; round += 1) {
      const order = round % 2 === 1 ? ['autocannon', 'tpb'] : ['tpb', 'autocannon'];
      const line = [];
      for (const who of order) {
        if (who === 'autocannon') {
          const a = autocannonProcess(sample, CONNECTIONS, SECONDS, {}, context.dataDir);
          baseline.rps.push(a.rps);
          if (a.cpuPerRequest !== undefined) baseline.cpu.push(a.cpuPerRequest);
          line.push(`autocannon ${a.rps.toFixed(0)} req/s${a.cpuPerRequest !== undefined ? ` (${a.cpuPerRequest.toFixed(0)} µs CPU/req)` : ''}`);
        } else {
          const db = path.join(context.dataDir, 'bench-fire.db');
          for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
          const t = timedProcess(
            [context.bin, 'fire', `${base}/aff_lsr?offer_id=1&transaction_id={click_id}&amount={payout}`, '--preset', 'tune', '--from-csv', ids, '--payout', '1.25', '-c', String(CONNECTIONS), '--db', db, '--json'],
            { dataDir: context.dataDir },
          );
          const report = JSON.parse(t.stdout);
          if (report.summary.passed !== COUNT) throw new Error(`expected ${COUNT} passed postbacks, got ${report.summary.passed}`);
          const rps = COUNT / t.wall;
          tpb.rps.push(rps);
          const cpu = t.cpu === undefined ? undefined : (t.cpu / COUNT) * 1e6;
          if (cpu !== undefined) tpb.cpu.push(cpu);
          line.push(`tpb fire ${COUNT} in ${t.wall.toFixed(2)} s = ${rps.toFixed(0)}/s whole process (${report.summary.postbacks_per_second.toFixed(0)}/s in the run, p99 ${report.summary.latency_ms.p99} ms)${cpu !== undefined ? ` (${cpu.toFixed(0)} µs CPU/postback)` : ''}`);
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
      benchmark: `fire: postbacks/s at ${CONNECTIONS} connections, whole process, judged and stored (median of ${ROUNDS})`,
      tpb: `${median(tpb.rps).toFixed(0)}/s`,
      baseline: `${median(baseline.rps).toFixed(0)}/s autocannon`,
      ratio: `${ratio.toFixed(2)}×`,
      target: '≥ 0.5×',
      ok: ratio >= 0.5,
    },
  ];
  if (tpb.cpu.length > 0 && baseline.cpu.length > 0) {
    rows.push({
      benchmark: 'fire: CPU µs per request, whole process (median)',
      tpb: `${median(tpb.cpu).toFixed(0)} µs`,
      baseline: `${median(baseline.cpu).toFixed(0)} µs autocannon`,
      ratio: `${(median(baseline.cpu) / median(tpb.cpu)).toFixed(2)}×`,
      target: 'reported',
    });
  }
  return rows;
}
