/** Query parameters that carry click ids, most specific first (design.md, trackers.md). */
export const KNOWN_CLICK_ID_PARAMS = [
  'transaction_id',
  'click_id',
  'clickid',
  'cid',
  'subid',
  'sub_id',
  'cnv_id',
  'aff_click_id',
  '_ef_transaction_id',
  'ef_transaction_id',
  'evclid',
  'irclickid',
  'tid',
  's2',
  'sub1',
] as const;
