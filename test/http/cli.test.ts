import fs from 'node:fs';
import zlib from 'node:zlib';
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
    expect(result.stderr).toMatch(/failed: 1 of 1 postback did not/);
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
    // #s2# is CAKE's: read as tpb's own template (or as Voluum's postback) it would be sent literally.
    const bad = await runBin(['lint', 'https://t.example.com/postback?cid=#s2#', '--preset', 'voluum', '--sender', 'tpb'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('#s2#');
    // As copied from CAKE (detected), it is fine: CAKE fills #s2# and Voluum reads cid.
    const cake = await runBin(['lint', 'https://t.example.com/postback?cid=#s2#', '--receiver', 'voluum'], { cwd });
    expect(cake.code).toBe(0);
    expect(cake.stdout).toContain('reads as CAKE: 1 of 1 macro');
    expect(cake.stdout).toContain('it lands');
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

  it('fire --var takes any macro name, Object.prototype member names too (values are data, not object keys)', async () => {
    const cwd = tempDir();
    const result = await runCli(['fire', 'http://127.0.0.1:9/pb?cid={click_id}&a={__proto__}&b={constructor}&c={toString}', '--var', '__proto__=p1', '--var', 'constructor=c2', '--var', 'toString=t3', '--click-id', 'k', '--dry-run'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('GET http://127.0.0.1:9/pb?cid=k&a=p1&b=c2&c=t3');
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

  it('redacts secret --data fields (JSON and form) where the answer echoes them, on screen and in the db', async () => {
    const server = await scriptedServer((req, res) => res.end(`got ${req.body}`));
    const cwd = tempDir();
    const json = await runCli(['fire', `${server.url}/pb?c={click_id}`, '--click-id', 'a', '--data', '{"click_id":"{click_id}","auth":{"password":"TOPSECRET5"}}', '-v'], { cwd });
    expect(json.code).toBe(0);
    expect(server.received[0]!.body).toContain('TOPSECRET5');
    const form = await runCli(['fire', `${server.url}/pb?c={click_id}`, '--click-id', 'a', '--data', 'click_id={click_id}&secret=FORMSECRET', '-v', '--json'], { cwd });
    expect(form.code).toBe(0);
    expect(server.received[1]!.body).toBe('click_id=a&secret=FORMSECRET');
    for (const output of [json.stdout, json.stderr, form.stdout, form.stderr]) {
      expect(output).not.toContain('TOPSECRET5');
      expect(output).not.toContain('FORMSECRET');
    }
    expect(json.stderr).toContain('got {"click_id":"a","auth":{"password":"REDACTED"}}');
    expect(form.stderr).toContain('got click_id=a&secret=REDACTED');
    const db = new Database(path.join(cwd, 'tpb.db'), { readonly: true });
    const dump = JSON.stringify([db.prepare('SELECT * FROM postbacks').all(), db.prepare('SELECT * FROM runs').all()]);
    db.close();
    expect(dump).not.toContain('TOPSECRET5');
    expect(dump).not.toContain('FORMSECRET');
    expect(dump).toContain('got click_id=a&secret=REDACTED');
  });

  it('honours a --timeout below a second per attempt, and says how long it waited', async () => {
    // Never answers; or answers the headers and then stalls the body.
    const silent = await scriptedServer(() => undefined);
    const stalled = await scriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const cwd = tempDir();
    let t = performance.now();
    const one = await runCli(['fire', `${silent.url}/h?c={click_id}`, '--click-id', 'a', '--timeout', '300ms', '--retries', '0', '--json'], { cwd });
    const oneMs = performance.now() - t;
    expect(one.code).toBe(3);
    const postback = (JSON.parse(one.stdout) as { postbacks: Array<{ latency_ms: number; reason: string }> }).postbacks[0]!;
    expect(postback.reason).toBe('timeout: no answer within 300 ms');
    expect(postback.latency_ms).toBeGreaterThanOrEqual(295);
    expect(postback.latency_ms).toBeLessThan(600);
    // Whole in-process runs (database, output) take longer on a loaded CI machine; the bounds on
    // the wall clock only rule out a timeout rounded up to whole seconds.
    expect(oneMs).toBeLessThan(2500);
    t = performance.now();
    const two = await runCli(['fire', `${silent.url}/h?c={click_id}`, '--click-id', 'a', '--timeout', '250ms', '--retries', '1', '--retry-delay', '10ms', '--json'], { cwd });
    expect(two.code).toBe(3);
    expect(performance.now() - t).toBeLessThan(3000);
    const retried = (JSON.parse(two.stdout) as { postbacks: Array<{ latency_ms: number; attempts: number }> }).postbacks[0]!;
    // two attempts, the last of them (latency_ms) cut at its 250 ms, not at a second
    expect(retried.attempts).toBe(2);
    expect(retried.latency_ms).toBeGreaterThanOrEqual(245);
    expect(retried.latency_ms).toBeLessThan(800);
    const body = await runCli(['fire', `${stalled.url}/h?c={click_id}`, '--click-id', 'a', '--timeout', '300ms', '--retries', '0', '--json'], { cwd });
    const bodyPostback = (JSON.parse(body.stdout) as { postbacks: Array<{ latency_ms: number; reason: string }> }).postbacks[0]!;
    expect(bodyPostback.reason).toBe('timeout: no complete answer within 300 ms');
    expect(bodyPostback.latency_ms).toBeLessThan(600);
    t = performance.now();
    const click = await runCli(['click', `${silent.url}/c`, '--timeout', '300ms', '--json'], { cwd });
    expect(click.code).toBe(3);
    expect(performance.now() - t).toBeLessThan(2500);
    const clickRecord = (JSON.parse(click.stdout) as { clicks: Array<{ latency_ms: number; detail: string }> }).clicks[0]!;
    expect(clickRecord.detail).toBe('timeout: no answer within 300 ms');
    expect(clickRecord.latency_ms).toBeLessThan(600);
  });

  it('writes no database when click or fire stop with exit 2', async () => {
    const server = await scriptedServer((_req, res) => res.end('ok'));
    const cwd = tempDir();
    const runs = [
      ['fire', `${server.url}/pb?c={clickid}`, '--click-id', 'a'],
      ['fire', `${server.url}/pb?c={click_id}&s={status}`, '--click-id', 'a'],
      ['fire', `${server.url}/pb?c={click_id}`, '--from-db'],
      ['fire', `${server.url}/pb?c={click_id}`, '--click-id', 'a', '--payout', '1,5x'],
      ['click', `${server.url}/c?x={nope}`],
      ['click', `${server.url}/c`, '--ip', '300.1.1.{i}'],
    ];
    for (const args of runs) {
      const result = await runCli(args, { cwd });
      expect(result.code, args.join(' ')).toBe(2);
      expect(fs.existsSync(path.join(cwd, 'tpb.db')), args.join(' ')).toBe(false);
    }
    expect(server.received).toHaveLength(0);
  });

  it('-q prints the result summary of click and fire without a line per click or postback', async () => {
    const server = await tracker();
    const cwd = tempDir();
    const loud = await runCli(['click', `${server.url}/aff_c?offer_id=1`, '-n', '3'], { cwd });
    expect(loud.stdout).toMatch(/^#1 {2}302/m);
    const click = await runCli(['click', `${server.url}/aff_c?offer_id=1`, '-n', '3', '-q'], { cwd });
    expect(click.code).toBe(0);
    expect(click.stdout).not.toMatch(/^#\d/m);
    expect(click.stdout).toContain('sent 3, click ids captured 3, failed 0');
    expect(click.stderr).toBe('');
    const fire = await runCli(['fire', `${server.url}/aff_lsr?transaction_id={click_id}`, '--preset', 'tune', '--from-db', '-q'], { cwd });
    expect(fire.code).toBe(0);
    expect(fire.stdout).not.toMatch(/^#\d/m);
    expect(fire.stdout).toContain('sent 3: 3 passed, 0 failed, 0 unreachable');
    expect(fire.stderr).toBe('');
    const failing = await runCli(['fire', `${server.url}/aff_lsr?transaction_id={click_id}`, '--preset', 'tune', '--click-id', 'bad', '-q'], { cwd });
    expect(failing.code).toBe(1);
    expect(failing.stdout).not.toMatch(/^#\d/m);
    expect(failing.stdout).toContain('1 × fail: TUNE rejected it: Invalid Trans. ID');
    expect(failing.stderr).toContain('did not get the expected answer');
  });

  it('click -v prints each request and answer, sanitised and redacted', async () => {
    const server = await scriptedServer((req, res) => {
      if (req.target.startsWith('/c')) {
        res.writeHead(302, { location: `/hop?x=1&echo=${req.rawQuery}`, 'content-type': 'text/html' });
        return res.end(`moved \u001b[31m${req.rawQuery}`);
      }
      res.writeHead(302, { location: '/lp?clickid=k1' });
      res.end();
    });
    const cwd = tempDir();
    const result = await runCli(['click', `${server.url}/c?api_key=KEYVALUE9&x=1`, '-v', '--follow', '-H', 'Authorization: Bearer HDRSECRET'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`#1 GET ${server.url}/c?api_key=REDACTED&x=1`);
    expect(result.stderr).toContain('    authorization: REDACTED');
    expect(result.stderr).toMatch(/ {4}user-agent: Mozilla/);
    expect(result.stderr).toMatch(/ {2}← 302 text\/html \(\d+ ms\)/);
    expect(result.stderr).toContain(`    location: ${server.url}/hop?x=1&echo=api_key=REDACTED&x=1`);
    expect(result.stderr).toContain('  moved api_key=REDACTED&x=1');
    expect(result.stderr).toContain(`#1 hop 2 GET ${server.url}/hop?x=1&echo=api_key=REDACTED&x=1`);
    expect(result.stderr).toContain(`    location: ${server.url}/lp?clickid=k1`);
    expect(result.stderr).toMatch(/#1 {2}302 {2}k1/);
    expect(result.stderr).not.toContain('\u001b');
    expect(result.stderr + result.stdout).not.toContain('KEYVALUE9');
    expect(result.stderr + result.stdout).not.toContain('HDRSECRET');
  });

  it('fire --preset keitaro redacts the postback key in output, the runs and the postbacks', async () => {
    const server = await scriptedServer((req, res) => res.end(`OK ${req.target}`));
    const cwd = tempDir();
    const byUrl = await runCli(['fire', `${server.url}/S3KEY9x/postback?subid={click_id}&tid={txid}`, '--preset', 'keitaro', '--click-id', 'a', '--txid', 't1', '-v'], { cwd });
    expect(byUrl.code).toBe(0);
    expect(server.received[0]!.target).toBe('/S3KEY9x/postback?subid=a&tid=t1');
    expect(byUrl.stdout).toContain(`tpb fire ${server.url}/REDACTED/postback?subid={click_id}&tid={txid}`);
    expect(byUrl.stderr).toContain('OK /REDACTED/postback?subid=a&tid=t1');
    const byBase = await runCli(['fire', '--preset', 'keitaro', '--base', `${server.url}/K3Ybase`, '--click-id', 'b', '--txid', 't2', '--status', 'sale', '--payout', '1', '--json'], { cwd });
    expect(byBase.code).toBe(0);
    expect(server.received[1]!.target).toMatch(/^\/K3Ybase\/postback\?subid=b/);
    const db = new Database(path.join(cwd, 'tpb.db'), { readonly: true });
    const dump = JSON.stringify([db.prepare('SELECT * FROM postbacks').all(), db.prepare('SELECT * FROM runs').all()]);
    db.close();
    for (const text of [byUrl.stdout, byUrl.stderr, byBase.stdout, byBase.stderr, dump]) {
      expect(text).not.toContain('S3KEY9x');
      expect(text).not.toContain('K3Ybase');
    }
    expect(dump).toContain('/REDACTED/postback?subid=b');
  });

  it('fire --from-csv reads like ingest: gzip, stdin, UTF-16, stray quotes; binary input is refused without printing it', async () => {
    const server = await scriptedServer((_req, res) => res.end('ok'));
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'ids.csv.gz'), zlib.gzipSync('kid;x\nz1;1\nb"2;2\n'));
    const gz = await runCli(['fire', `${server.url}/pb?c={click_id}`, '--from-csv', 'ids.csv.gz', '--column', 'kid', '--dry-run', '--json'], { cwd });
    expect(gz.code).toBe(0);
    expect((JSON.parse(gz.stdout) as { requests: Array<{ url: string }> }).requests.map((r) => r.url)).toEqual([`${server.url}/pb?c=z1`, `${server.url}/pb?c=b%222`]);
    const stdin = await runCli(['fire', `${server.url}/pb?c={click_id}`, '--from-csv', '-', '-c', '1'], { cwd, stdin: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('click_id\nz9\n', 'utf16le')]) });
    expect(stdin.code).toBe(0);
    expect(stdin.stderr).toContain('1 click id from stdin (column click_id)');
    expect(server.received.map((r) => r.rawQuery)).toEqual(['c=z9']);
    fs.writeFileSync(path.join(cwd, 'bin.csv'), Buffer.from([0x00, 0x9f, 0xe2, 0x10, 0x01, 0x02, 0x03, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x00, 0x07]));
    const binary = await runCli(['fire', `${server.url}/pb?c={click_id}`, '--from-csv', 'bin.csv', '--dry-run'], { cwd });
    expect(binary.code).toBe(2);
    expect(binary.stderr).toContain('bin.csv: not a CSV file');
    expect(binary.stderr).not.toMatch(/[\u0000-\u0008\u000e-\u001f\ufffd]/);
  });

  it('uses snake_case keys in --json and runs.summary_json, and singular nouns for one', async () => {
    const server = await tracker();
    const cwd = tempDir();
    const dry = await runCli(['fire', `${server.url}/aff_lsr?transaction_id={click_id}`, '--click-id', 'bad', '--dry-run', '--json'], { cwd });
    expect(JSON.parse(dry.stdout)).toMatchObject({ requests: [{ seq: 1, click_id: 'bad' }] });
    const fire = await runCli(['fire', `${server.url}/aff_lsr?transaction_id={click_id}`, '--preset', 'tune', '--click-id', 'bad'], { cwd });
    expect(fire.code).toBe(1);
    expect(fire.stderr).toContain('1 of 1 postback did not get the expected answer');
    const click = await runCli(['click', `${server.url}/nothing`], { cwd });
    expect(click.stderr).toContain('1 of 1 click yielded no click id');
    const db = new Database(path.join(cwd, 'tpb.db'), { readonly: true });
    const summaries = (db.prepare('SELECT summary_json FROM runs ORDER BY id').all() as Array<{ summary_json: string }>).map((row) => row.summary_json);
    db.close();
    expect(summaries).toHaveLength(2);
    for (const summary of [...summaries, dry.stdout]) expect(summary).not.toMatch(/"[a-z]+[A-Z][A-Za-z]*":/);
    expect(JSON.parse(summaries[0]!)).toMatchObject({ latency_ms: { p50: expect.any(Number) }, duration_ms: expect.any(Number), postbacks_per_second: expect.any(Number) });
    expect(JSON.parse(summaries[1]!)).toMatchObject({ network_failures: {}, duplicate_ids: 0, requests_per_second: expect.any(Number) });
  });

  it('draws a progress bar on stderr only when it is a TTY', async () => {
    const server = await scriptedServer((_req, res) => {
      res.writeHead(302, { location: '/lp?cid=x1' });
      res.end();
    });
    const tty = await runCli(['click', `${server.url}/c`, '-n', '25', '--json'], { cwd: tempDir(), stderrIsTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/\r\u001b\[2Kclicks \[█+\] 100%  25\/25 · captured 25 · failed 0 · [\d,]+\/s/);
    expect(JSON.parse(tty.stdout)).toMatchObject({ summary: { sent: 25, duplicate_ids: 24 } });
    const pipe = await runCli(['click', `${server.url}/c`, '-n', '25', '--json'], { cwd: tempDir() });
    expect(pipe.stderr).not.toContain('\r');
  });
});
