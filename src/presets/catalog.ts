/**
 * The trackers tpb knows, with the facts of ../shared/docs/trackers.md that every command shares:
 * the postback URL shape, the parameter that carries the click id, and the click id's format.
 * Facets used by one command live next to that command (export headers in presets/exports.ts,
 * success rules with fire, mock behaviour with serve). "uncertain" marks a detail trackers.md
 * could not confirm; tpb then chooses something plausible and says so.
 */
export const PRESET_NAMES = [
  'generic',
  'tune',
  'everflow',
  'voluum',
  'keitaro',
  'binom',
  'cake',
  'affise',
  'redtrack',
  'prosper202',
] as const;

export type PresetName = (typeof PRESET_NAMES)[number];

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

export interface ClickIdFormat {
  /** Anchored pattern a valid click id matches. */
  pattern: RegExp;
  /** Human description for lint messages and help. */
  description: string;
  /** An id of the right shape, for docs and tests. */
  example: string;
  /** Whether the tracker rejects ids of another shape (lint error) or it is only typical (warning at most). */
  enforced: boolean;
}

export interface PresetInfo {
  name: PresetName;
  title: string;
  /** The postback query parameter that carries the click id. */
  clickIdParam: string;
  /** Postback URL template; `{base}` is the tracker's base URL (`--base`). */
  postbackTemplate: string;
  /** Parameters a postback must have for this tracker to accept it. */
  requiredParams: readonly string[];
  clickIdFormat: ClickIdFormat;
  /** Facts worth showing in help output; "(uncertain)" where trackers.md says so. */
  notes: readonly string[];
}

