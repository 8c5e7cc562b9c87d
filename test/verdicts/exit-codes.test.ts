import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { closedPort, scriptedServer } from '../http/server.js';
import fs from 'node:fs';
import path from 'node:path';

/** Exit-code precedence, --json error documents, per-item lines, pipes and click --retries (issue 10, item 7). */

/** A Keitaro-compatible PHP tracker: 200 text/html for everything it answers; drops the connection for ids starting "drop". */
const phpTracker = () =>
  scriptedServer((request, response) => {
    const subid = /subid=([^&]*)/.exec(request.rawQuery)?.[1] ?? '';
    if (subid.startsWith('drop')) {
      response.socket?.destroy();
      return;
    }
    if (subid.startsWith('bad')) {
      response.writeHead(404, { 'content-type': 'text/html; charset=UTF-8' });
      response.end('SubId not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
    response.end('Postback recorded successfully.');
  });

describe('exit codes: a tracking bug (1) wins over the network (3)', () => {
  it('fire: one postback rejected and one unreachable is exit 1, saying both', async () => {
    const server = await phpTracker();
    const cwd = tempDir();
    const result = await runCli(['fire', `${server.url}/k3y/postback?subid={click_id}`, '--click-id', 'bad1', '--click-id', 'drop1', '--retries', '0'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('failed: 1 of 2 postbacks did not get the expected answer (and 1 got no answer)');
  });

  it('fire: only unreachable postbacks is exit 3', async () => {
    const port = await closedPort();
    const result = await runCli(['fire', `http://127.0.0.1:${port}/k3y/postback?subid={click_id}`, '--click-id', 'a1', '--retries', '0'], { cwd: tempDir() });
    expect(result.code).toBe(3);
  });

  it('click: ids captured for some and the rest unreachable is exit 3 (every failure was the network)', async () => {
    const server = await scriptedServer((_request, response, index) => {
      if (index % 2 === 1) return void response.socket?.destroy();
      response.writeHead(302, { location: `https://lp.example/?subid=s${index}` });
      response.end();
    });
    const result = await runCli(['click', `${server.url}/Xk3dPq`, '-n', '4', '-c', '1'], { cwd: tempDir() });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('2 of 4 clicks got no answer (reset ×2)');
  });

  it('click: an answer without an id next to a network failure is exit 1', async () => {
    const server = await scriptedServer((_request, response, index) => {
      if (index === 0) return void response.socket?.destroy();
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>landing</body></html>');
    });
    const result = await runCli(['click', `${server.url}/Xk3dPq`, '-n', '2', '-c', '1'], { cwd: tempDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('1 of 2 clicks yielded no click id (and 1 got no answer)');
  });

  it('check: a failed step and an unreachable one is exit 1', async () => {
    const server = await phpTracker();
    const port = await closedPort();
    const cwd = tempDir();
    fs.writeFileSync(
      path.join(cwd, 's.yaml'),
      `name: mixed
steps:
  - name: rejected
    continue_on_failure: true
    fire: { url: "${server.url}/k3y/postback?subid=bad1" }
  - name: unreachable
    fire: { url: "http://127.0.0.1:${port}/k3y/postback?subid=a1" }
`,
    );
    const result = await runCli(['check', 's.yaml'], { cwd });
    expect(result.stdout).toMatch(/✗ rejected/);
    expect(result.stdout).toMatch(/! unreachable/);
    expect(result.code).toBe(1);
  });
});

describe('--json errors: one JSON document on stdout', () => {
  it('a usage error, an unknown option and a missing database each print {"version":1,"error":{…}}', async () => {
    const cwd = tempDir();
    const unresolved = await runCli(['fire', 'http://127.0.0.1:9/pb?cid={clickid}', '--click-id', 'a', '--json'], { cwd });
    expect(unresolved.code).toBe(2);
    const doc = JSON.parse(unresolved.stdout) as { version: number; error: { code: string; message: string; hint: string | null; exit_code: number } };
    expect(doc.version).toBe(1);
    expect(doc.error.code).toBe('usage');
    expect(doc.error.exit_code).toBe(2);
    expect(doc.error.message).toContain('{clickid}');
    expect(unresolved.stderr).toContain('error:');

    const unknown = await runCli(['fire', '--json', '--no-such-flag'], { cwd });
    expect(unknown.code).toBe(2);
    expect((JSON.parse(unknown.stdout) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'usage', message: expect.stringContaining('--no-such-flag') });

    const missing = await runCli(['db', 'info', '--json', '--db', 'nowhere.db'], { cwd });
    expect(missing.code).toBe(2);
    expect((JSON.parse(missing.stdout) as { error: { code: string; hint: string } }).error.code).toBe('input');
  });

  it('a run that printed its own document does not print a second one', async () => {
    const server = await phpTracker();
    const result = await runCli(['fire', `${server.url}/k3y/postback?subid={click_id}`, '--click-id', 'bad1', '--json'], { cwd: tempDir() });
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as { summary: { failed: number } };
    expect(doc.summary.failed).toBe(1);
  });
});

describe('per-item lines go to stdout at every count', () => {
  it('fire lists all 30 postbacks; --max-lines folds and says how many; -v keeps them on stdout', async () => {
    const server = await phpTracker();
    const ids = Array.from({ length: 30 }, (_, i) => ['--click-id', `${i < 29 ? 'ok' : 'bad'}${i}`]).flat();
    const all = await runCli(['fire', `${server.url}/k3y/postback?subid={click_id}&return=Postback%20recorded%20successfully.`, ...ids], { cwd: tempDir() });
    const lines = all.stdout.split('\n').filter((line) => /^#\d+ /.test(line));
    expect(lines).toHaveLength(30);
    expect(lines[0]).toMatch(/^#1  pass  200  ok0/);
    expect(lines[29]).toMatch(/^#30  FAIL  404  bad29/);

    const folded = await runCli(['fire', `${server.url}/k3y/postback?subid={click_id}`, ...ids, '--max-lines', '5'], { cwd: tempDir() });
    expect(folded.stdout.split('\n').filter((line) => /^#\d+ /.test(line))).toHaveLength(5);
    expect(folded.stdout).toContain('… 25 more postbacks not listed (--max-lines 5; 1 of them did not pass; --json lists all)');
    expect(folded.stdout).toContain('why:');

    const verbose = await runCli(['fire', `${server.url}/k3y/postback?subid={click_id}`, ...ids.slice(0, 6), '-v'], { cwd: tempDir() });
    expect(verbose.stdout.split('\n').filter((line) => /^#\d+ /.test(line))).toHaveLength(3);
    expect(verbose.stderr).toContain('Postback recorded successfully.');
  });

  it('click lists all 25 clicks in order', async () => {
    const server = await scriptedServer((_request, response, index) => {
      response.writeHead(302, { location: `https://lp.example/?subid=id${index}x` });
      response.end();
    });
    const result = await runCli(['click', `${server.url}/Xk3dPq`, '-n', '25', '-c', '5'], { cwd: tempDir() });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => /^#\d+ /.test(line));
    expect(lines.map((line) => Number(/^#(\d+)/.exec(line)![1]))).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });
});

describe('pipes and retries', () => {
  it('tpb click --print-ids | tpb fire --from-csv - fires every id (the first line is data, not a header)', async () => {
    const server = await scriptedServer((request, response, index) => {
      if (request.target.startsWith('/Xk3dPq')) {
        response.writeHead(302, { location: `https://lp.example/?subid=${(0x1f3a0000 + index).toString(16)}` });
        return void response.end();
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
      response.end('Postback recorded successfully.');
    });
    const cwd = tempDir();
    const click = await runCli(['click', `${server.url}/Xk3dPq`, '-n', '3', '--print-ids'], { cwd });
    expect(click.stdout.trim().split('\n')).toHaveLength(3);
    const fire = await runCli(['fire', `${server.url}/k3y/postback?subid={click_id}`, '--from-csv', '-'], { cwd, stdin: click.stdout });
    expect(fire.stderr).toContain('3 click ids from stdin (one column, no header)');
    expect(fire.code).toBe(0);
    const fired = server.received.filter((r) => r.target.startsWith('/k3y/')).map((r) => /subid=([^&]*)/.exec(r.rawQuery)![1]);
    expect(fired).toEqual(click.stdout.trim().split('\n'));
  });

  it('a one-column CSV whose header is a name still reads the name as the header', async () => {
    const server = await phpTracker();
    const cwd = tempDir();
    const fire = await runCli(['fire', `${server.url}/k3y/postback?subid={click_id}`, '--from-csv', '-'], { cwd, stdin: 'subid\nabc1\nabc2\n' });
    expect(fire.stderr).toContain('2 click ids from stdin (column subid)');
  });

  it('click --retries retries a 503 and a dropped connection, then captures the id', async () => {
    const server = await scriptedServer((_request, response, index) => {
      if (index === 0) {
        response.writeHead(503);
        return void response.end('busy');
      }
      if (index === 1) return void response.socket?.destroy();
      response.writeHead(302, { location: 'https://lp.example/?subid=finally1' });
      response.end();
    });
    const result = await runCli(['click', `${server.url}/Xk3dPq`, '--retries', '2', '--retry-delay', '10ms', '--json'], { cwd: tempDir() });
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { clicks: Array<{ click_id: string; attempts: number }> };
    expect(doc.clicks[0]).toMatchObject({ click_id: 'finally1', attempts: 3 });
    expect(server.received).toHaveLength(3);
  });
});
