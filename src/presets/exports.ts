import type { PresetName } from './catalog.js';

/**
 * How each tracker's click and conversion exports look: header names per canonical field (in
 * column order), delimiter, and how timestamps are written. `tpb ingest --preset x` reads them;
 * `tpb serve --preset x` writes them, so the two must agree (a round-trip test checks it).
 * Where trackers.md found no export header spelling, the spelling here is plausible, not
 * documented; those presets say "(uncertain)" in their note.
 */
export const CLICK_FIELDS = [
  'click_id',
  'occurred_at',
  'offer_id',
  'affiliate_id',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'ip',
  'user_agent',
] as const;

export const CONVERSION_FIELDS = [
  ...CLICK_FIELDS,
  'conversion_id',
  'txid',
  'event',
  'status',
  'payout',
  'revenue',
  'currency',
] as const;

export type ClickField = (typeof CLICK_FIELDS)[number];
export type ConversionField = (typeof CONVERSION_FIELDS)[number];
export type CanonicalField = ConversionField;
export type ExportKind = 'clicks' | 'conversions';

/** How a tracker writes timestamps in its exports. */
export type TimestampStyle =
  | 'iso' // 2026-11-29T06:35:16Z
  | 'ymd_hms' // 2026-11-29 06:35:16 (UTC unless --timezone)
  | 'unix_s' // 1795933516
  | 'unix_ms' // 1795933516000
  | 'mdy_hms_ampm'; // 11/29/2026 06:35:16 AM

export interface ExportFormat {
  delimiter: ',' | ';' | '\t';
  timestampStyle: TimestampStyle;
  /** Amounts written with a decimal comma (12,34). */
  decimalComma: boolean;
  /** Canonical field → header, in column order. */
  clicks: Partial<Record<ClickField, string>>;
  conversions: Partial<Record<ConversionField, string>>;
  note: string;
}

