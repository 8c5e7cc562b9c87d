import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureClickId, metaRefreshTarget } from '../../src/click/capture.js';
import { sendClick } from '../../src/click/send.js';
import { runClicks, clickIp } from '../../src/click/run.js';
import { HttpClient } from '../../src/http/client.js';
import { Store } from '../../src/store/db.js';
import { capturedClickIds } from '../../src/store/clicks.js';
import { tempDir } from '../helpers/tmp.js';
import { queryParams } from '../../src/template/query.js';
import { Redactor } from '../../src/text/redact.js';
import { closedPort, scriptedServer } from './server.js';

const redirect = (location: string, status = 302) => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(status, { location });
  res.end();
};

describe('captureClickId (pure)', () => {
  const at = (status: number, headers: Record<string, string>, body = '') => captureClickId({ status, headers, body }, { requestUrl: 'https://t.example.com/aff_c?offer_id=1' });

  it('reads absolute and relative Locations for every redirect status', () => {
    for (const status of [301, 302, 303, 307, 308]) {
      expect(at(status, { location: 'https://lp.example.com/?transaction_id=abc' })).toMatchObject({ ok: true, clickId: 'abc', param: 'transaction_id', from: 'location' });
    }
    expect(at(302, { location: '/lp?subid=k1' })).toMatchObject({ ok: true, clickId: 'k1', next: 'https://t.example.com/lp?subid=k1' });
    expect(at(302, { location: 'lp?cid=v%2B1' })).toMatchObject({ ok: true, clickId: 'v+1', next: 'https://t.example.com/lp?cid=v%2B1' });
  });

  it('lists the parameters a Location had when none carries a click id', () => {
    const capture = at(302, { location: 'https://lp.example.com/?utm_source=x&sub9=y' });
    expect(capture).toMatchObject({ ok: false, cause: 'no_param', paramsSeen: ['utm_source', 'sub9'] });
    if (!capture.ok) expect(capture.detail).toContain('utm_source, sub9');
  });

  it('finds meta refresh targets in any case and quoting', () => {
    expect(metaRefreshTarget('<META HTTP-EQUIV="Refresh" CONTENT="0; URL=/lp?clickid=A1">')).toBe('/lp?clickid=A1');
    expect(metaRefreshTarget("<meta content='0;url=\"https://x/?a=1&amp;cid=B2\"' http-equiv='refresh'>")).toBe('https://x/?a=1&cid=B2');
    expect(metaRefreshTarget('<meta http-equiv=refresh content=5;url=https://x/?cid=C3>')).toBe('https://x/?cid=C3');
    expect(metaRefreshTarget('<meta name="viewport" content="width=device-width">')).toBeUndefined();
  });

  it('reads JSON bodies by path, and says what keys there were', () => {
    expect(captureClickId({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"data":{"tid":"x9"}}' }, { requestUrl: 'https://t/', jsonPath: 'data.tid' })).toMatchObject({ ok: true, clickId: 'x9', from: 'json' });
    expect(captureClickId({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"transaction_id":"ef1","oid":1}' }, { requestUrl: 'https://t/' })).toMatchObject({ ok: true, clickId: 'ef1' });
    const missing = captureClickId({ status: 200, headers: {}, body: '{"oid":1,"aid":2}' }, { requestUrl: 'https://t/', jsonPath: 'transaction_id' });
    expect(missing).toMatchObject({ ok: false, cause: 'no_param' });
    if (!missing.ok) expect(missing.detail).toContain('oid, aid');
  });

  it('names a 200 without a redirect and an error status', () => {
    expect(at(200, { 'content-type': 'text/html' }, '<html>landing</html>')).toMatchObject({ ok: false, cause: 'no_redirect' });
    expect(at(404, {})).toMatchObject({ ok: false, cause: 'status', detail: 'HTTP 404' });
    expect(at(302, {})).toMatchObject({ ok: false, cause: 'bad_location' });
  });
});

describe('captureClickId reads the Location as queryParams does', () => {
  // The reference: every parameter decoded, then the first name (in order) with a value.
  const reference = (url: string, names: readonly string[]) => {
    const params = queryParams(url);
    for (const name of names.map((n) => n.toLowerCase())) {
      const hit = params.find((param) => param.name.toLowerCase() === name && param.value !== '');
      if (hit) return { clickId: hit.value, param: hit.name };
    }
    return undefined;
  };
  it('agrees with it on odd queries: repeats, case, empty values, encoded names, fragments, bad escapes', () => {
    const names = ['transaction_id', 'cid', 'subid'];
    const pieces = ['transaction_id=a1', 'TRANSACTION_ID=b2', 'transaction_id=', 'transaction%5Fid=c3', 'cid=d%204', 'CID=e5', 'subid=f%ZZ6', 'x=1', '', 'cid', '=g7', 'subid=h+8', 'other=transaction_id=i9'];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 2000; round += 1) {
      const count = Math.floor(random() * 5);
      const query = Array.from({ length: count }, () => pieces[Math.floor(random() * pieces.length)]!).join('&');
      const fragment = random() < 0.2 ? `#cid=frag${round}` : '';
      const url = `http://t.example.com/lp?${query}${fragment}`;
      const capture = captureClickId({ status: 302, headers: { location: url }, body: '' }, { requestUrl: 'http://t.example.com/c', params: names });
      const expected = reference(url, names);
      if (expected) expect(capture, url).toMatchObject({ ok: true, ...expected });
      else expect(capture.ok, url).toBe(false);
    }
  });
});

describe('sendClick against a real server', () => {
  it('does not follow by default and captures from the first Location', async () => {
    const server = await scriptedServer((req, res) => (req.target.startsWith('/c') ? redirect('/lp?clickid=first')(req, res) : redirect('/never')(req, res)));
    const client = new HttpClient({ connections: 2, timeoutMs: 2000 });
    const outcome = await sendClick(client, { url: `${server.url}/c` });
    await client.close();
    expect(outcome).toMatchObject({ ok: true, clickId: 'first', status: 302, location: `${server.url}/lp?clickid=first` });
    expect(server.received).toHaveLength(1);
  });

  it('follows a chain (relative, absolute, meta refresh) and captures from a later hop', async () => {
    const server = await scriptedServer((req, res) => {
      if (req.target === '/c') return redirect('/hop2')(req, res);
      if (req.target === '/hop2') return redirect(`http://127.0.0.1:${(res.socket!.localPort)}/hop3`, 307)(req, res);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end("<html><head><meta http-equiv='REFRESH' content='0;URL=/lp?cid=deep-id'></head></html>");
    });
    const client = new HttpClient({ timeoutMs: 2000 });
    const outcome = await sendClick(client, { url: `${server.url}/c` }, { follow: 5 });
    await client.close();
    expect(outcome).toMatchObject({ ok: true, clickId: 'deep-id', from: 'meta_refresh' });
    expect(outcome.hops.map((hop) => hop.status)).toEqual([302, 307, 200]);
    expect(server.received.map((r) => r.target)).toEqual(['/c', '/hop2', '/hop3']);
  });

  it('detects redirect loops and bounds the number of hops', async () => {
    const server = await scriptedServer((req, res) => redirect(req.target === '/a' ? '/b' : '/a')(req, res));
    const client = new HttpClient({ timeoutMs: 2000 });
    const loop = await sendClick(client, { url: `${server.url}/a` }, { follow: 10 });
    expect(loop).toMatchObject({ ok: false, cause: 'redirect_loop' });
    expect(server.received).toHaveLength(2);
    const counter = await scriptedServer((req, res) => redirect(`/n${Number(req.target.slice(2) || 0) + 1}`)(req, res));
    const bounded = await sendClick(client, { url: `${counter.url}/n0` }, { follow: 3 });
    await client.close();
    expect(bounded).toMatchObject({ ok: false, cause: 'too_many_redirects' });
    expect(counter.received).toHaveLength(4);
  });

  it('turns a slow answer into a timeout, a dropped connection into reset, a closed port into refused', async () => {
    const slow = await scriptedServer((_req, res) => setTimeout(() => redirect('/?cid=late')(_req, res), 3000));
    const client = new HttpClient({ timeoutMs: 300 });
    const started = Date.now();
    const timedOut = await sendClick(client, { url: `${slow.url}/c` });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(timedOut).toMatchObject({ ok: false, cause: 'network', networkCause: 'timeout' });
    const dropping = await scriptedServer((_req, res) => res.socket?.destroy());
    expect(await sendClick(client, { url: `${dropping.url}/c` })).toMatchObject({ ok: false, cause: 'network', networkCause: 'reset' });
    const port = await closedPort();
    expect(await sendClick(client, { url: `http://127.0.0.1:${port}/c` })).toMatchObject({ ok: false, cause: 'network', networkCause: 'refused' });
    await client.close();
  });
});

describe('runClicks', () => {
  it('sends count clicks with params, headers, UA and per-click IPs, stores each, and summarises', async () => {
    let n = 0;
    const server = await scriptedServer((req, res) => {
      n += 1;
      if (n === 3) return redirect('/lp?utm=1')(req, res); // no click id
      if (n === 4) {
        res.writeHead(500);
        return res.end();
      }
      redirect(`/lp?transaction_id=id${n}&api_key=lpsecret${n}`)(req, res);
    });
    const dir = tempDir();
    const store = Store.open(path.join(dir, 'tpb.db'));
    const progress: number[] = [];
    const result = await runClicks(
      {
        url: `${server.url}/aff_c?offer_id=7&aff_id=9&token=s3cret`,
        count: 6,
        concurrency: 1,
        params: [['sub1', 'run-{i}'], ['q', 'a b+c']],
        headers: [['X-Test', 'yes']],
        ip: '203.0.113.{i}',
        store,
      },
      { onClick: (_click, p) => progress.push(p.done) },
    );
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.summary).toMatchObject({ sent: 6, captured: 4, failed: 2, failures: { no_param: 1, status: 1 }, statuses: { '302': 5, '500': 1 } });
    expect(server.received[0]!.rawQuery).toBe('offer_id=7&aff_id=9&token=s3cret&sub1=run-1&q=a%20b%2Bc');
    expect(server.received[1]!.headers['x-forwarded-for']).toBe('203.0.113.2');
    expect(server.received[0]!.headers['user-agent']).toMatch(/Mozilla\/5\.0 .*Chrome/);
    expect(server.received[0]!.headers['x-test']).toBe('yes');
    expect(result.url).toContain('token=REDACTED');
    expect(result.clicks[2]).toMatchObject({ ok: false, cause: 'no_param' });

    const rows = store.db.prepare('SELECT * FROM clicks ORDER BY line').all() as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatchObject({ source: 'tpb:click', run_id: result.runId, click_id: 'id1', offer_id: '7', affiliate_id: '9', sub1: 'run-1', ip: '203.0.113.1', http_status: 302 });
    expect(String(rows[0]!.request_url)).toContain('token=REDACTED');
    expect(String(rows[0]!.request_url)).not.toContain('s3cret');
    expect(rows[0]!.location).toBe(`${server.url}/lp?transaction_id=id1&api_key=REDACTED`);
    expect(JSON.stringify(result.clicks)).not.toContain('lpsecret');
    expect(rows[3]).toMatchObject({ click_id: null, http_status: 500, error: 'status: HTTP 500' });
    expect(capturedClickIds(store, { runId: result.runId! })).toEqual(['id1', 'id2', 'id5', 'id6']);
    expect(capturedClickIds(store, { last: 2 })).toEqual(['id5', 'id6']);
    const run = store.db.prepare('SELECT * FROM runs').get() as { command: string; target: string; summary_json: string };
    expect(run.command).toBe('click');
    expect(run.target).not.toContain('s3cret');
    expect(JSON.parse(run.summary_json)).toMatchObject({ sent: 6, captured: 4 });
    store.close();
  });

  it('with the CLI\'s one redactor on the store, stored clicks are redacted (link, Location, error, user agent) though the store does not redact them again', async () => {
    let n = 0;
    const server = await scriptedServer((req, res) => {
      n += 1;
      if (n % 2 === 0) return redirect(`/lp?utm=1&echo=s3cret-789`)(req, res); // no click id; echoes the secret
      redirect(`/lp?transaction_id=id${n}&api_key=lpsecret${n}&echo=s3cret-789`)(req, res);
    });
    const store = Store.open(path.join(tempDir(), 'tpb.db'));
    const redactor = new Redactor();
    store.redactor = redactor;
    const result = await runClicks({ url: `${server.url}/aff_c?offer_id=7&token=s3cret-789`, count: 60, concurrency: 3, userAgent: 'agent s3cret-789', redactor, store });
    expect(result.summary).toMatchObject({ sent: 60, captured: 30 });
    const rows = store.db.prepare("SELECT * FROM clicks WHERE source = 'tpb:click' ORDER BY line").all() as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(60);
    expect(JSON.stringify(rows)).not.toContain('s3cret-789');
    expect(JSON.stringify(rows)).not.toContain('lpsecret');
    expect(rows.find((row) => row.click_id !== null)).toMatchObject({ user_agent: 'agent REDACTED', offer_id: '7' });
    expect(String(rows.find((row) => row.error !== null)!.error)).toMatch(/^no_param: /);
    store.close();
  });

  it('keeps at most `concurrency` requests in flight and honours --rate', async () => {
    let inFlight = 0;
    let peak = 0;
    const server = await scriptedServer((req, res) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        redirect('/?cid=x')(req, res);
      }, 20);
    });
    await runClicks({ url: `${server.url}/c`, count: 12, concurrency: 3 });
    expect(peak).toBe(3);
    const paced = await scriptedServer(redirect('/?cid=y'));
    const started = Date.now();
    await runClicks({ url: `${paced.url}/c`, count: 5, concurrency: 5, ratePerSecond: 10 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
  });

  it('keepClicks examples: the first failed click of each cause, every click counted and stored; repeated ids counted', async () => {
    // A tracker that misbehaves four ways in turn; its ids repeat (id0, id4, id0, …), as a broken id generator's would.
    const server = await scriptedServer((_req, res, index) => {
      if (index % 4 === 0) res.writeHead(302, { location: `https://lp.example.com/?transaction_id=id${index % 8}` });
      else if (index % 4 === 1) res.writeHead(200, { 'content-type': 'text/html' });
      else if (index % 4 === 2) res.writeHead(404);
      else res.writeHead(302, { location: 'https://lp.example.com/?utm_source=x' });
      res.end();
    });
    const store = Store.open(path.join(tempDir(), 'tpb.db'));
    const result = await runClicks({ url: `${server.url}/c`, count: 40, concurrency: 1, store, keepClicks: 'examples' });
    expect(result.summary).toMatchObject({ sent: 40, captured: 10, failed: 30, duplicateIds: 8, failures: { no_redirect: 10, status: 10, no_param: 10 } });
    expect(result.clicks.map((click) => [click.index, click.cause])).toEqual([[2, 'no_redirect'], [3, 'status'], [4, 'no_param']]);
    expect(store.db.prepare('SELECT count(*) AS n FROM clicks').get()).toEqual({ n: 40 });
    store.close();
  });

  it('refuses unknown macros and bad IP templates before sending', async () => {
    const server = await scriptedServer(redirect('/?cid=x'));
    await expect(runClicks({ url: `${server.url}/c?x={clickid}`, count: 1, concurrency: 1 })).rejects.toThrow(/unresolved macro \{clickid\}/);
    await expect(runClicks({ url: `${server.url}/c`, count: 1, concurrency: 1, ip: '203.0.113.{i}.5' })).rejects.toThrow(/not an IP address/);
    expect(server.received).toHaveLength(0);
    expect(clickIp('203.0.113.{i}', 255)).toBe('203.0.113.1');
    expect(clickIp('random', 1)).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/);
  });
});

