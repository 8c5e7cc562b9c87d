import { echo, key, param, rawParam, text, statusFor } from './common.js';
import type { MockPreset, PostbackProblem } from './types.js';

const ALIAS = /^[A-Za-z0-9]{4,32}$/;
const RESERVED = new Set(['postback', 'export']);

function words(problem: PostbackProblem): string {
  // Keitaro's documented log messages.
  switch (problem.kind) {
    case 'missing_click_id':
      return 'Incorrect subid "". Postback ignored.';
    case 'invalid':
      return `${problem.detail}. Postback ignored.`;
    case 'unknown_click':
      return `SubId not found: "${echo(problem.clickId)}". Postback ignored.`;
    case 'duplicate':
      return 'Conversion by pair "SubId + tid" already exists. Postback ignored.';
  }
}

/**
 * Keitaro: campaign aliases as click URLs, postbacks /<postback key>/postback?subid=&tid=&status=&payout=.
 * The key is part of the URL, like a token: a wrong key is 404 and the key is redacted in logs.
 */
export function keitaro(postbackKey: string): MockPreset {
  return {
    name: 'keitaro',
    clickExample: '/Xk3dPq?sub_id_1=2002',
    postbackTemplate: `/${postbackKey}/postback?subid={click_id}&tid={txid}&status={status}&payout={payout}`,
    postbackBasePath: `/${postbackKey}`,
    notes: [
      'click (campaign alias; URL not documented, tpb\'s choice): GET /<alias>?sub_id_1..sub_id_5= → 302 to --landing with subid',
      `postback: GET /<postback key>/postback?subid=&tid=&status=&payout=|revenue=&currency=&return= (key set with --postback-key, default ${postbackKey}; a wrong key is 404)`,
      'status defaults to sale (documented); return=OK makes the success body OK (documented)',
      'answers (status codes not documented, tpb\'s choice): 200 (body "Success" or return=); 400 Incorrect subid; 404 SubId not found; 409 Conversion by pair "SubId + tid" already exists — bodies are Keitaro\'s log messages',
      'duplicate rule (documented): subid + tid',
    ],
    match(request) {
      if (request.segments.length === 2 && request.segments[1] === 'postback' && request.segments[0] === postbackKey) {
        return { kind: 'postback' };
      }
      if (request.segments.length === 1 && ALIAS.test(request.segments[0]!) && !RESERVED.has(request.segments[0]!)) {
        return { kind: 'click', answer: 'redirect' };
      }
      return undefined;
    },
    readClick(request) {
      return {
        offer_id: param(request, 'offer_id'),
        affiliate_id: request.segments[0]!,
        sub1: param(request, 'sub_id_1'),
        sub2: param(request, 'sub_id_2'),
        sub3: param(request, 'sub_id_3'),
        sub4: param(request, 'sub_id_4'),
        sub5: param(request, 'sub_id_5'),
      };
    },
    readPostback(request) {
      return {
        // Very old Keitaro versions expected sub_id.
        clickId: rawParam(request, 'subid', 'sub_id'),
        txid: param(request, 'tid'),
        event: null,
        status: param(request, 'status') ?? 'sale',
        payout: rawParam(request, 'payout', 'revenue'),
        revenue: undefined,
        currency: param(request, 'currency'),
      };
    },
    dedupeKey(fields, clickId) {
      return key(clickId, fields.txid);
    },
    answer(verdict, request) {
      if (verdict.outcome === 'recorded') return text(200, param(request, 'return') ?? 'Success');
      const message = words(verdict.problem);
      return text(statusFor(verdict.problem), message, message);
    },
  };
}
