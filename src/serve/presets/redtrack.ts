import { key, param, rawParam, subs, textAnswer } from './common.js';
import type { MockPreset } from './types.js';

const CAMPAIGN_ID = /^[0-9a-f]{24}$/i;

/** RedTrack: campaign links, /postback?clickid=&sum=&type= postbacks. */
export const redtrack: MockPreset = {
  name: 'redtrack',
  clickExample: '/64b7f0c2a1d3e5f7a9b1c3d5?source=2002&sub1=x',
  postbackTemplate: '/postback?clickid={click_id}&sum={payout}&type={event}',
  notes: [
    'click (URL not documented, tpb\'s choice): GET /<24-hex campaign id>?source=&sub1..sub5= → 302 to --landing with clickid',
    'postback: GET /postback?clickid=&sum=&type=&status=&currency=&rdtk_event_id= ; type is case-sensitive',
    'answers (not documented, tpb\'s choice): 200 OK; 400 missing clickid; 404 unknown click; 409 duplicate',
    'duplicate rule: the "ignore duplicates" mode — clickid + type, or rdtk_event_id alone when given',
  ],
  match(request) {
    if (request.path === '/postback') return { kind: 'postback' };
    if (request.segments.length === 1 && CAMPAIGN_ID.test(request.segments[0]!)) return { kind: 'click', answer: 'redirect' };
    return undefined;
  },
  readClick(request) {
    return {
      offer_id: request.segments[0]!,
      affiliate_id: param(request, 'source'),
      ...subs(request, ['sub1', 'sub2', 'sub3', 'sub4', 'sub5']),
    };
  },
  readPostback(request) {
    const eventId = param(request, 'rdtk_event_id');
    return {
      clickId: rawParam(request, 'clickid'),
      txid: eventId,
      event: param(request, 'type'),
      status: param(request, 'status'),
      payout: rawParam(request, 'sum'),
      revenue: undefined,
      currency: param(request, 'currency'),
      uniqueId: eventId,
    };
  },
  dedupeKey(fields, clickId) {
    return fields.uniqueId ? key('event', fields.uniqueId) : key(clickId, fields.event);
  },
  answer(verdict) {
    return textAnswer(verdict, {
      ok: 'OK',
      problem: (problem) => {
        switch (problem.kind) {
          case 'missing_click_id':
            return 'clickid is missing';
          case 'invalid':
            return problem.detail;
          case 'unknown_click':
            return 'click not found';
          case 'duplicate':
            return 'duplicate conversion ignored';
        }
      },
    });
  },
};
