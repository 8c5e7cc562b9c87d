import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { readClickIdsFromCsv, readCsvRecords } from '../../src/fire/click-id-sources.js';
import { tempDir } from '../helpers/tmp.js';

// The hand-split fast path of the click-id reader must read every text exactly as csv-parse does:
// the same records, the same line numbers, the same errors (with the same lines).

async function* pieces(text: string, size: number): AsyncGenerator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

async function records(text: string, delimiter: string, size: number, fast: boolean): Promise<{ rows: Array<[string[], number]>; error?: string; line?: number }> {
  const rows: Array<[string[], number]> = [];
  try {
    await readCsvRecords(pieces(text, size), delimiter, (record, line) => rows.push([record, line]), { fast });
    return { rows };
  } catch (error) {
    return { rows, error: (error as Error).message, line: (error as { lines?: number }).lines };
  }
}

/** A deterministic generator (the same texts on every run). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('the click-id CSV reader', () => {
  it('splits quote-free text as csv-parse reads it: cells, empty lines, the last line without LF, line numbers', async () => {
    const text = '\n\ntransaction_id,amount\n\nabc,1\n , 2\n,\n\nlast,3,extra\nno-newline';
    for (const size of [1, 3, 7, 64, 4096]) {
      const fast = await records(text, ',', size, true);
      expect(fast).toEqual(await records(text, ',', size, false));
    }
    expect((await records(text, ',', 5, true)).rows).toEqual([
      [['transaction_id', 'amount'], 3],
      [['abc', '1'], 5],
      [[' ', ' 2'], 6],
      [['', ''], 7],
      [['last', '3', 'extra'], 9],
      [['no-newline'], 10],
    ]);
  });

  it('reads random texts with quotes, CRs, CRLF and delimiters the same as csv-parse alone, whatever the piece size', async () => {
    const next = random(17);
    const atoms = ['a', 'b1', 'x_y', ' ', ',', ';', '\t', '\n', '\n', '\n', '\r\n', '\r', '"', '""', '"q,"', 'é', '=1+2', '\n\n'];
    const counts = [0, 0];
    for (let round = 0; round < 300; round += 1) {
      // Mostly quote-free text, with a quote or CR turning up late in some (the switch mid-file).
      const parts: string[] = ['transaction_id,n\n'];
      const length = 5 + Math.floor(next() * 120);
      // A third have neither (all split by hand), a third from some point on, a third anywhere.
      const kind = next();
      const lateSpecial = kind < 0.33 ? length : kind < 0.66 ? Math.floor(next() * length) : -1;
      for (let i = 0; i < length; i += 1) {
        let atom = atoms[Math.floor(next() * atoms.length)]!;
        if (i < lateSpecial && /["\r]/.test(atom)) atom = 'plain';
        parts.push(atom);
      }
      const text = parts.join('');
      const delimiter = next() < 0.8 ? ',' : ';';
      for (const size of [1 + Math.floor(next() * 9), 16, 1 << 16]) {
        const fast = await records(text, delimiter, size, true);
        const slow = await records(text, delimiter, size, false);
        counts[slow.error === undefined ? 0 : 1]! += 1;
        // A broken text is an error with its message and line either way (the ids read before it are dropped).
        if (slow.error !== undefined) expect({ error: fast.error, line: fast.line }, JSON.stringify({ text, size })).toEqual({ error: slow.error, line: slow.line });
        else expect(fast, JSON.stringify({ text, size })).toEqual(slow);
      }
    }
    // Both kinds were compared: texts read whole, and broken ones.
    expect(Math.min(...counts)).toBeGreaterThan(100);
  });

  it('numbers the lines of a file of 100,000 ids, a stray quote after the first 64 KiB included, as before', async () => {
    const dir = tempDir();
    const lines = ['transaction_id'];
    for (let i = 0; i < 100_000; i += 1) lines.push(i === 50_000 ? 'ab"c' : i % 9_999 === 0 ? '' : i % 7_777 === 0 ? '   ' : `id${i}`);
    const file = path.join(dir, 'ids.csv');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const read = await readClickIdsFromCsv({ file });
    // 11 empty lines (i = 0, 9999…), 11 blank cells (i = 7777…, 69993 being empty already).
    expect(read.ids.length).toBe(100_000 - 11 - 11);
    expect(read.ids[0]).toBe('id1');
    expect(read.ids).toContain('ab"c');
    // Blank cells (empty lines are no rows at all); the first five, by line.
    expect(read.emptyRows).toBe(11);
    expect(read.emptyLines).toEqual([7779, 15556, 23333, 31110, 38887]);
  });
});
