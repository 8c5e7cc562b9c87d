import { echo, json, key, param, rawParam, subs } from './common.js';
import type { MockPreset } from './types.js';

const CLICK_ID = /^[0-9a-f]{24}$/i;

/**
 * Affise: /click?pid=&offer_id= links and /postback?clickid= postbacks processed asynchronously —
 * every postback with a click id is answered 200 "accepted"; what became of it shows only in the
 * Server Postbacks log (here: the postback log, stats and the NDJSON request log).
 */
export const affise: MockPreset = {
  name: 'affise',
  clickExample: '/click?pid=2002&offer_id=1001&sub1=x',
  postbackTemplate: '/postback?clickid={click_id}&action_id={txid}&goal={event}&sum={payout}&status={status}',
  notes: [
    'click: GET /click?pid=&offer_id=&sub1..sub5= → 302 to --landing with clickid (24 characters)',
    'postback: GET /postback?clickid=|click_id=&action_id=&goal=&sum=&status= (status 1 approved, 2 pending, 3 declined, 5 hold)',
    'answers (documented: processed asynchronously): always HTTP 200 {"status":1,"message":"Postback accepted"}; only a missing clickid is refused in the answer ({"status":2,"error":"Missing mandatory parameter clickid"}); Broken clickid, not found and Conversion exists appear in the postback log',
    'duplicate rule (documented): goal + action_id + offer when action_id is given, else offer + goal + clickid',
  ],
  match(request) {
    if (request.path === '/click') return { kind: 'click', answer: 'redirect' };
    if (request.path === '/postback') return { kind: 'postback' };
    return undefined;
  },
  readClick(request) {
    return {
      offer_id: param(request, 'offer_id'),
      affiliate_id: param(request, 'pid'),
      ...subs(request, ['sub1', 'sub2', 'sub3', 'sub4', 'sub5']),
    };
  },
  readPostback(request) {
    return {
      clickId: rawParam(request, 'clickid', 'click_id'),
      txid: param(request, 'action_id'),
      event: param(request, 'goal'),
      status: param(request, 'status'),
      payout: rawParam(request, 'sum'),
      revenue: undefined,
      currency: null,
    };
  },
  dedupeKey(fields, clickId, click) {
    return fields.txid !== null ? key('action', fields.event, fields.txid, click.offer_id) : key('click', click.offer_id, fields.event, clickId);
  },
  answer(verdict) {
    if (verdict.outcome === 'recorded') return json(200, { status: 1, message: 'Postback accepted' });
    const problem = verdict.problem;
    switch (problem.kind) {
      case 'missing_click_id':
        return json(200, { status: 2, error: 'Missing mandatory parameter clickid' }, 'Missing mandatory parameter clickid');
      case 'invalid':
        return json(200, { status: 1, message: 'Postback accepted' }, problem.detail);
      case 'unknown_click':
        return json(
          200,
          { status: 1, message: 'Postback accepted' },
          CLICK_ID.test(problem.clickId) ? `Click ${echo(problem.clickId)} not found` : 'Broken clickid',
        );
      case 'duplicate':
        return json(200, { status: 1, message: 'Postback accepted' }, 'Conversion exists');
    }
  },
};
