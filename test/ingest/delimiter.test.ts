import { describe, expect, it } from 'vitest';
import { detectDelimiter, parseDelimiterOption } from '../../src/csv/delimiter.js';

describe('detectDelimiter', () => {
  it.each([
    ['comma', 'a,b,c\n1,2,3\n4,5,6\n', ','],
    ['semicolon (Keitaro, European spreadsheets)', 'Subid;Revenue;Status\nabc;12,50;sale\ndef;1,00;lead\n', ';'],
    ['tab', 'a\tb\tc\n1\t2\t3\n', '\t'],
    ['pipe', 'a|b\n1|2\n', '|'],
    ['commas inside quotes do not count', 'id;ua\n1;"Mozilla (KHTML, like Gecko), x, y"\n2;"a, b, c, d"\n', ';'],
    ['a semicolon file whose amounts use decimal commas', 'id;payout\n1;1,5\n2;2,25\n3;3,75\n', ';'],
    ['header only', 'click_id;payout', ';'],
    ['one column', 'click_id\nabc\ndef\n', ','],
    ['CRLF', 'a\tb\r\n1\t2\r\n', '\t'],
  ])('%s', (_name, sample, expected) => {
    expect(detectDelimiter(sample)).toBe(expected);
  });

  it('prefers the delimiter that is consistent over one that appears more in the header', () => {
    // Commas in unquoted values make the comma count vary; the tab count holds.
    const sample = 'a,x\tb\tc\n1\t2,3,4\t5\n6\t7\t8,9\n';
    expect(detectDelimiter(sample)).toBe('\t');
  });
});

describe('parseDelimiterOption', () => {
  it('accepts names and single characters', () => {
    expect(parseDelimiterOption('tab')).toBe('\t');
    expect(parseDelimiterOption('\\t')).toBe('\t');
    expect(parseDelimiterOption(';')).toBe(';');
    expect(parseDelimiterOption('semicolon')).toBe(';');
    expect(parseDelimiterOption('"')).toBeUndefined();
    expect(parseDelimiterOption(',,')).toBeUndefined();
  });
});
