import { describe, expect, it } from 'vitest';
import { excerpt, sanitizeForDisplay } from '../../src/text/sanitize.js';
import { REDACTED, Redactor } from '../../src/text/redact.js';
import { neutralizeFormula, toCsv } from '../../src/csv/write.js';

describe('sanitizeForDisplay', () => {
  it('strips CSI, OSC and control characters', () => {
    expect(sanitizeForDisplay('a\u001b[31mred\u001b[0m b')).toBe('ared b');
    expect(sanitizeForDisplay('\u001b]0;pwned\u0007title')).toBe('title');
    expect(sanitizeForDisplay('bell\u0007 nul\u0000 del\u007f c1\u009b')).toBe('bell nul del c1');
  });
  it('folds newlines unless asked to keep them', () => {
    expect(sanitizeForDisplay('a\nb\tc')).toBe('a b c');
    expect(sanitizeForDisplay('a\nb', { keepNewlines: true })).toBe('a\nb');
  });
  it('cuts long text and says how much was cut', () => {
    expect(excerpt('x'.repeat(30), 10)).toBe(`${'x'.repeat(10)}… (20 more characters)`);
  });
});

describe('Redactor', () => {
  const redactor = new Redactor(['sig']);
  it('redacts default and named secret parameters, keeps the rest', () => {
    expect(redactor.url('https://t.example/pb?cid=abc&token=s3cr3t&sig=zz&payout=1')).toBe(
      `https://t.example/pb?cid=abc&token=${REDACTED}&sig=${REDACTED}&payout=1`,
    );
    expect(redactor.url('https://t.example/aff_lsr?Security_Token=x')).toContain(`Security_Token=${REDACTED}`);
  });
  it('redacts userinfo and literal secret values', () => {
    const withValue = new Redactor();
    withValue.addValue('hunter22');
    expect(withValue.url('https://user:pw@t.example/p?x=hunter22')).toBe(`https://${REDACTED}@t.example/p?x=${REDACTED}`);
    expect(withValue.text('body mentions hunter22')).toBe(`body mentions ${REDACTED}`);
  });
  it('redacts secret headers', () => {
    expect(redactor.headers({ Authorization: 'Bearer x', Accept: 'text/plain' })).toEqual({ Authorization: REDACTED, Accept: 'text/plain' });
  });
});

describe('CSV formula neutralisation', () => {
  it.each([
    ['=HYPERLINK("http://evil")', `'=HYPERLINK("http://evil")`],
    ['+1+1', `'+1+1`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['-2+3', `'-2+3`],
    ['-12.50', '-12.50'],
    ['abc', 'abc'],
  ])('%s', (input, output) => expect(neutralizeFormula(input)).toBe(output));

  it('quotes a bare CR so no reader splits the row and lets a formula through', () => {
    expect(toCsv(['a', 'b'], [{ a: '\r=2', b: 'x' }])).toBe(`a,b\n"'\r=2",x\n`);
  });

  it('quotes embedded delimiters and neutralises every cell', () => {
    expect(toCsv(['a', 'b'], [{ a: 'x,y', b: '=1' }])).toBe(`a,b\n"x,y",'=1\n`);
  });
});
