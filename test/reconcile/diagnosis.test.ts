import { describe, expect, it } from 'vitest';
import {
  candidateIds,
  describeAlphabet,
  describeSteps,
  detectLiteralMacro,
  shapeMismatch,
  shapeOf,
} from '../../src/reconcile/click-id-diagnosis.js';
import { formatDuration, formatWindow } from '../../src/units/duration.js';
import { formatMicros, microsToUnits, parseAmountToMicros } from '../../src/units/micros.js';
import { normalizeStatus } from '../../src/reconcile/status.js';

describe('detectLiteralMacro', () => {
  it.each([
    ['{transaction_id}', '{transaction_id}'],
    ['{clickid}', '{clickid}'],
    ['%7Bclickid%7D', '%7Bclickid%7D'],
    ['%257Bclickid%257D', '%257Bclickid%257D'],
    ['#s2#', '#s2#'],
    ['##sub1##', '##sub1##'],
    ['[[subid]]', '[[subid]]'],
    ['{{click_id}}', '{{click_id}}'],
    ['${click_id}', '${click_id}'],
    ['REPLACE', 'REPLACE'],
    ['abc{clickid}', '{clickid}'],
  ])('recognises %s as a macro', (id, literal) => {
    expect(detectLiteralMacro(id)).toEqual({ kind: 'macro', literal });
  });

  it.each(['null', 'NULL', 'undefined', '(none)', ' none ', 'n/a', '-'])('recognises %s as empty-ish', (id) => {
    expect(detectLiteralMacro(id)?.kind).toBe('empty');
  });

  it.each(['1027c887059b47bc69c699f45466b9', 'c384EFV6JHQODRN70575OK6UG5', '81e60haa86o0b7', '12345', 'replace-me-0001'])(
    'leaves a real id alone: %s',
    (id) => {
      expect(detectLiteralMacro(id)).toBeNull();
    },
  );
});

describe('candidateIds', () => {
  const find = (id: string, target: string) => candidateIds(id).find((c) => c.candidate === target);

  it('undoes one and two rounds of URL-encoding, shortest explanation first', () => {
    expect(find('ab%2Fcd', 'ab/cd')?.steps).toEqual(['URL-decoding']);
    expect(find('ab%252Fcd', 'ab/cd')?.steps).toEqual(['URL-decoding', 'URL-decoding']);
  });

  it('trims, strips quotes, restores + and case', () => {
    expect(find('  abc123 ', 'abc123')?.steps).toEqual(['trimming whitespace']);
    expect(find('"abc123"', 'abc123')?.steps).toEqual(['removing quotes']);
    expect(find('ab cd', 'ab+cd')?.steps).toEqual(['turning spaces back into +']);
    expect(find('abcdef', 'ABCDEF')?.steps).toEqual(['upper-casing']);
    expect(find('ABCDEF', 'abcdef')?.steps).toEqual(['lower-casing']);
    expect(find(' AB%20CD', 'ab cd')?.steps.length).toBeLessThanOrEqual(3);
  });

  it('never proposes the id itself and stays bounded', () => {
    const candidates = candidateIds('%41%42%43 %44+');
    expect(candidates.map((c) => c.candidate)).not.toContain('%41%42%43 %44+');
    expect(new Set(candidates.map((c) => c.candidate)).size).toBe(candidates.length);
    expect(candidates.length).toBeLessThanOrEqual(64);
  });

  it('describes repeated steps', () => {
    expect(describeSteps(['URL-decoding', 'URL-decoding'])).toBe('URL-decoding twice');
    expect(describeSteps(['trimming whitespace', 'lower-casing'])).toBe('trimming whitespace and lower-casing');
  });
});

describe('shape statistics', () => {
  const hex32 = Array.from({ length: 50 }, (_, i) => i.toString(16).padStart(32, 'a'));

  it('flags ids of another length or alphabet', () => {
    const shape = shapeOf(hex32);
    expect(describeAlphabet(shape.classes)).toBe('[0-9a-f]');
    expect(shapeMismatch('123456789', shape)).toMatch(/9 characters of \[0-9\].*32 characters of \[0-9a-f\]/);
    expect(shapeMismatch('z'.repeat(32), shape)).toMatch(/\[g-z\]/);
    expect(shapeMismatch('b'.repeat(32), shape)).toBeNull();
  });

  it('says nothing from too small a sample', () => {
    expect(shapeMismatch('1', shapeOf(hex32.slice(0, 3)))).toBeNull();
  });
});

describe('money, durations, statuses', () => {
  it('formats and parses micro-units exactly', () => {
    expect(formatMicros(12_500_000)).toBe('12.50');
    expect(formatMicros(10_005_000)).toBe('10.005');
    expect(formatMicros(-1)).toBe('-0.000001');
    expect(microsToUnits(1_234_567_891)).toBe(1234.567891);
    expect(microsToUnits(null)).toBeNull();
    expect(parseAmountToMicros('0.01')).toBe(10_000);
    expect(parseAmountToMicros('.5')).toBe(500_000);
    expect(parseAmountToMicros('3')).toBe(3_000_000);
    expect(() => parseAmountToMicros('0.0000001')).toThrow(/6 decimals/);
    expect(() => parseAmountToMicros('abc')).toThrow();
  });

  it('spells durations like the flags', () => {
    expect(formatDuration(5 * 3_600_000)).toBe('5h');
    expect(formatDuration(41 * 86_400_000 + 23.5 * 3_600_000)).toBe('41d 23h');
    expect(formatDuration(37 * 60_000)).toBe('37m');
    expect(formatWindow(30 * 86_400_000)).toBe('30d');
    expect(formatWindow(36 * 3_600_000)).toBe('1d 12h');
  });

  it('normalises the common status spellings', () => {
    expect(['approved', 'Accepted', 'confirmed', '1'].map(normalizeStatus)).toEqual(['approved', 'approved', 'approved', 'approved']);
    expect(['pending', 'HOLD', '2'].map(normalizeStatus)).toEqual(['pending', 'pending', 'pending']);
    expect(['rejected', 'declined', '3'].map(normalizeStatus)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(normalizeStatus(' Weird ')).toBe('weird');
    expect(normalizeStatus('')).toBeNull();
  });
});
