import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCatcher, type Catcher } from '../../src/catch/index.js';
import { parseRules } from '../../src/catch/rules.js';
import { Store } from '../../src/store/db.js';
import { listCaught } from '../../src/store/catch.js';
import { tempDir } from '../helpers/tmp.js';

const catchers: Catcher[] = [];
const servers: http.Server[] = [];
const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(catchers.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  for (const store of stores.splice(0)) store.close();
});

async function catcher(options: Parameters<typeof startCatcher>[0] = {}): Promise<Catcher> {
  const started = await startCatcher(options);
  catchers.push(started);
  return started;
}

function openStore(): Store {
  const store = Store.open(path.join(tempDir(), 'catch.db'));
  stores.push(store);
  return store;
}

/**
 * A sender the way trackers' postback workers are written: plain node:http, a fresh connection per
 * attempt, retry on 5xx and on a dropped connection, a fixed pause between attempts.
 */
async function sendWithRetries(url: string, options: { method?: string; body?: string; headers?: Record<string, string>; attempts: number }): Promise<{ outcomes: string[]; final: number | null }> {
  const outcomes: string[] = [];
  for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
    const outcome = await new Promise<string>((resolve) => {
      const req = http.request(url, { method: options.method ?? 'GET', agent: false, headers: options.headers ?? {} }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
      });
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      req.end(options.body);
    });
    outcomes.push(outcome);
    if (/^[234]\d\d$/.test(outcome)) return { outcomes, final: Number(outcome) };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { outcomes, final: null };
}

describe('tpb catch receiver', () => {
  it('a retrying node:http sender gets through "fail twice" rules and dropped connections, and every attempt is recorded', async () => {
    const store = openStore();
    const rules = parseRules(
      ['- name: fail twice', '  match: { path: /pb, query: { clickid: "*" } }', '  status: 503', '  times: 2', '- name: drop once', '  match: { path: /drop }', '  drop: true', '  times: 1'].join('\n'),
      'rules.yaml',
    );
    const c = await catcher({ store, rules });
    const first = await sendWithRetries(`${c.url}/pb?clickid=abc&payout=2.50&txid=o-1`, { attempts: 5 });
    expect(first.outcomes).toEqual(['503', '503', '200']);
    const second = await sendWithRetries(`${c.url}/drop?clickid=def`, { attempts: 3 });
    expect(second.outcomes).toEqual(['ECONNRESET', '200']);
    await c.close();
    const stats = c.stats();
    expect(stats.requests).toBe(5);
    expect(stats.rules).toEqual({ 'fail twice': 2, 'drop once': 1 });
    expect(stats.by_status).toEqual({ '503': 2, '200': 2, dropped: 1 });
    const rows = listCaught(store, { limit: 0 }).reverse();
    expect(rows.map((r) => [r.path, r.http_status, r.rule])).toEqual([
      ['/pb', 503, 'fail twice'],
      ['/pb', 503, 'fail twice'],
      ['/pb', 200, null],
      ['/drop', null, 'drop once'],
      ['/drop', 200, null],
    ]);
    // Only the accepted attempts are tpb:catch conversions: a 503'd or dropped one was not taken.
    const conversions = store.db.prepare("SELECT click_id, txid, payout_micros FROM conversions WHERE source = 'tpb:catch' ORDER BY id").all();
    expect(conversions).toEqual([
      { click_id: 'abc', txid: 'o-1', payout_micros: 2_500_000 },
      { click_id: 'def', txid: null, payout_micros: null },
    ]);
  });

  it('seeded --fail-rate and --reset-rate faults: the same fates every run, and a sender that retries enough always gets through', async () => {
    const fates = async () => {
      const c = await catcher({ failRate: 0.4, resetRate: 0.25, seed: 7 });
      const results = [];
      for (let i = 0; i < 12; i += 1) results.push(await sendWithRetries(`${c.url}/postback?click_id=c${i}`, { attempts: 20 }));
      await c.close();
      return { results, stats: c.stats() };
    };
    const a = await fates();
    const b = await fates();
    expect(a.results).toEqual(b.results);
    expect(a.results.every((r) => r.final === 200)).toBe(true);
    expect(a.stats.faults.failed).toBeGreaterThan(0);
    expect(a.stats.faults.reset).toBeGreaterThan(0);
    expect(a.stats.requests).toBe(a.results.reduce((n, r) => n + r.outcomes.length, 0));
  });

  it('maxFaultsInARow: never more injected faults in a row for one click id than the cap, whatever the draws and the order', async () => {
    // Every draw is a fault: only the cap lets requests through.
    const c = await catcher({ failRate: 1, seed: 3, maxFaultsInARow: 2 });
    const a = await sendWithRetries(`${c.url}/postback?click_id=a1`, { attempts: 7 });
    // Another click id's faults, interleaved, do not count against a1's streak.
    const b = await sendWithRetries(`${c.url}/postback?click_id=b1`, { attempts: 2 });
    const again = await sendWithRetries(`${c.url}/postback?click_id=a1`, { attempts: 3 });
    expect(a.outcomes).toEqual(['503', '503', '200']);
    expect(b.outcomes).toEqual(['503', '503']);
    expect(again.outcomes).toEqual(['503', '503', '200']);
    // A request without a click id is not capped: a sender of pings gets the plain draw.
    const none = await sendWithRetries(`${c.url}/ping`, { attempts: 4 });
    expect(none.outcomes).toEqual(['503', '503', '503', '503']);
    expect(c.stats().faults.failed).toBe(2 + 2 + 2 + 4);
  });

  it('records method, any path, query, headers and a bounded body, with secrets redacted', async () => {
    const store = openStore();
    const c = await catcher({ store, maxBodyBytes: 64, secrets: ['sig'] });
    const long = `click_id=x1&payout=1.5&note=${'a'.repeat(200)}&api_key=k-123456`;
    await sendWithRetries(`${c.url}/deep/path/%7Bx%7D?cid=v-1&token=t0ps3cret&sig=abcdef`, { method: 'PUT', attempts: 1, headers: { Authorization: 'Bearer s3cret-token', 'X-Trace': 'yes' } });
    await sendWithRetries(`${c.url}/form`, { method: 'POST', attempts: 1, body: long, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await c.close();
    const [form, put] = listCaught(store, { limit: 0 });
    expect(put!.method).toBe('PUT');
    expect(put!.path).toBe('/deep/path/{x}');
    expect(put!.query_raw).toBe('cid=v-1&token=REDACTED&sig=REDACTED');
    expect(put!.headers).toContainEqual(['Authorization', 'REDACTED']);
    expect(put!.headers).toContainEqual(['X-Trace', 'yes']);
    expect(put!.click_id).toBe('v-1');
    expect(form!.body_bytes).toBe(long.length);
    expect(form!.body_truncated).toBe(true);
    expect(form!.body!.length).toBeLessThanOrEqual(64);
    // The click id came from the body, read whole even though only 64 bytes are kept.
    expect(form!.click_id).toBe('x1');
    expect(JSON.stringify(listCaught(store, { limit: 0 }))).not.toMatch(/t0ps3cret|s3cret-token|abcdef|k-123456/);
  });

  it('forwards as received (hop headers aside) and answers with the upstream answer, recording it beside the request', async () => {
    const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
    // The upstream answers like a PHP tracker: 200, text/html, the verdict in the body.
    const upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
        res.end(req.url?.includes('bad') ? 'success=false; err_msg=Invalid Trans. ID;' : 'success=true;');
      });
    });
    servers.push(upstream);
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const store = openStore();
    const c = await catcher({ store, forward: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/base/` });
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = http.request(`${c.url}/aff_lsr?transaction_id=t-1&bad=1`, { method: 'POST', agent: false, headers: { 'x-custom': 'kept', connection: 'close', 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
      });
      req.on('error', reject);
      req.end('amount=1.00');
    });
    expect(answer).toEqual({ status: 200, type: 'text/html; charset=UTF-8', body: 'success=false; err_msg=Invalid Trans. ID;' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('/base/aff_lsr?transaction_id=t-1&bad=1');
    expect(seen[0]!.headers['x-custom']).toBe('kept');
    expect(seen[0]!.body).toBe('amount=1.00');
    await c.close();
    const [row] = listCaught(store);
    expect(row!.forward_status).toBe(200);
    expect(row!.forward_body).toContain('success=false');
    expect(row!.forward_url).toMatch(/\/base\/aff_lsr\?transaction_id=t-1/);
  });

  it('an unreachable forward target is a 502 to the sender and a recorded error, not a crash', async () => {
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    const c = await catcher({ forward: `http://127.0.0.1:${port}`, forwardTimeoutMs: 2000 });
    const result = await sendWithRetries(`${c.url}/pb?clickid=z`, { attempts: 1 });
    expect(result.outcomes).toEqual(['502']);
    expect(c.requests()[0]!.forward).toMatchObject({ status: null, error: expect.stringMatching(/^refused/) });
  });

  it('waitFor resolves on a matching request that arrives later, and times out otherwise', async () => {
    const c = await catcher();
    const waiting = c.waitFor((r) => r.fields.clickId === 'late', 5_000);
    await sendWithRetries(`${c.url}/x?clickid=early`, { attempts: 1 });
    setTimeout(() => void sendWithRetries(`${c.url}/x?clickid=late&payout=3`, { attempts: 1 }), 50);
    const found = await waiting;
    expect(found?.fields.payoutMicros).toBe(3_000_000);
    expect(await c.waitFor((r) => r.fields.clickId === 'never', 100)).toBeUndefined();
  });
});