export const EXPORT_FORMATS: Readonly<Record<PresetName, ExportFormat>> = {
  generic: {
    delimiter: ',',
    timestampStyle: 'iso',
    decimalComma: false,
    clicks: {
      click_id: 'click_id', occurred_at: 'occurred_at', offer_id: 'offer_id', affiliate_id: 'affiliate_id',
      sub1: 'sub1', sub2: 'sub2', sub3: 'sub3', sub4: 'sub4', sub5: 'sub5', ip: 'ip', user_agent: 'user_agent',
    },
    conversions: {
      click_id: 'click_id', occurred_at: 'occurred_at', conversion_id: 'conversion_id', txid: 'txid', event: 'event',
      status: 'status', payout: 'payout', revenue: 'revenue', currency: 'currency', offer_id: 'offer_id',
      affiliate_id: 'affiliate_id', sub1: 'sub1', sub2: 'sub2', sub3: 'sub3', sub4: 'sub4', sub5: 'sub5',
    },
    note: "tpb's own canonical field names",
  },
  tune: {
    delimiter: ',',
    timestampStyle: 'ymd_hms',
    decimalComma: false,
    clicks: {
      occurred_at: 'Date / Time', click_id: 'Transaction ID', offer_id: 'Offer', affiliate_id: 'Partner',
      sub1: 'Partner Sub ID 1', sub2: 'Partner Sub ID 2', ip: 'IP', user_agent: 'User Agent',
    },
    conversions: {
      occurred_at: 'Date / Time', click_id: 'Transaction ID', offer_id: 'Offer', affiliate_id: 'Partner',
      sub1: 'Partner Sub ID 1', status: 'Status', payout: 'Payout', revenue: 'Revenue', conversion_id: 'Tune Event ID',
      txid: 'Advertiser Sub ID', event: 'Goal',
    },
    note: 'Conversion Report columns as documented (Sale Amount is read as revenue when Revenue is absent); click report headers not documented (uncertain)',
  },
  everflow: {
    delimiter: ',',
    timestampStyle: 'unix_s',
    decimalComma: false,
    clicks: {
      click_id: 'transaction_id', occurred_at: 'click_unix_timestamp', offer_id: 'offer_id', affiliate_id: 'affiliate_id',
      sub1: 'sub1', sub2: 'sub2', sub3: 'sub3', sub4: 'sub4', sub5: 'sub5', ip: 'session_user_ip', user_agent: 'user_agent',
    },
    conversions: {
      conversion_id: 'conversion_id', occurred_at: 'conversion_unix_timestamp', click_id: 'transaction_id', event: 'event',
      txid: 'order_id', status: 'status', payout: 'payout', revenue: 'revenue', offer_id: 'offer_id',
      affiliate_id: 'affiliate_id', sub1: 'sub1', sub2: 'sub2', sub3: 'sub3', sub4: 'sub4', sub5: 'sub5',
    },
    note: 'API field names with unix-second timestamps; UI CSV spelling not documented',
  },
  voluum: {
    delimiter: ',',
    timestampStyle: 'ymd_hms',
    decimalComma: false,
    clicks: {
      occurred_at: 'Visit timestamp', click_id: 'Click ID', offer_id: 'Offer ID', affiliate_id: 'Traffic source ID',
      sub1: 'Custom variable 1', sub2: 'Custom variable 2', ip: 'IP', user_agent: 'User agent',
    },
    conversions: {
      occurred_at: 'Postback timestamp', click_id: 'Click ID', txid: 'Transaction ID', event: 'Conversion type',
      payout: 'Payout', currency: 'Currency', offer_id: 'Offer ID', affiliate_id: 'Traffic source ID', ip: 'IP',
    },
    note: 'header spelling not documented (uncertain); report timezone UTC by default',
  },
  keitaro: {
    delimiter: ';',
    timestampStyle: 'ymd_hms',
    decimalComma: false,
    clicks: {
      occurred_at: 'Datetime', click_id: 'Subid', offer_id: 'Offer', affiliate_id: 'Campaign',
      sub1: 'Sub ID 1', sub2: 'Sub ID 2', ip: 'IP', user_agent: 'User Agent',
    },
    conversions: {
      occurred_at: 'Postback datetime', click_id: 'Subid', txid: 'Tid', status: 'Status', payout: 'Revenue',
      currency: 'Currency', offer_id: 'Offer', affiliate_id: 'Campaign', sub1: 'Sub ID 1',
    },
    note: 'semicolon-separated UTF-8; header spelling partly uncertain',
  },
  binom: {
    delimiter: ',',
    timestampStyle: 'ymd_hms',
    decimalComma: false,
    clicks: { occurred_at: 'Click time', click_id: 'Click ID', offer_id: 'Offer', affiliate_id: 'Campaign', ip: 'IP', user_agent: 'User agent' },
    conversions: {
      occurred_at: 'Conversion time', click_id: 'Click ID', payout: 'Payout', status: 'Status', currency: 'Currency',
      offer_id: 'Offer', affiliate_id: 'Campaign',
    },
    note: 'header spelling not documented (uncertain)',
  },
  cake: {
    delimiter: ',',
    timestampStyle: 'mdy_hms_ampm',
    decimalComma: false,
    clicks: {
      occurred_at: 'Click Date', click_id: 'Request Session ID', offer_id: 'Offer ID', affiliate_id: 'Affiliate ID',
      sub1: 'Sub ID 1', sub2: 'Sub ID 2', ip: 'IP Address', user_agent: 'User Agent',
    },
    conversions: {
      occurred_at: 'Conversion Date', click_id: 'Request Session ID', conversion_id: 'Unique ID', txid: 'Transaction ID',
      event: 'Event', status: 'Disposition', payout: 'Paid', revenue: 'Received', offer_id: 'Offer ID',
      affiliate_id: 'Affiliate ID', sub1: 'Sub ID 1',
    },
    note: 'Transaction ID and Unique ID are documented; the rest, and the US date format, are plausible (uncertain)',
  },
  affise: {
    delimiter: ',',
    timestampStyle: 'ymd_hms',
    decimalComma: false,
    clicks: {
      occurred_at: 'Click date', click_id: 'Click ID', offer_id: 'Offer ID', affiliate_id: 'Partner ID',
      sub1: 'Sub 1', sub2: 'Sub 2', ip: 'IP', user_agent: 'User agent',
    },
    conversions: {
      conversion_id: 'Conversion ID', occurred_at: 'Created', click_id: 'Click ID', txid: 'Action ID', event: 'Goal',
      status: 'Status', payout: 'Payout', revenue: 'Revenue', currency: 'Currency', offer_id: 'Offer ID',
      affiliate_id: 'Partner ID', sub1: 'Sub 1',
    },
    note: 'dates Y-m-d H:i:s as its macros; header spelling uncertain',
  },
  redtrack: {
    delimiter: ',',
    timestampStyle: 'iso',
    decimalComma: false,
    clicks: { occurred_at: 'Click time', click_id: 'Click ID', offer_id: 'Offer', affiliate_id: 'Source', sub1: 'sub1', sub2: 'sub2', ip: 'IP', user_agent: 'User agent' },
    conversions: {
      occurred_at: 'Conversion time', click_id: 'Click ID', event: 'Type', status: 'Status', payout: 'Payout',
      currency: 'Currency', txid: 'Event ID', offer_id: 'Offer', affiliate_id: 'Source', sub1: 'sub1',
    },
    note: 'header spelling not documented (uncertain)',
  },
  prosper202: {
    delimiter: ',',
    timestampStyle: 'unix_s',
    decimalComma: false,
    clicks: { click_id: 'Subid', occurred_at: 'Click Time', offer_id: 'Campaign ID', sub1: 'c1', sub2: 'c2', ip: 'IP', user_agent: 'User Agent' },
    conversions: { click_id: 'Subid', occurred_at: 'Conversion Time', payout: 'Amount', txid: 'Transaction ID', status: 'Status', offer_id: 'Campaign ID' },
    note: 'numeric subids, unix timestamps as stored by Prosper202; export headers uncertain',
  },
};

