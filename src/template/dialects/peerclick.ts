import type { Dialect } from './types.js';

/** PeerClick's postback to a traffic source (tracker → source). */
export const peerclick: Dialect = {
  id: 'peerclick',
  title: 'PeerClick',
  aliases: [],
  syntax: 'brace',
  caseSensitive: true,
  sends: 'postback from the tracker to a traffic source when a conversion is registered in the campaign',
  clickIdMacros: ['externalid', 'external_id'],
  payoutMacros: ['payout'],
  macros: [
    { name: 'externalid', meaning: "the traffic channel's click id (current help center)", role: 'click_id', source: 2 },
    { name: 'external_id', meaning: "the traffic source's click id (External ID; older docs)", role: 'click_id', source: 0 },
    { name: 'payout', meaning: 'conversion payout (not in the pages read)', role: 'payout', uncertain: true, source: 0 },
    { name: 'clickid', meaning: "PeerClick's own click id (offer URLs)", role: 'other', source: 1 },
  ],
  families: [],
  encoding: { kind: 'unknown', note: 'not documented; tpb encodes once (RFC 3986)' },
  sources: [
    { url: 'https://help.peerclick.com/docs/traffic-source-postback-url', title: 'PeerClick: Traffic Source Postback URL' },
    { url: 'https://help-center.peerclick.com/en/articles/6643019-setting-up-a-standard-postback-to-peerclick', title: 'PeerClick: Setting up a standard postback' },
    { url: 'https://help-center.peerclick.com/en/articles/10587872-set-a-traffic-channel-postback-url', title: 'PeerClick: Set a Traffic Channel Postback URL' },
  ],
};
