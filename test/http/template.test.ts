import { describe, expect, it } from 'vitest';
import { appendQuery, encodeQueryValue, expandTemplate, UnresolvedMacroError } from '../../src/template/macros.js';
import { presetPostbackTemplate } from '../../src/fire/preset-url.js';
import { toRequestTarget, splitUrl } from '../../src/http/client.js';
import { decimalToMicros } from '../../src/units/micros.js';
import { UsageError } from '../../src/errors.js';

describe('expandTemplate', () => {
  it('encodes every value exactly once for a URL', () => {
    const url = expandTemplate('https://t.example.com/pb?cid={click_id}&payout={payout}', { click_id: 'a+b/c=d e', payout: '1.50' });
    expect(url).toBe('https://t.example.com/pb?cid=a%2Bb%2Fc%3Dd%20e&payout=1.50');
  });

  it('does not re-encode a value that already holds a percent sign: it is data', () => {
    expect(expandTemplate('x?cid={click_id}', { click_id: 'ab%2B' })).toBe('x?cid=ab%252B');
  });

  it("encodes RFC 3986 reserved characters encodeURIComponent leaves alone", () => {
    expect(encodeQueryValue("it's (a)*!")).toBe('it%27s%20%28a%29%2A%21');
  });

  it('gives every character the same encoding with and without the fast path for unreserved-only values', () => {
    const slow = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
    for (let code = 0; code < 0x3000; code += 1) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCharCode(code);
      expect(encodeQueryValue(`ab${char}9`)).toBe(slow(`ab${char}9`));
      expect(encodeQueryValue(char)).toBe(slow(char));
    }
    expect(encodeQueryValue('')).toBe('');
    expect(encodeQueryValue('10000000abcdef0123456789abcd')).toBe('10000000abcdef0123456789abcd');
    expect(encodeQueryValue('1.25')).toBe('1.25');
  });

  it('encodes for JSON bodies and leaves raw macros alone', () => {
    expect(expandTemplate('{"id":"{click_id}"}', { click_id: 'a"b\\c' }, { encoding: 'json' })).toBe('{"id":"a\\"b\\\\c"}');
    expect(expandTemplate('{base}/pb?x={x}', { base: 'https://h/p q', x: 'p q' }, { raw: ['base'] })).toBe('https://h/p q/pb?x=p%20q');
  });

  it('names every unresolved macro and suggests {click_id} for a misspelling (exit 2)', () => {
    let error: unknown;
    try {
      expandTemplate('https://t/pb?cid={clickid}&x={other}', { click_id: 'a' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnresolvedMacroError);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UnresolvedMacroError).macros).toEqual(['clickid', 'other']);
    expect((error as Error).message).toContain('{clickid}, {other}');
    expect((error as UsageError).hint).toContain('{click_id}');
    expect((error as UsageError).exitCode).toBe(2);
  });

  it('treats an empty string as a value and leaves JSON braces alone', () => {
    expect(expandTemplate('{"a":{"b":"{x}"}}', { x: '' }, { encoding: 'json' })).toBe('{"a":{"b":""}}');
  });

  it('appends params encoded once, before a fragment', () => {
    expect(appendQuery('https://h/c?a=1', [['sub 1', 'x&y']])).toBe('https://h/c?a=1&sub%201=x%26y');
    expect(appendQuery('https://h/c', [['a', 'b']])).toBe('https://h/c?a=b');
    expect(appendQuery('https://h/c?#f', [['a', 'b']])).toBe('https://h/c?a=b#f');
  });
});

describe('request targets', () => {
  it('keeps the query byte for byte, encoding only what HTTP cannot carry', () => {
    expect(toRequestTarget('/pb?cid=a%2Bb&x=1+2')).toBe('/pb?cid=a%2Bb&x=1+2');
    expect(toRequestTarget('/pb?x=a b"é')).toBe('/pb?x=a%20b%22%C3%A9');
    expect(toRequestTarget('/pb?x=100%')).toBe('/pb?x=100%25');
    expect(splitUrl('HTTP://Example.COM:8080?a=1#frag')).toEqual({ origin: 'http://example.com:8080', target: '/?a=1' });
  });
});

describe('preset templates', () => {
  it('fills {base} with its path and drops optional params nobody supplied', () => {
    const template = presetPostbackTemplate('keitaro', 'https://t.example.com/abc123/', new Set(['click_id', 'payout']));
    expect(template).toBe('https://t.example.com/abc123/postback?subid={click_id}&payout={payout}');
  });

  it('keeps required params so their missing macros still fail', () => {
    const template = presetPostbackTemplate('everflow', 'https://e.example.com', new Set(['click_id']));
    expect(template).toBe('https://e.example.com/?nid={nid}&transaction_id={click_id}');
    expect(() => presetPostbackTemplate('tune', 'not a url', new Set())).toThrow(/--base/);
  });
});

describe('decimalToMicros', () => {
  it('is exact and refuses what is not a decimal', () => {
    expect(decimalToMicros('1.50')).toBe(1_500_000);
    expect(decimalToMicros('0.000001')).toBe(1);
    expect(decimalToMicros('12')).toBe(12_000_000);
    expect(decimalToMicros('0.1')).toBe(100_000);
    expect(decimalToMicros('1,50')).toBeUndefined();
    expect(decimalToMicros('$1')).toBeUndefined();
    expect(decimalToMicros('0.0000001')).toBeUndefined();
  });
});
