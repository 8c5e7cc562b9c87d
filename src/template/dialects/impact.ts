import type { Dialect } from './types.js';

/** Impact (impact.com) partner postbacks / Action Tracker URLs (brand → partner). */
export const impact: Dialect = {
  id: 'impact',
  title: 'Impact',
  aliases: ['impact.com', 'impactradius'],
  syntax: 'brace',
  caseSensitive: true,
  sends: "partner postback (Action Tracker URL): impact.com fires the partner's URL on an action",
  clickIdMacros: ['SubId1'],
  payoutMacros: ['Payout'],
  macros: [
    { name: 'clickid', meaning: "Impact's click id", role: 'click_id', source: 0 },
    { name: 'iradid', meaning: 'ad id', role: 'other', source: 0 },
    { name: 'ircid', meaning: 'campaign id', role: 'other', source: 0 },
    { name: 'irpid', meaning: 'partner id', role: 'other', source: 0 },
    { name: 'SubId1', meaning: 'sub id 1 passed on the click (subId1): where partners pass their click id', role: 'other', sub: 1, uncertain: true, source: 1 },
    { name: 'SubId2', meaning: 'sub id 2 passed on the click', role: 'other', sub: 2, uncertain: true, source: 1 },
    { name: 'SubId3', meaning: 'sub id 3 passed on the click', role: 'other', sub: 3, uncertain: true, source: 1 },
    { name: 'Payout', meaning: 'commission payout of the action', role: 'payout', uncertain: true, source: 1 },
    { name: 'Amount', meaning: 'sale amount', role: 'revenue', uncertain: true, source: 1 },
    { name: 'Currency', meaning: 'currency code', role: 'currency', uncertain: true, source: 1 },
    { name: 'ActionId', meaning: "Impact's id of the action (conversion)", role: 'txid', uncertain: true, source: 1 },
    { name: 'OID', meaning: 'order id of the action', role: 'other', uncertain: true, source: 2 },
    { name: 'Status', meaning: 'status of the action (pending, approved, reversed)', role: 'status', uncertain: true, source: 1 },
    { name: 'ActionStatus', meaning: 'status of the action (PENDING, APPROVED, REVERSED)', role: 'status', uncertain: true, source: 2 },
    { name: 'SharedId', meaning: 'shared id', role: 'other', uncertain: true, source: 1 },
  ],
  families: [],
  encoding: { kind: 'unknown', note: 'not documented; tpb encodes once (RFC 3986)' },
  sources: [
    { url: 'https://help.impact.com/en/support/solutions/articles/155000000002', title: 'Impact help: tracking template macros' },
    { url: 'https://www.mrpostback.com/impact', title: 'Mr Postback: Impact macros (third party)' },
    { url: 'https://affpixel.com/blog/impact-postback-setup', title: 'affpixel: Postback URLs in Impact.com (third party)' },
  ],
};
