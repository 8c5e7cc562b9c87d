import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Issue 10 item 4: a check's verdict does not depend on what the database held before. The tracker
 * here debounces like real ones (the same offer from the same IP gets the same click id back), so a
 * second run against a shared ./tpb.db used to see the first run's click and postback as duplicates.
 */
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

interface Tracker {
  url: string;
  requests: string[];
}

async function debouncingTracker(): Promise<Tracker> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url!);
    const url = new URL(request.url!, 'http://tracker');
    if (url.pathname === '/click') {
      response.writeHead(302, { Location: `/landing?cid=c-${url.searchParams.get('offer')}` }).end();
    } else if (url.pathname === '/pb') {
      // PHP's default content type for a plain-text answer.
      response.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' }).end('OK');
    } else response.writeHead(404).end('not found');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** Click, postback, and a reconcile of the fired postbacks against the clicks, failing on any duplicate. */
const FIRED = `name: fired
tracker: \${TRACKER_URL}
steps:
  - name: click
    click: { url: "{tracker}/click?offer={offer}" }
  - name: postback
    fire: { url: "{tracker}/pb?cid={click_id}&txid={txid}", txid: "order-{offer}" }
  - name: no duplicates
    reconcile: { conversions_source: "tpb:fire", fail_on: [duplicate_extra, duplicate_clicks], max_unmatched: 0 }
`;

/** The tracker's conversion export, loaded by the scenario itself. */
const EXPORTED = `name: exported
tracker: \${TRACKER_URL}
vars: { offer: "7" }
steps:
  - name: click
    click: { url: "{tracker}/click?offer={offer}" }
  - name: postback
    fire: { url: "{tracker}/pb?cid={click_id}" }
  - name: export
    ingest: { file: export.csv, kind: conversions }
  - name: all paid
    reconcile: { max_unmatched: 0 }
`;

interface CheckDocument {
  summary: { passed: number; failed: number };
  database: { path: string; temporary: boolean };
  runs: Array<{ row: number | null; stored: { runs: number[]; imports: number[] }; steps: Array<{ name: string; status: string; reason: string }> }>;
}

function writeExport(cwd: string, clickId: string): void {
  const later = new Date(Date.now() + 3_600_000).toISOString();
  fs.writeFileSync(path.join(cwd, 'export.csv'), `click_id,occurred_at,txid,payout\n${clickId},${later},T1,2.00\n`);
}

