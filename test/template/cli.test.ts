import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { scriptedServer } from '../http/server.js';

describe('tpb lint / fire with URLs exactly as copied (built binary)', () => {
  it('lint detects the dialect, lists each macro with -v, and keeps --preset as an alias of --receiver', async () => {
    const cwd = tempDir();
    const url = 'https://postback.propellerads.com/?aid=1&tid=2&visitor_id={external_id}&payout={revenue}';
    const plain = await runBin(['lint', url], { cwd });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('dialect: reads as Keitaro: 2 of 2 macros');
    const verbose = await runBin(['lint', url, '-v'], { cwd });
    expect(verbose.stdout).toContain("{external_id} in visitor_id  keitaro: the traffic source's click id");
    const json = await runBin(['lint', 'https://v.example.com/postback?cid={external_id}', '--sender', 'keitaro', '--receiver', 'voluum', '--json'], { cwd });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { sender: { id: string }; click_id: { lands: boolean }; macros: Array<{ macro: string; role: string }> };
    expect(doc.sender.id).toBe('keitaro');
    expect(doc.click_id.lands).toBe(true);
    expect(doc.macros).toEqual([expect.objectContaining({ macro: '{external_id}', role: 'click_id' })]);
    const alias = await runBin(['lint', 'https://v.example.com/postback?clickid={external_id}', '--sender', 'keitaro', '--preset', 'voluum'], { cwd });
    expect(alias.code).toBe(1);
    expect(alias.stdout).toContain('Voluum requires cid');
    const typo = await runBin(['lint', 'https://t.example.com/pb?visitor_id={externa_id}', '--sender', 'keitaro'], { cwd });
    expect(typo.code).toBe(1);
    expect(typo.stdout).toContain('fix: write {external_id}');
    const badSender = await runBin(['lint', url, '--sender', 'nosuch'], { cwd });
    expect(badSender.code).toBe(2);
  });

  it('fire --as sends the URL as that platform fills it to a real local receiver', async () => {
    const server = await scriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('OK');
    });
    const cwd = tempDir();
    const url = `${server.url}/k3y/postback?subid=#s2#&payout=#price#&tid=#tid#`;
    const fired = await runBin(['fire', url, '--as', 'cake', '--preset', 'keitaro', '--click-id', '1dad2cg1br22spja1', '--payout', '2.50', '--txid', 'T 1'], { cwd });
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.rawQuery).toBe('subid=1dad2cg1br22spja1&payout=2.50&tid=T%201');
    const dry = await runBin(['fire', url, '--as', 'auto', '--click-id', 'abc', '--payout', '1', '--txid', 'T1', '--dry-run', '--json'], { cwd });
    expect(dry.code).toBe(0);
    const doc = JSON.parse(dry.stdout) as { sender: { id: string; chosen: string }; fills: Array<{ macro: string; filled_by: string; value: string | null }>; requests: Array<{ url: string }> };
    expect(doc.sender).toMatchObject({ id: 'cake', chosen: 'detected' });
    expect(doc.fills.map((f) => [f.macro, f.filled_by, f.value])).toEqual([
      ['#s2#', '--click-id', 'abc'],
      ['#price#', '--payout', '1'],
      ['#tid#', '--txid', 'T1'],
    ]);
    expect(doc.requests[0]!.url).toContain('subid=abc&payout=1&tid=T1');
    expect(server.received).toHaveLength(1);
  });

  it('fire --as: a macro left without a value is exit 2 naming it and its meaning; nothing is sent', async () => {
    const server = await scriptedServer((_req, res) => res.end('OK'));
    const cwd = tempDir();
    const result = await runBin(['fire', `${server.url}/pb?visitor_id={external_id}&payout={revenue}&s={sub_id_2}`, '--as', 'keitaro', '--click-id', 'abc'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('{revenue} (Keitaro: conversion revenue)');
    expect(result.stderr).toContain('--var sub_id_2=');
    expect(server.received).toHaveLength(0);
  });
});
