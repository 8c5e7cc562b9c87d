import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { click, request } from '../serve/http.js';

interface Spawned {
  url: string;
  stop: () => void;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Spawn the built binary and resolve once `pattern` (with the URL as group 1) shows on stdout or stderr. */
function spawnTpb(args: string[], cwd: string, pattern: RegExp): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let found = false;
    const done = new Promise<{ code: number; stdout: string; stderr: string }>((r) => child.on('close', (code) => r({ code: code ?? -1, stdout, stderr })));
    const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    void done.then(() => {
      clearTimeout(killer);
      if (!found) reject(new Error(`tpb ${args[0]} exited before it was ready: ${stderr}`));
    });
    const look = () => {
      const match = pattern.exec(stdout + stderr);
      if (match && !found) {
        found = true;
        resolve({ url: match[1]!, stop: () => child.kill('SIGTERM'), done });
      }
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), look()));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), look()));
    child.on('error', reject);
  });
}

describe('the chain with the built binaries: tpb serve --forward-postbacks → tpb catch', () => {
  it('each conversion the tracker records reaches tpb catch; both sides log it', async () => {
    const dir = tempDir();
    const catcher = await spawnTpb(['catch', '--json', '--expect', '2', '--until', '30s', '--db', 'ts.db'], dir, /listening on (http:\/\/127\.0\.0\.1:\d+)\//);
    const tracker = await spawnTpb(
      ['serve', '--preset', 'voluum', '--forward-postbacks', `${catcher.url}/pb?cid={click_id}&payout={payout}&txid={txid}&token=s3cr3tvalue`, '--forward-log', 'out.ndjson'],
      dir,
      /on (http:\/\/127\.0\.0\.1:\d+),/,
    );
    try {
      const campaign = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
      const ids = [await click(`${tracker.url}/${campaign}`, 'cid'), await click(`${tracker.url}/${campaign}`, 'cid')];
      for (const [i, id] of ids.entries()) {
        const answer = await request(`${tracker.url}/postback?cid=${id}&payout=1.25&txid=t${i}`);
        expect(answer.status).toBe(200);
      }
      const caught = await catcher.done;
      expect(caught.code).toBe(0);
      const document = JSON.parse(caught.stdout) as { requests: Array<{ click_id: string; query: Array<[string, string]>; conversion: { payout: string; txid: string } }> };
      expect(document.requests.map((r) => r.click_id).sort()).toEqual([...ids].sort());
      expect(document.requests[0]!.conversion.payout).toBe('1.25');
      expect(caught.stdout).not.toContain('s3cr3tvalue');
    } finally {
      tracker.stop();
    }
    const served = await tracker.done;
    expect(served.code).toBe(0);
    expect(served.stderr).toMatch(/⇢ postback out http:\/\/127\.0\.0\.1:\d+\/pb\?cid=.*token=REDACTED → 200 delivered \(1 attempt/);
    expect(served.stderr).toMatch(/outbound postbacks: 2 delivered, 0 given up/);
    const log = fs.readFileSync(path.join(dir, 'out.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { outcome: string; url: string });
    expect(log.map((entry) => entry.outcome)).toEqual(['delivered', 'delivered']);
    expect(JSON.stringify(log)).not.toContain('s3cr3tvalue');
  }, 90_000);

  it('tpb demo --chain --json: exit 0, the loss on each hop named', async () => {
    const dir = tempDir();
    const result = await runBin(['demo', '--chain', '--json'], { cwd: dir, timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as { ok: boolean; hops: Array<{ lost: string[] }>; expectations: Array<{ expected: number; actual: number }> };
    expect(document.ok).toBe(true);
    expect(document.hops.map((hop) => hop.lost.length)).toEqual([3, 2]);
    expect(result.stderr).toMatch(/Lost on hop 2 \(tracker → traffic source\): 2/);
  }, 90_000);

  it('serve: --forward-retries without --forward-postbacks is a usage error', async () => {
    const result = await runBin(['serve', '--forward-retries', '3'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/need --forward-postbacks/);
  });
});
