import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runBin, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { closedPort, scriptedServer } from './server.js';

const tracker = () =>
  scriptedServer((req, res, i) => {
    if (req.target.startsWith('/aff_c')) {
      res.writeHead(302, { location: `https://lp.example.com/offer?transaction_id=${(1000000000 + i).toString(16)}abcdef0123456789abcd&s=1` });
      return res.end();
    }
    if (req.target.startsWith('/aff_lsr')) {
      res.writeHead(200);
      return res.end(req.rawQuery.includes('transaction_id=bad') ? 'success=false; err_msg=Invalid Trans. ID;' : 'success=true;');
    }
    res.writeHead(404);
    res.end();
  });

describe('tpb click / fire / lint through the built binary (exit codes)', () => {
  it('click then fire --from-db: exit 0, ids stored and reused', async () => {
    const server = await tracker();
    const cwd = tempDir();
    const click = await runBin(['click', `${server.url}/aff_c?offer_id=1&aff_id=2`, '-n', '3', '--json'], { cwd });
    expect(click.code).toBe(0);
    const report = JSON.parse(click.stdout) as { run_id: number; summary: { captured: number }; clicks: Array<{ click_id: string }> };
    expect(report.summary.captured).toBe(3);
    const fire = await runBin(['fire', `${server.url}/aff_lsr?offer_id=1&transaction_id={click_id}`, '--preset', 'tune', '--from-db', '--json'], { cwd });
    expect(fire.stderr).toContain('3 click ids from click run 1');
    expect(fire.code).toBe(0);
    const fired = JSON.parse(fire.stdout) as { summary: { passed: number }; postbacks: Array<{ click_id: string }> };
    expect(fired.summary.passed).toBe(3);
    expect(fired.postbacks.map((p) => p.click_id)).toEqual(report.clicks.map((c) => c.click_id));
    const received = server.received.filter((r) => r.target.startsWith('/aff_lsr')).map((r) => r.rawQuery);
    expect(received).toEqual(report.clicks.map((c) => `offer_id=1&transaction_id=${c.click_id}`));
  });

  it('exit 1 on a failed verdict (TUNE 200 + success=false)', async () => {
    const server = await tracker();
    const result = await runBin(['fire', `${server.url}/aff_lsr?transaction_id={click_id}`, '--preset', 'tune', '--click-id', 'bad', '--no-lint'], { cwd: tempDir() });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('TUNE rejected it: Invalid Trans. ID');
    expect(result.stderr).toMatch(/failed: 1 of 1 postbacks/);
  });

  it('exit 2 on an unresolved macro and on a bad flag, with nothing sent', async () => {
    const server = await tracker();
    const cwd = tempDir();
    const macro = await runBin(['fire', `${server.url}/aff_lsr?transaction_id={transaction_id}`, '--click-id', 'abc', '--no-lint'], { cwd });
    expect(macro.code).toBe(2);
    expect(macro.stderr).toContain('unresolved macro {transaction_id}');
    expect(macro.stderr).toContain('did you mean {click_id}?');
    const linted = await runBin(['fire', `${server.url}/aff_lsr?transaction_id={transaction_id}`, '--click-id', 'abc'], { cwd });
    expect(linted.code).toBe(2);
    expect(linted.stderr).toContain('nothing was sent');
    const flag = await runBin(['fire', `${server.url}/pb?c={click_id}`, '--click-id', 'a', '--expect-status', '2x'], { cwd });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('not a status');
    const count = await runBin(['click', `${server.url}/aff_c`, '-n', 'many'], { cwd });
    expect(count.code).toBe(2);
    expect(server.received).toHaveLength(0);
  });

  it('exit 3 when the tracker cannot be reached after retries', async () => {
    const port = await closedPort();
    const cwd = tempDir();
    const fire = await runBin(['fire', `http://127.0.0.1:${port}/pb?cid={click_id}&token=t0psecret`, '--click-id', 'a', '--retries', '1', '--retry-delay', '10ms'], { cwd });
    expect(fire.code).toBe(3);
    expect(fire.stderr).toMatch(/got no answer after 2 attempts .*refused/);
    expect(fire.stderr + fire.stdout).not.toContain('t0psecret');
    const click = await runBin(['click', `http://127.0.0.1:${port}/c`, '-n', '2'], { cwd });
    expect(click.code).toBe(3);
    expect(click.stderr).toContain('could not be reached');
  });

  it('lint: exit 1 on errors, 0 on warnings only', async () => {
    const cwd = tempDir();
    const bad = await runBin(['lint', 'https://t.example.com/postback?cid=#s2#', '--preset', 'voluum'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('#s2#');
    const warn = await runBin(['lint', 'http://t.example.com/postback?cid={click_id}&payout=', '--json'], { cwd });
    expect(warn.code).toBe(0);
    const doc = JSON.parse(warn.stdout) as { errors: number; warnings: number; findings: Array<{ param: string | null; fix: string }> };
    expect(doc).toMatchObject({ errors: 0, warnings: 2 });
    expect(doc.findings.map((f) => f.param)).toEqual([null, 'payout']);
  });
});

describe('tpb click / fire in-process', () => {
  it('click exits 1 naming the cause and listing the parameters the Location had', async () => {
    const server = await scriptedServer((_req, res) => {
      res.writeHead(302, { location: '/lp?utm_source=x&sub9=y' });
      res.end();
    });
    const result = await runCli(['click', `${server.url}/c`], { cwd: tempDir() });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('no_param');
    expect(result.stdout).toContain('utm_source, sub9');
    expect(result.stderr).toContain('--click-id-param');
  });

  it('--print-ids prints only the ids on stdout', async () => {
    let n = 0;
    const server = await scriptedServer((_req, res) => {
      n += 1;
      res.writeHead(302, { location: `/lp?clickid=k${n}` });
      res.end();
    });
    const result = await runCli(['click', `${server.url}/c`, '-n', '3', '-c', '1', '--print-ids'], { cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('k1\nk2\nk3\n');
    expect(result.stderr).toContain('click ids captured 3');
  });

  it('fire --dry-run prints the resolved requests redacted and sends and stores nothing', async () => {
    const server = await scriptedServer((_req, res) => res.end('ok'));
    const cwd = tempDir();
    const result = await runCli(['fire', `${server.url}/pb?cid={click_id}&sig={sig}`, '--var', 'sig=abcd1234', '--secret', 'sig', '--click-id', 'a b', '--dry-run', '-H', 'Authorization: Bearer xyz789'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`GET ${server.url}/pb?cid=a%20b&sig=REDACTED`);
    expect(result.stdout).toContain('authorization: REDACTED');
    expect(result.stdout).not.toContain('abcd1234');
    expect(server.received).toHaveLength(0);
    expect(fs.existsSync(path.join(cwd, 'tpb.db'))).toBe(false);
  });

  it('fire --from-csv reads a column, keeps ids exactly, warns about empty cells', async () => {
    const server = await scriptedServer((_req, res) => res.end('ok'));
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'ids.csv'), '\uFEFFdate;subid;payout\n2026-01-01;007;1\n2026-01-02;;2\n2026-01-03;a+b;3\n');
    const result = await runCli(['fire', `${server.url}/pb?subid={click_id}`, '--from-csv', 'ids.csv', '-c', '1'], { cwd });
    expect(result.code).toBe(0);
    expect(server.received.map((r) => r.rawQuery)).toEqual(['subid=007', 'subid=a%2Bb']);
    expect(result.stderr).toMatch(/1 row of ids.csv had no subid \(line 3\)/);
    const missing = await runCli(['fire', `${server.url}/pb?subid={click_id}`, '--from-csv', 'ids.csv', '--column', 'clickid'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('the columns are: date, subid, payout');
  });

  it('fire -v prints request and answer with control characters stripped, and the db keeps them redacted', async () => {
    const server = await scriptedServer((_req, res) => {
      res.writeHead(200);
      res.end('ok \u001b[31mred\u001b[0m key=s3cr3tv');
    });
    const cwd = tempDir();
    const result = await runCli(['fire', `${server.url}/pb?cid={click_id}&key=s3cr3tv`, '--click-id', 'x', '-v'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`GET ${server.url}/pb?cid=x&key=REDACTED`);
    expect(result.stderr).toContain('ok red key=REDACTED');
    expect(result.stderr).not.toContain('\u001b[31m');
    const db = new Database(path.join(cwd, 'tpb.db'), { readonly: true });
    const dump = JSON.stringify([db.prepare('SELECT * FROM postbacks').all(), db.prepare('SELECT * FROM runs').all()]);
    db.close();
    expect(dump).not.toContain('s3cr3tv');
    expect(dump).toContain('REDACTED');
  });

  it('draws a progress bar on stderr only when it is a TTY', async () => {
    const server = await scriptedServer((_req, res) => {
      res.writeHead(302, { location: '/lp?cid=x1' });
      res.end();
    });
    const tty = await runCli(['click', `${server.url}/c`, '-n', '25', '--json'], { cwd: tempDir(), stderrIsTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/\rclicks 25\/25 \[#+\] 100%  captured 25  failed 0/);
    expect(JSON.parse(tty.stdout)).toMatchObject({ summary: { sent: 25, duplicate_ids: 24 } });
    const pipe = await runCli(['click', `${server.url}/c`, '-n', '25', '--json'], { cwd: tempDir() });
    expect(pipe.stderr).not.toContain('\r');
  });
});
