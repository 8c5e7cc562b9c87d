import { json, key, param, rawParam, subs } from './common.js';
import type { MockPreset } from './types.js';

/** tpb's own plain tracker: JSON answers with meaningful status codes. */
export const generic: MockPreset = {
  name: 'generic',
  clickExample: '/click?offer_id=1001&aff_id=2002',
  postbackTemplate: '/postback?click_id={click_id}&payout={payout}&txid={txid}&event={event}&status={status}',
  notes: [
    'click: GET /click?offer_id=&aff_id=&sub1..sub5= → 302 to --landing with click_id',
    'postback: GET or POST /postback?click_id=&payout=&revenue=&currency=&txid=&event=&status= → 200 JSON; 400 missing click_id; 404 unknown click; 409 duplicate',
    'duplicate rule: click_id + event + txid (the reconcile default)',
  ],
  match(request) {
    if (request.path === '/click') return { kind: 'click', answer: 'redirect' };
    if (request.path === '/postback') return { kind: 'postback' };
    return undefined;
  },
  readClick(request) {
    return {
      offer_id: param(request, 'offer_id'),
      affiliate_id: param(request, 'aff_id', 'affiliate_id'),
      ...subs(request, ['sub1', 'sub2', 'sub3', 'sub4', 'sub5']),
    };
  },
  readPostback(request) {
    return {
      clickId: rawParam(request, 'click_id'),
      txid: param(request, 'txid'),
      event: param(request, 'event'),
      status: param(request, 'status'),
      payout: rawParam(request, 'payout'),
      revenue: rawParam(request, 'revenue'),
      currency: param(request, 'currency'),
    };
  },
  dedupeKey(fields, clickId) {
    return key(clickId, fields.event, fields.txid);
  },
  answer(verdict) {
    if (verdict.outcome === 'recorded') {
      return json(200, { status: 'recorded', click_id: verdict.clickId, conversion_id: verdict.conversionId });
    }
    const problem = verdict.problem;
    switch (problem.kind) {
      case 'missing_click_id':
        return json(400, { status: 'error', error: 'missing click_id' }, 'missing click_id');
      case 'invalid':
        return json(400, { status: 'error', error: problem.detail }, problem.detail);
      case 'unknown_click':
        return json(404, { status: 'error', error: 'unknown click_id', click_id: problem.clickId }, 'unknown click_id');
      case 'duplicate':
        return json(409, { status: 'duplicate', error: 'duplicate conversion', click_id: problem.clickId }, 'duplicate conversion');
    }
  },
};
