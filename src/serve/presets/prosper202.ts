import { json, key, param, rawParam } from './common.js';
import type { MockPreset } from './types.js';

const TXID_PARAMS = ['txid', 'transaction_id', 'transactionid', 'order_id', 'orderid', 'oid'];

/** Prosper202 (open source): dl.php direct links, the global postback gpb.php answered in JSON. */
export const prosper202: MockPreset = {
  name: 'prosper202',
  clickExample: '/tracking202/redirect/dl.php?t202id=1001&t202kw=&c1=2002',
  postbackTemplate: '/tracking202/static/gpb.php?subid={click_id}&amount={payout}&txid={txid}',
  notes: [
    'click: GET /tracking202/redirect/dl.php?t202id=&t202kw=&c1..c4= → 302 to --landing with subid (numeric, an auto-increment)',
    'postback: GET /tracking202/static/gpb.php?subid=|sid=&amount=&txid= → 202 {"error":false,"code":202,"msg":"Postback successful"}; unknown or missing subid → 404 {"error":true,"code":404,"msg":"SubID not found"} (documented)',
    'subid must be an exact positive integer ("123.9" is not found)',
    'duplicate rule (from pb.php): the first of txid, transaction_id, transactionid, order_id, orderid, oid keys the conversion; without one a click converts once. A replay is answered 202 like the original (idempotent) and not counted again',
  ],
  match(request) {
    if (request.path === '/tracking202/redirect/dl.php') return { kind: 'click', answer: 'redirect' };
    if (request.path === '/tracking202/static/gpb.php') return { kind: 'postback' };
    return undefined;
  },
  readClick(request) {
    return {
      offer_id: param(request, 't202id'),
      affiliate_id: null,
      sub1: param(request, 'c1'),
      sub2: param(request, 'c2'),
      sub3: param(request, 'c3'),
      sub4: param(request, 'c4'),
      sub5: param(request, 't202kw'),
    };
  },
  readPostback(request) {
    return {
      clickId: rawParam(request, 'subid', 'sid'),
      txid: param(request, ...TXID_PARAMS),
      event: null,
      status: null,
      payout: rawParam(request, 'amount'),
      revenue: undefined,
      currency: null,
    };
  },
  dedupeKey(fields, clickId) {
    return key(clickId, fields.txid);
  },
  answer(verdict) {
    if (verdict.outcome === 'recorded') return json(202, { error: false, code: 202, msg: 'Postback successful' });
    const problem = verdict.problem;
    switch (problem.kind) {
      case 'duplicate':
        return json(202, { error: false, code: 202, msg: 'Postback successful' }, 'duplicate ignored (already converted)');
      case 'invalid':
        return json(400, { error: true, code: 400, msg: problem.detail }, problem.detail);
      case 'missing_click_id':
      case 'unknown_click':
        return json(404, { error: true, code: 404, msg: 'SubID not found' }, 'SubID not found');
    }
  },
};
