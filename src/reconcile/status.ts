/**
 * Conversion statuses are spelled differently by every system (Affise 1/2/3/5, Keitaro lead/sale,
 * RedTrack Approved/Declined…). Compare mode compares them after mapping the common spellings to
 * one of three states; anything else is compared as written, case-insensitively.
 */
export type CanonicalStatus = 'approved' | 'pending' | 'rejected';

export const STATUS_SPELLINGS: Readonly<Record<CanonicalStatus, readonly string[]>> = {
  approved: ['approved', 'approve', 'accepted', 'accept', 'confirmed', 'confirm', '1', 'success', 'successful', 'sale', 'paid', 'complete', 'completed', 'valid', 'ok'],
  pending: ['pending', 'hold', 'on hold', 'on_hold', 'held', '2', '5', 'lead', 'waiting', 'in review', 'review', 'processing'],
  rejected: ['rejected', 'reject', 'declined', 'decline', '3', 'denied', 'cancelled', 'canceled', 'reversed', 'refunded', 'invalid', 'fraud', 'chargeback', 'trash', 'failed'],
};

/** Every (spelling, canonical) pair, for the store to load into a lookup table. */
export function statusSpellingPairs(): Array<[spelling: string, canonical: CanonicalStatus]> {
  const pairs: Array<[string, CanonicalStatus]> = [];
  for (const [canonical, spellings] of Object.entries(STATUS_SPELLINGS) as Array<[CanonicalStatus, readonly string[]]>) {
    for (const spelling of spellings) pairs.push([spelling, canonical]);
  }
  return pairs;
}

/** The canonical state of a status as written, or the lower-cased trimmed text when unknown. */
export function normalizeStatus(status: string | null | undefined): string | null {
  if (status === null || status === undefined) return null;
  const key = status.trim().toLowerCase();
  if (key === '') return null;
  for (const [canonical, spellings] of Object.entries(STATUS_SPELLINGS)) {
    if (spellings.includes(key)) return canonical;
  }
  return key;
}
