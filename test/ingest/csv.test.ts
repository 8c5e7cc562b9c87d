import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvParser } from '../../src/ingest/csv.js';

interface Rec {
  fields: string[];
  line: number;
  error?: string;
  raw: string;
}

/** Parse `text` fed in pieces of `step` characters (1 = every boundary is a chunk boundary). */
function read(text: string, options: { delimiter?: string; step?: number; maxRecordLength?: number } = {}): Rec[] {
  const records: Rec[] = [];
  const parser: CsvParser = new CsvParser(
    options.delimiter ?? ',',
    (fields, count, line, error) => records.push({ fields: fields.slice(0, count), line, ...(error ? { error } : {}), raw: parser.rawRecord() }),
    options.maxRecordLength ? { maxRecordLength: options.maxRecordLength } : {},
  );
  const step = options.step ?? text.length;
  for (let i = 0; i < text.length; i += step) parser.push(text.slice(i, i + step));
  parser.end();
  return records;
}

const fields = (text: string, options: { delimiter?: string; step?: number } = {}) => read(text, options).map((record) => record.fields);

describe('CsvParser', () => {
  it('reads plain records, with and without a final line break', () => {
    expect(fields('a,b\n1,2\n')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fields('a,b\n1,2')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fields('a,b\n1,')).toEqual([['a', 'b'], ['1', '']]);
  });

  it('handles CRLF and lone CR line ends', () => {
    expect(fields('a,b\r\n1,2\r\n')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fields('a,b\r1,2\r')).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('reads quoted fields with delimiters, doubled quotes and line breaks', () => {
    const text = 'id,ua\n"1","Mozilla (KHTML, like Gecko)"\n2,"say ""hi"""\n3,"multi\nline\r\ncell"\n4,x\n';
    const records = read(text);
    expect(records.map((record) => record.fields)).toEqual([
      ['id', 'ua'],
      ['1', 'Mozilla (KHTML, like Gecko)'],
      ['2', 'say "hi"'],
      ['3', 'multi\nline\r\ncell'],
      ['4', 'x'],
    ]);
    // Physical start lines: the multi-line record starts on line 4, the next one on line 7.
    expect(records.map((record) => record.line)).toEqual([1, 2, 3, 4, 7]);
  });

  it('keeps values exactly as written: spaces, leading zeros, quotes inside unquoted fields', () => {
    expect(fields('a,b,c\n 00123 ,ab"c, x\n')).toEqual([['a', 'b', 'c'], [' 00123 ', 'ab"c', ' x']]);
  });

  it('reports text after a closing quote as an error but keeps reading', () => {
    const records = read('a,b\n"x"y,2\n3,4\n');
    expect(records[1]).toMatchObject({ fields: ['xy', '2'], line: 2 });
    expect(records[1]!.error).toMatch(/after the closing quote/);
    expect(records[2]).toMatchObject({ fields: ['3', '4'], line: 3 });
    expect(records[2]!.error).toBeUndefined();
  });

  it('rejects an unterminated quote from its line to the end, keeping what came before', () => {
    const records = read('a,b\n1,2\n3,"never closed\n4,5\n6,7\n');
    expect(records.slice(0, 2).map((record) => record.fields)).toEqual([['a', 'b'], ['1', '2']]);
    expect(records).toHaveLength(3);
    expect(records[2]!.line).toBe(3);
    expect(records[2]!.error).toMatch(/unterminated quote.*line 3/);
  });

  it('does not hold a runaway record in memory: over the limit it is rejected and reading resumes', () => {
    const big = 'x'.repeat(5000);
    const text = `a,b\n1,"${big}\n${big}"\n2,3\n`;
    const records = read(text, { maxRecordLength: 1000, step: 700 });
    expect(records.map((record) => record.line)).toEqual([1, 2, 4]);
    expect(records[1]!.error).toMatch(/longer than 1000/);
    expect(records[2]!.fields).toEqual(['2', '3']);
    const unterminated = read(`a,b\n1,"${big}\n${big}\n`, { maxRecordLength: 1000, step: 700 });
    expect(unterminated[1]!.error).toMatch(/unterminated quote.*line 2/);
  });

  it('gives the raw text of a record without its line break', () => {
    const records = read('a,b\r\n"1, one",2\r\n');
    expect(records[1]!.raw).toBe('"1, one",2');
  });

  it('reads other delimiters', () => {
    expect(fields('a;b\n"1;x";2\n', { delimiter: ';' })).toEqual([['a', 'b'], ['1;x', '2']]);
    expect(fields('a\tb\n1\t2\n', { delimiter: '\t' })).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const text = 'id,"q"\r\n1,"a ""b"", c"\r\n"2\r\nx",\r\n,\r\n3,"\r\n"';
    const whole = read(text);
    for (let step = 1; step < 12; step += 1) expect(read(text, { step })).toEqual(whole);
  });

  it('property: agrees with csv-parse on generated CSV, records and start lines', () => {
    let seed = 99;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const alphabet = ['a', 'b', '0', ' ', ',', '"', '\n', '\r\n', 'é', '😀', ';'];
    for (let round = 0; round < 300; round += 1) {
      const rows: string[][] = [];
      const columns = 1 + Math.floor(random() * 4);
      const count = 1 + Math.floor(random() * 6);
      for (let r = 0; r < count; r += 1) {
        const row: string[] = [];
        for (let c = 0; c < columns; c += 1) {
          let value = '';
          const length = Math.floor(random() * 6);
          for (let i = 0; i < length; i += 1) value += alphabet[Math.floor(random() * alphabet.length)];
          row.push(value);
        }
        rows.push(row);
      }
      const eol = random() < 0.5 ? '\n' : '\r\n';
      // Quote what needs quoting, and sometimes what does not.
      const text = rows
        .map((row) => row.map((value) => (/[",\r\n]/.test(value) || random() < 0.2 || (columns === 1 && value === '') ? `"${value.replaceAll('"', '""')}"` : value)).join(','))
        .join(eol) + (random() < 0.5 ? eol : '');
      const expected = parse(text, { relax_column_count: true, info: true, record_delimiter: eol }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
      const ours = read(text, { step: 1 + Math.floor(random() * 9) });
      expect(ours.map((record) => record.fields)).toEqual(rows);
      expect(expected.map((entry) => entry.record)).toEqual(rows);
      // Start line of record n = lines spanned by the records before it + 1.
      let line = 1;
      ours.forEach((record, index) => {
        expect(record.line).toBe(line);
        line += rows[index]!.join('').split(/\r\n|\n/).length;
      });
    }
  });
});
