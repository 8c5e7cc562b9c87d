import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { firePostbacks, firePostback, redactionMemo } from '../../src/fire/run.js';
import { Redactor } from '../../src/text/redact.js';
import { judgeResponse, parseStatusExpectation } from '../../src/fire/verdict.js';
import { HttpClient } from '../../src/http/client.js';
import { backoffDelay, parseRetryAfter, DEFAULT_RETRY_POLICY } from '../../src/http/retry.js';
import { LintFailedError } from '../../src/template/lint.js';
import { Store } from '../../src/store/db.js';
import { UnresolvedMacroError } from '../../src/template/macros.js';
import { tempDir } from '../helpers/tmp.js';
import { Chalk } from 'chalk';
import { renderPostbackLine } from '../../src/report/fire.js';
import { closedPort, scriptedServer } from './server.js';

const fast = { retries: 2, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 5000 };
const answer = (status: number, body: string, headers: Record<string, string> = {}) => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(status, headers);
  res.end(body);
};

describe('judgeResponse', () => {
  const judge = (status: number, body: string, preset?: Parameters<typeof judgeResponse>[2], expectations = {}, headers: Record<string, string> = {}) =>
    judgeResponse({ status, body, headers, url: 'https://t/pb?return=OK' }, expectations, preset);

  it('applies TUNE, Prosper202, CAKE, Keitaro and Affise rules', () => {
    expect(judge(200, 'success=true;', 'tune').verdict).toBe('pass');
    expect(judge(200, 'success=false; err_msg=Invalid Trans. ID #1027c88.;', 'tune')).toMatchObject({ verdict: 'fail', reason: 'TUNE rejected it: Invalid Trans. ID #1027c88.' });
    expect(judge(200, 'OK', 'tune').verdict).toBe('fail');
    expect(judge(202, '{"error":false,"code":202,"msg":"Postback successful"}', 'prosper202').verdict).toBe('pass');
    expect(judge(404, '{"error":true,"code":404,"msg":"SubID not found"}', 'prosper202')).toMatchObject({ verdict: 'fail', reason: expect.stringContaining('SubID not found') });
    expect(judge(200, '{"error":false}', 'prosper202').verdict).toBe('fail');
    expect(judge(200, 'SUCCESS', 'cake').verdict).toBe('pass');
    expect(judge(200, 'FAILED', 'cake').verdict).toBe('fail');
    expect(judge(200, 'OK', 'keitaro').verdict).toBe('pass');
    expect(judge(200, '', 'keitaro').verdict).toBe('fail');
    expect(judge(200, '', 'affise')).toMatchObject({ verdict: 'pass', caveat: expect.stringContaining('200 proves nothing') });
    expect(judge(500, '', 'affise').verdict).toBe('fail');
  });

  it('lets explicit expectations replace the preset rule', () => {
    expect(judge(200, 'success=false; err_msg=Duplicate conversion;', 'tune', { status: parseStatusExpectation('200'), body: /success=false/ }).verdict).toBe('pass');
    expect(judge(404, '', undefined, { status: parseStatusExpectation('2xx,404') }).verdict).toBe('pass');
    expect(judge(201, '', undefined, { status: parseStatusExpectation('200,202') })).toMatchObject({ verdict: 'fail', reason: 'HTTP 201, expected 200,202' });
    expect(() => parseStatusExpectation('2x')).toThrow(/not a status/);
  });

  it('flags an HTML 200 as suspect and fails it', () => {
    const verdict = judge(200, '<!DOCTYPE html><html><head><title>Admin login</title></head></html>', undefined, {}, { 'content-type': 'text/html; charset=utf-8' });
    expect(verdict.verdict).toBe('fail');
    expect(verdict.suspect).toContain('Admin login');
    expect(judge(200, '<html><body>ok</body></html>', undefined, { body: /ok/ })).toMatchObject({ verdict: 'pass', suspect: expect.any(String) });
  });
});

describe('retry delays', () => {
  it('reads Retry-After as seconds or a date and grows with jitter otherwise', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 2000).toUTCString())).toBeGreaterThan(900);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, undefined, () => 0)).toBe(125);
    expect(backoffDelay(3, DEFAULT_RETRY_POLICY, undefined, () => 1)).toBe(1000);
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, 3_600_000)).toBe(60_000);
  });
});

