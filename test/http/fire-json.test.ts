import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { firePostbacks, type FireRunResult } from '../../src/fire/run.js';
import { fireJson, fireJsonChunks } from '../../src/report/fire.js';
import { Output } from '../../src/cli/output.js';
import { Redactor } from '../../src/text/redact.js';
import { capturingIo } from '../helpers/io.js';
import { toJson } from '../../src/text/sanitize.js';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { scriptedServer, type Script } from './server.js';

const fast = { retries: 0, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 5000 };
const URL_SECRET = 'Sekr3tUrlValue42';
const NAMED_SECRET = 'hunter2hunter2';
// eslint-disable-next-line no-control-regex
const RAW_CONTROLS = /[\u007f-\u009f\u2028\u2029]/;

/** Answers no JSON writer would like: quotes, backslashes, newlines, DEL, C1, U+2028/9, non-ASCII, echoed secrets. */
const AWKWARD_BODIES = [
  'success=true; "quoted" and \\back\\slashes\\',
  'line one\nline two\r\n\ttabbed',
  'del \u007f c1 \u009b[31mred\u009b[0m nel \u0085',
  'separators \u2028 and \u2029 inside',
  'Zürich 中文 😀 \ud83d lone surrogate',
  `echo token=${URL_SECRET}&my_pass=${NAMED_SECRET} raw ${URL_SECRET}`,
  '},{"seq":99,"url":"fake"} not a postback',
  '{"error":false,"msg":"ok \\"nested\\" \\u2028"}',
  '<!DOCTYPE html><html><head><title>Login \u009b</title></head></html>',
  '',
];

const awkwardServer: Script = (_request, response, index) => {
  const body = AWKWARD_BODIES[index % AWKWARD_BODIES.length]!;
  const status = index % 7 === 3 ? 500 : 200;
  response.writeHead(status, { 'content-type': body.startsWith('<!DOCTYPE') ? 'text/html' : 'text/plain; charset=utf-8' });
  response.end(body);
};

const AWKWARD_IDS = ['plain-1', 'q"uo\\te', '\u007fdel\u009bc1\u2028ls\u2029', 'ünï😀中', '},{"seq":9', 'a+b/c=d e', 'x'.repeat(300)];

async function awkwardRun(redactor: Redactor, extra: Partial<Parameters<typeof firePostbacks>[0]> = {}): Promise<FireRunResult> {
  const server = await scriptedServer(awkwardServer);
  return firePostbacks({
    template: `${server.url}/pb?cid={click_id}&token=${URL_SECRET}&my_pass=${NAMED_SECRET}&n={i}`,
    clickIds: AWKWARD_IDS,
    payout: '1.50',
    txid: 'tx"{i}\\\u009b',
    event: 'sale \u2028 "big" \\',
    secrets: ['my_pass'],
    redactor,
    concurrency: 3,
    retryPolicy: fast,
    repeat: 2,
    repeatDelayMs: 0,
    ...extra,
  });
}

/** The document as it was written before: one toJson of fireJson, through the redacting stdout. */
const oldText = (result: FireRunResult, redactor: Redactor) => redactor.text(`${toJson(fireJson(result), 2)}\n`);
/** Parsed and written again: the same keys in the same order and the same values, whitespace aside. */
const canonical = (text: string) => JSON.stringify(JSON.parse(text));