/**
 * Spellings seen in exports other than the presets' own, recognised when no --preset is given
 * (compared case- and space-insensitively, with punctuation ignored).
 */
export const EXTRA_ALIASES: Readonly<Partial<Record<CanonicalField, readonly string[]>>> = {
  click_id: ['clickid', 'click id', 'cid', 'subid', 'sub_id', 'cnv_id', 'transaction_id', 'aff_click_id', 'reqid', 'request id', 'visit id'],
  occurred_at: ['date', 'datetime', 'time', 'timestamp', 'created_at', 'conversion date', 'click date', 'date time', 'conversion_date', 'stat.datetime'],
  offer_id: ['offer', 'offer id', 'offer_id', 'campaign_id', 'stat.offer_id'],
  affiliate_id: ['affiliate', 'affiliate id', 'aff_id', 'partner', 'pid', 'publisher', 'traffic source'],
  txid: ['transaction id', 'txn', 'txn_id', 'tid', 'order_id', 'order id', 'adv_sub', 'external id'],
  conversion_id: ['conversion id', 'tune event id', 'tune_event_id', 'event id', 'unique id', 'ad_id'],
  event: ['goal', 'event name', 'conversion type', 'type', 'et'],
  status: ['conversion status', 'cnv_status', 'disposition', 'state'],
  payout: ['payout', 'amount', 'sum', 'commission', 'cost', 'paid', 'stat.payout'],
  revenue: ['revenue', 'sale amount', 'sale_amount', 'received', 'stat.revenue'],
  currency: ['currency', 'cur', 'currency code'],
  ip: ['ip', 'ip address', 'user ip', 'session_user_ip'],
  user_agent: ['user agent', 'ua', 'useragent'],
  ...subAliases(),
};

/** sub1..sub5 as TUNE (aff_sub, Partner Sub ID n), CAKE (s1), Keitaro (sub_id_n) and others write them. */
function subAliases(): Partial<Record<CanonicalField, readonly string[]>> {
  const aliases: Partial<Record<CanonicalField, readonly string[]>> = {};
  for (const n of [1, 2, 3, 4, 5] as const) {
    aliases[`sub${n}`] = [
      `sub ${n}`, `sub_id_${n}`, `sub id ${n}`, `subid${n}`, `aff_sub${n}`, `partner sub id ${n}`, `affiliate sub ${n}`,
      `sub_affiliate_${n}`, `s${n}`, `affiliate_info${n}`, `stat.affiliate_info${n}`, `custom variable ${n}`,
      ...(n === 1 ? ['aff_sub', 'sub_affiliate'] : []),
    ];
  }
  return aliases;
}

/** Header comparison key: case-, space- and punctuation-insensitive ("Date / Time" = "date_time"). */
export function headerKey(header: string): string {
  return header
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}
