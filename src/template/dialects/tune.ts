import type { Dialect } from './types.js';

/** TUNE (HasOffers) partner postbacks and offer URLs (network → partner). */
export const tune: Dialect = {
  id: 'tune',
  title: 'TUNE (HasOffers)',
  aliases: ['hasoffers', 'has-offers'],
  syntax: 'brace',
  caseSensitive: true,
  sends: 'partner conversion link (postback from the network to a partner) and offer URLs',
  clickIdMacros: ['aff_click_id', 'aff_sub', 'transaction_id'],
  payoutMacros: ['payout'],
  macros: [
    { name: 'transaction_id', meaning: "TUNE's transaction id (the click id of the TUNE session)", role: 'click_id', source: 0 },
    { name: 'aff_click_id', meaning: "the partner's click id, passed in aff_click_id of the tracking link", role: 'click_id', source: 1 },
    { name: 'aff_sub', meaning: 'partner sub id 1 (aff_sub of the tracking link)', role: 'other', sub: 1, source: 0 },
    { name: 'aff_sub2', meaning: 'partner sub id 2', role: 'other', sub: 2, uncertain: true, source: 1 },
    { name: 'aff_sub3', meaning: 'partner sub id 3', role: 'other', sub: 3, uncertain: true, source: 1 },
    { name: 'aff_sub4', meaning: 'partner sub id 4', role: 'other', sub: 4, uncertain: true, source: 1 },
    { name: 'aff_sub5', meaning: 'partner sub id 5', role: 'other', sub: 5, uncertain: true, source: 1 },
    { name: 'affiliate_id', meaning: 'partner (affiliate) id', role: 'other', source: 0 },
    { name: 'offer_id', meaning: 'offer id', role: 'other', source: 0 },
    { name: 'advertiser_id', meaning: 'advertiser id', role: 'other', source: 0 },
    { name: 'source', meaning: 'source of the tracking link', role: 'other', source: 0 },
    { name: 'country_code', meaning: 'country code', role: 'other', source: 0 },
    { name: 'offer_file_id', meaning: 'offer file (creative) id', role: 'other', source: 2 },
    { name: 'ios_ifa', meaning: 'iOS advertising id', role: 'other', source: 2 },
    { name: 'google_aid', meaning: 'Google advertising id', role: 'other', source: 2 },
    { name: 'payout', meaning: 'partner payout of the conversion (seen in integration guides; the macro tables were not read)', role: 'payout', uncertain: true, source: 3 },
  ],
  families: [],
  encoding: { kind: 'unknown', note: 'not documented; tpb encodes once (RFC 3986)' },
  sources: [
    { url: 'https://developers.tune.com/network-models/offerurl', title: 'TUNE: offer URL macros' },
    { url: 'https://support.tune.com/hc/en-us/articles/1500008248741-Passing-Values-to-a-Partner-Conversion-URL', title: 'TUNE: Passing Values to a Partner Conversion URL' },
    { url: 'https://support.appsflyer.com/hc/en-us/articles/207034806-TUNE-formerly-HasOffers-integration-with-AppsFlyer', title: 'AppsFlyer: TUNE integration (TUNE macros in links)' },
    { url: 'https://docs.tracklysms.com/integrations/tune', title: 'Trackly: TUNE global postback (third party)' },
  ],
};
