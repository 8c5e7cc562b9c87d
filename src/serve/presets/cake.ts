import { echo, key, param, rawParam, subs, text } from './common.js';
import type { MockPreset, PostbackProblem } from './types.js';

function failure(problem: PostbackProblem): string {
  switch (problem.kind) {
    case 'missing_click_id':
      return 'FAILURE: Missing Request ID (r)';
    case 'invalid':
      return `FAILURE: ${problem.detail}`;
    case 'unknown_click':
      return `FAILURE: Request ID ${echo(problem.clickId)} not found`;
    case 'duplicate':
      return 'FAILURE: Duplicate conversion';
  }
}

/** CAKE: ?a=&c= click links, p.ashx server postbacks answered with a body that says SUCCESS or not. */
export const cake: MockPreset = {
  name: 'cake',
  clickExample: '/?a=2002&c=1001&s1=x',
  postbackTemplate: '/p.ashx?o=1001&e={event}&f=pb&r={click_id}&t={txid}&ap={payout}',
  notes: [
    'click (path not documented, tpb\'s choice): GET /?a=<affiliate>&c=<creative>&o=<offer>&s1..s5= → 302 to --landing with r = the numeric Request Session ID',
    'postback: GET /p.ashx?o=<offer>&e=<event>&f=pb&r=<request id>&t=<transaction>&ap=<payout>&p=<revenue>; o and r required',
    'answers (uncertain: one public client checks the body for SUCCESS): always HTTP 200, body SUCCESS or FAILURE: <reason>',
    'duplicate rule (not documented, tpb\'s choice): one conversion per request id and event',
  ],
  match(request) {
    if (request.path === '/p.ashx') return { kind: 'postback' };
    if (request.path === '/' && request.params.has('a') && request.params.has('c')) return { kind: 'click', answer: 'redirect' };
    return undefined;
  },
  readClick(request) {
    return {
      offer_id: param(request, 'o', 'c'),
      affiliate_id: param(request, 'a'),
      ...subs(request, ['s1', 's2', 's3', 's4', 's5']),
    };
  },
  readPostback(request) {
    return {
      clickId: rawParam(request, 'r'),
      txid: param(request, 't'),
      event: param(request, 'e'),
      status: null,
      payout: rawParam(request, 'ap'),
      revenue: rawParam(request, 'p'),
      currency: null,
      ...(param(request, 'o') === null ? { invalid: 'Missing Offer ID (o)' } : {}),
    };
  },
  dedupeKey(fields, clickId) {
    return key(clickId, fields.event);
  },
  answer(verdict) {
    if (verdict.outcome === 'recorded') return text(200, 'SUCCESS');
    const message = failure(verdict.problem);
    return text(200, message, message);
  },
};
