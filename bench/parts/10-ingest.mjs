// npm run bench -- ingest: tpb ingest of a 1,000,000-row click export versus `sqlite3 .import` of
// the same file into a fresh database, measured side by side in one run, plus tpb's peak RSS.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const title = 'ingest: 1,000,000-row click export, tpb ingest vs sqlite3 .import';

const ROWS = 1_000_000;
const SEED = 20261129;
const FILE_NAME = `clicks-${ROWS}-v1.csv`;

/** mulberry32: small, fast, deterministic. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
];
const SOURCES = ['fb', 'google', 'tiktok', 'native', 'push', 'email', 'pop'];

function csvCell(value) {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A TUNE-style click export (comma, `YYYY-MM-DD HH:MM:SS` UTC, quoted user agents with commas):
 * 11 columns, about 270 bytes a row.
 */
export function generateClickExport(file, rows = ROWS, seed = SEED) {
  const random = prng(seed);
  const hex = (length) => {
    let out = '';
    while (out.length < length) out += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
    return out.slice(0, length);
  };
  const fd = fs.openSync(`${file}.tmp`, 'w');
  const header = ['Transaction ID', 'Date / Time', 'Offer', 'Partner', 'Partner Sub ID 1', 'Partner Sub ID 2', 'Partner Sub ID 3', 'Partner Sub ID 4', 'Partner Sub ID 5', 'IP', 'User Agent'];
  let chunk = `${header.join(',')}\n`;
  let time = Date.UTC(2026, 9, 1);
  for (let i = 0; i < rows; i += 1) {
    time += Math.floor(random() * 5000);
    const stamp = new Date(time).toISOString().slice(0, 19).replace('T', ' ');
    const offer = String(1000 + Math.floor(random() * 40));
    const partner = String(2000 + Math.floor(random() * 300));
    const ip = `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
    const ua = USER_AGENTS[Math.floor(random() * USER_AGENTS.length)];
    const cells = [
      `10${hex(28)}`,
      stamp,
      offer,
      partner,
      SOURCES[Math.floor(random() * SOURCES.length)],
      `cr${Math.floor(random() * 500)}`,
      random() < 0.5 ? '' : `kw-${hex(6)}`,
      random() < 0.8 ? '' : `p${Math.floor(random() * 99)}`,
      '',
      ip,
      ua,
    ];
    chunk += `${cells.map(csvCell).join(',')}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  fs.renameSync(`${file}.tmp`, file);
}

function ensureSqlite3(log) {
  const found = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' });
  if (found.status === 0) return 'sqlite3';
  log('sqlite3 not found; trying apt-get install -y sqlite3');
  const installed = spawnSync('sh', ['-c', 'apt-get install -y sqlite3 || sudo -n apt-get install -y sqlite3'], { stdio: 'inherit' });
  if (installed.status === 0 && spawnSync('sqlite3', ['-version']).status === 0) return 'sqlite3';
  throw new Error('the baseline needs the sqlite3 shell: install it (Debian/Ubuntu: apt-get install sqlite3) and run again');
}

/** Run a command, return wall seconds and the peak RSS in MB (VmHWM, polled from /proc). */
function measure(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let peakKb = 0;
    let cpuTicks = 0;
    const poll = () => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
        // utime + stime of all the process's threads, in clock ticks (the last sample before exit).
        const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        cpuTicks = Math.max(cpuTicks, Number(stat[11]) + Number(stat[12]));
      } catch {
        /* exited */
      }
    };
    const timer = setInterval(poll, 10);
    child.on('error', reject);
    child.on('exit', () => poll());
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ seconds, peakMb: peakKb / 1024, cpuSeconds: cpuTicks / 100, stdout, stderr });
    });
  });
}

function removeDb(file) {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
}