describe('rules file', () => {
  it('reports every problem with its line', () => {
    expect(() => parseRules(['- match: { path: /a, verb: GET }', '  status: 99', '- nme: x', '  delay: fast'].join('\n'), 'r.yaml')).toThrow(
      /match\.verb: unknown key[\s\S]*r\.yaml:2: rules\[0\]\.status: expected an HTTP status[\s\S]*r\.yaml:3: rules\[1\]\.nme: unknown key[\s\S]*r\.yaml:4: rules\[1\]\.delay/,
    );
  });

  it('matches globs, regexes, presence and absence', () => {
    const [rule] = parseRules('rules:\n  - match: { method: [GET, POST], path: "/pb/*", query: { status: "/^(rejected|declined)$/", txid: "*", debug: "" } }\n    body: no\n', 'r.yaml');
    const test = (method: string, p: string, params: Record<string, string>) =>
      import('../../src/catch/rules.js').then(({ ruleMatches }) => ruleMatches(rule!, { method, path: p, params: new Map(Object.entries(params)) }));
    return Promise.all([
      expect(test('GET', '/pb/a/b', { status: 'declined', txid: '1' })).resolves.toBe(true),
      expect(test('PUT', '/pb/a', { status: 'declined', txid: '1' })).resolves.toBe(false),
      expect(test('GET', '/other', { status: 'declined', txid: '1' })).resolves.toBe(false),
      expect(test('GET', '/pb/a', { status: 'approved', txid: '1' })).resolves.toBe(false),
      expect(test('GET', '/pb/a', { status: 'rejected' })).resolves.toBe(false),
      expect(test('GET', '/pb/a', { status: 'rejected', txid: '1', debug: '1' })).resolves.toBe(false),
    ]);
  });
});
