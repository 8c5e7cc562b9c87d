import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { scriptedServer, type Received } from '../http/server.js';
import { DUPLICATE_RULES, judgeCopy, saysDuplicate } from '../../src/fire/duplicates.js';
import { PRESET_NAMES } from '../../src/presets/catalog.js';

/**
 * Issue 10, item 2: `--repeat N` is the duplicate test. Copies 2..N are sent after the first
 * copies were answered (`--repeat-delay` later) and judged by `--expect-repeat` (default refused),
 * so a tracker that refuses the duplicate passes and one that counts it twice fails — against small
 * servers answering the way real trackers do.
 */

const TUNE_ID = '1027c887059b47bc69c699f45466b9';
const transactionId = (request: Received) => /transaction_id=([^&]*)/.exec(request.rawQuery)?.[1] ?? '';

/** TUNE: HTTP 200 for everything; the body says whether it counted (one conversion per transaction_id). */
function tuneLike() {
  const seen = new Set<string>();
  return scriptedServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
    const id = transactionId(request);
    if (id === '' || id.startsWith('bad')) return void response.end(`success=false; err_msg=Invalid Trans. ID #${id}.;`);
    if (seen.has(id)) return void response.end('success=false; err_msg=Duplicate conversion.;');
    seen.add(id);
    response.end('success=true;');
  });
}

/** A tracker with its dedupe switched off: it records every copy and says success every time. */
const countsEverything = () =>
  scriptedServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('success=true;');
  });

const tuneUrl = (server: { url: string }) => `${server.url}/aff_lsr?offer_id=26&transaction_id={click_id}`;

