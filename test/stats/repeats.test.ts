import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { RepeatCounter } from '../../src/stats/repeats.js';

/** A reproducible stream of numbers in [0, 1). */
function lcg(seed: number) {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

describe('RepeatCounter', () => {
  it('counts repeats exactly as a Set of the strings does, across the table growing', () => {
    const next = lcg(7);
    const counter = new RepeatCounter(16);
    const seen = new Set<string>();
    let repeats = 0;
    let disagreements = 0;
    for (let i = 0; i < 200_000; i += 1) {
      // A quarter of the ids come again (some many times); the rest are new.
      const id = next() < 0.25 && i > 0 ? `c0ffee${Math.floor(next() * i).toString(36)}` : `c0ffee${i.toString(36)}`;
      const isRepeat = seen.has(id);
      if (isRepeat) repeats += 1;
      else seen.add(id);
      if (counter.add(id) !== isRepeat) disagreements += 1;
    }
    expect(disagreements).toBe(0);
    expect(counter.repeats).toBe(repeats);
    expect(counter.distinct).toBe(seen.size);
    // Grown from 16 slots, never more than 3/4 full.
    expect(counter.slots).toBeGreaterThanOrEqual((seen.size * 4) / 3);
    expect(counter.slots).toBeLessThan(seen.size * 4);
  });

  it('finds no repeat among a million distinct ids of each shape trackers issue (a 32-bit fingerprint would find ~100)', () => {
    const shapes: Array<(i: number) => string> = [
      (i) => (0x10000000 + i).toString(16) + 'c0ffee' + i, // the bench's 302 server
      (i) => `1027c887059b47bc69c699f4546${i.toString(16).padStart(6, '0')}`, // TUNE-like hex, one digit apart
      (i) => String(i), // numeric ids
      () => randomUUID(), // Voluum-like
      (i) => String.fromCharCode(0x4e00 + (i % 20_000), 0x4e00 + Math.floor(i / 20_000)), // two UTF-16 units
    ];
    for (const shape of shapes) {
      const counter = new RepeatCounter();
      const n = shape === shapes[4] ? 20_000 * 50 : 1_000_000;
      for (let i = 0; i < n; i += 1) counter.add(shape(i));
      expect(counter.repeats).toBe(0);
      expect(counter.distinct).toBe(n);
    }
  });

  it('counts the empty string as any other value', () => {
    const counter = new RepeatCounter();
    expect(counter.add('')).toBe(false);
    expect(counter.add('')).toBe(true);
    expect(counter.add('a')).toBe(false);
    expect([counter.distinct, counter.repeats]).toEqual([2, 1]);
  });
});
