import type { PresetName } from '../../presets/catalog.js';
import type { MockClick, PostbackOutcome } from '../ledger.js';

/** What a preset sees of a request: the path, its segments, and the query (plus a form body on POST). */
export interface MockRequest {
  method: string;
  /** The path, percent-decoding left to the preset. */
  path: string;
  /** Non-empty path segments, percent-decoded. */
  segments: readonly string[];
  params: URLSearchParams;
  ip: string | null;
  userAgent: string | null;
}

export type RouteMatch = { kind: 'click'; answer: 'redirect' | 'json' } | { kind: 'postback' } | { kind: 'wrong_method'; allowed: string };

export type ClickFields = Pick<MockClick, 'offer_id' | 'affiliate_id' | 'sub1' | 'sub2' | 'sub3' | 'sub4' | 'sub5'>;

/** The conversion a postback describes, read with the preset's parameter names. */
export interface PostbackFields {
  /** undefined or '' when the postback carries no click id. */
  clickId: string | undefined;
  txid: string | null;
  event: string | null;
  status: string | null;
  payout: string | undefined;
  revenue: string | undefined;
  currency: string | null;
  /** An id the tracker dedupes by instead of its default rule (TUNE conversion_unique_id, RedTrack rdtk_event_id). */
  uniqueId?: string | null;
  /** A required parameter other than the click id that is missing or malformed ("nid is missing"). */
  invalid?: string;
}

/** Why a postback was not recorded; the preset words it the way its tracker does. */
export type PostbackProblem =
  | { kind: 'missing_click_id' }
  | { kind: 'invalid'; detail: string }
  | { kind: 'unknown_click'; clickId: string }
  | { kind: 'duplicate'; clickId: string };

export type PostbackVerdict =
  | { outcome: 'recorded'; clickId: string; conversionId: string }
  | { outcome: Exclude<PostbackOutcome, 'recorded'>; problem: PostbackProblem };

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
  /** The tracker's words for a postback it did not record (kept in the postback log). */
  message?: string;
}

/**
 * One tracker's behaviour: which requests are clicks and postbacks, how it reads them, its
 * duplicate rule and its answers. One module per tracker in this folder; trackers.md is the source,
 * and each module says where it had to choose.
 */
export interface MockPreset {
  name: PresetName;
  /** Path and query of a click, as printed and as `routes.click` (uses offer 1001, affiliate 2002). */
  clickExample: string;
  /** Path and query of a postback with tpb fire's macros ({click_id}, {payout}, …). */
  postbackTemplate: string;
  /** Path prefix `tpb fire --preset x --base` needs (Keitaro's postback key), default ''. */
  postbackBasePath?: string;
  /** Facts and choices for --help and the README (one line each). */
  notes: readonly string[];
  match(request: MockRequest): RouteMatch | undefined;
  readClick(request: MockRequest): ClickFields;
  readPostback(request: MockRequest): PostbackFields;
  /** Amounts may use a decimal comma (Everflow: `amount=12,34` is 12.34). */
  decimalComma?: boolean;
  /** The duplicate rule: postbacks with equal keys are one conversion. */
  dedupeKey(fields: PostbackFields, clickId: string, click: MockClick): string;
  answer(verdict: PostbackVerdict, request: MockRequest): HttpAnswer;
  /** Answer for a click route hit in JSON mode (Everflow /clk). */
  clickJson?(clickId: string, fields: ClickFields): unknown;
}
