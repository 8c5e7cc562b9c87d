import type { Dialect } from './types.js';

/** Everflow partner postbacks (network → partner). */
export const everflow: Dialect = {
  id: 'everflow',
  title: 'Everflow',
  aliases: ['ef'],
  syntax: 'brace',
  caseSensitive: true,
  sends: 'partner postback (Everflow fires it to the partner after the advertiser postback)',
  clickIdMacros: ['sub1', 'transaction_id'],
  payoutMacros: ['payout'],
  macros: [
    { name: 'transaction_id', meaning: "Everflow's click id (transaction id, 32 characters)", role: 'click_id', source: 0 },
    { name: 'event_id', meaning: 'event id (multi-event tracking)', role: 'event', uncertain: true, source: 1 },
    { name: 'event_name', meaning: 'event name', role: 'other', uncertain: true, source: 1 },
    { name: 'order_id', meaning: 'order id received in the advertiser postback', role: 'txid', uncertain: true, source: 1 },
    { name: 'sale_amount', meaning: 'sale amount of the conversion', role: 'revenue', uncertain: true, source: 1 },
    { name: 'payout', meaning: 'partner payout', role: 'payout', uncertain: true, source: 1 },
    { name: 'source_id', meaning: 'source id passed on the click', role: 'other', source: 0 },
    { name: 'adv1', meaning: 'advertiser sub 1', role: 'other', uncertain: true, source: 0 },
  ],
  families: [
    { pattern: 'sub([1-5])', meaning: 'partner sub N passed on the click (sub1…sub5; partners pass their click id here)', role: 'other', subGroup: 1, example: 'sub1', source: 0 },
  ],
  encoding: { kind: 'unknown', note: 'not documented; tpb encodes once (RFC 3986)' },
  sources: [
    { url: 'https://helpdesk.everflow.io/en/articles/6173403-a-guide-to-parameters-and-macros', title: 'Everflow: A Guide to Parameters and Macros' },
    { url: 'https://mrpostback.com/everflow/', title: 'Mr Postback: Everflow macros (third party)' },
  ],
};