describe('click wording and JSON', () => {
  it('reports a Location it cannot read as bad_location, not no_param', () => {
    for (const location of ['http://[::bad', 'http://exa mple.com/?cid=1']) {
      expect(captureClickId({ status: 302, headers: { location }, body: '' }, { requestUrl: 'https://t.example.com/c' })).toMatchObject({ ok: false, cause: 'bad_location' });
    }
    expect(captureClickId({ status: 302, headers: { location: 'http://[::1]:8080/lp?cid=k' }, body: '' }, { requestUrl: 'https://t.example.com/c' })).toMatchObject({ ok: true, clickId: 'k' });
  });

  it('says "network" once for a network failure', async () => {
    const { renderClickLine } = await import('../../src/report/click.js');
    const { Chalk } = await import('chalk');
    const port = await closedPort();
    const result = await runClicks({ url: `http://127.0.0.1:${port}/c`, count: 1, concurrency: 1 });
    const line = renderClickLine(result.clicks[0]!, new Chalk({ level: 0 }));
    expect(line).toBe('#1  ---  refused: connection refused');
    expect(renderClickLine({ ...result.clicks[0]!, networkCause: 'network', detail: 'network: Response does not match the HTTP/1.1 protocol' }, new Chalk({ level: 0 }))).toBe('#1  ---  network: Response does not match the HTTP/1.1 protocol');
  });
});
