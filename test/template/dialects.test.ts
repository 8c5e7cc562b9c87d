import { describe, expect, it } from 'vitest';
import { DIALECT_IDS, DIALECTS, findDialect } from '../../src/template/dialects/index.js';
import { detectDialect, didYouMean, lookupMacro, tokenize } from '../../src/template/dialect.js';
import { analyzePostback, type LintFinding } from '../../src/template/lint.js';
import { planSender, playSender } from '../../src/fire/sender.js';
import { firePostbacks } from '../../src/fire/run.js';
import { UsageError } from '../../src/errors.js';

const codes = (findings: readonly LintFinding[]) => findings.map((f) => `${f.severity}:${f.code}:${f.param ?? '-'}`);
const errors = (findings: readonly LintFinding[]) => findings.filter((f) => f.severity === 'error');

describe('dialect data files', () => {
  it('every dialect cites its sources, and every entry points at one of them', () => {
    expect(DIALECTS.length).toBeGreaterThanOrEqual(18);
    expect(DIALECTS.map((d) => d.id)).toEqual([...DIALECT_IDS]);
    for (const dialect of DIALECTS) {
      expect(dialect.sources.length, dialect.id).toBeGreaterThan(0);
      for (const entry of [...dialect.macros, ...dialect.families]) expect(dialect.sources[entry.source], `${dialect.id}: ${JSON.stringify(entry)}`).toBeDefined();
      for (const name of [...dialect.clickIdMacros, ...dialect.payoutMacros]) expect(lookupMacro(dialect, dialect.syntax, name), `${dialect.id}: ${name}`).toBeDefined();
    }
    expect(findDialect('hasoffers')?.id).toBe('tune');
    expect(findDialect('Keitaro')?.id).toBe('keitaro');
  });

  it('reads every syntax, and knows which parameter or host holds each token', () => {
    const tokens = tokenize('https://{domain}/pb?a={x}&b=#s2#&c=[[subid]]&d=(clickid)&e={{y}}&f=${z}&g=%7Bw%7D&h=[your_id]&i={}');
    expect(tokens.map((t) => [t.syntax, t.name, t.param, t.inHost])).toEqual([
      ['brace', 'domain', null, true],
      ['brace', 'x', 'a', false],
      ['hash', 's2', 'b', false],
      ['double-bracket', 'subid', 'c', false],
      ['paren', 'clickid', 'd', false],
      ['mustache', 'y', 'e', false],
      ['dollar', 'z', 'f', false],
      ['encoded', 'w', 'g', false],
      ['bracket', 'your_id', 'h', false],
      ['brace', '', 'i', false],
    ]);
    // A #fragment is not a macro; "(x)" inside text is not one either.
    expect(tokenize('https://t.example.com/pb?n=a(b)c#top')).toEqual([]);
  });

  it('detects the dialect, says how sure, and breaks ties by the click id and exact spelling', () => {
    const keitaro = detectDialect(tokenize('https://postback.propellerads.com/?aid=1&tid=2&visitor_id={external_id}&payout={revenue}&status={status}'));
    expect(keitaro.dialect?.id).toBe('keitaro');
    expect([keitaro.known, keitaro.total]).toEqual([3, 3]);
    expect(detectDialect(tokenize('https://t.example.com/?subid=#s2#&payout=#price#')).dialect?.id).toBe('cake');
    expect(detectDialect(tokenize('https://t.example.com/gpb.php?subid=[[subid]]')).dialect?.id).toBe('prosper202');
    expect(detectDialect(tokenize('https://a.mgid.com/postback?c={externalid}&e={cnv_status}&r={payout}')).dialect?.id).toBe('binom');
    expect(detectDialect(tokenize('https://x.example.com/?subid_short={externalId}&atpay={payout}')).dialect?.id).toBe('bemob');
    expect(detectDialect(tokenize('https://t.example.com/pb?x=1')).dialect).toBeNull();
  });

  it('suggests the closest macro of the same dictionary', () => {
    expect(didYouMean(findDialect('keitaro')!, 'externa_id')).toBe('external_id');
    expect(didYouMean(findDialect('binom')!, 'cnv_stauts')).toBe('cnv_status');
    expect(didYouMean(findDialect('keitaro')!, 'completely_else')).toBeUndefined();
  });
});

