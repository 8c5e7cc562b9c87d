// tpb serve under load: click throughput against a bare node:http 302 server (the ceiling for a
// node server), and peak memory after many more clicks than --max-stored keeps (bounded memory).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';

export const title = 'serve: mock tracker throughput and memory under a long run';

const CONNECTIONS = 20;
const DURATION_S = 8;
const MAX_STORED = 20_000;

const BARE_SERVER = `
const http = require('node:http');
let n = 0;
http.createServer((req, res) => {
  n += 1;
  res.writeHead(302, { Location: 'https://landing.example/offer?click_id=' + n.toString(36).padStart(20, '0'), 'Content-Length': 0 });
  res.end();
}).listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ url: 'http://127.0.0.1:' + this.address().port })); });
`;

function startChild(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      try {
        resolve({ child, doc: JSON.parse(out) });
      } catch {
        // not complete yet
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before printing its URL`)));
  });
}

function peakRssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 'NaN');
  return kb / 1024;
}

async function load(url) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });
  return { rps: result.requests.average, total: result.requests.total, errors: result.errors + result.non2xx - result['3xx'] };
}

export async function run(context) {
  const bare = await startChild(['-e', BARE_SERVER]);
  const tpb = await startChild([context.bin, 'serve', '--port', '0', '--json', '--quiet', '--max-stored', String(MAX_STORED)]);
  const dbFile = path.join(context.dataDir, 'serve-bench.db');
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(dbFile + suffix, { force: true });
  const persisted = await startChild([context.bin, '--db', dbFile, 'serve', '--port', '0', '--json', '--quiet']);
  try {
    context.log(`bare node:http 302 server, ${CONNECTIONS} connections, ${DURATION_S} s`);
    const baseline = await load(bare.doc.url);
    context.log(`tpb serve click route (generic, --max-stored ${MAX_STORED}), same load`);
    const clicks = await load(tpb.doc.routes.click);
    const rss = peakRssMb(tpb.child.pid);
    context.log(`tpb serve --db (every click an SQLite insert), same load`);
    const stored = await load(persisted.doc.routes.click);
    const ratio = clicks.rps / baseline.rps;
    return [
      {
        benchmark: `serve: clicks/s, ${CONNECTIONS} connections (${clicks.total} clicks, ${clicks.errors} errors)`,
        tpb: `${Math.round(clicks.rps)}/s`,
        baseline: `${Math.round(baseline.rps)}/s bare node:http`,
        ratio: `${ratio.toFixed(2)}×`,
        target: '≥ 0.5×',
        ok: ratio >= 0.5 && clicks.errors === 0,
      },
      {
        benchmark: `serve --db: clicks/s (${stored.total} clicks written, ${stored.errors} errors)`,
        tpb: `${Math.round(stored.rps)}/s`,
        baseline: `${Math.round(baseline.rps)}/s bare node:http`,
        ratio: `${(stored.rps / baseline.rps).toFixed(2)}×`,
        target: '',
        ok: stored.errors === 0,
      },
      {
        benchmark: `serve: peak RSS after ${clicks.total} clicks, ${MAX_STORED} kept`,
        tpb: `${rss.toFixed(0)} MB`,
        baseline: '',
        ratio: '',
        target: '< 200 MB',
        ok: rss < 200,
      },
    ];
  } finally {
    bare.child.kill('SIGTERM');
    tpb.child.kill('SIGTERM');
    persisted.child.kill('SIGTERM');
  }
}
