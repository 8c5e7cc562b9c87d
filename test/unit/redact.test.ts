import { describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_NAMES, REDACTED, Redactor, redactingStream, secretVariants } from '../../src/text/redact.js';
import { escapeControls, toJson } from '../../src/text/sanitize.js';

/** PHP's json_encode: `/` as `\/`, non-ASCII as \uXXXX. */
const phpJson = (value: unknown) => JSON.stringify(value).replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

describe('one redactor: every encoding of a secret value (item 3)', () => {
  const secret = 'Ab+c/d=e f~!*é';
  const redactor = new Redactor();
  redactor.addValue(secret);
  const once = encodeURIComponent(secret);
  const spellings: Array<[string, string]> = [
    ['raw', secret],
    ['URL-encoded, upper hex', once],
    ['URL-encoded, lower hex', once.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
    ['URL-encoded twice', encodeURIComponent(once)],
    ['URL-encoded twice, lower hex', encodeURIComponent(once).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
    ['form-encoded (URLSearchParams)', new URLSearchParams({ x: secret }).toString().slice(2)],
    ['form-encoded twice', new URLSearchParams({ u: `?x=${new URLSearchParams({ x: secret }).toString().slice(2)}` }).toString().slice(2)],
    ['PHP urlencode', encodeURIComponent(secret).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+')],
    ['JSON', JSON.stringify(secret).slice(1, -1)],
    ['PHP JSON (\\/ and \\u)', phpJson(secret).slice(1, -1)],
    ['a raw + read as a space by a form decoder', secret.replace(/\+/g, ' ')],
  ];
  it.each(spellings)('%s', (_label, spelling) => {
    const echoed = `{"echo":"before ${spelling} after"}`;
    const out = redactor.body(echoed);
    expect(out).not.toContain(spelling);
    expect(out).toContain(REDACTED);
    expect(out).toContain('before ');
  });
  it('every variant is a distinct spelling of the value', () => {
    expect(secretVariants('a/b').sort()).toEqual(expect.arrayContaining(['a/b', 'a%2Fb', 'a%252Fb', 'a\\/b']));
  });
  it('catches a redirect carrying the request URL encoded twice', () => {
    const r = new Redactor();
    r.learnUrl('https://t.example/click?token=s3cr%2Bt%2Fv%3D&cid=1');
    const request = 'https://t.example/click?token=s3cr%2Bt%2Fv%3D&cid=1';
    const location = `https://land.example/?back=${encodeURIComponent(encodeURIComponent(request))}`;
    const out = r.url(location);
    expect(out).not.toMatch(/s3cr/);
  });
});

describe('a secret value ending in a backslash, in JSON', () => {
  it('keeps the escape it would have cut, so the document still parses; the value itself is still redacted', () => {
    const random = (() => {
      let x = 7;
      return () => ((x = (x * 1103515245 + 12345) >>> 0) % 1000) / 1000;
    })();
    const pieces = ['abc', '\\', '"', 'd', '\n', 'é', '/', ' '];
    for (let round = 0; round < 500; round += 1) {
      const secret = `${['abc', 'tok', 'x1'][round % 3]}${'\\'.repeat(1 + (round % 3))}`;
      const redactor = new Redactor();
      redactor.addValue(secret);
      // Text around the secret's spelling: its prefix followed by a character JSON escapes, the secret itself, noise.
      let text = '';
      for (let i = 0; i < 6; i += 1) text += random() < 0.3 ? secret : random() < 0.5 ? `${secret.replace(/\\+$/, '')}${pieces[Math.floor(random() * pieces.length)]}` : pieces[Math.floor(random() * pieces.length)];
      const document = JSON.stringify({ value: text, url: `https://t.example/p?x=${encodeURIComponent(text)}` });
      const out = redactor.text(document);
      const parsed = JSON.parse(out) as { value: string; url: string };
      expect(parsed.value).not.toContain(secret);
      expect(out).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
  });

  it('a secret that starts right after an escape (nabc1 over the JSON of a newline and abc1) leaves the escape whole', () => {
    const redactor = new Redactor();
    redactor.addValue('nabc1');
    for (const value of ['x\nabc1', 'x\tnabc1 and nabc1', 'q"nabc1', 'back\\nabc1']) {
      const out = redactor.text(JSON.stringify({ k: value }));
      const parsed = JSON.parse(out) as { k: string };
      expect(parsed.k).not.toContain('abc1');
    }
    // Outside JSON the value is redacted the same way.
    expect(redactor.text('C:\\nabc1')).not.toContain('abc1');
  });

  it('the case that broke: the secret abc\\ over the text abc"def', () => {
    const redactor = new Redactor();
    redactor.addValue('abc\\');
    const out = redactor.text(JSON.stringify({ k: 'abc"def', s: 'abc\\' }));
    expect(JSON.parse(out)).toEqual({ k: `${REDACTED}"def`, s: REDACTED });
  });
});

describe('secret parameters at any length (item 5)', () => {
  const redactor = new Redactor();
  it('redacts a short value where it is a secret parameter, plain or inside an encoded URL', () => {
    expect(redactor.text('echo: token=Zq9&cid=1')).toBe(`echo: token=${REDACTED}&cid=1`);
    expect(redactor.text(`next=${encodeURIComponent('https://t/x?token=Zq9&cid=1')}`)).toBe(`next=${encodeURIComponent('https://t/x?token=')}${REDACTED}${encodeURIComponent('&cid=1')}`);
    expect(redactor.text(`next=${encodeURIComponent(encodeURIComponent('https://t/x?token=Zq9&cid=1'))}`)).not.toContain('Zq9');
    expect(redactor.body('{"token":"Zq9","cid":"1"}')).toBe(`{"token":"${REDACTED}","cid":"1"}`);
    expect(redactor.body('Authorization: Bearer x\nAccept: */*')).toBe(`Authorization: ${REDACTED}\nAccept: */*`);
  });
  it('leaves names that only end like a secret name alone', () => {
    expect(redactor.text('monkey=banana&offer_key_id=5')).toBe('monkey=banana&offer_key_id=5');
  });
  it('short values are not redacted as free text (they would eat ordinary words)', () => {
    const r = new Redactor();
    r.addValue('Zq9');
    expect(r.text('Zq9 appears')).toBe('Zq9 appears');
  });
});

describe('default secret names (item 6)', () => {
  it.each(['access_token', 'client_secret', 'signature', 'sig', 'hmac', 'Cookie', 'Set-Cookie', 'Proxy-Authorization', 'X-Auth-Token'])('%s', (name) => {
    expect(DEFAULT_SECRET_NAMES.map((n) => n.toLowerCase())).toContain(name.toLowerCase());
    const redactor = new Redactor();
    expect(redactor.header(name, 'v')).toBe(REDACTED);
    expect(redactor.url(`https://t/p?${name}=v1&x=2`)).toBe(`https://t/p?${name}=${REDACTED}&x=2`);
  });
});

describe('learning values', () => {
  it('learns header values with and without their scheme, and Basic credentials decoded', () => {
    const r = new Redactor();
    r.learnHeaders({ authorization: `Basic ${Buffer.from('user:pa55word').toString('base64')}`, 'x-api-key': 'k3yk3y' });
    expect(r.text('pa55word and k3yk3y')).toBe(`${REDACTED} and ${REDACTED}`);
  });
  it('learns body fields (JSON at any depth, form)', () => {
    const r = new Redactor(['pin']);
    r.learnBody('{"a":{"pin":"998877"}}');
    r.learnBody('signature=abcdef12&x=1');
    expect(r.text('998877 abcdef12')).toBe(`${REDACTED} ${REDACTED}`);
  });
  it('redacts a request body by key at any depth', () => {
    expect(new Redactor().requestBody('{"a":{"hmac":"x"},"b":1}')).toBe(`{"a":{"hmac":"${REDACTED}"},"b":1}`);
  });
  it('a redacting stream passes every write through the redactor', () => {
    const r = new Redactor();
    r.addValue('hunter22');
    const chunks: string[] = [];
    const stream = redactingStream({ write: (chunk: string) => chunks.push(chunk), isTTY: true }, r);
    stream.write('pw hunter22\n');
    expect(chunks).toEqual([`pw ${REDACTED}\n`]);
    expect(stream.isTTY).toBe(true);
  });
});

describe('machine formats escape C0/C1 controls (item 8)', () => {
  it('JSON: DEL, C1 (8-bit CSI) and line separators are \\u escapes, and parse back the same', () => {
    const value = { s: 'a\u009b31mb\u007f\u0085\u2028\u0007' };
    const text = toJson(value);
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028]/);
    expect(text).toContain('\\u009b');
    expect(JSON.parse(text)).toEqual(value);
  });
  it('text formats (JUnit): controls become visible \\uXXXX text', () => {
    expect(escapeControls('a\u009b2Jb\u001b]0;x\u0007\tc\n')).toBe('a\\u009b2Jb\\u001b]0;x\\u0007\tc\n');
  });
});

describe('url(): the query scanned without splitting it', () => {
  // The way url() found secret parameters before (split on &, each pair decoded and looked up).
  function reference(redactor: Redactor, url: string): string {
    const queryStart = url.indexOf('?');
    let out = url;
    if (queryStart >= 0) {
      const hashStart = url.indexOf('#', queryStart);
      const pairs = url.slice(queryStart + 1, hashStart >= 0 ? hashStart : undefined).split('&');
      let changed = false;
      for (let i = 0; i < pairs.length; i += 1) {
        const pair = pairs[i]!;
        const eq = pair.indexOf('=');
        if (eq < 0 || pair.length === eq + 1) continue;
        const rawName = pair.slice(0, eq);
        let name = rawName;
        if (rawName.includes('%') || rawName.includes('+')) {
          try {
            name = decodeURIComponent(rawName.replace(/\+/g, ' '));
          } catch {
            name = rawName;
          }
        }
        if (redactor.isSecretName(name)) {
          pairs[i] = `${rawName}=${REDACTED}`;
          changed = true;
        }
      }
      if (changed) out = url.slice(0, queryStart + 1) + pairs.join('&') + (hashStart >= 0 ? url.slice(hashStart) : '');
    }
    if (out.includes('@')) out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s?#]+)@/i, (_m, scheme: string) => `${scheme}${REDACTED}@`);
    return redactor.text(out);
  }

  it('redacts exactly as splitting the query did, on 5,000 random URLs (names encoded, empty values, = in values, fragments)', () => {
    const redactor = new Redactor(['my_secret']);
    let state = 7;
    const next = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const atoms = ['token', 'TOKEN', 'to%6Ben', 'api+key', 'api_key', 'my_secret', 'offer_id', 'x', '', '=', '==', '&', '&&', '#', '?', 'v1', 'a%ZZ', '%', '+', 'sig', 'keyx'];
    for (let round = 0; round < 5000; round += 1) {
      let url = next() < 0.9 ? 'https://user:pw@t.example/pb?' : 'https://t.example/pb';
      const n = Math.floor(next() * 12);
      for (let i = 0; i < n; i += 1) url += atoms[Math.floor(next() * atoms.length)]!;
      expect(redactor.url(url), url).toBe(reference(redactor, url));
    }
    // A name learnt later counts at once (the remembered names start over).
    expect(redactor.url('https://t/pb?later=abc&x=1')).toBe('https://t/pb?later=abc&x=1');
    redactor.addName('later');
    expect(redactor.url('https://t/pb?later=abc&x=1')).toBe(`https://t/pb?later=${REDACTED}&x=1`);
  });
});