describe('lint --sender', () => {
  it('knows the sender\'s macros, and names a misspelt one with a did-you-mean', () => {
    expect(errors(analyzePostback('https://postback.propellerads.com/?visitor_id={external_id}&payout={revenue}', { sender: 'keitaro' }).findings)).toEqual([]);
    const typo = analyzePostback('https://postback.propellerads.com/?visitor_id={externa_id}', { sender: 'keitaro' }).findings;
    expect(codes(typo)).toContain('error:unknown-macro:visitor_id');
    expect(typo.find((f) => f.code === 'unknown-macro')!.fix).toBe('write {external_id}');
  });

  it("calls another platform's macro by its platform and gives the sender's own", () => {
    const findings = analyzePostback('https://t.example.com/k/postback?subid=#s2#&payout=#price#', { sender: 'keitaro' }).findings;
    const s2 = findings.find((f) => f.param === 'subid')!;
    expect(s2.code).toBe('foreign-macro');
    expect(s2.message).toContain('#s2# is CAKE syntax');
    expect(s2.fix).toBe('Keitaro fills {sub_id_2}');
    expect(findings.find((f) => f.param === 'payout')!.fix).toBe('Keitaro fills {revenue}');
    const binomStatus = analyzePostback('https://kdtrk.net/ru/postback/?data={externalid}&status={status}', { sender: 'binom' }).findings;
    expect(binomStatus.find((f) => f.param === 'status')).toMatchObject({ code: 'unknown-macro', fix: 'Binom fills {cnv_status}' });
  });

  it('without --sender: detects the dialect; a mixed URL is an error only where no dictionary knows the macro', () => {
    const detected = analyzePostback('https://postback.propellerads.com/?visitor_id={external_id}&payout={revenue}', { sender: 'auto' });
    expect(detected.dialect).toMatchObject({ id: 'keitaro', chosen: 'detected' });
    expect(detected.dialect!.detection).toMatch(/^Keitaro: 2 of 2 macros/);
    expect(errors(detected.findings)).toEqual([]);
    const mixed = analyzePostback('https://t.example.com/pb?subid={external_id}&s=#s2#&x={no_platform_fills_this}', { sender: 'auto' });
    expect(mixed.dialect?.id).toBe('cake'); // #s2# is CAKE's alone; {external_id} is shared by three trackers
    expect(codes(mixed.findings)).toEqual(expect.arrayContaining(['warning:mixed-dialect:subid', 'error:unknown-macro:x']));
    expect(errors(mixed.findings)).toHaveLength(1);
    // tpb's own macros keep today's behaviour, whichever way lint is asked.
    const own = 'https://t.example.com/postback?cid={click_id}&payout={payout}';
    expect(analyzePostback(own, { sender: 'auto' }).findings).toEqual(analyzePostback(own).findings);
    expect(analyzePostback(own, { sender: 'auto' }).dialect?.id).toBe('tpb');
  });

  it("with a receiver, says whether the sender's click-id macro lands in the receiver's click-id parameter", () => {
    const lands = analyzePostback('https://v.example.com/postback?cid={external_id}&payout={revenue}', { sender: 'keitaro', preset: 'voluum' });
    expect(lands.clickId).toMatchObject({ macros: ['{external_id}'], params: ['cid'], receiverParam: 'cid', lands: true });
    expect(errors(lands.findings)).toEqual([]);
    const wrong = analyzePostback('https://v.example.com/postback?cid={revenue}&clickid={external_id}', { sender: 'keitaro', preset: 'voluum' });
    expect(wrong.clickId.lands).toBe(false);
    expect(wrong.findings.find((f) => f.code === 'click-id-param')).toMatchObject({ param: 'cid', fix: 'put the sender\'s click-id macro in cid: cid={external_id}' });
    const missing = analyzePostback('https://v.example.com/postback?clickid={external_id}', { sender: 'keitaro', preset: 'voluum' });
    expect(codes(missing.findings)).toContain('error:required-missing:cid');
    // An echoed sub id in the receiver's parameter is the click id: CAKE's #s2# into Keitaro's subid.
    expect(analyzePostback('https://k.example.com/key/postback?subid=#s2#', { sender: 'cake', preset: 'keitaro' }).clickId.lands).toBe(true);
  });
});

