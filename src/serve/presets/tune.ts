import { echo, key, param, rawParam, text } from './common.js';
import type { MockPreset, PostbackProblem } from './types.js';

function errMsg(problem: PostbackProblem): string {
  switch (problem.kind) {
    // TUNE's documented wording: "Invalid Trans. ID #<id>." — also for an id that is absent.
    case 'missing_click_id':
      return 'Invalid Trans. ID #.';
    case 'unknown_click':
      return `Invalid Trans. ID #${echo(problem.clickId)}.`;
    case 'duplicate':
      return 'Duplicate conversion.';
    case 'invalid':
      return `${problem.detail}.`;
  }
}

/**
 * TUNE (HasOffers): aff_c clicks, aff_lsr (and aff_goal) postbacks answered 200 with
 * `success=true;` or `success=false; err_msg=…;` — status alone never tells.
 */
export const tune: MockPreset = {
  name: 'tune',
  clickExample: '/aff_c?offer_id=1001&aff_id=2002',
  postbackTemplate: '/aff_lsr?offer_id=1001&transaction_id={click_id}&amount={payout}&adv_sub={txid}',
  notes: [
    'click: GET /aff_c?offer_id=&aff_id=&aff_sub..aff_sub5= → 302 to --landing with transaction_id (TUNE lets the advertiser name it; tpb uses transaction_id)',
    'postback: GET /aff_lsr?offer_id=&transaction_id=&amount=&adv_sub= and /aff_goal?a=lsr&goal_id=&transaction_id= → always HTTP 200: success=true; or success=false; err_msg=Invalid Trans. ID #<id>.; / Duplicate conversion.;',
    'amount is read as the payout ("amount" is uncertain); adv_sub as the advertiser txid; POST is refused (TUNE postbacks must be GET)',
    'duplicate rule: one conversion per transaction_id (per goal_id on aff_goal); conversion_unique_id=, when given, is the only key',
  ],
  match(request) {
    if (request.path === '/aff_c') return { kind: 'click', answer: 'redirect' };
    if (request.path === '/aff_lsr' || request.path === '/aff_goal') {
      return request.method === 'GET' || request.method === 'HEAD' ? { kind: 'postback' } : { kind: 'wrong_method', allowed: 'GET' };
    }
    return undefined;
  },
  readClick(request) {
    return {
      offer_id: param(request, 'offer_id'),
      affiliate_id: param(request, 'aff_id'),
      sub1: param(request, 'aff_sub', 'aff_sub1'),
      sub2: param(request, 'aff_sub2'),
      sub3: param(request, 'aff_sub3'),
      sub4: param(request, 'aff_sub4'),
      sub5: param(request, 'aff_sub5'),
    };
  },
  readPostback(request) {
    const goal = request.path === '/aff_goal' ? param(request, 'goal_id') : null;
    return {
      clickId: rawParam(request, 'transaction_id'),
      txid: param(request, 'adv_sub'),
      event: goal,
      status: null,
      payout: rawParam(request, 'amount'),
      revenue: undefined,
      currency: null,
      ...(request.path === '/aff_goal' && goal === null ? { invalid: 'Missing goal_id' } : {}),
      uniqueId: param(request, 'conversion_unique_id'),
    };
  },
  dedupeKey(fields, clickId) {
    if (fields.uniqueId) return key('unique', fields.uniqueId);
    return key(clickId, fields.event);
  },
  answer(verdict) {
    if (verdict.outcome === 'recorded') return text(200, 'success=true;');
    const message = errMsg(verdict.problem);
    return text(200, `success=false; err_msg=${message};`, message);
  },
};
