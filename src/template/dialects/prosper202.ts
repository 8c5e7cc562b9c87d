import type { Dialect } from './types.js';

/** Prosper202 tokens in the URLs it fills (open source: tracking202/prosper202). */
export const prosper202: Dialect = {
  id: 'prosper202',
  title: 'Prosper202',
  aliases: ['p202', 'tracking202'],
  syntax: 'double-bracket',
  caseSensitive: true,
  sends: 'offer URLs and outgoing pixels filled on redirect ([[subid]] is its numeric click id)',
  clickIdMacros: ['subid'],
  payoutMacros: ['payout'],
  macros: [
    { name: 'subid', meaning: "Prosper202's click id (a positive integer)", role: 'click_id', source: 0 },
    { name: 'c1', meaning: 'tracking variable c1', role: 'other', sub: 1, source: 0 },
    { name: 'c2', meaning: 'tracking variable c2', role: 'other', sub: 2, source: 0 },
    { name: 'c3', meaning: 'tracking variable c3', role: 'other', sub: 3, source: 0 },
    { name: 'c4', meaning: 'tracking variable c4', role: 'other', sub: 4, source: 0 },
    { name: 't202kw', meaning: 'keyword', role: 'other', source: 0 },
    { name: 'gclid', meaning: 'Google click id', role: 'other', source: 0 },
    { name: 'payout', meaning: 'payout', role: 'payout', source: 0 },
    { name: 'random', meaning: 'random number', role: 'other', source: 0 },
    { name: 'timestamp', meaning: 'timestamp', role: 'unix', uncertain: true, source: 0 },
  ],
  families: [],
  encoding: { kind: 'rfc3986', note: 'token values go through PHP rawurlencode (RFC 3986, once)', source: 0 },
  sources: [{ url: 'https://github.com/tracking202/prosper202/blob/master/tracking202/redirect/dl.php', title: 'Prosper202: tracking202/redirect/dl.php and 202-config/connect2.php' }],
};
