import type { Dialect } from './types.js';

/** BeMob's postback to a traffic source (tracker → source). */
export const bemob: Dialect = {
  id: 'bemob',
  title: 'BeMob',
  aliases: [],
  syntax: 'brace',
  caseSensitive: false,
  sends: 'postback from the tracker to a traffic source when a conversion is registered',
  clickIdMacros: ['externalId'],
  payoutMacros: ['payout'],
  macros: [
    { name: 'externalId', meaning: "the traffic source's click id (External ID)", role: 'click_id', source: 0 },
    { name: 'payout', meaning: 'conversion payout (the token list was not read)', role: 'payout', uncertain: true, source: 1 },
  ],
  families: [],
  encoding: { kind: 'unknown', note: 'not documented; tpb encodes once (RFC 3986)' },
  sources: [
    { url: 'https://docs.bemob.com/en/postback-settings-of-traffic-source', title: 'BeMob: Postback Settings of Traffic Source' },
    { url: 'https://help.bemob.com/docs/adding-a-traffic-source-from-template', title: 'BeMob: Adding Traffic Source From Template (list of available tokens)' },
  ],
};
