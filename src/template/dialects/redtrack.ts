import type { Dialect } from './types.js';

/** RedTrack's postbacks to traffic channels and partners (tracker → source or publisher). */
export const redtrack: Dialect = {
  id: 'redtrack',
  title: 'RedTrack',
  aliases: [],
  syntax: 'brace',
  caseSensitive: true,
  sends: "postback to a traffic channel or a partner's URL when a conversion is registered",
  clickIdMacros: ['ref_id'],
  payoutMacros: ['payout'],
  macros: [
    { name: 'ref_id', meaning: "the traffic channel's or partner's click id", role: 'click_id', source: 0 },
    { name: 'clickid', meaning: "RedTrack's own click id", role: 'other', source: 1 },
    { name: 'payout', meaning: 'conversion payout (the sentence naming the macro is cut in the source)', role: 'payout', uncertain: true, source: 0 },
    { name: 'country', meaning: 'country of the click', role: 'other', source: 2 },
  ],
  families: [{ pattern: 'sub([0-9]{1,2})', meaning: 'sub N passed by the traffic channel (sub1…sub20)', role: 'other', subGroup: 1, example: 'sub1', source: 2 }],
  encoding: { kind: 'unknown', note: 'not documented; tpb encodes once (RFC 3986)' },
  sources: [
    { url: 'https://help.redtrack.io/knowledgebase/kb/basic-setup-9785/publisher-management/publisher-panel-settings-for-publisher/', title: 'RedTrack: Partnership portal settings (clickid={ref_id})' },
    { url: 'https://help.redtrack.io/knowledgebase/kb/basic-setup-9785/supported-dynamic-parameters/%d1%81lick-id-parameter/', title: 'RedTrack: Dynamic parameters: clickid' },
    { url: 'https://help.redtrack.io/knowledgebase/kb/conversion-tracking/supported-dynamic-parameters', title: 'RedTrack: Dynamic Parameters/Tokens/UTMs' },
  ],
};
