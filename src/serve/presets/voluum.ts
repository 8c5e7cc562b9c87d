import { key, param, rawParam, textAnswer } from './common.js';
import type { MockPreset } from './types.js';

const CAMPAIGN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Voluum: campaign URLs on the tracking domain, postbacks /postback?cid=&payout=&txid=. */
export const voluum: MockPreset = {
  name: 'voluum',
  clickExample: '/3f2b6c1e-8d4a-4f0b-9c7e-5a1d2b3c4d5e?ts=2002&var1=a',
  postbackTemplate: '/postback?cid={click_id}&payout={payout}&txid={txid}&et={event}',
  notes: [
    'click (URL shape not documented, tpb\'s choice): GET /<campaign uuid>?ts=&var1..var5= → 302 to --landing with cid (Voluum passes {clickid} in whatever parameter the offer URL names, often s2; tpb uses cid)',
    'postback: GET /postback?cid=&payout=&txid=&currency=&et=',
    'answers (not documented, tpb\'s choice): 200 OK; 400 missing cid; 404 unknown cid; 409 duplicate',
    'duplicate rule (documented): cid + txid — a repeated cid counts again only with a new txid',
  ],
  match(request) {
    if (request.path === '/postback') return { kind: 'postback' };
    if (request.segments.length === 1 && CAMPAIGN_ID.test(request.segments[0]!)) return { kind: 'click', answer: 'redirect' };
    return undefined;
  },
  readClick(request) {
    return {
      offer_id: request.segments[0]!,
      affiliate_id: param(request, 'ts'),
      sub1: param(request, 'var1'),
      sub2: param(request, 'var2'),
      sub3: param(request, 'var3'),
      sub4: param(request, 'var4'),
      sub5: param(request, 'var5'),
    };
  },
  readPostback(request) {
    return {
      clickId: rawParam(request, 'cid'),
      txid: param(request, 'txid'),
      event: param(request, 'et'),
      status: null,
      payout: rawParam(request, 'payout'),
      revenue: undefined,
      currency: param(request, 'currency'),
    };
  },
  dedupeKey(fields, clickId) {
    return key(clickId, fields.txid);
  },
  answer(verdict) {
    return textAnswer(verdict, {
      ok: 'OK',
      problem: (problem) => {
        switch (problem.kind) {
          case 'missing_click_id':
            return 'cid is missing';
          case 'invalid':
            return problem.detail;
          case 'unknown_click':
            return 'unknown cid';
          case 'duplicate':
            return 'duplicate postback: this cid and txid are already recorded';
        }
      },
    });
  },
};
