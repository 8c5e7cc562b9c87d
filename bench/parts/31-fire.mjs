// tpb fire against a local postback server (its own process), every postback judged (TUNE's rule)
// and stored, side by side with autocannon at the same connections — whole processes, alternating
// which goes first, the ratio of the medians (as 30-click). Each round times two tpb runs: `-q`,
// the load test as a user runs it (the figures and the check read back from the database, as
// 30-click does), and `--json`, which also lists every postback on stdout.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { autocannonCell, autocannonLine, autocannonProcess, median, startServer, timedProcess } from './30-click.mjs';

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
  const baseline = { rps: [], ownRps: [], cpu: [] };
  const quiet = { rps: [], cpu: [] };
  const json = { rps: [], cpu: [] };
  const sample = `${base}/aff_lsr?offer_id=1&transaction_id=${(0x10000000).toString(16)}abcdef0123456789abcd&amount=1.25`;
  const fireArgs = (db) => [context.bin, 'fire', `${base}/aff_lsr?offer_id=1&transaction_id={click_id}&amount={payout}`, '--preset', 'tune', '--from-csv', ids, '--payout', '1.25', '-c', String(CONNECTIONS), '--db', db];
  const freshDb = () => {
    const db = path.join(context.dataDir, 'bench-fire.db');
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
    return db;
  };
  const record = (into, t) => {
    const rps = COUNT / t.wall;
    into.rps.push(rps);
    const cpu = t.cpu === undefined ? undefined : (t.cpu / COUNT) * 1e6;
    if (cpu !== undefined) into.cpu.push(cpu);
    return { rps, cpu };
  };
  try {
    autocannonProcess(sample, CONNECTIONS, 1, {}, context.dataDir);
    for (let round = 1; round <= ROUNDS; round += 1) {
      const order = round % 2 === 1 ? ['autocannon', 'quiet', 'json'] : ['json', 'quiet', 'autocannon'];
      const line = [];
      for (const who of order) {
        if (who === 'autocannon') {
          const a = autocannonProcess(sample, CONNECTIONS, SECONDS, {}, context.dataDir);
          baseline.rps.push(a.rps);
          baseline.ownRps.push(a.ownRps);
          if (a.cpuPerRequest !== undefined) baseline.cpu.push(a.cpuPerRequest);
          line.push(autocannonLine(a));
        } else if (who === 'quiet') {
          const db = freshDb();
          const t = timedProcess([...fireArgs(db), '-q'], { dataDir: context.dataDir });
          const runs = JSON.parse(execFileSync(process.execPath, [context.bin, 'db', 'export', 'runs', '--format', 'json', '--db', db], { maxBuffer: 1 << 26 }).toString('utf8'));
          const summary = JSON.parse(runs.at(-1).summary_json);
          const info = JSON.parse(execFileSync(process.execPath, [context.bin, 'db', 'info', '--db', db, '--json']).toString('utf8'));
          const stored = info.counts.find((c) => c.table === 'conversions' && c.source === 'tpb:fire')?.rows;
          if (summary.passed !== COUNT || stored !== COUNT) throw new Error(`expected ${COUNT} passed and stored postbacks, got ${summary.passed} passed, ${stored} stored`);
          const { rps, cpu } = record(quiet, t);
          line.push(`tpb fire -q ${COUNT} in ${t.wall.toFixed(2)} s = ${rps.toFixed(0)}/s whole process (${summary.postbacks_per_second.toFixed(0)}/s in the run, p99 ${summary.latency_ms.p99} ms)${cpu !== undefined ? ` (${cpu.toFixed(0)} µs CPU/postback)` : ''}`);
        } else {
          const t = timedProcess([...fireArgs(freshDb()), '--json'], { dataDir: context.dataDir });
          const report = JSON.parse(t.stdout);
          if (report.summary.passed !== COUNT || report.postbacks.length !== COUNT) throw new Error(`expected ${COUNT} passed postbacks listed, got ${report.summary.passed} passed, ${report.postbacks.length} listed`);
          const { rps, cpu } = record(json, t);
          line.push(`tpb fire --json ${COUNT} in ${t.wall.toFixed(2)} s = ${rps.toFixed(0)}/s whole process${cpu !== undefined ? ` (${cpu.toFixed(0)} µs CPU/postback)` : ''}`);
        }
      }
      context.log(`round ${round}: ${line.join('; ')}`);
    }
  } finally {
    server.stop();
  }
  const ratio = median(quiet.rps) / median(baseline.rps);
  const jsonRatio = median(json.rps) / median(baseline.rps);
  const rows = [
    {
      benchmark: `fire: postbacks/s at ${CONNECTIONS} connections, whole process, judged and stored, -q (median of ${ROUNDS})`,
      tpb: `${median(quiet.rps).toFixed(0)}/s`,
      baseline: autocannonCell(baseline, median(quiet.rps)),
      ratio: `${ratio.toFixed(2)}×`,
      target: '≥ 0.5×',
      ok: ratio >= 0.5,
    },
    {
      benchmark: `fire --json (every postback listed on stdout): postbacks/s, whole process (median of ${ROUNDS})`,
      tpb: `${median(json.rps).toFixed(0)}/s`,
      baseline: autocannonCell(baseline, median(json.rps)),
      ratio: `${jsonRatio.toFixed(2)}×`,
      target: 'reported',
    },
  ];
  if (quiet.cpu.length > 0 && baseline.cpu.length > 0) {
    rows.push({
      benchmark: 'fire -q: CPU µs per request, whole process (median)',
      tpb: `${median(quiet.cpu).toFixed(0)} µs`,
      baseline: `${median(baseline.cpu).toFixed(0)} µs autocannon`,
      ratio: `${(median(baseline.cpu) / median(quiet.cpu)).toFixed(2)}×`,
      target: 'reported',
    });
  }
  return rows;
}