export const PRESETS: Readonly<Record<PresetName, PresetInfo>> = {
  generic: {
    name: 'generic',
    title: 'Generic tracker',
    clickIdParam: 'click_id',
    postbackTemplate: '{base}/postback?click_id={click_id}&payout={payout}&txid={txid}&event={event}&status={status}',
    requiredParams: ['click_id'],
    clickIdFormat: { pattern: /^[A-Za-z0-9_-]{8,64}$/, description: '8–64 letters, digits, - or _', example: 'c7f1e2a9b04d4e0f', enforced: false },
    notes: ['the shape tpb serve uses by default: 200 JSON on success, 404 unknown click, 409 duplicate, 400 missing id'],
  },
  tune: {
    name: 'tune',
    title: 'TUNE (HasOffers)',
    clickIdParam: 'transaction_id',
    postbackTemplate: '{base}/aff_lsr?offer_id={offer_id}&transaction_id={click_id}&amount={payout}&adv_sub={txid}',
    requiredParams: ['transaction_id'],
    clickIdFormat: { pattern: /^[0-9a-z]{20,40}$/, description: '20–40 lowercase hex-like characters (e.g. 1027c887059b47bc69c699f45466b9)', example: '1027c887059b47bc69c699f45466b9', enforced: false },
    notes: ['answers HTTP 200 with body success=true; or success=false; err_msg=… — status alone is not success', 'postbacks must be GET', 'sale amount parameter name "amount" (uncertain)'],
  },
  everflow: {
    name: 'everflow',
    title: 'Everflow',
    clickIdParam: 'transaction_id',
    postbackTemplate: '{base}/?nid={nid}&transaction_id={click_id}&amount={payout}&order_id={txid}',
    requiredParams: ['nid', 'transaction_id'],
    clickIdFormat: { pattern: /^[0-9a-f]{32}$/i, description: '32 hexadecimal characters', example: '4b5b1e5c9d3f4a0e8f7a6b5c4d3e2f10', enforced: true },
    notes: ['nid (network id) and transaction_id are required', 'success body not documented; tpb treats 2xx as accepted (uncertain)', 'conversions older than 90 days after the click are refused (error 5)'],
  },
  voluum: {
    name: 'voluum',
    title: 'Voluum',
    clickIdParam: 'cid',
    postbackTemplate: '{base}/postback?cid={click_id}&payout={payout}&txid={txid}&et={event}',
    requiredParams: ['cid'],
    clickIdFormat: { pattern: /^[A-Za-z0-9]{20,32}$/, description: '20–32 letters and digits (e.g. c384EFV6JHQODRN70575OK6UG5)', example: 'c384EFV6JHQODRN70575OK6UG5', enforced: false },
    notes: ['a repeated cid is discarded unless it carries a new txid (dedupe cid+txid)', 'answer body not documented (uncertain)'],
  },
  keitaro: {
    name: 'keitaro',
    title: 'Keitaro',
    clickIdParam: 'subid',
    postbackTemplate: '{base}/postback?subid={click_id}&tid={txid}&status={status}&payout={payout}',
    requiredParams: ['subid'],
    clickIdFormat: { pattern: /^[0-9a-z]{10,24}$/, description: '10–24 lowercase letters and digits (e.g. 1dad2cg1br22spja1)', example: '1dad2cg1br22spja1', enforced: false },
    notes: ['the base URL includes the postback key: https://t.example.com/<postback-key>', 'dedupe by subid + tid', 'status: lead, sale, rejected, rebill', 'exports are semicolon-separated'],
  },
  binom: {
    name: 'binom',
    title: 'Binom',
    clickIdParam: 'cnv_id',
    postbackTemplate: '{base}/click.php?cnv_id={click_id}&payout={payout}&cnv_status={status}',
    requiredParams: ['cnv_id'],
    clickIdFormat: { pattern: /^[0-9a-z]{10,20}$/, description: '10–20 lowercase letters and digits (e.g. 81e60haa86o0b7)', example: '81e60haa86o0b7', enforced: false },
    notes: ['v1 postback path click.php; v2 uses /click?cnv_id=', 'answer body and dedupe rules not documented (uncertain)'],
  },
  cake: {
    name: 'cake',
    title: 'CAKE',
    clickIdParam: 'r',
    postbackTemplate: '{base}/p.ashx?o={offer_id}&e={event}&f=pb&r={click_id}&t={txid}&ap={payout}',
    requiredParams: ['o', 'r'],
    clickIdFormat: { pattern: /^\d{1,20}$/, description: 'a numeric request id (#reqid#)', example: '1234567890', enforced: false },
    notes: ['the click id is the numeric Request Session ID, not unique per click', 'a body containing SUCCESS means accepted (uncertain)'],
  },
  affise: {
    name: 'affise',
    title: 'Affise',
    clickIdParam: 'clickid',
    postbackTemplate: '{base}/postback?clickid={click_id}&action_id={txid}&goal={event}&sum={payout}&status={status}',
    requiredParams: ['clickid'],
    clickIdFormat: { pattern: /^[0-9a-f]{24}$/i, description: 'exactly 24 characters ("Broken clickid" otherwise)', example: '5f8d0d55b54764421b7156c3', enforced: true },
    notes: ['always answers HTTP 200: problems only appear in its Server Postbacks log', 'status: 1 approved, 2 pending, 3 declined, 5 hold'],
  },
  redtrack: {
    name: 'redtrack',
    title: 'RedTrack',
    clickIdParam: 'clickid',
    postbackTemplate: '{base}/postback?clickid={click_id}&sum={payout}&type={event}',
    requiredParams: ['clickid'],
    clickIdFormat: { pattern: /^[0-9a-f]{24}$/i, description: '24 hexadecimal characters (uncertain)', example: '64b7f0c2a1d3e5f7a9b1c3d5', enforced: false },
    notes: ['type= is the conversion type and is case-sensitive', 'answer body not documented (uncertain)'],
  },
  prosper202: {
    name: 'prosper202',
    title: 'Prosper202',
    clickIdParam: 'subid',
    postbackTemplate: '{base}/tracking202/static/gpb.php?subid={click_id}&amount={payout}',
    requiredParams: ['subid'],
    clickIdFormat: { pattern: /^[1-9]\d*$/, description: 'a positive integer ("123.9" is refused)', example: '48213', enforced: true },
    notes: ['success is HTTP 202 {"error":false,"code":202,...}; unknown subid is 404 {"error":true,...}'],
  },
};