describe('firePostback(s) against a real server', () => {
  it('delivers ids with + / = and space intact, encoded once, with headers and a JSON body', async () => {
    const server = await scriptedServer(answer(200, 'ok'));
    const result = await firePostbacks({
      template: `${server.url}/pb?cid={click_id}&payout={payout}&tx={txid}&n={i}`,
      clickIds: ['a+b/c=d e', 'plain'],
      payout: '1.50',
      txid: 'tx-{i}',
      data: '{"cid":"{click_id}","note":"{event}"}',
      event: 'sale "big"',
      headers: [['X-Sig', 'v{i}']],
      concurrency: 1,
      retryPolicy: fast,
    });
    expect(result.summary).toMatchObject({ sent: 2, passed: 2 });
    expect(server.received[0]!.method).toBe('POST');
    expect(server.received[0]!.rawQuery).toBe('cid=a%2Bb%2Fc%3Dd%20e&payout=1.50&tx=tx-1&n=1');
    expect(new URLSearchParams(server.received[0]!.rawQuery).get('cid')).toBe('a+b/c=d e');
    expect(JSON.parse(server.received[0]!.body)).toEqual({ cid: 'a+b/c=d e', note: 'sale "big"' });
    expect(server.received[0]!.headers['content-type']).toBe('application/json');
    expect(server.received[1]!.headers['x-sig']).toBe('v2');
  });

  it('retries 503 then succeeds, honours Retry-After on 429, never retries 4xx', async () => {
    const flaky = await scriptedServer((req, res, i) => (i < 2 ? answer(503, 'busy')(req, res) : answer(200, 'ok')(req, res)));
    const client = new HttpClient({ timeoutMs: 2000 });
    const recovered = await firePostback(client, { seq: 1, method: 'GET', url: `${flaky.url}/pb?cid=1`, headers: {}, clickId: '1', txid: null, event: null, status: null, payout: null, revenue: null, currency: null }, { retryPolicy: fast });
    expect(recovered.verdict.verdict).toBe('pass');
    expect(recovered.attempts.map((a) => a.status)).toEqual([503, 503, 200]);

    const times: number[] = [];
    const limited = await scriptedServer((req, res, i) => {
      times.push(Date.now());
      if (i === 0) return answer(429, 'slow down', { 'retry-after': '1' })(req, res);
      answer(200, 'ok')(req, res);
    });
    const afterLimit = await firePostback(client, { seq: 1, method: 'GET', url: `${limited.url}/pb`, headers: {}, clickId: null, txid: null, event: null, status: null, payout: null, revenue: null, currency: null }, { retryPolicy: fast });
    expect(afterLimit.verdict.verdict).toBe('pass');
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
    expect(afterLimit.attempts[0]).toMatchObject({ status: 429, waitMs: 1000 });

    const refused = await scriptedServer(answer(404, 'no such click'));
    const notRetried = await firePostback(client, { seq: 1, method: 'GET', url: `${refused.url}/pb`, headers: {}, clickId: null, txid: null, event: null, status: null, payout: null, revenue: null, currency: null }, { retryPolicy: fast });
    expect(notRetried.verdict.verdict).toBe('fail');
    expect(refused.received).toHaveLength(1);
    await client.close();
  });

  it('ends in an error verdict after retries when nothing answers, and on timeouts', async () => {
    const port = await closedPort();
    const result = await firePostbacks({ template: `http://127.0.0.1:${port}/pb?cid={click_id}`, clickIds: ['x'], retryPolicy: fast });
    expect(result.summary).toMatchObject({ sent: 1, errors: 1, attempts: 3 });
    // The attempts are said once, beside the reason, not in it as well.
    expect(result.postbacks[0]!.verdict.reason).toBe('refused: connection refused');
    expect(result.postbacks[0]!.attempts).toHaveLength(3);
    expect(renderPostbackLine(result.postbacks[0]!, new Chalk({ level: 0 }))).toBe('#1  ERROR  ---  x  refused: connection refused (3 attempts)');
    const slow = await scriptedServer((req, res) => setTimeout(() => answer(200, 'late')(req, res), 2000));
    const timedOut = await firePostbacks({ template: `${slow.url}/pb?cid={click_id}`, clickIds: ['x'], retryPolicy: { ...fast, retries: 0 }, timeoutMs: 200 });
    expect(timedOut.postbacks[0]!.verdict).toMatchObject({ verdict: 'error', reason: expect.stringContaining('timeout') });
  });

  it('judges a TUNE-style 200 + success=false, refusing the duplicate copy, and stores postbacks and the tpb:fire conversion once, redacted', async () => {
    const server = await scriptedServer((req, res, i) => answer(200, i === 0 ? 'success=true;' : `success=false; err_msg=Duplicate conversion; token echoed sekrit-123;`)(req, res));
    const store = Store.open(path.join(tempDir(), 'tpb.db'));
    const result = await firePostbacks({
      template: `${server.url}/aff_lsr?offer_id=1&transaction_id={click_id}&amount={payout}&security_token=sekrit-123`,
      preset: 'tune',
      clickIds: ['1027c887059b47bc69c699f45466b9'],
      repeat: 2,
      repeatDelayMs: 0,
      payout: '2.25',
      txid: 'T1',
      concurrency: 1,
      retryPolicy: fast,
      store,
    });
    expect(result.summary).toMatchObject({ sent: 2, passed: 2, failed: 0, duplicates: { sent: 1, refused: 1, accepted: 0 } });
    expect(result.postbacks[1]).toMatchObject({ copy: 2, duplicate: 'refused' });
    expect(result.postbacks[1]!.verdict.reason).toBe('duplicate refused: TUNE rejected it: Duplicate conversion');
    expect(server.received[0]!.rawQuery).toContain('security_token=sekrit-123');
    expect(server.received[0]!.rawQuery).toBe(server.received[1]!.rawQuery);
    const postbacks = store.db.prepare('SELECT * FROM postbacks ORDER BY seq').all() as Array<Record<string, unknown>>;
    expect(postbacks).toHaveLength(2);
    expect(postbacks[0]).toMatchObject({ copy: 1, verdict: 'pass', http_status: 200, attempts: 1, click_id: '1027c887059b47bc69c699f45466b9', txid: 'T1', payout_micros: 2_250_000 });
    expect(postbacks[1]).toMatchObject({ copy: 2, verdict: 'pass' });
    expect(JSON.stringify(postbacks)).not.toContain('sekrit-123');
    expect(String(postbacks[1]!.body_excerpt)).toContain('REDACTED');
    const conversions = store.db.prepare('SELECT * FROM conversions').all() as Array<Record<string, unknown>>;
    // The copy is the same conversion sent again to be refused: tpb:fire holds it once.
    expect(conversions).toHaveLength(1);
    expect(conversions[0]).toMatchObject({ source: 'tpb:fire', click_id: '1027c887059b47bc69c699f45466b9', txid: 'T1', payout_micros: 2_250_000 });
    const run = store.db.prepare('SELECT * FROM runs').get() as { target: string };
    expect(run.target).not.toContain('sekrit-123');
    store.close();
  });

  it('with the CLI\'s one redactor on the store: 123 postbacks stored in order, in batches of many rows, every text redacted once', async () => {
    // A page whose title echoes the secret: the suspect note quotes it, and must not reach the database.
    const server = await scriptedServer((req, res) => answer(200, '<html><head><title>token sekrit-456 ok</title></head><body>success=true;</body></html>', { 'content-type': 'text/html', 'x-echo': 'sekrit-456' })(req, res));
    const store = Store.open(path.join(tempDir(), 'tpb.db'));
    const redactor = new Redactor();
    store.redactor = redactor;
    const ids = Array.from({ length: 123 }, (_, i) => `id${String(i).padStart(4, '0')}`);
    const result = await firePostbacks({
      template: `${server.url}/pb?cid={click_id}&amount={payout}&security_token=sekrit-456`,
      clickIds: ids,
      payout: '1.25',
      concurrency: 7,
      retryPolicy: fast,
      redactor,
      store,
    });
    expect(result.summary).toMatchObject({ sent: 123, failed: 123, suspect: 123 });
    expect(result.postbacks[0]!.verdict.suspect).toContain('token sekrit-456 ok');
    expect(result.postbacks[0]!.responseHeaders!['x-echo']).toBe('REDACTED');
    expect(result.postbacks[0]!.url).not.toContain('sekrit-456');
    const postbacks = store.db.prepare('SELECT seq, click_id, url, reason, body_excerpt, payout_micros FROM postbacks ORDER BY id').all() as Array<Record<string, unknown>>;
    expect(postbacks.map((row) => Number(row.seq)).sort((a, b) => a - b)).toEqual(ids.map((_, i) => i + 1));
    expect(new Set(postbacks.map((row) => row.click_id))).toEqual(new Set(ids));
    expect(JSON.stringify(postbacks)).not.toContain('sekrit-456');
    expect(String(postbacks[0]!.reason)).toContain('suspect: HTTP 200 with an HTML page');
    expect(postbacks.every((row) => row.payout_micros === 1_250_000)).toBe(true);
    const conversions = store.db.prepare("SELECT line, click_id FROM conversions WHERE source = 'tpb:fire' ORDER BY id").all() as Array<{ line: number; click_id: string }>;
    expect(conversions).toHaveLength(123);
    // Each conversion row is its postback's: the same seq and id, in the same order.
    expect(conversions.map((row) => [row.line, row.click_id])).toEqual(postbacks.map((row) => [row.seq, row.click_id]));
    store.close();
  });

  it('the redaction memo starts over when the redactor learns a secret', () => {
    const redactor = new Redactor();
    const memo = redactionMemo(redactor);
    expect(memo.text('answer echoes abc-secret-1')).toBe('answer echoes abc-secret-1');
    redactor.addValue('abc-secret-1');
    expect(memo.text('answer echoes abc-secret-1')).toBe('answer echoes REDACTED');
    expect(memo.body('{"password":"x"}')).toBe(redactor.body('{"password":"x"}'));
    expect(memo.headers({ authorization: 'Bearer x', 'x-a': 'abc-secret-1' })).toEqual({ authorization: 'REDACTED', 'x-a': 'REDACTED' });
  });

  it('stops before sending on unresolved macros and lint errors; dry-run sends nothing', async () => {
    const server = await scriptedServer(answer(200, 'ok'));
    await expect(firePostbacks({ template: `${server.url}/pb?cid={clickid}`, clickIds: ['a'], lint: false })).rejects.toBeInstanceOf(UnresolvedMacroError);
    await expect(firePostbacks({ template: `${server.url}/pb?cid={clickid}`, clickIds: ['a'] })).rejects.toBeInstanceOf(LintFailedError);
    await expect(firePostbacks({ template: `${server.url}/pb?subid={click_id}`, preset: 'prosper202', clickIds: ['123.9'] })).rejects.toThrow(/lint error/);
    await expect(firePostbacks({ template: `${server.url}/pb?cid={click_id}`, clickIds: [] })).rejects.toThrow(/no click ids/);
    const dry = await firePostbacks({ template: `${server.url}/pb?cid={click_id}&api_key=k-999`, clickIds: ['a', 'b'], dryRun: true });
    expect(dry.resolved.map((r) => r.url)).toEqual([`${server.url}/pb?cid=a&api_key=REDACTED`, `${server.url}/pb?cid=b&api_key=REDACTED`]);
    expect(server.received).toHaveLength(0);
  });

  it('builds a preset postback from --base and --var', async () => {
    const server = await scriptedServer(answer(200, 'OK'));
    const result = await firePostbacks({ preset: 'keitaro', base: `${server.url}/k3y`, clickIds: ['1dad2cg1br22spja1'], txid: 'o-1', retryPolicy: fast });
    expect(result.summary.passed).toBe(1);
    expect(server.received[0]!.target).toBe('/k3y/postback?subid=1dad2cg1br22spja1&tid=o-1');
  });

  it('reads answers only up to the limit: a tracker streaming megabytes does not hold the run', async () => {
    const server = await scriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 200 && res.write(chunk)) sent += 1;
        if (sent < 200) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    const client = new HttpClient({ timeoutMs: 5000, maxBodyBytes: 10_000 });
    const started = Date.now();
    const response = await client.send({ url: `${server.url}/big` });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(response.truncated).toBe(true);
    expect(response.body).toHaveLength(10_000);
    await client.close();
  });
});

