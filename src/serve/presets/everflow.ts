import { key, param, rawParam, subs, textAnswer } from './common.js';
import type { MockPreset, MockRequest } from './types.js';

const ENCODED_ID = /^[A-Za-z0-9]{3,12}$/;

function isTrackingLink(request: MockRequest): boolean {
  return request.segments.length === 2 && request.segments[0] !== 'export' && request.segments.every((s) => ENCODED_ID.test(s));
}

/**
 * Everflow: tracking links /<encoded affiliate>/<encoded offer>/, the server-side /clk endpoint
 * that answers JSON instead of redirecting, and postbacks on the tracking domain's root.
 */
export const everflow: MockPreset = {
  name: 'everflow',
  clickExample: '/28KL6/2CTPL/?sub1=2002',
  postbackTemplate: '/?nid=1&transaction_id={click_id}&amount={payout}&order_id={txid}&event_id={event}',
  decimalComma: true,
  notes: [
    'click: GET /<affiliate>/<offer>/?sub1..sub5= → 302 to --landing with transaction_id (32 hex; the landing parameter name is the advertiser\'s choice, tpb uses transaction_id)',
    'click without redirect: GET /clk?oid=&affid= → 200 JSON {"transaction_id","oid","aid"}',
    'postback: GET /?nid=&transaction_id=&amount=&order_id=&event_id= ; nid and transaction_id required; amount may use a decimal comma (12,34)',
    'answers (not documented, tpb\'s choice): 200 SUCCESS; 400 missing nid or transaction_id; 404 "ERROR 12: Invalid Transaction ID"; 409 "ERROR 8: Duplicate Conversion" (codes from Everflow\'s error list)',
    'duplicate rule: one base conversion per transaction_id, one per event_id for events',
  ],
  match(request) {
    if (request.path === '/clk') return { kind: 'click', answer: 'json' };
    if (request.path === '/') return { kind: 'postback' };
    if (isTrackingLink(request)) return { kind: 'click', answer: 'redirect' };
    return undefined;
  },
  readClick(request) {
    const link = request.path !== '/clk';
    return {
      offer_id: link ? request.segments[1]! : param(request, 'oid'),
      affiliate_id: link ? request.segments[0]! : param(request, 'affid'),
      ...subs(request, ['sub1', 'sub2', 'sub3', 'sub4', 'sub5']),
    };
  },
  clickJson(clickId, fields) {
    return { transaction_id: clickId, oid: fields.offer_id, aid: fields.affiliate_id };
  },
  readPostback(request) {
    return {
      clickId: rawParam(request, 'transaction_id'),
      txid: param(request, 'order_id'),
      event: param(request, 'event_id'),
      status: null,
      payout: rawParam(request, 'amount'),
      revenue: undefined,
      currency: null,
      ...(param(request, 'nid') === null ? { invalid: 'nid is required' } : {}),
    };
  },
  dedupeKey(fields, clickId) {
    return key(clickId, fields.event);
  },
  answer(verdict) {
    return textAnswer(verdict, {
      ok: 'SUCCESS',
      problem: (problem) => {
        switch (problem.kind) {
          case 'missing_click_id':
            return 'ERROR 12: Invalid Transaction ID (transaction_id is required)';
          case 'invalid':
            return `ERROR: ${problem.detail}`;
          case 'unknown_click':
            return 'ERROR 12: Invalid Transaction ID';
          case 'duplicate':
            return 'ERROR 8: Duplicate Conversion';
        }
      },
    });
  },
};
