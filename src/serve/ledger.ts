import type { PresetName } from '../presets/catalog.js';
import type { LedgerCounts, MockClick, MockConversion, MockLedger } from '../store/mock-types.js';

export type { LedgerCounts, MockClick, MockConversion, MockLedger, PostbackOutcome } from '../store/mock-types.js';


/** An append-only list that forgets its oldest entries beyond `capacity`, pageable by sequence. */
class BoundedLog<T> {
  private items: Array<{ seq: number; value: T }> = [];
  private head = 0;
  evicted = 0;

  constructor(private readonly capacity: number) {}

  push(seq: number, value: T): T | undefined {
    this.items.push({ seq, value });
    if (this.items.length - this.head <= this.capacity) return undefined;
    const dropped = this.items[this.head]!.value;
    this.head += 1;
    this.evicted += 1;
    // Compact now and then instead of shifting on every push.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Entries with seq > after, up to `limit` of those that `keep` accepts. */
  page(after: number, limit: number, keep: (value: T) => boolean = () => true): { rows: T[]; next: number } {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    const rows: T[] = [];
    let next = after;
    for (let i = lo; i < this.items.length && rows.length < limit; i += 1) {
      const item = this.items[i]!;
      next = item.seq;
      if (keep(item.value)) rows.push(item.value);
    }
    return { rows, next };
  }
}

/**
 * The default ledger: everything in memory, at most `capacity` clicks and `capacity` postbacks.
 * Beyond that the oldest are forgotten (a postback for a forgotten click is then an unknown click,
 * and a forgotten conversion no longer blocks a duplicate) so a long run cannot exhaust memory.
 */
export class MemoryLedger implements MockLedger {
  private readonly clicksById = new Map<string, MockClick>();
  private readonly clickLog: BoundedLog<MockClick>;
  private readonly conversionLog: BoundedLog<MockConversion>;
  /** dedupe key → recorded conversions holding it that are still in memory. */
  private readonly recordedKeys = new Map<string, number>();
  private clickSeq = 0;
  private conversionSeq = 0;
  private recorded = 0;
  private recordedEver = 0;

  constructor(
    readonly preset: PresetName,
    readonly capacity = 100_000,
  ) {
    this.clickLog = new BoundedLog(capacity);
    this.conversionLog = new BoundedLog(capacity);
  }

  findClick(clickId: string): MockClick | undefined {
    return this.clicksById.get(clickId);
  }

  addClick(click: MockClick): void {
    this.clickSeq += 1;
    this.clicksById.set(click.click_id, click);
    const dropped = this.clickLog.push(this.clickSeq, click);
    if (dropped) this.clicksById.delete(dropped.click_id);
  }

  hasRecorded(dedupeKey: string): boolean {
    return this.recordedKeys.has(dedupeKey);
  }

  addConversion(conversion: MockConversion): void {
    this.conversionSeq += 1;
    if (conversion.outcome === 'recorded') {
      this.recorded += 1;
      this.recordedEver += 1;
      if (conversion.dedupe_key !== null) this.recordedKeys.set(conversion.dedupe_key, (this.recordedKeys.get(conversion.dedupe_key) ?? 0) + 1);
    }
    const dropped = this.conversionLog.push(this.conversionSeq, conversion);
    if (dropped?.outcome === 'recorded') {
      this.recorded -= 1;
      if (dropped.dedupe_key !== null) {
        const left = (this.recordedKeys.get(dropped.dedupe_key) ?? 1) - 1;
        if (left <= 0) this.recordedKeys.delete(dropped.dedupe_key);
        else this.recordedKeys.set(dropped.dedupe_key, left);
      }
    }
  }

  clickPage(after: number, limit: number): { rows: MockClick[]; next: number } {
    return this.clickLog.page(after, limit);
  }

  conversionPage(after: number, limit: number): { rows: MockConversion[]; next: number } {
    return this.conversionLog.page(after, limit, (row) => row.outcome === 'recorded');
  }

  nextClickSequence(): number {
    return this.clickSeq + 1;
  }

  nextConversionSequence(): number {
    return this.recordedEver + 1;
  }

  counts(): LedgerCounts {
    return {
      clicks: this.clickLog.size,
      conversions: this.recorded,
      evictedClicks: this.clickLog.evicted,
      evictedConversions: this.conversionLog.evicted,
    };
  }

  close(): void {
    // Nothing to release.
  }
}
