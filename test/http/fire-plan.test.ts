import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { firePostbacks, planPostbacks } from '../../src/fire/run.js';
import { Store } from '../../src/store/db.js';
import { UnresolvedMacroError } from '../../src/template/macros.js';
import { tempDir } from '../helpers/tmp.js';
import { scriptedServer } from './server.js';

// Postbacks are made when each is due, not all before the run: a big plan must give exactly the
// requests the eager loop gave (seq copy by copy, {i} per id, {repeat} per copy), and the
// duplicate test must still send copy 2 only where copy 1 passed.

const ids = (n: number) => Array.from({ length: n }, (_, i) => `id${String(i).padStart(5, '0')}`);

describe('planPostbacks', () => {
  it('makes request i on demand, the same as a small plan keeps (seq copy by copy, per-id macros, body and headers)', () => {
    const clickIds = ids(5000); // × 2 copies: past the plan size whose requests are kept
    const options = {
      template: 'http://127.0.0.1:9/pb?cid={click_id}&n={i}&s={seq}&r={repeat}&tx={txid}&p={payout}',
      clickIds,
      repeat: 2,
      txid: 'T-{i}',
      payout: '1.25',
      data: '{"cid":"{click_id}","seq":"{seq}"}',
      headers: [['X-Click', '{click_id}/{repeat}']] as Array<[string, string]>,
    };
    const now = new Date('2026-12-02T10:00:00Z');
    const plan = planPostbacks(options, options.template, now);
    expect(plan).toMatchObject({ length: 10_000, perCopy: 5000, method: 'POST' });
    for (const i of [0, 1, 2, 4095, 4096, 4999, 5000, 5001, 7777, 9999]) {
      const k = i % 5000;
      const copy = i < 5000 ? 1 : 2;
      const request = plan.at(i);
      expect(request).toEqual({
        seq: i + 1,
        copy,
        method: 'POST',
        url: `http://127.0.0.1:9/pb?cid=${clickIds[k]}&n=${k + 1}&s=${i + 1}&r=${copy}&tx=T-${k + 1}&p=1.25`,
        headers: { 'x-click': `${clickIds[k]}/${copy}`, 'content-type': 'application/json' },
        body: `{"cid":"${clickIds[k]}","seq":"${i + 1}"}`,
        clickId: clickIds[k],
        txid: `T-${k + 1}`,
        event: null,
        status: null,
        payout: '1.25',
        revenue: null,
        currency: null,
      });
      // Made again on demand: an equal, separate object (a run may change its seq).
      expect(plan.at(i)).toEqual(request);
    }
    // A small plan keeps what it made; its requests are the same as the big plan's.
    const small = planPostbacks({ ...options, clickIds: clickIds.slice(0, 3) }, options.template, now);
    expect(small.at(1)).toBe(small.at(1));
    expect(small.at(1)).toEqual({ ...plan.at(1) });
  });

  it('throws for an unresolved macro before any request is made, whatever the size', () => {
    for (const n of [1, 10_000]) {
      expect(() => planPostbacks({ template: 'http://127.0.0.1:9/pb?cid={click_id}&x={nope}', clickIds: ids(n) }, 'http://127.0.0.1:9/pb?cid={click_id}&x={nope}', new Date())).toThrow(UnresolvedMacroError);
    }
  });
});

describe('firePostbacks with a plan made as it goes', () => {
  it('the duplicate test over 6,000 ids: copy 2 only where copy 1 passed, the rest skipped and named', async () => {
    // TUNE-style: copy 1 of an odd-numbered id is refused, every copy 2 is refused as a duplicate.
    const server = await scriptedServer((req, res) => {
      const params = new URLSearchParams(req.rawQuery);
      const n = Number(params.get('n'));
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(params.get('r') === '1' && n % 2 === 0 ? 'success=true;' : 'success=false; err_msg=Duplicate;');
    });
    const store = Store.open(path.join(tempDir(), 'tpb.db'));
    const skipped: number[] = [];
    const clickIds = ids(6000);
    const result = await firePostbacks(
      { template: `${server.url}/aff_lsr?transaction_id={click_id}&n={i}&r={repeat}`, preset: 'tune', clickIds, repeat: 2, repeatDelayMs: 0, concurrency: 8, store, keepPostbacks: 'none' },
      { onSkipped: (list) => skipped.push(...list.map((item) => item.seq)) },
    );
    expect(result.planned).toBe(12_000);
    expect(result.summary).toMatchObject({ sent: 9000, duplicates: { sent: 3000, refused: 3000, accepted: 0 } });
    expect(server.received).toHaveLength(9000);
    // Skipped: copy 2 of every odd-numbered id (n = k + 1 odd: k even), by seq.
    expect(skipped).toEqual(Array.from({ length: 3000 }, (_, j) => 6000 + 2 * j + 1));
    const copies = store.db.prepare('SELECT copy, count(*) AS n, min(seq) AS first, max(seq) AS last FROM postbacks GROUP BY copy ORDER BY copy').all();
    expect(copies).toEqual([{ copy: 1, n: 6000, first: 1, last: 6000 }, { copy: 2, n: 3000, first: 6002, last: 12_000 }]);
    // Each copy 2 went to the id its seq names.
    const wrong = store.db.prepare("SELECT count(*) AS n FROM postbacks WHERE copy = 2 AND url NOT LIKE '%transaction_id=' || click_id || '&n=' || (seq - 6000) || '&r=2'").get();
    expect(wrong).toEqual({ n: 0 });
    store.close();
  });
});
