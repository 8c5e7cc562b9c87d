import type { Dialect } from './types.js';

/** tpb's own macros (tpb fire). */
export const tpb: Dialect = {
  id: 'tpb',
  title: 'tpb',
  aliases: [],
  syntax: 'brace',
  caseSensitive: true,
  sends: 'tpb fire (and check scenarios)',
  clickIdMacros: ['click_id'],
  payoutMacros: ['payout'],
  macros: [
    { name: 'click_id', meaning: 'click id (--click-id, --from-db, --from-csv)', role: 'click_id', source: 0 },
    { name: 'payout', meaning: 'payout (--payout)', role: 'payout', source: 0 },
    { name: 'revenue', meaning: 'revenue (--revenue)', role: 'revenue', source: 0 },
    { name: 'txid', meaning: 'transaction id (--txid)', role: 'txid', source: 0 },
    { name: 'status', meaning: 'status (--status)', role: 'status', source: 0 },
    { name: 'event', meaning: 'event (--event)', role: 'event', source: 0 },
    { name: 'currency', meaning: 'currency (--currency)', role: 'currency', source: 0 },
    { name: 'timestamp', meaning: 'ISO 8601 time of the postback', role: 'timestamp', source: 0 },
    { name: 'unix', meaning: 'UNIX time of the postback', role: 'unix', source: 0 },
    { name: 'uuid', meaning: 'a random UUID', role: 'other', source: 0 },
    { name: 'i', meaning: 'index of the click id (1-based)', role: 'other', source: 0 },
    { name: 'rand', meaning: 'a random number', role: 'other', source: 0 },
    { name: 'seq', meaning: 'position of the postback in the run', role: 'other', source: 0 },
    { name: 'repeat', meaning: 'repetition number (--repeat)', role: 'other', source: 0 },
  ],
  families: [],
  encoding: { kind: 'rfc3986', note: 'every value is percent-encoded once (all but RFC 3986 unreserved characters)', source: 0 },
  sources: [{ url: 'README.md#tpb-fire', title: 'tpb README: tpb fire' }],
};
