import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Chalk } from 'chalk';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/check/scenario.js';
import { runScenario } from '../../src/check/run.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { renderReconcileMarkdown } from '../../src/report/reconcile/markdown.js';
import { renderReconcileTable } from '../../src/report/reconcile/table.js';
import { renderTable } from '../../src/report/table.js';
import { startMockTracker, type MockTracker } from '../../src/serve/server.js';
import { Store } from '../../src/store/db.js';
import { parseMoney } from '../../src/units/money.js';
import { MAX_TIMER_MS, parseTimerDurationMs } from '../../src/units/duration.js';
import { runBin, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { seedBasic } from '../reconcile/seed.js';

// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const HOSTILE = 'U\u001b]0;pwned\u0007S\u001b[2J\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\D\u009b31m\u0085';

const stores: Store[] = [];
const trackers: MockTracker[] = [];
const servers: http.Server[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) store.close();
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('hostile text never reaches a terminal (items 7, 8)', () => {
  it('the reconcile table and markdown sanitise every field, currencies included, by construction', () => {
    const file = seedBasic(tempDir());
    const store = Store.open(file);
    stores.push(store);
    // What a hostile export leaves in the database: controls in the currency, ids, sources, file names.
    store.db.prepare('UPDATE conversions SET currency = ?').run(HOSTILE);
    store.db.prepare("UPDATE conversions SET click_id = click_id || ? WHERE rowid % 3 = 0").run(HOSTILE);
    store.db.prepare('UPDATE imports SET file = ? || file, source = source').run(HOSTILE);
    const report = reconcile(store, { limit: 50 });
    expect(JSON.stringify(report)).toContain('\u009b'); // the report itself carries the data as it is
    const table = renderReconcileTable(report, { color: new Chalk({ level: 0 }) });
    expect(table).toContain('USD'.length > 0 ? 'at stake' : '');
    expect(table).not.toMatch(TERMINAL_CONTROL);
    const markdown = renderReconcileMarkdown(report);
    expect(markdown).not.toMatch(TERMINAL_CONTROL);
    expect(renderTable([`h${HOSTILE}`], [[HOSTILE]])).not.toMatch(TERMINAL_CONTROL);
  });

  it('--json escapes C1 controls (an 8-bit CSI) so the document is inert on a terminal, and parses back the same', async () => {
    const file = seedBasic(tempDir());
    const store = Store.open(file);
    store.db.prepare('UPDATE conversions SET currency = ?').run(`U\u009b2J\u0085`);
    store.close();
    const result = await runCli(['--db', file, 'reconcile', '--json', '--limit', '1'], { cwd: path.dirname(file) });
    expect(result.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(result.stdout).toContain('\\u009b');
    expect((JSON.parse(result.stdout) as { summary: { currencies: string[] } }).summary.currencies).toContain('U\u009b2J\u0085');
  });

  it('JUnit from tpb check escapes C0 and C1 controls in what the tracker answered', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end(`nope \u009b2J \u001b]0;title\u0007`);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 's.yaml'), `name: c1\nsteps:\n  - name: pb\n    fire: { url: "http://127.0.0.1:${(server.address() as AddressInfo).port}/pb" }\n`);
    const result = await runCli(['check', 's.yaml', '--junit', 'r.xml', '--json'], { cwd });
    expect(result.code).toBe(1);
    const xml = fs.readFileSync(path.join(cwd, 'r.xml'), 'utf8');
    expect(xml).toContain('\\u009b2J');
    expect(xml).not.toMatch(TERMINAL_CONTROL);
    expect(result.stdout).not.toMatch(TERMINAL_CONTROL);
  });
});

