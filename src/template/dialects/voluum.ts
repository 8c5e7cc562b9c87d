import type { Dialect } from './types.js';

/** Voluum's S2S postback to a traffic source (tracker → source). */
export const voluum: Dialect = {
  id: 'voluum',
  title: 'Voluum',
  aliases: [],
  syntax: 'brace',
  caseSensitive: false,
  sends: 'S2S postback from the tracker to a traffic source, when a conversion is registered in the campaign',
  clickIdMacros: ['externalid'],
  payoutMacros: ['payout'],
  macros: [
    { name: 'externalid', meaning: "the traffic source's click id (External ID)", role: 'click_id', source: 0 },
    { name: 'payout', meaning: 'conversion payout (the page\'s token table was not read in full: unconfirmed)', role: 'payout', uncertain: true, source: 0 },
  ],
  families: [],
  encoding: { kind: 'unknown', note: 'not documented; tpb encodes once (RFC 3986)' },
  sources: [
    { url: 'https://doc.voluum.com/en/traffic_source_postback_url.html', title: 'Voluum: Traffic Source Postback URL' },
  ],
};