describe('tpb check keeps its verdict to what the scenario did', () => {
  it('the same scenario twice in one directory gives the same verdict; the temporary database is gone after each run', async () => {
    const tracker = await debouncingTracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'fired.yaml'), FIRED);
    const env = { TRACKER_URL: tracker.url };
    const first = await runBin(['check', 'fired.yaml', '--var', 'offer=1', '--json'], { cwd, env });
    const second = await runBin(['check', 'fired.yaml', '--var', 'offer=1', '--json'], { cwd, env });
    for (const result of [first, second]) {
      expect(result.stderr).not.toMatch(/error/);
      expect(result.code).toBe(0);
      const document = JSON.parse(result.stdout) as CheckDocument;
      expect(document.summary).toMatchObject({ passed: 3, failed: 0 });
      expect(document.database.temporary).toBe(true);
      expect(path.dirname(path.dirname(document.database.path))).not.toBe(cwd);
      expect(fs.existsSync(path.dirname(document.database.path))).toBe(false);
    }
    expect(fs.existsSync(path.join(cwd, 'tpb.db'))).toBe(false);
    // Both runs really reached the tracker, and got the same (debounced) click id.
    expect(tracker.requests.filter((url) => url === '/pb?cid=c-1&txid=order-1')).toHaveLength(2);

    // Run against one kept database, the second run still reconciles only its own click and postback …
    const kept1 = await runBin(['check', 'fired.yaml', '--var', 'offer=1', '--db', 'x.db', '-v'], { cwd, env });
    const kept2 = await runBin(['check', 'fired.yaml', '--var', 'offer=1', '--db', 'x.db', '-v'], { cwd, env });
    expect([kept1.code, kept2.code]).toEqual([0, 0]);
    expect(kept2.stderr).toContain(`database: ${path.join(cwd, 'x.db')} (the runs are kept there)`);
    // … and both runs are kept in x.db.
    const db = new Database(path.join(cwd, 'x.db'), { readonly: true });
    const counts = db.prepare("SELECT (SELECT count(*) FROM clicks WHERE source = 'tpb:click') AS clicks, (SELECT count(*) FROM conversions WHERE source = 'tpb:fire') AS fired, (SELECT count(*) FROM runs) AS runs").get();
    db.close();
    expect(counts).toEqual({ clicks: 2, fired: 2, runs: 4 });

    // scope: database reconciles everything in x.db: the two runs' postbacks are duplicates.
    fs.writeFileSync(path.join(cwd, 'whole.yaml'), FIRED.replace('max_unmatched: 0 }', 'max_unmatched: 0, scope: database }'));
    const whole = await runBin(['check', 'whole.yaml', '--var', 'offer=1', '--db', 'x.db'], { cwd, env });
    expect(whole.code).toBe(1);
    expect(whole.stdout).toMatch(/✗ no duplicates .*duplicate/);
  });

  it('an older ./tpb.db full of unrelated unmatched conversions does not change the verdict', async () => {
    const tracker = await debouncingTracker();
    const cwd = tempDir();
    const unrelated = ['click_id,occurred_at,txid,payout', ...Array.from({ length: 50 }, (_, i) => `old-${i},2026-01-0${(i % 9) + 1}T10:00:00Z,OLD${i},1.00`)].join('\n');
    fs.writeFileSync(path.join(cwd, 'old.csv'), `${unrelated}\n`);
    const ingest = await runBin(['ingest', 'old.csv', '--kind', 'conversions', '--source', 'network'], { cwd });
    expect(ingest.code).toBe(0);
    fs.writeFileSync(path.join(cwd, 'exported.yaml'), EXPORTED);
    writeExport(cwd, 'c-7');
    const env = { TRACKER_URL: tracker.url };

    const check = await runBin(['check', 'exported.yaml'], { cwd, env });
    expect(check.stderr).not.toMatch(/error/);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/✓ all paid .*1 conversions, 1 matched, 0 unmatched/);
    // Naming the old database keeps the runs there, and the reconcile step still looks only at this run.
    const named = await runBin(['check', 'exported.yaml', '--db', 'tpb.db'], { cwd, env });
    expect(named.code).toBe(0);
    expect(named.stdout).toMatch(/✓ all paid .*1 conversions, 1 matched, 0 unmatched/);
    // TPB_DB names it too.
    const viaEnv = await runBin(['check', 'exported.yaml', '--json'], { cwd, env: { ...env, TPB_DB: 'tpb.db' } });
    expect((JSON.parse(viaEnv.stdout) as CheckDocument).database).toEqual({ path: path.join(cwd, 'tpb.db'), temporary: false });
    fs.writeFileSync(path.join(cwd, 'whole.yaml'), EXPORTED.replace('max_unmatched: 0 }', 'max_unmatched: 0, scope: database }'));
    const whole = await runBin(['check', 'whole.yaml', '--db', 'tpb.db'], { cwd, env });
    expect(whole.code).toBe(1);
    expect(whole.stdout).toMatch(/✗ all paid .*unmatched: 50, more than the 0 allowed/);
  });

  it('data rows are reconciled one row at a time', async () => {
    const tracker = await debouncingTracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'fired.yaml'), FIRED);
    fs.writeFileSync(path.join(cwd, 'rows.csv'), 'offer\n1\n2\n3\n');
    const result = await runBin(['check', 'fired.yaml', '--data', 'rows.csv', '--json'], { cwd, env: { TRACKER_URL: tracker.url } });
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as CheckDocument;
    expect(document.runs).toHaveLength(3);
    for (const run of document.runs) {
      expect(run.steps[2]!.reason).toBe('1 conversions, 1 matched, 0 unmatched, 0 duplicate');
      expect(run.stored.runs).toHaveLength(2);
    }
    expect(new Set(document.runs.flatMap((run) => run.stored.runs)).size).toBe(6);
  });

  it('SIGTERM during a check skips the steps left, exits 143 and removes the temporary database', async () => {
    const tracker = await debouncingTracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'slow.yaml'), `tracker: \${TRACKER_URL}
steps:
  - name: click
    click: { url: "{tracker}/click?offer=1" }
  - name: pause
    wait: 30s
  - name: postback
    fire: { url: "{tracker}/pb?cid={click_id}" }
`);
    const child = spawn(process.execPath, [BIN, 'check', 'slow.yaml', '-v', '--junit', 'r.xml'], { cwd, env: cleanEnv({ TRACKER_URL: tracker.url }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const deadline = Date.now() + 20_000;
    while (!/✓ click/.test(stdout) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(143);
    const database = /database: (\S+) \(temporary/.exec(stderr)?.[1];
    expect(database).toBeDefined();
    expect(fs.existsSync(path.dirname(database!))).toBe(false);
    expect(stdout).toMatch(/- postback .*skipped: interrupted/);
    expect(stderr).toMatch(/interrupted: check interrupted/);
    expect(fs.readFileSync(path.join(cwd, 'r.xml'), 'utf8')).toMatch(/<skipped/);
    expect(tracker.requests.filter((url) => url.startsWith('/pb'))).toEqual([]);
  });

  it('SIGINT while an expect_postback step waits ends the wait at once: exit 130', async () => {
    const tracker = await debouncingTracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'outbound.yaml'), `tracker: \${TRACKER_URL}
catch: {}
steps:
  - name: click
    click: { url: "{tracker}/click?offer=1" }
  - name: told
    expect_postback: { path: /pb, within: 60s }
`);
    const child = spawn(process.execPath, [BIN, 'check', 'outbound.yaml'], { cwd, env: cleanEnv({ TRACKER_URL: tracker.url }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const deadline = Date.now() + 20_000;
    while (!/✓ click/.test(stdout) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const sent = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(stdout).toMatch(/- told .*interrupted while waiting/);
  });
});