describe('CSV: the whole stream is checked, not its first 64 KiB (items 9, 14)', () => {
  const filler = (bytes: number) => {
    const rows: string[] = [];
    let size = 0;
    for (let i = 0; size < bytes; i += 1) {
      const row = `fill-${i},2026-03-01 10:00:00,1.00\n`;
      rows.push(row);
      size += row.length;
    }
    return rows;
  };

  it('rejects a row with a NUL or a control byte, and one with invalid UTF-8, after 64 KiB — with their lines', async () => {
    const cwd = tempDir();
    const rows = filler(100 * 1024);
    const head = Buffer.from(`click_id,converted_at,payout\n${rows.join('')}`);
    const bad = Buffer.concat([
      head,
      Buffer.from('nul-\u0000-id,2026-03-01 10:00:00,1.00\n'),
      Buffer.from('esc-\u001b[2J-id,2026-03-01 10:00:00,1.00\n'),
      Buffer.from('bad-'),
      Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.from('-id,2026-03-01 10:00:00,1.00\nlast-ok,2026-03-01 10:00:00,1.00\n'),
    ]);
    fs.writeFileSync(path.join(cwd, 'conv.csv'), bad);
    const result = await runBin(['ingest', 'conv.csv', '-k', 'conversions', '--json'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    const firstBadLine = rows.length + 2;
    const summary = (JSON.parse(result.stdout) as { files: Array<{ rows: number; rejected: number }> }).files[0]!;
    expect(summary.rows).toBe(rows.length + 1);
    expect(summary.rejected).toBe(3);
    const store = Store.open(path.join(cwd, 'tpb.db'));
    stores.push(store);
    const rejects = store.db.prepare('SELECT line, reason FROM rejects ORDER BY line').all() as Array<{ line: number; reason: string }>;
    expect(rejects.map((reject) => reject.line)).toEqual([firstBadLine, firstBadLine + 1, firstBadLine + 2]);
    expect(rejects[0]!.reason).toMatch(/U\+0000/);
    expect(rejects[1]!.reason).toMatch(/U\+001B/);
    expect(rejects[2]!.reason).toMatch(/not valid UTF-8/);
    const stored = store.db.prepare("SELECT count(*) AS n FROM conversions WHERE click_id LIKE 'nul-%' OR click_id LIKE 'bad-%' OR click_id LIKE 'esc-%'").get() as { n: number };
    expect(stored.n).toBe(0);
  });

  it('refuses a header of a million columns with a clear error (exit 2), not an out-of-memory worker', async () => {
    const cwd = tempDir();
    const header = Array.from({ length: 1_000_000 }, (_, i) => `c${i}`).join(',');
    fs.writeFileSync(path.join(cwd, 'wide.csv'), `${header}\n${'1,'.repeat(10)}\n`);
    const result = await runBin(['ingest', 'wide.csv', '-k', 'clicks'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/more than 1,000 "," -separated columns|more than 1,000 ","-separated columns/);
    expect(result.stderr).not.toMatch(/out of memory|quoted field/);
  });
});

describe('amounts (item 10)', () => {
  it('rejects a double negative: (-5) is not +5.00', () => {
    expect(() => parseMoney('(-5)')).toThrow(/more than one sign/);
    expect(() => parseMoney('(5-)')).toThrow(/more than one sign/);
    expect(() => parseMoney('($-5.00)')).toThrow(/more than one sign/);
    expect(parseMoney('(5.00)')).toBe(-5_000_000);
    expect(parseMoney('-5')).toBe(-5_000_000);
  });
});

describe('bounds (items 11, 12, 13, 15)', () => {
  it("a check fire step's timeout holds (it was always 10 s)", async () => {
    const server = http.createServer((_req, res) => {
      setTimeout(() => res.end('ok'), 10_000).unref();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = tempDir();
    const scenario = parseScenario(`name: t\nsteps:\n  - name: slow\n    fire: { url: "http://127.0.0.1:${(server.address() as AddressInfo).port}/pb", timeout: 300ms }\n`, path.join(dir, 's.yaml'));
    const store = Store.open(':memory:');
    stores.push(store);
    const started = performance.now();
    const result = await runScenario({ scenario, env: {}, store });
    expect(performance.now() - started).toBeLessThan(8000); // the old 10 s timeout would have waited for the answer
    expect(result.runs[0]!.steps[0]!.status).toBe('error');
    expect(result.runs[0]!.steps[0]!.reason).toMatch(/within 300 ms/);
  });

  it('durations a timer cannot hold are refused (exit 2), never turned into 1 ms', async () => {
    expect(() => parseTimerDurationMs('25d', MAX_TIMER_MS)).toThrow(/too long/);
    expect(parseTimerDurationMs('10s', MAX_TIMER_MS)).toBe(10_000);
    const cwd = tempDir();
    const fire = await runCli(['fire', 'http://127.0.0.1:9/pb?cid=x', '--timeout', '25d'], { cwd });
    expect(fire.code).toBe(2);
    expect(fire.stderr).toMatch(/too long: at most 1h/);
    const click = await runCli(['click', 'http://127.0.0.1:9/c', '--timeout', '30d'], { cwd });
    expect(click.code).toBe(2);
    expect(() => parseScenario('name: w\nsteps:\n  - wait: 25d\n', 'w.yaml')).toThrow(/too long: at most 1d/);
    expect(() => parseScenario('name: w\nsteps:\n  - fire: { url: "http://x/pb", timeout: 2h }\n', 'w.yaml')).toThrow(/too long: at most 1h/);
    const wait = await runCli(['fire', 'http://127.0.0.1:9/pb?cid=x', '--retry-delay', '30d'], { cwd });
    expect(wait.code).toBe(2);
  });

  it('limits scenario size, steps, repeats, retries, aliases and the error listing', async () => {
    const step = (i: number) => `  - name: s${i}\n    wait: 1ms\n`;
    expect(() => parseScenario(`name: big\nsteps:\n${'#'.repeat(2 * 1024 * 1024)}\n${step(0)}`, 'big.yaml')).toThrow(/at most 1 MB/);
    expect(() => parseScenario(`name: many\nsteps:\n${Array.from({ length: 600 }, (_, i) => step(i)).join('')}`, 'many.yaml')).toThrow(/600 steps: at most 500/);
    expect(() => parseScenario('name: r\nsteps:\n  - fire: { url: "http://x/pb", repeat: 5000 }\n', 'r.yaml')).toThrow(/repeat: at most 1000/);
    expect(() => parseScenario('name: r\nsteps:\n  - fire: { url: "http://x/pb", retries: 50 }\n', 'r.yaml')).toThrow(/retries: at most 10/);
    const aliases = `name: a\nx: &a { wait: 1ms }\nsteps:\n${Array.from({ length: 5000 }, () => '  - *a\n').join('')}`;
    let message = '';
    try {
      parseScenario(aliases, 'a.yaml');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n').length).toBeLessThan(25);
    expect(message).toMatch(/aliases|at most/);
    // Many problems: the first 20 listed, the rest counted.
    const broken = `name: b\nsteps:\n${Array.from({ length: 100 }, (_, i) => `  - name: b${i}\n    wait: nonsense\n`).join('')}`;
    try {
      parseScenario(broken, 'b.yaml');
      expect.unreachable();
    } catch (error) {
      const lines = (error as Error).message.split('\n');
      expect(lines.length).toBe(21);
      expect(lines.at(-1)).toBe('… and 80 more problems');
    }
    // The file is refused before it is read whole.
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'huge.yaml'), `name: h\nsteps:\n${step(0)}${'# filler\n'.repeat(300_000)}`);
    const result = await runBin(['check', 'huge.yaml'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/at most 1 MB/);
    expect(fs.existsSync(path.join(cwd, 'tpb.db'))).toBe(false);
  });

  it('tpb serve drops a client that sends its headers slowly, and keeps serving others', async () => {
    const tracker = await startMockTracker({ headersTimeoutMs: 500 });
    trackers.push(tracker);
    const { port } = new URL(tracker.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let answer408 = '';
    socket.on('data', (chunk: Buffer) => (answer408 += chunk.toString()));
    socket.write('GET /click HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.writable && socket.write('X-Slow: a\r\n'), 100);
    const closed = await new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 8000).unref();
    });
    clearInterval(drip);
    socket.destroy();
    expect(closed).toBe(true);
    expect(answer408).toMatch(/^HTTP\/1\.1 408 /);
    const answer = await fetch(`${tracker.url}/health`).catch(() => undefined);
    expect(answer === undefined ? 'no answer' : 'answered').toBe('answered');
  });
});
