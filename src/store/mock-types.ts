import type { PresetName } from '../presets/catalog.js';

/** A click the mock tracker generated an id for. Field names are tpb's canonical ones. */
export interface MockClick {
  click_id: string;
  /** UTC ISO 8601, whole seconds. */
  occurred_at: string;
  offer_id: string | null;
  affiliate_id: string | null;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
  ip: string | null;
  user_agent: string | null;
}

export type PostbackOutcome = 'recorded' | 'duplicate' | 'unknown_click' | 'rejected';

/** A postback the mock received: a conversion when `outcome` is "recorded", a log entry otherwise. */
export interface MockConversion {
  click_id: string | null;
  occurred_at: string;
  conversion_id: string | null;
  txid: string | null;
  event: string | null;
  status: string | null;
  payout_micros: number | null;
  revenue_micros: number | null;
  currency: string | null;
  offer_id: string | null;
  affiliate_id: string | null;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
  ip: string | null;
  user_agent: string | null;
  outcome: PostbackOutcome;
  reason: string | null;
  dedupe_key: string | null;
}

export interface LedgerCounts {
  clicks: number;
  conversions: number;
  /** Clicks and postbacks forgotten to keep memory bounded (in-memory ledger only). */
  evictedClicks: number;
  evictedConversions: number;
}

/**
 * Where the mock tracker keeps what it saw: in memory (bounded) by default, or in SQLite with
 * `--db` (src/store/mock.ts). Exports read it in pages, so a download never holds a whole table.
 */
export interface MockLedger {
  readonly preset: PresetName;
  findClick(clickId: string): MockClick | undefined;
  addClick(click: MockClick): void;
  /** Whether a recorded conversion already has this dedupe key. */
  hasRecorded(dedupeKey: string): boolean;
  addConversion(conversion: MockConversion): void;
  /** Clicks in the order they happened, after the position `after` (0 = from the start). */
  clickPage(after: number, limit: number): { rows: MockClick[]; next: number };
  /** Recorded conversions only, in order. */
  conversionPage(after: number, limit: number): { rows: MockConversion[]; next: number };
  nextClickSequence(): number;
  nextConversionSequence(): number;
  counts(): LedgerCounts;
  close(): void;
}
