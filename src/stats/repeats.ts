/**
 * Counts repeats in a stream of strings (a load run's click ids) in a few bytes per distinct
 * value: each value is kept as a 64-bit fingerprint in an open-addressing table of two
 * Uint32Arrays, never as the string. A Set of the ids themselves holds ~100 bytes per id or more
 * (an id sliced out of an answer can keep the whole answer alive), so an hour at 2,000 clicks/s
 * (7.2 million ids) would hold most of a gigabyte; this holds 8 bytes per slot, at most 16 per
 * id with the table's slack (7.2 million ids: 128 MB, 2²⁴ slots).
 *
 * Two different values share a fingerprint with probability about n² / 2⁶⁵ over n values
 * (10 million: 3 in a million); such a pair would be counted as one repeat.
 */
export class RepeatCounter {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  private distinctCount = 0;
  private repeatCount = 0;

  constructor(initialSlots = 1024) {
    let slots = 16;
    while (slots < initialSlots) slots *= 2;
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
    this.mask = slots - 1;
  }

  /** Values seen once or more. */
  get distinct(): number {
    return this.distinctCount;
  }

  /** Values seen again: every add after a value's first. */
  get repeats(): number {
    return this.repeatCount;
  }

  /** Slots in the table now (8 bytes each). */
  get slots(): number {
    return this.mask + 1;
  }

  /** Adds a value; true when it had been added before (a repeat). */
  add(value: string): boolean {
    // bryc's cyrb64: two 32-bit lanes, each multiplied in per UTF-16 unit, then cross-mixed.
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < value.length; i += 1) {
      const ch = value.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    const hi = h2 >>> 0;
    // (0, 0) marks an empty slot: the one fingerprint that would be it is moved to (0, 1).
    const lo = hi === 0 && h1 >>> 0 === 0 ? 1 : h1 >>> 0;
    if (this.insert(hi, lo)) return false;
    this.repeatCount += 1;
    return true;
  }

  /** True when the fingerprint was new (and is now in the table). */
  private insert(hi: number, lo: number): boolean {
    const his = this.hi;
    const los = this.lo;
    const mask = this.mask;
    // The slot comes from hi's bits, mixed once more so that a table's low bits are not a lane's.
    for (let slot = Math.imul(hi ^ (hi >>> 15), 0x2c1b3c6d) >>> 0 & mask; ; slot = (slot + 1) & mask) {
      const h = his[slot]!;
      const l = los[slot]!;
      if (h === 0 && l === 0) {
        his[slot] = hi;
        los[slot] = lo;
        this.distinctCount += 1;
        // Kept at most 3/4 full: linear probing stays short.
        if (this.distinctCount * 4 > (mask + 1) * 3) this.grow();
        return true;
      }
      if (h === hi && l === lo) return false;
    }
  }

  private grow(): void {
    const his = this.hi;
    const los = this.lo;
    const slots = (this.mask + 1) * 2;
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
    this.mask = slots - 1;
    this.distinctCount = 0;
    for (let slot = 0; slot < his.length; slot += 1) {
      const h = his[slot]!;
      const l = los[slot]!;
      if (h !== 0 || l !== 0) this.insert(h, l);
    }
  }
}
