import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRules, startCatcher, type Catcher } from '../../src/catch/index.js';
import { runChainDemo } from '../../src/demo/chain.js';
import { ingestFile } from '../../src/ingest/ingest.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import type { OutboundLogEntry } from '../../src/serve/forward.js';
import { startMockTracker, type MockTracker } from '../../src/serve/server.js';
import { Store } from '../../src/store/db.js';
import { tempDir } from '../helpers/tmp.js';
import { click, request } from '../serve/http.js';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('serve → catch: the tracker forwards, the traffic source catches, reconcile finds the lost one', () => {
  it('forwards each recorded conversion with the click and conversion filled in, retries a flaky receiver, and a refused one is missing_in_b', async () => {
    const store = Store.open(path.join(tempDir(), 'chain.db'));
    closers.push(() => store.close());
    // The traffic source: the first attempt of every postback fails (the tracker must retry), and
    // one click id is refused on every attempt.
    const rules = parseRules(
      ['- name: refuse', '  match: { query: { txid: lost-1 } }', '  status: 500', '- name: first attempt fails', '  match: { query: { clickid: "*" } }', '  status: 503', '  times: 3'].join('\n'),
      'rules.yaml',
    );
    const catcher: Catcher = await startCatcher({ store, rules });
    closers.push(() => catcher.close());
    const outbound: OutboundLogEntry[] = [];
    const tracker: MockTracker = await startMockTracker({
      preset: 'tune',
      seed: 3,
      forwardPostbacks: { template: `${catcher.url}/s2s?clickid={click_id}&payout={payout}&txid={txid}&offer={offer_id}&aff={affiliate_id}&sub={sub1}`, retries: 3, backoffMs: 5 },
      forwardLog: (entry) => outbound.push(entry),
    });
    closers.push(() => tracker.close());

    // The advertiser: a plain node:http client clicking and firing, the way a shop's backend does.
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push(await click(`${tracker.url}/aff_c?offer_id=1001&aff_id=2002&aff_sub=s${i}`, 'transaction_id'));
    for (const [i, id] of ids.entries()) {
      const answer = await request(`${tracker.url}/aff_lsr?offer_id=1001&transaction_id=${id}&amount=2.50&adv_sub=${i === 4 ? 'lost-1' : `ord-${i}`}`);
      expect(answer.body).toMatch(/^success=true;/);
    }
    await tracker.drainOutbound();
    expect(tracker.stats().outbound).toMatchObject({ queued: 5, delivered: 4, failed: 1 });
    const lost = outbound.find((entry) => entry.outcome === 'failed')!;
    expect(lost).toMatchObject({ click_id: ids[4], txid: 'lost-1', attempts: 4, status: 500, error: 'HTTP 500' });
    // The receiver answered 503 three times; every one of them was retried until it got through.
    expect(outbound.filter((entry) => entry.outcome === 'delivered').reduce((n, entry) => n + entry.attempts, 0)).toBe(4 + 3);

    const accepted = catcher.requests().filter((r) => r.answer.status === 200);
    expect(accepted).toHaveLength(4);
    const first = accepted.find((r) => r.fields.clickId === ids[0])!;
    expect(first.path).toBe('/s2s');
    expect(Object.fromEntries(first.query)).toEqual({ clickid: ids[0], payout: '2.50', txid: 'ord-0', offer: '1001', aff: '2002', sub: 's0' });

    // What the tracker says it recorded (its export) against what reached the traffic source; the
    // catcher writes its rows in batches (50 ms): settle() puts every answered one in the database.
    await catcher.settle();
    const exported = await request(tracker.routes.conversionsExport);
    const imported = await ingestFile(store, { file: 'tune-conversions.csv', stream: Readable.from([Buffer.from(exported.body)]), kind: 'conversions', preset: 'tune', threads: 'inline' });
    expect(imported.rows).toBe(5);
    const report = reconcile(store, { compare: [imported.source, 'tpb:catch'] });
    expect(report.options.compare?.key).toBe('click_id+txid');
    expect(report.summary.missing_in_b).toBe(1);
    expect(report.summary.missing_in_a).toBe(0);
    const finding = report.findings.find((f) => f.type === 'missing_in_b')!;
    expect(finding.click_id).toBe(ids[4]);
    expect(finding.txid).toBe('lost-1');
  });

  it('an unknown macro in --forward-postbacks is a usage error before the server starts', async () => {
    await expect(startMockTracker({ forwardPostbacks: { template: 'http://127.0.0.1:1/pb?c={clickid}' } })).rejects.toThrow(/unknown macro \{clickid\}/);
  });

  it('tpb demo --chain: every injected loss is found on its hop', async () => {
    const store = Store.open(path.join(tempDir(), 'demo.db'));
    closers.push(() => store.close());
    const result = await runChainDemo({ store, plan: { clicks: 30, converted: 12, unknown: 2, refused: 2, flakiness: 0.25 } });
    expect(result.expectations.filter((e) => e.expected !== e.actual)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.hops[0]!.lost).toHaveLength(2);
    expect(result.hops[1]!.lost).toHaveLength(2);
    expect(result.caught.requests).toBeGreaterThan(10);
    expect(result.outbound.filter((entry) => entry.outcome === 'failed')).toHaveLength(2);
  }, 60_000);
});
