import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runBin, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { click, request } from './http.js';

interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Spawn the built `tpb serve …` and wait until it has printed what `ready` looks for. */
async function serve(args: string[], cwd: string, ready: RegExp = /Press Ctrl-C/): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout} ${stderr}`)), 10_000);
    const check = () => {
      if (ready.test(stderr) || ready.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`serve exited early: ${stdout} ${stderr}`));
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

function urlIn(text: string, label: string): string {
  const match = new RegExp(`^\\s+${label}\\s+(http://\\S+)`, 'm').exec(text);
  if (!match) throw new Error(`no ${label} URL in: ${text}`);
  return match[1]!;
}

describe('tpb serve (built binary)', () => {
  it('prints its URLs, serves, logs each request to stderr, and exits 0 on SIGTERM', async () => {
    const cwd = tempDir();
    const running = await serve(['--port', '0', '--preset', 'tune'], cwd);
    const clickUrl = urlIn(running.stdout(), 'click');
    expect(clickUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/aff_c\?offer_id=1001&aff_id=2002$/);
    expect(urlIn(running.stdout(), 'postback')).toContain('/aff_lsr?offer_id=1001&transaction_id={click_id}');
    expect(urlIn(running.stdout(), 'clicks.csv')).toMatch(/\/export\/clicks\.csv$/);
    const id = await click(`${clickUrl}&security_token=t0psecret`, 'transaction_id');
    const base = new URL(clickUrl).origin;
    expect((await request(`${base}/aff_lsr?transaction_id=${id}`)).body).toBe('success=true;');
    running.child.kill('SIGTERM');
    const { code } = await running.exited;
    expect(code).toBe(0);
    const stderr = running.stderr();
    expect(stderr).toMatch(/GET \/aff_c\?offer_id=1001&aff_id=2002&security_token=REDACTED → 302/);
    expect(stderr).toMatch(/GET \/aff_lsr\?transaction_id=\w+ → 200 [\d.]+ms recorded/);
    expect(stderr).not.toContain('t0psecret');
    expect(stderr).toMatch(/SIGTERM: stopping/);
    expect(stderr).toMatch(/stopped: 2 requests; 1 clicks; postbacks: 1 recorded/);
    // Nothing written to disk without --db.
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('stops on SIGINT too, while a client holds a keep-alive connection', async () => {
    const running = await serve([], tempDir());
    const clickUrl = urlIn(running.stdout(), 'click');
    const agentResponse = await fetch(clickUrl, { redirect: 'manual' });
    expect(agentResponse.status).toBe(302);
    running.child.kill('SIGINT');
    expect((await running.exited).code).toBe(0);
  });

  it('--json prints one document with the routes; --quiet keeps the request log off stderr', async () => {
    const running = await serve(['--json', '--quiet', '--preset', 'keitaro', '--postback-key', 'abc123'], tempDir(), /"routes"[\s\S]*\}\n$/);
    const doc = JSON.parse(running.stdout()) as { url: string; preset: string; routes: Record<string, string>; db: null };
    expect(doc.preset).toBe('keitaro');
    expect(doc.db).toBeNull();
    expect(doc.routes.postback).toBe(`${doc.url}/abc123/postback?subid={click_id}&tid={txid}&status={status}&payout={payout}`);
    expect(doc.routes.postback_base).toBe(`${doc.url}/abc123`);
    await click(doc.routes.click!, 'subid');
    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
    expect(running.stderr()).toBe('');
  });

  it('--db persists into mock_clicks / mock_conversions and --log appends NDJSON', async () => {
    const cwd = tempDir();
    const running = await serve(['--db', 'mock.db', '--log', 'requests.ndjson', '--preset', 'affise', '--seed', '9'], cwd);
    expect(running.stdout()).toContain(`recording into ${path.join(cwd, 'mock.db')}`);
    const clickUrl = urlIn(running.stdout(), 'click');
    const id = await click(clickUrl, 'clickid');
    await request(`${new URL(clickUrl).origin}/postback?clickid=${id}&sum=4.20&secret=xyz1234`);
    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);

    const lines = fs.readFileSync(path.join(cwd, 'requests.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ method: 'GET', route: 'click', status: 302, click_id: id });
    expect(lines[1]).toMatchObject({ route: 'postback', status: 200, outcome: 'recorded', path: `/postback?clickid=${id}&sum=4.20&secret=REDACTED` });

    const info = await runBin(['db', 'info', '--json', '--db', 'mock.db'], { cwd });
    const counts = (JSON.parse(info.stdout) as { counts: Array<{ table: string; rows: number }> }).counts;
    expect(counts.find((count) => count.table === 'mock_clicks')?.rows).toBe(1);
    expect(counts.find((count) => count.table === 'mock_conversions')?.rows).toBe(1);
  });

  it('a port in use is a runtime error (exit 3) with a hint', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await runCli(['serve', '--port', String(port)], { cwd: tempDir() });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
      expect(result.stderr).toContain('--port 0');
    } finally {
      blocker.close();
    }
  });

  it('bad option values are usage errors (exit 2), before anything listens', async () => {
    const cwd = tempDir();
    for (const args of [
      ['serve', '--preset', 'nope'],
      ['serve', '--fail-rate', '1.5'],
      ['serve', '--latency', 'slow'],
      ['serve', '--port', '70000'],
      ['serve', '--landing', 'not-a-url'],
    ]) {
      const result = await runCli(args, { cwd });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
    }
    const log = await runCli(['serve', '--log', 'no/such/dir/log.ndjson'], { cwd });
    expect(log.code).toBe(2);
    expect(log.stderr).toContain('--log');
  });

  it('--help shows the routes of every preset, what tpb chose, and examples', async () => {
    const result = await runCli(['serve', '--help'], { cwd: tempDir() });
    expect(result.code).toBe(0);
    for (const preset of ['generic', 'tune', 'everflow', 'voluum', 'keitaro', 'binom', 'cake', 'affise', 'redtrack', 'prosper202']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${preset} `, 'm'));
    }
    expect(result.stdout).toContain('tpb chose');
    expect(result.stdout).toContain('Examples:');
  });
});

describe('the commands tpb serve suggests', () => {
  it('work as printed for every preset: a click captures an id, the postback fired for it passes', async () => {
    const presets = ['generic', 'tune', 'everflow', 'voluum', 'keitaro', 'binom', 'cake', 'affise', 'redtrack', 'prosper202'];
    for (const preset of presets) {
      const cwd = tempDir();
      const running = await serve(['--port', '0', '--preset', preset], cwd);
      const lines = running.stdout().split('\n');
      const tryClick = lines.find((line) => line.startsWith('Try: tpb click '))!.replace(/^Try: tpb /, '');
      const tryFire = lines.find((line) => line.trim().startsWith('tpb fire '))!.trim().replace(/^tpb /, '');
      // The suggested lines are shell commands; split them on spaces outside double quotes.
      const argv = (line: string) => [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
      const clicked = await runBin(argv(tryClick), { cwd });
      expect([preset, clicked.code, clicked.stderr]).toEqual([preset, 0, expect.any(String)]);
      const fired = await runBin(argv(tryFire), { cwd });
      expect([preset, fired.code, fired.stderr]).toEqual([preset, 0, expect.any(String)]);
      running.child.kill('SIGTERM');
      await running.exited;
    }
  }, 240_000); // eleven presets, each a spawned serve, click and fire: minutes on a loaded 2-core machine
});
