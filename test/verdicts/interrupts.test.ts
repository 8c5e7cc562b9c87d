import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { scriptedServer } from '../http/server.js';

/**
 * SIGINT (Ctrl-C) and SIGTERM (a CI job's timeout) while click and fire send: they stop, keep the
 * record of everything sent, print the summary and exit 130 / 143 — tested on the built binary,
 * since signals are the process's business.
 */

interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function spawnTpb(args: string[], cwd: string, sendSignal: (kill: (signal: NodeJS.Signals) => void) => void): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    sendSignal((signal) => child.kill(signal));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A Keitaro-like click route: 302 with a subid, each answer a little late so a run takes a while. */
async function slowRedirects(delayMs: number, hangAfter = Infinity) {
  let n = 0;
  let onCount: ((count: number) => void) | undefined;
  const server = await scriptedServer((_request, response) => {
    n += 1;
    onCount?.(n);
    if (n > hangAfter) return; // never answers: a tracker stuck mid-run
    const id = `s${String(n).padStart(6, '0')}`;
    setTimeout(() => {
      response.writeHead(302, { location: `https://landing.example/?subid=${id}`, 'content-type': 'text/html; charset=UTF-8' });
      response.end();
    }, delayMs);
  });
  return { server, whenReceived: (count: number) => new Promise<void>((resolve) => (onCount = (seen) => seen >= count && resolve())) };
}

function countRows(db: string, sql: string): number {
  const database = new Database(db, { readonly: true });
  try {
    return (database.prepare(sql).get() as { n: number }).n;
  } finally {
    database.close();
  }
}

describe('interrupts keep the record', () => {
  it('SIGTERM during tpb click -n 2000 stores every click sent, prints the summary and exits 143', async () => {
    const dir = tempDir();
    const { server, whenReceived } = await slowRedirects(15);
    const result = await spawnTpb(['click', `${server.url}/Xk3dPq?sub_id_1=2002`, '-n', '2000', '-c', '4', '--max-lines', '5'], dir, (kill) => {
      void whenReceived(60).then(() => kill('SIGTERM'));
    });
    expect(result.signal).toBeNull();
    expect(result.code).toBe(143);
    expect(result.stderr).toMatch(/interrupted: \d+ of 2000 clicks were sent, and stored \(SIGTERM\)/);
    expect(result.stdout).toMatch(/sent \d+, click ids captured \d+/);
    // Exactly what the tracker received is in the database: nothing lost, nothing invented.
    const stored = countRows(path.join(dir, 'tpb.db'), "SELECT count(*) AS n FROM clicks WHERE source = 'tpb:click'");
    expect(stored).toBe(server.received.length);
    expect(stored).toBeGreaterThanOrEqual(60);
    expect(stored).toBeLessThan(2000);
    // The run is closed with its summary, marked interrupted.
    const summary = new Database(path.join(dir, 'tpb.db'), { readonly: true }).prepare("SELECT summary_json FROM runs WHERE command = 'click'").get() as { summary_json: string };
    expect(JSON.parse(summary.summary_json)).toMatchObject({ interrupted: true, sent: stored });
  });

  it('Ctrl-C (SIGINT) during tpb fire exits 130 with every postback sent stored', async () => {
    const dir = tempDir();
    let n = 0;
    let signalled: (() => void) | undefined;
    const server = await scriptedServer((_request, response) => {
      n += 1;
      if (n === 30) signalled?.();
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
        response.end('Postback recorded successfully.');
      }, 10);
    });
    const ids = Array.from({ length: 500 }, (_, i) => `id${i}`).join('\n');
    fs.writeFileSync(path.join(dir, 'ids.csv'), `subid\n${ids}\n`);
    const result = await spawnTpb(['fire', `${server.url}/k3y/postback?subid={click_id}&status=sale`, '--from-csv', 'ids.csv', '-c', '2', '-q'], dir, (kill) => {
      signalled = () => kill('SIGINT');
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/interrupted: \d+ of 500 postbacks were sent, and stored \(SIGINT\)/);
    const stored = countRows(path.join(dir, 'tpb.db'), 'SELECT count(*) AS n FROM postbacks');
    expect(stored).toBe(server.received.length);
    expect(stored).toBeLessThan(500);
  });

  it('a tracker that stops answering: requests in flight are cut after a short grace and stored as interrupted', async () => {
    const dir = tempDir();
    const { server, whenReceived } = await slowRedirects(5, 20);
    const started = Date.now();
    const result = await spawnTpb(['click', `${server.url}/Xk3dPq`, '-n', '100', '-c', '3', '--timeout', '60s'], dir, (kill) => {
      void whenReceived(23).then(() => setTimeout(() => kill('SIGTERM'), 100));
    });
    expect(result.code).toBe(143);
    // The grace is about 2 s, far less than the 60 s timeout.
    expect(Date.now() - started).toBeLessThan(15_000);
    const db = path.join(dir, 'tpb.db');
    expect(countRows(db, "SELECT count(*) AS n FROM clicks WHERE source = 'tpb:click'")).toBe(server.received.length);
    expect(countRows(db, "SELECT count(*) AS n FROM clicks WHERE error LIKE 'network: interrupted%'")).toBe(3);
    expect(result.stdout).toMatch(/interrupted before the answer came/);
  });

  it('SIGINT during an ingest says nothing from the file was imported, and imports nothing', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'clicks.csv');
    const rows = ['click_id,occurred_at,offer_id'];
    for (let i = 0; i < 400_000; i += 1) rows.push(`c${i},2026-01-01 00:00:00,1`);
    fs.writeFileSync(file, `${rows.join('\n')}\n`);
    const db = path.join(dir, 'tpb.db');
    const result = await spawnTpb(['ingest', 'clicks.csv', '--kind', 'clicks'], dir, (kill) => {
      // Once the database is open the import is under way.
      const poll = setInterval(() => {
        if (!fs.existsSync(db)) return;
        clearInterval(poll);
        setTimeout(() => kill('SIGINT'), 150);
      }, 10);
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('interrupted (SIGINT): nothing from clicks.csv was imported');
    if (fs.existsSync(db)) expect(countRows(db, 'SELECT count(*) AS n FROM clicks')).toBe(0);
  });
});
