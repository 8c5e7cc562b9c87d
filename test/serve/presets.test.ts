import { afterEach, describe, expect, it } from 'vitest';
import { PRESETS, PRESET_NAMES, type PresetName } from '../../src/presets/catalog.js';
import { startMockTracker, type MockTracker } from '../../src/serve/server.js';
import { click, fill, request } from './http.js';

const open: MockTracker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((tracker) => tracker.close()));
});

async function start(preset: PresetName, options: Parameters<typeof startMockTracker>[0] = {}): Promise<MockTracker> {
  const tracker = await startMockTracker({ preset, ...options });
  open.push(tracker);
  return tracker;
}

interface Expect {
  status: number;
  body: RegExp;
}

/** What each tracker answers: recorded, duplicate, unknown click id, missing click id. */
const ANSWERS: Record<PresetName, { recorded: Expect; duplicate: Expect; unknown: Expect; missing: Expect }> = {
  generic: {
    recorded: { status: 200, body: /^\{"status":"recorded","click_id":"[^"]+","conversion_id":"cv\d+"\}$/ },
    duplicate: { status: 409, body: /"status":"duplicate"/ },
    unknown: { status: 404, body: /unknown click_id/ },
    missing: { status: 400, body: /missing click_id/ },
  },
  tune: {
    recorded: { status: 200, body: /^success=true;$/ },
    duplicate: { status: 200, body: /^success=false; err_msg=Duplicate conversion\.;$/ },
    unknown: { status: 200, body: /^success=false; err_msg=Invalid Trans\. ID #10ffffffffffffffffffffffffffff\.;$/ },
    missing: { status: 200, body: /^success=false; err_msg=Invalid Trans\. ID #\.;$/ },
  },
  everflow: {
    recorded: { status: 200, body: /^SUCCESS$/ },
    duplicate: { status: 409, body: /^ERROR 8: Duplicate Conversion$/ },
    unknown: { status: 404, body: /^ERROR 12: Invalid Transaction ID$/ },
    missing: { status: 400, body: /ERROR 12/ },
  },
  voluum: {
    recorded: { status: 200, body: /^OK$/ },
    duplicate: { status: 409, body: /duplicate/ },
    unknown: { status: 404, body: /unknown cid/ },
    missing: { status: 400, body: /cid is missing/ },
  },
  keitaro: {
    recorded: { status: 200, body: /^Success$/ },
    duplicate: { status: 409, body: /^Conversion by pair "SubId \+ tid" already exists\. Postback ignored\.$/ },
    unknown: { status: 404, body: /^SubId not found/ },
    missing: { status: 400, body: /^Incorrect subid ""\. Postback ignored\.$/ },
  },
  binom: {
    recorded: { status: 200, body: /^OK$/ },
    duplicate: { status: 409, body: /already recorded/ },
    unknown: { status: 404, body: /click not found/ },
    missing: { status: 400, body: /cnv_id is missing/ },
  },
  cake: {
    recorded: { status: 200, body: /^SUCCESS$/ },
    duplicate: { status: 200, body: /^FAILURE: Duplicate conversion$/ },
    unknown: { status: 200, body: /^FAILURE: Request ID \d+ not found$/ },
    missing: { status: 200, body: /^FAILURE: Missing Request ID/ },
  },
  affise: {
    recorded: { status: 200, body: /^\{"status":1,"message":"Postback accepted"\}$/ },
    duplicate: { status: 200, body: /^\{"status":1,"message":"Postback accepted"\}$/ },
    unknown: { status: 200, body: /^\{"status":1,"message":"Postback accepted"\}$/ },
    missing: { status: 200, body: /Missing mandatory parameter clickid/ },
  },
  redtrack: {
    recorded: { status: 200, body: /^OK$/ },
    duplicate: { status: 409, body: /duplicate/ },
    unknown: { status: 404, body: /click not found/ },
    missing: { status: 400, body: /clickid is missing/ },
  },
  prosper202: {
    recorded: { status: 202, body: /^\{"error":false,"code":202,"msg":"Postback successful"\}$/ },
    duplicate: { status: 202, body: /"code":202/ },
    unknown: { status: 404, body: /^\{"error":true,"code":404,"msg":"SubID not found"\}$/ },
    missing: { status: 404, body: /SubID not found/ },
  },
};

/** An id of the right shape that the tracker never issued. */
const UNKNOWN_ID: Record<PresetName, string> = {
  generic: 'neverIssued000000000',
  tune: '10ffffffffffffffffffffffffffff',
  everflow: 'f'.repeat(32),
  voluum: 'cZZZZZZZZZZZZZZZZZZZZZZZZZ',
  keitaro: 'zzzzzzzzzzzzzzzzz',
  binom: 'zzzzzzzzzzzzzz',
  cake: '9999999999',
  affise: 'f'.repeat(24),
  redtrack: 'f'.repeat(24),
  prosper202: '999999',
};

describe.each(PRESET_NAMES)('tpb serve --preset %s', (preset) => {
  const param = PRESETS[preset].clickIdParam;

  it('answers a click with 302 to the landing page carrying an id of the preset\'s shape', async () => {
    const tracker = await start(preset, { landing: 'https://shop.example/lp?utm=1' });
    const result = await request(tracker.routes.click);
    expect(result.status).toBe(302);
    const location = new URL(result.headers.location!);
    expect(location.origin + location.pathname).toBe('https://shop.example/lp');
    expect(location.searchParams.get('utm')).toBe('1');
    const id = location.searchParams.get(param)!;
    expect(id).toMatch(PRESETS[preset].clickIdFormat.pattern);
    // Two clicks, two ids.
    expect(await click(tracker.routes.click, param)).not.toBe(id);
    expect(tracker.stats().clicks).toBe(2);
  });

  it('records a postback, refuses the duplicate, an unknown id and a missing id the way the tracker does', async () => {
    const tracker = await start(preset);
    const id = await click(tracker.routes.click, param);
    const values = { click_id: id, payout: '2.50', txid: 'T-1', event: '', status: '' };
    const answers = ANSWERS[preset];

    const recorded = await request(fill(tracker.routes.postback, values));
    expect(recorded.status).toBe(answers.recorded.status);
    expect(recorded.body).toMatch(answers.recorded.body);

    const duplicate = await request(fill(tracker.routes.postback, values));
    expect(duplicate.status).toBe(answers.duplicate.status);
    expect(duplicate.body).toMatch(answers.duplicate.body);

    const unknown = await request(fill(tracker.routes.postback, { ...values, click_id: UNKNOWN_ID[preset] }));
    expect(unknown.status).toBe(answers.unknown.status);
    expect(unknown.body).toMatch(answers.unknown.body);

    const missing = await request(fill(tracker.routes.postback, { ...values, click_id: '' }));
    expect(missing.status).toBe(answers.missing.status);
    expect(missing.body).toMatch(answers.missing.body);

    expect(tracker.stats().postbacks).toEqual({ recorded: 1, duplicate: 1, unknown_click: 1, rejected: 1 });
    expect(tracker.stats().stored.conversions).toBe(1);
  });

  it('answers 404 on a path that is not one of its routes, naming the routes', async () => {
    const tracker = await start(preset);
    const result = await request(`${tracker.url}/nope/nothing/here`);
    expect(result.status).toBe(404);
    expect(result.body).toContain(`${preset} mock tracker`);
  });
});

describe('preset details', () => {
  it('generic: a new txid on the same click is a new conversion; POST form bodies are read', async () => {
    const tracker = await start('generic');
    const id = await click(tracker.routes.click, 'click_id');
    expect((await request(`${tracker.url}/postback?click_id=${id}&txid=A`)).status).toBe(200);
    expect((await request(`${tracker.url}/postback?click_id=${id}&txid=B`)).status).toBe(200);
    expect((await request(`${tracker.url}/postback?click_id=${id}&txid=B&event=upsell`)).status).toBe(200);
    const posted = await request(`${tracker.url}/postback`, {
      method: 'POST',
      body: `click_id=${id}&txid=C&payout=1.00`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(posted.status).toBe(200);
    const json = await request(`${tracker.url}/postback`, {
      method: 'POST',
      body: JSON.stringify({ click_id: id, txid: 'C', payout: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(409);
    expect(tracker.stats().postbacks.recorded).toBe(4);
  });

  it('generic: a payout that is not an amount is refused with 400', async () => {
    const tracker = await start('generic');
    const id = await click(tracker.routes.click, 'click_id');
    const result = await request(`${tracker.url}/postback?click_id=${id}&payout=%7Bpayout%7D`);
    expect(result.status).toBe(400);
    expect(result.body).toContain('payout \\"{payout}\\" is not an amount');
  });

  it('tune: aff_goal dedupes per goal, conversion_unique_id replaces the rule, POST is refused', async () => {
    const tracker = await start('tune');
    const id = await click(tracker.routes.click, 'transaction_id');
    expect((await request(`${tracker.url}/aff_goal?a=lsr&goal_id=4&transaction_id=${id}`)).body).toBe('success=true;');
    expect((await request(`${tracker.url}/aff_goal?a=lsr&goal_id=5&transaction_id=${id}`)).body).toBe('success=true;');
    expect((await request(`${tracker.url}/aff_goal?a=lsr&goal_id=5&transaction_id=${id}`)).body).toMatch(/Duplicate/);
    expect((await request(`${tracker.url}/aff_lsr?transaction_id=${id}&conversion_unique_id=u1`)).body).toBe('success=true;');
    expect((await request(`${tracker.url}/aff_lsr?transaction_id=${id}&conversion_unique_id=u2`)).body).toBe('success=true;');
    expect((await request(`${tracker.url}/aff_lsr?transaction_id=${id}&conversion_unique_id=u2`)).body).toMatch(/Duplicate/);
    const post = await request(`${tracker.url}/aff_lsr?transaction_id=${id}`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });

  it('everflow: /clk answers JSON, nid is required, amounts may use a decimal comma', async () => {
    const tracker = await start('everflow');
    const clk = await request(`${tracker.url}/clk?oid=7&affid=9`);
    expect(clk.status).toBe(200);
    const body = JSON.parse(clk.body) as { transaction_id: string; oid: string; aid: string };
    expect(body).toMatchObject({ oid: '7', aid: '9' });
    expect(body.transaction_id).toMatch(/^[0-9a-f]{32}$/);
    const noNid = await request(`${tracker.url}/?transaction_id=${body.transaction_id}`);
    expect(noNid.status).toBe(400);
    expect(noNid.body).toContain('nid is required');
    expect((await request(`${tracker.url}/?nid=1&transaction_id=${body.transaction_id}&amount=12,34`)).body).toBe('SUCCESS');
    const csv = (await request(tracker.routes.conversionsExport)).body;
    expect(csv).toContain(',12.34,');
    // An event is a conversion of its own, once.
    expect((await request(`${tracker.url}/?nid=1&transaction_id=${body.transaction_id}&event_id=3`)).status).toBe(200);
    expect((await request(`${tracker.url}/?nid=1&transaction_id=${body.transaction_id}&event_id=3`)).status).toBe(409);
  });

  it('voluum: a repeated cid counts again only with a new txid', async () => {
    const tracker = await start('voluum');
    const id = await click(tracker.routes.click, 'cid');
    expect((await request(`${tracker.url}/postback?cid=${id}`)).status).toBe(200);
    expect((await request(`${tracker.url}/postback?cid=${id}`)).status).toBe(409);
    expect((await request(`${tracker.url}/postback?cid=${id}&txid=upsell-1`)).status).toBe(200);
    expect((await request(`${tracker.url}/postback?cid=${id}&txid=upsell-1`)).status).toBe(409);
  });

  it('keitaro: a wrong postback key is 404, return= sets the success body, status defaults to sale', async () => {
    const tracker = await start('keitaro', { postbackKey: 's3cr3tkey' });
    expect(tracker.routes.postbackBase).toBe(`${tracker.url}/s3cr3tkey`);
    const id = await click(tracker.routes.click, 'subid');
    expect((await request(`${tracker.url}/wrongkey/postback?subid=${id}`)).status).toBe(404);
    const ok = await request(`${tracker.url}/s3cr3tkey/postback?subid=${id}&tid=1&return=OK`);
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('OK');
    expect((await request(`${tracker.url}/s3cr3tkey/postback?sub_id=${id}&tid=2`)).status).toBe(200);
    const csv = (await request(tracker.routes.conversionsExport)).body;
    expect(csv.split('\n')[1]).toContain(';sale;');
  });

  it('binom: click.php is a click with key= and a postback with cnv_id=; v2 /click?cnv_id= too', async () => {
    const tracker = await start('binom');
    const id = await click(`${tracker.url}/click.php?key=5`, 'cnv_id');
    expect((await request(`${tracker.url}/click?cnv_id=${id}&payout=1`)).status).toBe(200);
    expect((await request(`${tracker.url}/click.php?cnv_id=${id}&payout=1`)).status).toBe(409);
  });

  it('cake: the offer (o) is required and the answer stays 200', async () => {
    const tracker = await start('cake');
    const id = await click(tracker.routes.click, 'r');
    const result = await request(`${tracker.url}/p.ashx?r=${id}&f=pb`);
    expect(result.status).toBe(200);
    expect(result.body).toBe('FAILURE: Missing Offer ID (o)');
    expect((await request(`${tracker.url}/p.ashx?o=1&r=${id}&f=pb&e=2`)).body).toBe('SUCCESS');
  });

  it('affise: a broken clickid and a duplicate are accepted in the answer and told apart in the log', async () => {
    const messages: Array<string | undefined> = [];
    const tracker = await start('affise', { log: (entry) => entry.route === 'postback' && messages.push(entry.message) });
    const id = await click(tracker.routes.click, 'clickid');
    for (const url of [
      `${tracker.url}/postback?clickid=short`,
      `${tracker.url}/postback?clickid=${id}&goal=1`,
      `${tracker.url}/postback?click_id=${id}&goal=1`,
      `${tracker.url}/postback?clickid=${id}&goal=1&action_id=A1`,
    ]) {
      expect((await request(url)).status).toBe(200);
    }
    expect(messages).toEqual(['Broken clickid', undefined, 'Conversion exists', undefined]);
  });

  it('redtrack: rdtk_event_id alone decides duplicates when given', async () => {
    const tracker = await start('redtrack');
    const id = await click(tracker.routes.click, 'clickid');
    expect((await request(`${tracker.url}/postback?clickid=${id}&type=Upsell&rdtk_event_id=e1`)).status).toBe(200);
    expect((await request(`${tracker.url}/postback?clickid=${id}&type=Other&rdtk_event_id=e1`)).status).toBe(409);
    expect((await request(`${tracker.url}/postback?clickid=${id}&type=Upsell`)).status).toBe(200);
    expect((await request(`${tracker.url}/postback?clickid=${id}&type=upsell`)).status).toBe(200);
  });

  it('prosper202: subids are a sequence, "123.9" is not found, sid= works, a txid makes a new conversion', async () => {
    const tracker = await start('prosper202');
    const first = await click(tracker.routes.click, 'subid');
    const second = await click(tracker.routes.click, 'subid');
    expect(Number(second)).toBe(Number(first) + 1);
    expect((await request(`${tracker.url}/tracking202/static/gpb.php?subid=${first}.9`)).status).toBe(404);
    expect((await request(`${tracker.url}/tracking202/static/gpb.php?sid=${first}&amount=3`)).status).toBe(202);
    expect((await request(`${tracker.url}/tracking202/static/gpb.php?subid=${first}&order_id=O1`)).status).toBe(202);
    expect(tracker.stats().postbacks).toMatchObject({ recorded: 2, unknown_click: 1 });
  });
});

describe('the mock tracker object', () => {
  it('routes: full URLs, the postback a template with tpb fire macros', async () => {
    const tracker = await start('tune');
    expect(tracker.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(tracker.port).toBeGreaterThan(0);
    expect(tracker.routes).toEqual({
      click: `${tracker.url}/aff_c?offer_id=1001&aff_id=2002`,
      postback: `${tracker.url}/aff_lsr?offer_id=1001&transaction_id={click_id}&amount={payout}&adv_sub={txid}`,
      postbackBase: tracker.url,
      clicksExport: `${tracker.url}/export/clicks.csv`,
      conversionsExport: `${tracker.url}/export/conversions.csv`,
    });
  });

  it.each([
    ['https://shop.example/lp', 'https://shop.example/lp?click_id=ID'],
    ['https://shop.example/lp?', 'https://shop.example/lp?click_id=ID'],
    ['https://shop.example/lp?a=1&b=x%20y#top', 'https://shop.example/lp?a=1&b=x%20y&click_id=ID#top'],
    ['https://shop.example/lp?click_id={clickid}&a=1', 'https://shop.example/lp?click_id=ID&a=1'],
  ])('adds the click id to the landing URL %s', async (landing, expected) => {
    const tracker = await start('generic', { landing });
    const result = await request(tracker.routes.click);
    const location = result.headers.location!;
    const id = new URL(location).searchParams.get('click_id')!;
    expect(location).toBe(expected.replace('ID', id));
  });

  it('records the client address from X-Forwarded-For (tpb click --ip) and the user agent', async () => {
    const tracker = await start('generic');
    await click(tracker.routes.click, 'click_id', { 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'user-agent': 'tpb-test/1' });
    const csv = (await request(tracker.routes.clicksExport)).body;
    expect(csv.split('\n')[1]).toMatch(/,203\.0\.113\.7,tpb-test\/1$/);
  });

  it('close() is idempotent and waits for a request in flight', async () => {
    const tracker = await startMockTracker({ preset: 'generic', latency: 150 });
    const inFlight = request(tracker.routes.click);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const closed = Promise.all([tracker.close(), tracker.close()]);
    const answer = await inFlight;
    expect(answer.status).toBe(302);
    await closed;
    await expect(request(tracker.routes.click)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('close() drops what is still in flight after the grace period', async () => {
    const tracker = await startMockTracker({ preset: 'generic', latency: 60_000, closeGraceMs: 50 });
    const inFlight = request(tracker.routes.click).then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = Date.now();
    await tracker.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await inFlight).toBe('dropped');
  });
});
