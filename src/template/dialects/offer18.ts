import type { Dialect } from './types.js';

/** Offer18 macros in URLs it fills (offer URLs towards advertisers). */
export const offer18: Dialect = {
  id: 'offer18',
  title: 'Offer18',
  aliases: [],
  syntax: 'brace',
  caseSensitive: true,
  sends: "offer URLs towards advertisers (Offer18's click id in {tid}); its affiliate-postback macro list was not found",
  clickIdMacros: ['tid'],
  payoutMacros: [],
  macros: [{ name: 'tid', meaning: "Offer18's unique click id, passed to the advertiser in the offer URL", role: 'click_id', source: 0 }],
  families: [],
  encoding: { kind: 'unknown', note: 'not documented; tpb encodes once (RFC 3986)' },
  sources: [{ url: 'https://offer18.gitbook.io/knowledge-base/global-postback-parameters', title: 'Offer18: In-depth Postback Integration Guide' }],
};
