import { key, param, rawParam, textAnswer } from './common.js';
import type { MockPreset } from './types.js';

/** Binom: v1 campaign links click.php?key=, postbacks click.php?cnv_id= (v1) and /click?cnv_id= (v2). */
export const binom: MockPreset = {
  name: 'binom',
  clickExample: '/click.php?key=2002',
  postbackTemplate: '/click.php?cnv_id={click_id}&payout={payout}&cnv_status={status}',
  notes: [
    'click: GET /click.php?key=<campaign key> → 302 to --landing with cnv_id (Binom puts {clickid} where the offer URL says; tpb uses cnv_id)',
    'postback: GET /click.php?cnv_id=&payout=&cnv_status=&cnv_currency= (v1) or /click?cnv_id=… (v2)',
    'answers and duplicate rule (not documented, tpb\'s choice): 200 OK; 400 missing cnv_id; 404 unknown click; 409 duplicate; one conversion per cnv_id',
  ],
  match(request) {
    if (request.path === '/click.php' || request.path === '/click') {
      if (request.params.has('cnv_id')) return { kind: 'postback' };
      if (request.path === '/click.php' && request.params.has('key')) return { kind: 'click', answer: 'redirect' };
    }
    return undefined;
  },
  readClick(request) {
    return {
      offer_id: param(request, 'offer'),
      affiliate_id: param(request, 'key'),
      sub1: null,
      sub2: null,
      sub3: null,
      sub4: null,
      sub5: null,
    };
  },
  readPostback(request) {
    return {
      clickId: rawParam(request, 'cnv_id'),
      txid: null,
      event: null,
      status: param(request, 'cnv_status'),
      payout: rawParam(request, 'payout'),
      revenue: undefined,
      currency: param(request, 'cnv_currency'),
    };
  },
  dedupeKey(_fields, clickId) {
    return key(clickId);
  },
  answer(verdict) {
    return textAnswer(verdict, {
      ok: 'OK',
      problem: (problem) => {
        switch (problem.kind) {
          case 'missing_click_id':
            return 'cnv_id is missing';
          case 'invalid':
            return problem.detail;
          case 'unknown_click':
            return 'click not found';
          case 'duplicate':
            return 'conversion already recorded for this cnv_id';
        }
      },
    });
  },
};
