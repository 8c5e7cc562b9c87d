import { randomBytes } from 'node:crypto';

/** A source of uniform numbers in [0, 1). Seeded ones repeat their sequence; that is the point of --seed. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  below(n: number): number;
}

/**
 * sfc32 seeded through splitmix32: small, fast, and good enough to decide faults and shape ids.
 * Not for secrets — nothing in the mock tracker is one.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  // Discard the first outputs: sfc32 needs a few rounds to mix a weak seed.
  for (let i = 0; i < 12; i += 1) next();
  return { next, below: (n) => Math.floor(next() * n) };
}

/** Unseeded: crypto-strength numbers, buffered so a busy server does not call into OpenSSL per id. */
export function systemRandom(): Random {
  // 64 KiB at a time (16,384 numbers, ~800 ids): a third of the cost per byte of 4 KiB refills.
  let buffer = randomBytes(65536);
  let offset = 0;
  const next = (): number => {
    if (offset + 4 > buffer.length) {
      buffer = randomBytes(65536);
      offset = 0;
    }
    const value = buffer.readUInt32BE(offset);
    offset += 4;
    return value / 4294967296;
  };
  return { next, below: (n) => Math.floor(next() * n) };
}

/**
 * Independent streams derived from one seed, so that (for example) generating more click ids does
 * not change which requests fail: each concern draws from its own stream.
 */
export function randomStreams(seed: number | undefined): { faults: Random; ids: Random } {
  if (seed === undefined) return { faults: systemRandom(), ids: systemRandom() };
  return { faults: seededRandom(seed), ids: seededRandom((seed ^ 0x5bd1e995) + 1) };
}
