import { describe, expect, it } from 'vitest';
import { lintClickId, lintTemplate, type LintFinding } from '../../src/template/lint.js';

const codes = (findings: LintFinding[]) => findings.map((f) => `${f.severity}:${f.code}:${f.param ?? '-'}`);

describe('lintTemplate', () => {
  it('accepts a clean https template with tpb macros', () => {
    expect(lintTemplate('https://t.example.com/postback?cid={click_id}&payout={payout}&txid={txid}')).toEqual([]);
  });

  it('reports foreign and unknown macros as errors, each with its parameter and a fix', () => {
    const findings = lintTemplate('https://t.example.com/pb?a={clickid}&b=#s2#&c=[[subid]]&d={{click_id}}&e=%7Bpayout%7D&f=REPLACE&g=${tid}');
    expect(codes(findings)).toEqual([
      'error:unresolved-macro:a',
      'error:foreign-macro:d',
      'error:foreign-macro:c',
      'error:foreign-macro:b',
      'error:foreign-macro:e',
      'error:foreign-macro:g',
      'error:placeholder-value:f',
    ]);
    expect(findings[0]!.fix).toBe('write {click_id}');
    expect(findings.every((f) => f.message.length > 0 && f.fix.length > 0)).toBe(true);
  });

  it('knows --var names and a preset\'s required params and id format', () => {
    expect(codes(lintTemplate('https://e.example.com/?nid={nid}&transaction_id={click_id}', { preset: 'everflow', knownMacros: ['click_id', 'nid'] }))).toEqual([]);
    expect(codes(lintTemplate('https://e.example.com/?transaction_id={click_id}', { preset: 'everflow' }))).toEqual(['error:required-missing:nid']);
    expect(codes(lintTemplate('https://e.example.com/?nid=5&transaction_id=abc', { preset: 'everflow' }))).toEqual(['error:click-id-format:transaction_id']);
    expect(codes(lintTemplate('https://t.example.com/aff_lsr?transaction_id=', { preset: 'tune' }))).toEqual(['error:required-empty:transaction_id']);
    expect(codes(lintTemplate('https://t.example.com/aff_lsr?transaction_id={click_id}', { preset: 'tune', method: 'POST' }))).toEqual(['warning:method:-']);
  });

  it('warns about http, empty, repeated and unencoded parameters, fragments and + signs', () => {
    const findings = lintTemplate('http://t.example.com/pb?cid={click_id}&a=&cid={click_id}&n=hello world&p=1+1&q=100%&z=1#top');
    expect(codes(findings)).toEqual([
      'warning:plain-http:-',
      'warning:fragment:z',
      'warning:empty-value:a',
      'warning:unencoded:n',
      'warning:plus-sign:p',
      'warning:bad-escape:q',
      'warning:repeated:cid',
    ]);
    expect(codes(lintTemplate('http://127.0.0.1:8080/pb?cid={click_id}'))).toEqual([]);
    expect(codes(lintTemplate('https://t.example.com/pb?x=1'))).toEqual(['warning:no-click-id:-']);
  });

  it('catches documentation placeholders and non-http URLs', () => {
    expect(codes(lintTemplate('https://<domain>/postback?cid={click_id}'))).toEqual(['error:placeholder:-']);
    expect(codes(lintTemplate('t.example.com/pb?cid={click_id}'))).toEqual(['error:not-http:-']);
  });
});

describe('lintClickId', () => {
  it('flags literal macros, empty ids and enforced formats', () => {
    expect(codes(lintClickId('{transaction_id}', 'tune'))).toEqual(['error:literal-macro-click-id:transaction_id']);
    expect(codes(lintClickId('#s2#', undefined))).toEqual(['error:literal-macro-click-id:click_id']);
    expect(codes(lintClickId('', 'voluum'))).toEqual(['error:empty-click-id:cid']);
    expect(codes(lintClickId('5f8d0d55b54764421b7156c3', 'affise'))).toEqual([]);
    expect(codes(lintClickId('5f8d0d55', 'affise'))).toEqual(['error:click-id-format:clickid']);
    expect(codes(lintClickId('short', 'voluum'))).toEqual(['warning:click-id-format:cid']);
    expect(codes(lintClickId('123.9', 'prosper202'))).toEqual(['error:click-id-format:subid']);
  });
});

describe('lint wording', () => {
  it('says what a URL-encoded macro is in one readable sentence, and "an" before a vowel', () => {
    const [encoded] = lintTemplate('https://t.example.com/pb?cid=%7Bclickid%7D').filter((f) => f.code === 'foreign-macro');
    expect(encoded!.message).toBe('%7Bclickid%7D is a macro that was URL-encoded before being expanded ({x} written as %7Bx%7D); tpb does not expand it, so it would be sent literally');
    const [prosper] = lintTemplate('https://t.example.com/pb?cid=[[subid]]').filter((f) => f.code === 'foreign-macro');
    expect(prosper!.message).toBe('[[subid]] is Prosper202 macro syntax ([[x]]); tpb does not expand it, so it would be sent literally');
    const fixes = [...lintClickId('x', 'everflow'), ...lintClickId('x', 'affise'), ...lintClickId('x', 'tune')].map((f) => f.fix).join('\n');
    expect(fixes).toContain('captured from an Everflow click');
    expect(fixes).toContain('captured from an Affise click');
    expect(fixes).toContain('captured from a TUNE (HasOffers) click');
    expect(fixes).not.toMatch(/\ba [AEIOU]/);
  });
});

describe('lint inside fire', () => {
  it('does not warn that nothing carries the click id when the body carries it', async () => {
    const { lintFireRun } = await import('../../src/fire/run.js');
    const template = 'http://127.0.0.1:1/p';
    const inUrlOnly = lintFireRun({ template, clickIds: ['a'] }, template);
    expect(inUrlOnly.map((item) => item.code)).toContain('no-click-id');
    const inBody = lintFireRun({ template, clickIds: ['a'], data: '{"cid":"{click_id}"}' }, template);
    expect(inBody.map((item) => item.code)).not.toContain('no-click-id');
  });
});