describe('lint: damage from copying', () => {
  const lint = (url: string) => codes(analyzePostback(url, { sender: 'auto' }).findings);
  it('documentation placeholders', () => {
    expect(lint('https://t.example.com/postback?cid=REPLACE&payout=OPTIONAL')).toEqual(expect.arrayContaining(['error:placeholder-value:cid', 'error:placeholder-value:payout']));
    expect(lint('https://t.example.com/postback?cid={externalid}&token=XXXXXX')).toContain('error:placeholder-value:token');
    expect(lint('https://[your_domain]/postback?cid={externalid}')).toContain('error:placeholder:-');
    expect(lint('https://t.example.com/postback?aid={AID-FROM-DASHBOARD}&cid={externalid}')).toContain('error:placeholder:aid');
    expect(lint('https://<domain>/postback?cid={externalid}')).toContain('error:placeholder:-');
    expect(lint('http://xxxxx.bemobtrcks.com/postback?cid={externalId}')).toContain('warning:placeholder-host:-');
  });
  it('HTML-entity damage, and the parameter it ate', () => {
    const findings = analyzePostback('https://t.example.com/postback?cid={externalid}¤cy=USD¶m1=x', { sender: 'auto' }).findings;
    expect(findings.filter((f) => f.code === 'html-entity').map((f) => [f.param, f.fix])).toEqual([
      ['currency', 'write &currency'],
      ['param1', 'write &param1'],
    ]);
    expect(lint('https://t.example.com/postback?cid={externalid}&amp;payout={payout}')).toContain('error:html-entity:payout');
  });
  it('spaces and line breaks, a missing ?, a second ?, no scheme', () => {
    expect(lint('https://t.example.com/postback?cid={externalid}&\npayout={payout}')).toContain('error:whitespace:-');
    expect(lint('https://t.example.com/postback?cid = {externalid}')).toContain('error:whitespace:-');
    expect(lint('https://t.example.com/postback&cid={externalid}')).toContain('error:missing-question-mark:-');
    expect(lint('https://t.example.com/pb/?click.php?cnv_id={externalid}')).toContain('error:double-question-mark:-');
    expect(lint('t.example.com/postback?cid={externalid}')).toContain('error:not-http:-');
  });
  it('no click id at all, and one parameter twice with different macros', () => {
    expect(lint('https://t.example.com/postback?payout={revenue}&status={status}')).toContain('warning:no-click-id:-');
    expect(lint('https://t.example.com/postback?cid={externalid}&cid={clickid}')).toContain('error:repeated-different:cid');
  });
});

describe('fire --as', () => {
  it('plans each macro: click ids, value flags, generated values, --var under its own name', () => {
    const plan = planSender('https://t.example.com/pb?visitor_id={external_id}&p={revenue}&s={sub_id_2}&t={date:Y-m-d}', 'keitaro');
    expect(plan.macros.map((m) => [m.token.raw, m.fill])).toEqual([
      ['{external_id}', 'click_id'],
      ['{revenue}', 'payout'],
      ['{sub_id_2}', 'var'],
      ['{date:Y-m-d}', 'var'],
    ]);
  });

  it('fills them, encoding each value once; a macro without a value is exit 2 naming it and its meaning', () => {
    const played = playSender('https://t.example.com/pb?visitor_id={external_id}&p={revenue}&s={sub_id_2}', 'keitaro', { clickIds: ['a+b/c'], values: { payout: '1.5' }, vars: [['sub_id_2', 'x y']] });
    expect(played.template).toBe('https://t.example.com/pb?visitor_id={click_id}&p={payout}&s={__tpb_as_1}');
    expect(played.fills.map((f) => [f.macro, f.filledBy])).toEqual([
      ['{external_id}', '--click-id'],
      ['{revenue}', '--payout'],
      ['{sub_id_2}', '--var sub_id_2'],
    ]);
    expect(() => playSender('https://t.example.com/pb?visitor_id={external_id}&p={revenue}', 'keitaro', { clickIds: ['a'], values: {}, vars: [] })).toThrow(UsageError);
    try {
      playSender('https://t.example.com/pb?visitor_id={external_id}&p={revenue}&s={sub_id_2}', 'keitaro', { clickIds: ['a'], values: {}, vars: [] });
    } catch (error) {
      expect((error as UsageError).message).toBe('2 macros have no value: {revenue} (Keitaro: conversion revenue), {sub_id_2} (Keitaro: sub id 2 of the click (sub_id_1…))');
      expect((error as UsageError).hint).toContain('--payout … --var sub_id_2=…');
    }
  });

  it('dry run: the resolved URL and what filled each macro; placeholders filled by their parameter', async () => {
    const result = await firePostbacks({ template: 'https://v.example.com/postback?cid=REPLACE&payout=OPTIONAL&txid=OPTIONAL', as: 'auto', preset: 'voluum', clickIds: ['c384EFV6JHQODRN70575OK6UG5'], payout: '2.5', dryRun: true });
    expect(result.resolved[0]!.url).toBe('https://v.example.com/postback?cid=c384EFV6JHQODRN70575OK6UG5&payout=2.5');
    expect(result.sender!.fills.map((f) => [f.macro, f.filledBy])).toEqual([
      ['cid=REPLACE', '--click-id'],
      ['payout=OPTIONAL', '--payout'],
      ['txid=OPTIONAL', 'dropped (optional, no value given)'],
    ]);
    expect(result.lint.map((f) => f.severity)).not.toContain('error');
    const cake = await firePostbacks({ template: 'https://k.example.com/key/postback?subid=#s2#&payout=#price#', as: 'cake', preset: 'keitaro', clickIds: ['1dad2cg1br22spja1'], payout: '3', dryRun: true });
    expect(cake.resolved[0]!.url).toMatch(/\/postback\?subid=1dad2cg1br22spja1&payout=3$/);
  });
});
