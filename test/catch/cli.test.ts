import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Spawn `tpb catch …`, resolve its URL from the banner, and the exit once it stops. */
function spawnCatch(args: string[], cwd: string): Promise<{ url: string; done: Promise<{ code: number; stdout: string; stderr: string }> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'catch', ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let announced = false;
    const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolveDone) => child.on('close', (code) => resolveDone({ code: code ?? -1, stdout, stderr })));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    void done.then(() => clearTimeout(timer));
    const look = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout + stderr);
      if (match && !announced) {
        announced = true;
        resolve({ url: match[1]!, done });
      }
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), look()));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), look()));
    child.on('error', reject);
    void done.then((result) => {
      if (!announced) reject(new Error(`tpb catch exited ${result.code} before listening: ${result.stderr}`));
    });
  });
}

function get(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

describe('tpb catch (built binary)', () => {
  it('--json --count: prints one document with every request; the requests are stored and listed', async () => {
    const dir = tempDir();
    const { url, done } = await spawnCatch(['--json', '--count', '2', '--db', 'c.db', '--log', 'caught.ndjson', '--status', '200', '--body', 'success=true;', '--content-type', 'text/html'], dir);
    expect(await get(`${url}/aff_lsr?transaction_id=abc&amount=2.50&security_token=hunter22`)).toBe(200);
    expect(await get(`${url}/anything/else`)).toBe(200);
    const result = await done;
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as { stats: { requests: number }; requests: Array<{ path: string; query_raw: string; click_id: string | null; conversion: { payout: string } | null }> };
    expect(document.stats.requests).toBe(2);
    expect(document.requests[0]).toMatchObject({ path: '/aff_lsr', click_id: 'abc', conversion: { payout: '2.50' } });
    expect(document.requests[0]!.query_raw).toBe('transaction_id=abc&amount=2.50&security_token=REDACTED');
    expect(document.requests[1]!.click_id).toBeNull();
    expect(result.stderr).toMatch(/#1 GET \/aff_lsr\?transaction_id=abc&amount=2.50&security_token=REDACTED → 200/);
    expect(result.stdout + result.stderr + fs.readFileSync(path.join(dir, 'caught.ndjson'), 'utf8')).not.toContain('hunter22');
    expect(fs.readFileSync(path.join(dir, 'caught.ndjson'), 'utf8').trim().split('\n')).toHaveLength(2);

    const list = await runBin(['catch', 'list', '--db', 'c.db'], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/\/anything\/else[\s\S]*\/aff_lsr\?transaction_id=abc/);
    const show = await runBin(['catch', 'show', '1', '--db', 'c.db'], { cwd: dir });
    expect(show.stdout).toMatch(/^GET \/aff_lsr\?transaction_id=abc&amount=2.50&security_token=REDACTED$/m);
    expect(show.stdout).toMatch(/click id: abc \(from transaction_id\)/);
    const missing = await runBin(['catch', 'show', '99', '--db', 'c.db'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no caught request with id 99/);
  }, 60_000);

  it('--expect: exit 1 when fewer requests than expected arrived before --until', async () => {
    const dir = tempDir();
    const { url, done } = await spawnCatch(['--expect', '3', '--until', '1500ms', '--db', 'c.db'], dir);
    expect(await get(`${url}/pb?clickid=1`)).toBe(200);
    const result = await done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/expected 3 requests, only 1 arrived/);
  }, 60_000);

  it('--expect without --count stops as soon as the expected requests arrived (exit 0)', async () => {
    const dir = tempDir();
    const { url, done } = await spawnCatch(['--expect', '2', '--until', '20s', '--fail-rate', '1', '--db', 'c.db', '-q'], dir);
    expect(await get(`${url}/a`)).toBe(503);
    expect(await get(`${url}/b`)).toBe(503);
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/#1/);
  }, 60_000);

  it('a bad rules file is exit 2 with its file and line, before listening', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'rules.yaml'), '- match: { path: /x }\n  status: two hundred\n');
    const result = await runBin(['catch', '--rules', 'rules.yaml', '--db', 'c.db'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/rules\.yaml:2: .*status: expected an HTTP status/);
    expect(result.stderr).not.toMatch(/listening/);
  });
});