describe('fire --json written in pieces', () => {
  it('is the document toJson(fireJson(result)) was, for a run with awkward answers, ids and secrets', async () => {
    const redactor = new Redactor();
    const result = await awkwardRun(redactor);
    // Copies 2 of the postbacks that passed (a failed first copy has nothing to duplicate).
    expect(result.postbacks.length).toBeGreaterThan(AWKWARD_IDS.length);
    expect(result.postbacks.some((p) => p.duplicate !== undefined)).toBe(true);
    expect(result.postbacks.some((p) => p.verdict.verdict !== 'pass')).toBe(true);
    const oracle = toJson(fireJson(result), 2);
    for (const limits of [{}, { postbacks: 1 }, { postbacks: 3 }, { chars: 1 }, { postbacks: 5, chars: 2000 }]) {
      const pieces = [...fireJsonChunks(result, limits)];
      const text = pieces.join('');
      expect(canonical(text), JSON.stringify(limits)).toBe(canonical(oracle));
      expect(text).not.toMatch(RAW_CONTROLS);
      for (const piece of pieces) expect(piece).not.toMatch(RAW_CONTROLS);
      if (limits.postbacks === 1) expect(pieces.length).toBe(result.postbacks.length + 2);
    }
    // The head is indented as before; then one postback per line.
    const text = [...fireJsonChunks(result)].join('');
    const marker = '\n  "postbacks": [';
    expect(text.slice(0, text.indexOf(marker))).toBe(oracle.slice(0, oracle.indexOf(marker)));
    const lines = text.slice(text.indexOf(marker) + marker.length).split('\n');
    expect(lines.slice(-3)).toEqual(['  ]', '}', '']);
    const items = lines.slice(1, -3);
    expect(items.length).toBe(result.postbacks.length);
    const parsed = JSON.parse(oracle) as { postbacks: unknown[] };
    items.forEach((line, i) => {
      expect(line.startsWith('    {"seq":')).toBe(true);
      expect(JSON.stringify(JSON.parse(line.replace(/,$/, '')))).toBe(JSON.stringify(parsed.postbacks[i]));
    });
  });

  it('reaches stdout through the redactor: the same document the whole-string write gave, no secret in it', async () => {
    const redactor = new Redactor();
    const result = await awkwardRun(redactor);
    const { io, written } = capturingIo(redactor);
    const output = new Output(io, { json: true, color: false, quiet: false, verbose: false });
    output.jsonDocumentChunks(fireJsonChunks(result, { postbacks: 4 }));
    expect(output.jsonWritten).toBe(true);
    expect(written.length).toBeGreaterThan(3);
    const text = written.join('');
    expect(canonical(text)).toBe(canonical(oldText(result, redactor)));
    expect(text).not.toContain(URL_SECRET);
    expect(text).not.toContain(NAMED_SECRET);
    expect(text).toContain('REDACTED');
    expect(text).not.toMatch(RAW_CONTROLS);
    expect(text.endsWith('\n  ]\n}\n')).toBe(true);
  });

  it('writes pieces of bounded size for long URLs, and the same document', async () => {
    const server = await scriptedServer((_request, response) => response.end('OK'));
    const redactor = new Redactor();
    const ids = Array.from({ length: 300 }, (_, i) => `id-${i}`);
    const result = await firePostbacks({ template: `${server.url}/pb?cid={click_id}&pad=${'p'.repeat(4000)}`, clickIds: ids, redactor, concurrency: 8, retryPolicy: fast });
    const pieces = [...fireJsonChunks(result)];
    expect(pieces.length).toBeGreaterThan(4);
    for (const piece of pieces) expect(piece.length).toBeLessThan(400_000);
    expect(canonical(pieces.join(''))).toBe(canonical(toJson(fireJson(result), 2)));
  });

  it('a run that sent nothing: `"postbacks": []` as before', async () => {
    const server = await scriptedServer((_request, response) => response.end('OK'));
    const result = await firePostbacks({ template: `${server.url}/pb?cid={click_id}`, clickIds: ['a', 'b'], signal: AbortSignal.abort(), retryPolicy: fast });
    expect(result.postbacks).toEqual([]);
    expect([...fireJsonChunks(result)].join('')).toBe(`${toJson(fireJson(result), 2)}\n`);
  });

  it('a dry run is one piece, as before', async () => {
    const result = await firePostbacks({ template: 'http://127.0.0.1:9/pb?cid={click_id}&token=abcd1234', clickIds: ['a', 'q"\u2028'], dryRun: true });
    expect([...fireJsonChunks(result)]).toEqual([`${toJson(fireJson(result), 2)}\n`]);
  });
});

describe('tpb fire --json (the built binary)', () => {
  it('prints one document, one postback per line, every control escaped, no secret', async () => {
    const server = await scriptedServer(awkwardServer);
    const cwd = tempDir();
    const ids = Array.from({ length: 1200 }, (_, i) => AWKWARD_IDS[i % AWKWARD_IDS.length]!.replace(/\n/g, ' ') + `-${i}`);
    fs.writeFileSync(path.join(cwd, 'ids.csv'), `click_id\n${ids.map((id) => `"${id.replace(/"/g, '""')}"`).join('\n')}\n`);
    const run = await runBin(['fire', `${server.url}/pb?cid={click_id}&token=${URL_SECRET}&my_pass=${NAMED_SECRET}`, '--from-csv', 'ids.csv', '--secret', 'my_pass', '--retries', '0', '-c', '8', '--json'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(RAW_CONTROLS);
    expect(run.stdout).not.toContain(URL_SECRET);
    expect(run.stdout).not.toContain(NAMED_SECRET);
    expect(run.stdout.startsWith('{\n  "version": 1,\n  "dry_run": false,\n')).toBe(true);
    const doc = JSON.parse(run.stdout) as { summary: { sent: number }; postbacks: Array<{ seq: number; click_id: string; body: string | null }> };
    expect(doc.summary.sent).toBe(ids.length);
    expect(doc.postbacks.length).toBe(ids.length);
    expect(new Set(doc.postbacks.map((p) => p.click_id))).toEqual(new Set(ids));
    expect(doc.postbacks.map((p) => p.body)).toContain('separators \u2028 and \u2029 inside');
    expect(run.stdout.split('\n').filter((line) => line.startsWith('    {"seq":')).length).toBe(ids.length);
  });
});