export async function run(context) {
  const file = path.join(context.dataDir, FILE_NAME);
  if (!fs.existsSync(file)) {
    context.log(`generating ${FILE_NAME} (${ROWS.toLocaleString('en-US')} rows, seed ${SEED}) once…`);
    generateClickExport(file);
  }
  const size = fs.statSync(file).size;
  context.log(`${FILE_NAME}: ${(size / 1e6).toFixed(0)} MB`);
  const sqlite3 = ensureSqlite3(context.log);

  const baselineDb = path.join(context.dataDir, 'bench-ingest-sqlite3.db');
  const tpbDb = path.join(context.dataDir, 'bench-ingest-tpb.db');
  // Warm the page cache so neither side pays for the first read of the file.
  fs.readFileSync(file).length;

  const rounds = Number(process.env.TPB_BENCH_ROUNDS ?? 5);
  context.log(`load average ${os.loadavg().map((load) => load.toFixed(2)).join(' ')} on ${os.cpus().length} cores (other work on the machine slows both sides)`);
  const baselineTimes = [];
  const tpbTimes = [];
  const baselineCpu = [];
  const tpbCpu = [];
  let peakMb = 0;
  let rowsWritten = 0;
  const runBaseline = () => {
    removeDb(baselineDb);
    return measure(sqlite3, [baselineDb, '.mode csv', `.import ${file} clicks`]);
  };
  const runTpb = () => {
    removeDb(tpbDb);
    return measure(process.execPath, [context.bin, '--db', tpbDb, '--json', '-q', 'ingest', file, '--kind', 'clicks'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
  };
  for (let round = 0; round < rounds; round += 1) {
    // Alternate which side goes first, so a trend in the machine's load favours neither.
    let base;
    let ours;
    if (round % 2 === 0) {
      base = await runBaseline();
      ours = await runTpb();
    } else {
      ours = await runTpb();
      base = await runBaseline();
    }
    baselineTimes.push(base.seconds);
    tpbTimes.push(ours.seconds);
    baselineCpu.push(base.cpuSeconds);
    tpbCpu.push(ours.cpuSeconds);
    peakMb = Math.max(peakMb, ours.peakMb);
    rowsWritten = JSON.parse(ours.stdout).files[0].rows;
    context.log(
      `round ${round + 1}: sqlite3 .import ${base.seconds.toFixed(2)} s (cpu ${base.cpuSeconds.toFixed(2)} s), ` +
        `tpb ingest ${ours.seconds.toFixed(2)} s (cpu ${ours.cpuSeconds.toFixed(2)} s, ${rowsWritten} rows), peak RSS ${ours.peakMb.toFixed(0)} MB`,
    );
  }
  removeDb(baselineDb);
  removeDb(tpbDb);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const baseline = median(baselineTimes);
  const tpb = median(tpbTimes);
  // Each round runs the two side by side; the ratio is the median of the rounds' ratios, so a
  // burst of load from elsewhere on the machine skews one round, not the result.
  const ratio = median(tpbTimes.map((seconds, i) => seconds / baselineTimes[i]));
  if (rowsWritten !== ROWS) throw new Error(`tpb wrote ${rowsWritten} rows, expected ${ROWS}`);
  return [
    {
      benchmark: `ingest ${ROWS.toLocaleString('en-US')} clicks (${(size / 1e6).toFixed(0)} MB), median of ${rounds} rounds`,
      tpb: `${tpb.toFixed(2)} s (${Math.round(ROWS / tpb).toLocaleString('en-US')} rows/s)`,
      baseline: `${baseline.toFixed(2)} s sqlite3 .import`,
      ratio: `${ratio.toFixed(2)}×`,
      target: '≤ 2.0×',
      ok: ratio <= 2.0,
    },
    {
      benchmark: 'ingest CPU time, user+sys (both threads)',
      tpb: `${median(tpbCpu).toFixed(2)} s`,
      baseline: `${median(baselineCpu).toFixed(2)} s`,
      ratio: `${(median(tpbCpu) / median(baselineCpu)).toFixed(2)}×`,
      target: '',
      ok: undefined,
    },
    {
      benchmark: 'ingest peak RSS',
      tpb: `${peakMb.toFixed(0)} MB`,
      baseline: '',
      ratio: '',
      target: '≤ 200 MB',
      ok: peakMb <= 200,
    },
  ];
}
