import type { Dialect } from './types.js';

/** ClickFlare's postback to a traffic source (tracker → source). */
export const clickflare: Dialect = {
  id: 'clickflare',
  title: 'ClickFlare',
  aliases: [],
  syntax: 'brace',
  caseSensitive: true,
  sends: 'S2S postback from the tracker to a traffic source when a conversion is registered',
  clickIdMacros: ['externalid'],
  payoutMacros: ['payout'],
  macros: [
    { name: 'externalid', meaning: "the traffic source's click id (external id)", role: 'click_id', source: 0 },
    { name: 'payout', meaning: 'conversion payout (the token table row is cut in the source)', role: 'payout', uncertain: true, source: 0 },
    { name: 'transaction.id', meaning: 'transaction id of the conversion', role: 'txid', source: 0 },
    { name: 'campaign.id', meaning: 'ClickFlare campaign id', role: 'other', source: 0 },
    { name: 'lander.id', meaning: 'landing page id', role: 'other', source: 0 },
    { name: 'offer.id', meaning: 'offer id', role: 'other', source: 0 },
    { name: 'ip', meaning: 'visit IP', role: 'other', source: 0 },
    { name: 'country', meaning: 'country', role: 'other', source: 0 },
    { name: 'countryname', meaning: 'country name', role: 'other', source: 0 },
    { name: 'region', meaning: 'region', role: 'other', source: 0 },
    { name: 'city', meaning: 'city', role: 'other', source: 0 },
    { name: 'os', meaning: 'operating system', role: 'other', source: 0 },
    { name: 'osversion', meaning: 'operating system version', role: 'other', source: 0 },
    { name: 'browser', meaning: 'browser', role: 'other', source: 0 },
    { name: 'browserversion', meaning: 'browser version', role: 'other', source: 0 },
    { name: 'device', meaning: 'device type', role: 'other', source: 0 },
    { name: 'brand', meaning: 'device brand', role: 'other', source: 0 },
    { name: 'model', meaning: 'device model', role: 'other', source: 0 },
    { name: 'language', meaning: 'language', role: 'other', source: 0 },
    { name: 'cf_click_id', meaning: "ClickFlare's own click id (offer URLs)", role: 'other', source: 1 },
  ],
  families: [
    { pattern: 'var([0-9]{1,2})', meaning: 'custom variable N passed by the traffic source', role: 'other', subGroup: 1, example: 'var1', source: 0 },
    { pattern: 'var:.+', meaning: 'custom variable by name ({var:name})', role: 'other', example: 'var:zoneid', source: 0 },
  ],
  encoding: { kind: 'unknown', note: 'not documented; tpb encodes once (RFC 3986)' },
  sources: [
    { url: 'https://help.clickflare.io/en/tracking/how-to-configure-a-traffic-source-s2s-postback-url', title: 'ClickFlare: How to Configure a Traffic Source S2S Postback URL' },
    { url: 'https://help.clickflare.io/en/tracking/click-flare-parameters-in-postback-urls', title: 'ClickFlare: Parameters in Postback URLs' },
  ],
};