describe('tpb fire --repeat: the duplicate test', () => {
  it('a tracker that refuses the copy (TUNE: 200 success=false; err_msg=Duplicate conversion.) passes, exit 0', async () => {
    const server = await tuneLike();
    const cwd = tempDir();
    const result = await runCli(['fire', tuneUrl(server), '--preset', 'tune', '--click-id', TUNE_ID, '--click-id', `${TUNE_ID.slice(0, -1)}7`, '--repeat', '2', '--repeat-delay', '0'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`#1  pass  200  ${TUNE_ID}  copy 1 of 2: success=true;`);
    expect(result.stdout).toContain(`#3  pass  200  ${TUNE_ID}  copy 2 of 2: duplicate refused: TUNE rejected it: Duplicate conversion.`);
    expect(result.stdout).toContain('sent 4 (2 + 2 duplicate copies): 4 passed, 0 failed, 0 unreachable');
    expect(result.stdout).toContain('duplicates: 2 sent, 2 refused');
    expect(server.received).toHaveLength(4);
  });

  it('a tracker that records every copy and answers success=true; each time fails, exit 1: "accepted the same conversion twice"', async () => {
    const server = await countsEverything();
    const cwd = tempDir();
    const result = await runCli(['fire', tuneUrl(server), '--preset', 'tune', '--click-id', TUNE_ID, '--repeat', '3', '--repeat-delay', '0', '--json'], { cwd });
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as {
      repeat: { copies: number; delay_ms: number; expect: string };
      summary: { sent: number; failed: number; duplicates: { sent: number; accepted: number; refused: number; failed: number } };
      postbacks: Array<{ seq: number; copy: number; verdict: string; reason: string; duplicate: string | null }>;
    };
    expect(doc.repeat).toEqual({ copies: 3, delay_ms: 0, expect: 'refused' });
    expect(doc.summary).toMatchObject({ sent: 3, failed: 2, duplicates: { sent: 2, accepted: 2, refused: 0, failed: 2 } });
    expect(doc.postbacks.map((p) => [p.copy, p.verdict, p.duplicate])).toEqual([
      [1, 'pass', null],
      [2, 'fail', 'accepted'],
      [3, 'fail', 'accepted'],
    ]);
    expect(doc.postbacks[1]!.reason).toBe('the tracker accepted the same conversion twice: success=true;');
    expect(result.stderr).toContain('2 of 3 postbacks did not get the expected answer (all duplicate copies: the tracker accepted the same conversion twice)');

    const text = await runCli(['fire', tuneUrl(server), '--preset', 'tune', '--click-id', TUNE_ID, '--repeat', '2', '--repeat-delay', '0'], { cwd });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`#2  FAIL  200  ${TUNE_ID}  copy 2 of 2: the tracker accepted the same conversion twice: success=true;`);
    expect(text.stdout).toMatch(/duplicates: 1 sent, 1 accepted \(counted twice\)/);
  });

  it('sends the copies only after the first copies were answered, and --repeat-delay later', async () => {
    const arrivals: Array<{ id: string; at: number }> = [];
    const answered: number[] = [];
    const server = await scriptedServer((request, response, index) => {
      arrivals.push({ id: transactionId(request), at: performance.now() });
      // The first copies take their time; their answers' end is what the copies must wait for.
      setTimeout(
        () => {
          response.writeHead(200, { 'content-type': 'text/plain' });
          response.end(index < 2 ? 'success=true;' : 'success=false; err_msg=Duplicate conversion.;');
          answered.push(performance.now());
        },
        index < 2 ? 150 + index * 100 : 0,
      );
    });
    const cwd = tempDir();
    const result = await runCli(['fire', tuneUrl(server), '--preset', 'tune', '--click-id', TUNE_ID, '--click-id', `${TUNE_ID.slice(0, -1)}7`, '--repeat', '2', '--repeat-delay', '400ms', '-c', '10'], { cwd });
    expect(result.code).toBe(0);
    expect(arrivals).toHaveLength(4);
    // The two first copies went out together (concurrency 10); the copies after both answers + 400 ms.
    const lastFirstAnswer = Math.max(answered[0]!, answered[1]!);
    for (const copy of arrivals.slice(2)) expect(copy.at - lastFirstAnswer).toBeGreaterThanOrEqual(395);
    expect(arrivals[1]!.at - arrivals[0]!.at).toBeLessThan(150);
    expect(new Set(arrivals.slice(2).map((a) => a.id))).toEqual(new Set(arrivals.slice(0, 2).map((a) => a.id)));
  });

  it('copy 3 waits for copy 2, and a copy is not sent when the first copy was not accepted', async () => {
    const arrivals: Array<{ id: string; at: number }> = [];
    const seen = new Map<string, number>();
    const server = await scriptedServer((request, response) => {
      const id = transactionId(request);
      arrivals.push({ id, at: performance.now() });
      response.writeHead(200, { 'content-type': 'text/plain' });
      if (id.startsWith('bad')) return void response.end(`success=false; err_msg=Invalid Trans. ID #${id}.;`);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      response.end(seen.get(id) === 1 ? 'success=true;' : 'success=false; err_msg=Duplicate conversion.;');
    });
    const cwd = tempDir();
    const result = await runCli(['fire', tuneUrl(server), '--preset', 'tune', '--click-id', TUNE_ID, '--click-id', 'bad0000000000000000000001', '--repeat', '3', '--repeat-delay', '200ms', '--json'], { cwd });
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as { summary: { sent: number; failed: number; duplicates: { planned: number; sent: number; skipped: number; refused: number } }; postbacks: Array<{ seq: number; copy: number; click_id: string }> };
    expect(doc.summary.duplicates).toMatchObject({ planned: 4, sent: 2, skipped: 2, refused: 2 });
    expect(doc.postbacks.map((p) => [p.seq, p.copy, p.click_id])).toEqual([
      [1, 1, TUNE_ID],
      [2, 1, 'bad0000000000000000000001'],
      [3, 2, TUNE_ID],
      [5, 3, TUNE_ID],
    ]);
    const good = arrivals.filter((a) => a.id === TUNE_ID);
    expect(good).toHaveLength(3);
    expect(good[2]!.at - good[1]!.at).toBeGreaterThanOrEqual(195);
    expect(arrivals.filter((a) => a.id.startsWith('bad'))).toHaveLength(1);
    expect(result.stderr).toContain('1 of 4 postbacks did not get the expected answer');

    const text = await runCli(['fire', tuneUrl(server), '--preset', 'tune', '--click-id', 'bad0000000000000000000002', '--click-id', `${TUNE_ID.slice(0, -1)}5`, '--repeat', '2', '--repeat-delay', '0'], { cwd });
    expect(text.stdout).toContain('duplicates: 1 sent, 1 refused, 1 not sent (the first copy did not pass: nothing to duplicate)');
    // The lines stay in order without the copy that was not sent.
    expect(text.stdout.split('\n').filter((line) => /^#\d/.test(line)).map((line) => line.split(' ')[0])).toEqual(['#1', '#2', '#4']);
  });

  it('Prosper202 answers a replay 202 {"error":false} like the original and does not count it: passes with a caveat, exit 0', async () => {
    const server = await scriptedServer((_request, response) => {
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end('{"error":false,"code":202,"msg":"Postback successful"}');
    });
    const cwd = tempDir();
    const result = await runCli(['fire', `${server.url}/tracking202/static/gpb.php?subid={click_id}&txid={txid}`, '--preset', 'prosper202', '--click-id', '48213', '--txid', 'T1', '--repeat', '2', '--repeat-delay', '0'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('copy 2 of 2: Postback successful (the same answer as a success: not proof either way)');
    expect(result.stdout).toContain('duplicates: 1 sent, 1 unclear');
    expect(result.stdout).toMatch(/note: Prosper202 answers a replay 202 .* cannot tell a counted copy from an ignored one; reconcile the conversion export/);
    const json = JSON.parse((await runCli(['fire', `${server.url}/tracking202/static/gpb.php?subid={click_id}`, '--preset', 'prosper202', '--click-id', '48214', '--repeat', '2', '--repeat-delay', '0', '--json'], { cwd })).stdout) as {
      postbacks: Array<{ verdict: string; caveat: string | null; duplicate: string | null }>;
    };
    expect(json.postbacks[1]).toMatchObject({ verdict: 'pass', duplicate: 'unclear' });
    expect(json.postbacks[1]!.caveat).toContain('cannot tell');
  });

  it('Affise answers 200 to everything: an accepted-looking copy passes with what the answer cannot tell', async () => {
    const server = await scriptedServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"status":1,"message":"Postback accepted"}');
    });
    const result = await runCli(['fire', '--preset', 'affise', '--base', server.url, '--click-id', '5f8d0d55b54764421b7156c3', '--repeat', '2', '--repeat-delay', '0'], { cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/note: Affise answers 200 to every postback, a duplicate too .*Server Postbacks log/);
  });

  it('--expect-repeat accepted: a tracker set to count repeats passes; one that refuses them fails', async () => {
    const cwd = tempDir();
    const counting = await countsEverything();
    const ok = await runCli(['fire', tuneUrl(counting), '--preset', 'tune', '--click-id', TUNE_ID, '--repeat', '2', '--repeat-delay', '0', '--expect-repeat', 'accepted'], { cwd });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('copy 2 of 2: copy accepted: success=true;');
    expect(ok.stdout).toContain('duplicates: 1 sent, 1 accepted');
    const refusing = await tuneLike();
    const bad = await runCli(['fire', tuneUrl(refusing), '--preset', 'tune', '--click-id', TUNE_ID, '--repeat', '2', '--repeat-delay', '0', '--expect-repeat', 'accepted'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('the tracker refused the copy (TUNE rejected it: Duplicate conversion.); --expect-repeat accepted expects it counted');
  });

  it('--expect-repeat any passes on any answer; a 5xx to a copy is not a refusal under the default; no answer is exit 3', async () => {
    const cwd = tempDir();
    const status = (code: number) =>
      scriptedServer((_request, response, index) => {
        response.writeHead(index === 0 ? 200 : code, { 'content-type': 'text/plain' });
        response.end(index === 0 ? 'OK' : 'whatever');
      });
    for (const code of [200, 409, 503]) {
      const server = await status(code);
      const result = await runCli(['fire', `${server.url}/postback?cid={click_id}`, '--click-id', 'abc12345', '--repeat', '2', '--repeat-delay', '0', '--retries', '0', '--expect-repeat', 'any'], { cwd });
      expect([code, result.code]).toEqual([code, 0]);
    }
    const failing = await status(503);
    const failed = await runCli(['fire', `${failing.url}/postback?cid={click_id}`, '--click-id', 'abc12345', '--repeat', '2', '--repeat-delay', '0', '--retries', '1', '--retry-delay', '1ms'], { cwd });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('copy 2 of 2: HTTP 503 to the copy: a tracker failure, not a refusal of the duplicate (2 attempts)');
    expect(failing.received).toHaveLength(3);

    const dropping = await scriptedServer((_request, response, index) => {
      if (index > 0) return void response.socket?.destroy();
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('OK');
    });
    const dropped = await runCli(['fire', `${dropping.url}/postback?cid={click_id}`, '--click-id', 'abc12345', '--repeat', '2', '--repeat-delay', '0', '--retries', '0'], { cwd });
    expect(dropped.code).toBe(3);
    expect(dropped.stdout).toContain('duplicates: 1 sent, 1 unreachable');
  });

  it('answers that say duplicate in words pass (a PHP tracker\'s 200 text/html); a body with "duplicate":false does not', async () => {
    const cwd = tempDir();
    const keitaro = await scriptedServer((_request, response, index) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
      response.end(index === 0 ? 'Postback recorded successfully.' : 'Conversion by pair "SubId + tid" already exists. Postback ignored.');
    });
    const ok = await runCli(['fire', `${keitaro.url}/k3y/postback?subid={click_id}&tid={txid}`, '--preset', 'keitaro', '--click-id', '1dad2cg1br22spja1', '--txid', 'T1', '--repeat', '2', '--repeat-delay', '0'], { cwd });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('copy 2 of 2: duplicate refused: Conversion by pair "SubId + tid" already exists. Postback ignored.');
    const json = await scriptedServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"status":"ok","duplicate":false}');
    });
    const bad = await runCli(['fire', `${json.url}/postback?click_id={click_id}`, '--click-id', 'abc12345', '--repeat', '2', '--repeat-delay', '0'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('the tracker accepted the same conversion twice: HTTP 200');
  });

  it('usage: --duration with --repeat, and --expect-repeat / --repeat-delay without it, are exit 2 with nothing sent', async () => {
    const server = await countsEverything();
    const cwd = tempDir();
    const timed = await runCli(['fire', `${server.url}/p?cid={click_id}`, '--click-id', 'abc12345', '--repeat', '2', '-d', '1s'], { cwd });
    expect(timed.code).toBe(2);
    expect(timed.stderr).toContain('--repeat goes with a counted run, not --duration');
    const alone = await runCli(['fire', `${server.url}/p?cid={click_id}`, '--click-id', 'abc12345', '--expect-repeat', 'accepted'], { cwd });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--expect-repeat goes with --repeat 2 or more');
    const wrong = await runCli(['fire', `${server.url}/p?cid={click_id}`, '--click-id', 'abc12345', '--repeat', '2', '--expect-repeat', 'maybe'], { cwd });
    expect(wrong.code).toBe(2);
    expect(server.received).toHaveLength(0);
    expect(fs.existsSync(path.join(cwd, 'tpb.db'))).toBe(false);
  });

  it('the copies are stored as postbacks with their copy number, not as tpb:fire conversions: reconcile finds no duplicate tpb made on purpose', async () => {
    let n = 0;
    const server = await scriptedServer((request, response) => {
      if (request.target.startsWith('/aff_c')) {
        n += 1;
        response.writeHead(302, { location: `https://lp.example/?transaction_id=10${String(n).padStart(28, '0')}` });
        return void response.end();
      }
      return void tuneAnswer(request, response);
    });
    const seen = new Set<string>();
    function tuneAnswer(request: Received, response: import('node:http').ServerResponse) {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const id = transactionId(request);
      response.end(seen.has(id) ? 'success=false; err_msg=Duplicate conversion.;' : 'success=true;');
      seen.add(id);
    }
    const cwd = tempDir();
    expect((await runCli(['click', `${server.url}/aff_c?offer_id=26&aff_id=1`, '-n', '2', '--preset', 'tune'], { cwd })).code).toBe(0);
    const fired = await runCli(['fire', `${server.url}/aff_lsr?transaction_id={click_id}&adv_sub={txid}`, '--preset', 'tune', '--from-db', '--txid', 'T-{i}', '--payout', '1', '--repeat', '3', '--repeat-delay', '0'], { cwd });
    expect(fired.code).toBe(0);
    const exported = await runCli(['db', 'export', 'postbacks', '--format', 'csv'], { cwd });
    expect(exported.code).toBe(0);
    expect(exported.stdout.split('\n')[0]).toContain('copy');
    const reconcile = await runCli(['reconcile', '--conversions-source', 'tpb:fire', '--json'], { cwd });
    const report = JSON.parse(reconcile.stdout) as { summary: { conversions: number; matched: number; duplicate_groups: number; duplicate_extra: number } };
    expect(report.summary).toMatchObject({ conversions: 2, matched: 2, duplicate_groups: 0, duplicate_extra: 0 });
  });
});

describe('judgeCopy: each preset\'s duplicate answer', () => {
  const answer = (status: number, body: string, url = 'http://t.example/p?cid=1') => ({ status, body, headers: { 'content-type': 'text/plain' }, url });

  it('refuses by the documented answer, by 409, by the success rule, by plain words; accepts otherwise', () => {
    expect(judgeCopy(answer(200, 'success=false; err_msg=Duplicate conversion.;'), { preset: 'tune', expect: 'refused' })).toMatchObject({ verdict: 'pass', treated: 'refused' });
    expect(judgeCopy(answer(200, 'ERROR 8: Duplicate Conversion'), { preset: 'everflow', expect: 'refused' })).toMatchObject({ verdict: 'pass', treated: 'refused' });
    expect(judgeCopy(answer(200, 'FAILURE: Duplicate conversion'), { preset: 'cake', expect: 'refused' })).toMatchObject({ verdict: 'pass', treated: 'refused', reason: 'duplicate refused: HTTP 200 without SUCCESS in the body: FAILURE: Duplicate conversion' });
    expect(judgeCopy(answer(409, 'duplicate postback'), { preset: 'voluum', expect: 'refused' })).toMatchObject({ verdict: 'pass', treated: 'refused' });
    expect(judgeCopy(answer(200, 'OK'), { preset: 'voluum', expect: 'refused' })).toMatchObject({ verdict: 'fail', treated: 'accepted' });
    expect(judgeCopy(answer(200, 'OK'), { preset: 'binom', expect: 'accepted' })).toMatchObject({ verdict: 'pass', treated: 'accepted' });
    // The user's own expectation: a copy that fails it is refused.
    expect(judgeCopy(answer(200, 'nope'), { expectations: { body: /^yes/ }, expect: 'refused' })).toMatchObject({ verdict: 'pass', treated: 'refused' });
    // Keitaro with return=OK: a body other than OK is Keitaro ignoring the postback.
    expect(judgeCopy(answer(200, 'Error', 'http://t.example/k/postback?subid=1&return=OK'), { preset: 'keitaro', expect: 'refused' })).toMatchObject({ verdict: 'pass' });
    expect(judgeCopy(answer(200, '<!doctype html><html><title>Login</title>'), { preset: 'generic', expect: 'refused' })).toMatchObject({ verdict: 'fail', treated: 'unclear' });
    expect(judgeCopy(answer(429, 'slow down'), { expect: 'refused' })).toMatchObject({ verdict: 'fail', treated: 'failed' });
  });

  it('only the trackers whose duplicate answer is their success answer carry the caveat', () => {
    const same = PRESET_NAMES.filter((preset) => DUPLICATE_RULES[preset].sameAsSuccess !== undefined);
    expect(same.sort()).toEqual(['affise', 'prosper202']);
    for (const preset of PRESET_NAMES) expect(DUPLICATE_RULES[preset].description.length).toBeGreaterThan(10);
  });

  it('saysDuplicate reads words, not flags', () => {
    for (const body of ['Duplicate conversion', 'conversion already exists', 'Postback ignored.', 'Conversion exists', '{"error":"DUPLICATE_CLICK_ID"}', 'already recorded']) expect([body, saysDuplicate(body)]).toEqual([body, true]);
    for (const body of ['{"duplicate":false}', 'duplicate=0', 'Postback recorded successfully.', 'success=true;', 'OK']) expect([body, saysDuplicate(body)]).toEqual([body, false]);
  });
});

describe('tpb check: repeat, repeat_delay and expect_repeat in fire steps', () => {
  /** A TUNE-like tracker with a click link: 302 with a transaction_id, then postbacks as tuneLike(); `dedupe: false` counts every copy. */
  async function tuneWithClicks(dedupe: boolean) {
    let n = 0;
    const seen = new Set<string>();
    const arrivals: number[] = [];
    const server = await scriptedServer((request, response) => {
      if (request.target.startsWith('/aff_c')) {
        n += 1;
        response.writeHead(302, { location: `https://lp.example/?transaction_id=10${String(n).padStart(28, '0')}` });
        return void response.end();
      }
      arrivals.push(performance.now());
      response.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
      const id = transactionId(request);
      response.end(dedupe && seen.has(id) ? 'success=false; err_msg=Duplicate conversion.;' : 'success=true;');
      seen.add(id);
    });
    return { server, arrivals };
  }
  const scenario = (fire: string) => `name: duplicates
tracker: \${TRACKER_URL}
preset: tune
steps:
  - name: click
    click: { url: "{tracker}/aff_c?offer_id=26&aff_id=1" }
  - name: duplicate postback
    fire: { txid: "order-{click_id}", ${fire} }
`;

  it('a refused copy passes the step (default expect_repeat: refused); a counted one fails it, saying so', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'dup.yaml'), scenario('repeat: 2, repeat_delay: 300ms'));
    const refusing = await tuneWithClicks(true);
    const ok = await runCli(['check', 'dup.yaml'], { cwd, env: { TRACKER_URL: refusing.server.url } });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/✓ duplicate postback .*1 postback HTTP 200 "success=true;"; 1 duplicate copy refused \(HTTP 200 "success=false; err_msg=Duplicate conversion.;"\)/);
    expect(refusing.arrivals).toHaveLength(2);
    expect(refusing.arrivals[1]! - refusing.arrivals[0]!).toBeGreaterThanOrEqual(295);

    const counting = await tuneWithClicks(false);
    const bad = await runCli(['check', 'dup.yaml', '--junit', 'report.xml'], { cwd, env: { TRACKER_URL: counting.server.url } });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/✗ duplicate postback .*copy 2 of 2: the tracker accepted the same conversion twice: success=true;/);
    expect(fs.readFileSync(path.join(cwd, 'report.xml'), 'utf8')).toContain('the duplicate refused');

    fs.writeFileSync(path.join(cwd, 'counted.yaml'), scenario('repeat: 2, repeat_delay: 0s, expect_repeat: accepted'));
    expect((await runCli(['check', 'counted.yaml'], { cwd, env: { TRACKER_URL: (await tuneWithClicks(false)).server.url } })).code).toBe(0);
    fs.writeFileSync(path.join(cwd, 'any.yaml'), scenario('repeat: 3, repeat_delay: 0s, expect_repeat: any'));
    expect((await runCli(['check', 'any.yaml'], { cwd, env: { TRACKER_URL: (await tuneWithClicks(false)).server.url } })).code).toBe(0);
  });

  it('expect_repeat without repeat, an unknown value, and repeat with duration are scenario errors (exit 2, nothing sent)', async () => {
    const cwd = tempDir();
    const { server } = await tuneWithClicks(true);
    for (const [fire, message] of [
      ['expect_repeat: refused', /expect_repeat: goes with repeat: 2 or more/],
      ['repeat: 2, expect_repeat: sometimes', /expect_repeat: expected refused, accepted, any/],
      ['repeat: 2, duration: 2s', /repeat: the duplicate test goes with a counted step/],
    ] as const) {
      fs.writeFileSync(path.join(cwd, 'bad.yaml'), scenario(fire));
      const result = await runCli(['check', 'bad.yaml'], { cwd, env: { TRACKER_URL: server.url } });
      expect([fire, result.code]).toEqual([fire, 2]);
      expect(result.stderr).toMatch(message);
    }
    expect(server.received).toHaveLength(0);
  });
});

describe('an interrupt during the duplicate test', () => {
  it('SIGTERM while waiting --repeat-delay sends no copy, stores the first copies and exits 143', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN, cleanEnv } = await import('../helpers/cli.js');
    const server = await tuneLike();
    const cwd = tempDir();
    const child = spawn(process.execPath, [BIN, 'fire', tuneUrl(server), '--preset', 'tune', '--click-id', TUNE_ID, '--repeat', '2', '--repeat-delay', '20s'], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      // The first copy's line is out: the run now waits the delay before the copy. (Once: a second signal ends it at once.)
      if (!killed && /copy 1 of 2/.test(stdout)) {
        killed = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(143);
    expect(server.received).toHaveLength(1);
    expect(stdout).toContain('sent 1: 1 passed');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(cwd, 'tpb.db'), { readonly: true });
    expect(db.prepare('SELECT copy, verdict FROM postbacks').all()).toEqual([{ copy: 1, verdict: 'pass' }]);
    db.close();
  }, 30_000);
});
