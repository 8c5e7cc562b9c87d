import { describe, expect, it } from 'vitest';
import { firePostbacks } from '../../src/fire/run.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { scriptedServer } from './server.js';

/**
 * A timed load run sends postbacks by the million; each outcome is ~1 KB (URL, headers, body
 * excerpt, attempts). The summary is counted as they finish, and the result keeps only the
 * postbacks asked for (issue 17): the CLI's text output keeps one example of each kind of failure
 * (its lines were printed as they came), --json every postback.
 */

/** Every third postback is refused the way TUNE refuses (200 success=false;), the rest accepted. */
const everyThirdRefused = () =>
  scriptedServer((_request, response, index) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
    response.end(index % 3 === 2 ? 'success=false; err_msg=Invalid Trans. ID #x.;' : 'success=true;');
  });

const ids = Array.from({ length: 30 }, (_, i) => `1027c887059b47bc69c699f45466${String(i).padStart(2, '0')}`);

describe('fire counts every postback but keeps only what is asked for', () => {
  it('keepPostbacks examples: the summary counts all 30, the result keeps the first refused one of each kind', async () => {
    const server = await everyThirdRefused();
    const result = await firePostbacks({ template: `${server.url}/aff_lsr?transaction_id={click_id}`, preset: 'tune', clickIds: ids, concurrency: 1, keepPostbacks: 'examples' });
    expect(result.summary).toMatchObject({ sent: 30, passed: 20, failed: 10, errors: 0, statuses: { '200': 30 } });
    expect(result.summary.reasons).toEqual([{ verdict: 'fail', reason: 'TUNE rejected it: Invalid Trans. ID #x.', count: 10 }]);
    // Ten refusals of one kind (fail, 200): the first is the example.
    expect(result.postbacks.map((outcome) => [outcome.seq, outcome.verdict.verdict, outcome.httpStatus])).toEqual([[3, 'fail', 200]]);
    const all = await firePostbacks({ template: `${server.url}/aff_lsr?transaction_id={click_id}`, preset: 'tune', clickIds: ids, concurrency: 1 });
    expect(all.postbacks).toHaveLength(30);
    expect(all.summary).toEqual({ ...result.summary, latencyMs: all.summary.latencyMs, durationMs: all.summary.durationMs, postbacksPerSecond: all.summary.postbacksPerSecond, load: all.summary.load });
    const none = await firePostbacks({ template: `${server.url}/aff_lsr?transaction_id={click_id}`, preset: 'tune', clickIds: ids.slice(0, 3), keepPostbacks: 'none' });
    expect(none.postbacks).toEqual([]);
    expect(none.summary.sent).toBe(3);
  });

  it('keepPostbacks examples: one postback of each verdict and status, the first of each', async () => {
    // Refused (200 success=false), unknown route (404) and forbidden (403) in turn, then accepted.
    const server = await scriptedServer((_request, response, index) => {
      const turn = index % 4;
      response.writeHead(turn === 1 ? 404 : turn === 2 ? 403 : 200, { 'content-type': 'text/html; charset=UTF-8' });
      response.end(turn === 0 ? 'success=false; err_msg=Invalid Trans. ID #x.;' : turn === 3 ? 'success=true;' : 'error');
    });
    const result = await firePostbacks({ template: `${server.url}/aff_lsr?transaction_id={click_id}`, preset: 'tune', clickIds: ids.slice(0, 20), concurrency: 1, keepPostbacks: 'examples' });
    expect(result.summary).toMatchObject({ sent: 20, passed: 5, statuses: { '200': 10, '404': 5, '403': 5 } });
    expect(result.postbacks.map((outcome) => [outcome.seq, outcome.httpStatus])).toEqual([[1, 200], [2, 404], [3, 403]]);
    expect(result.postbacks.every((outcome) => outcome.verdict.verdict !== 'pass')).toBe(true);
  });

  it('keeps a preset caveat even when no postback is kept (Affise answers 200 to everything)', async () => {
    const server = await scriptedServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"status":1,"message":"Postback accepted"}');
    });
    const result = await firePostbacks({ preset: 'affise', base: server.url, clickIds: ['5f8d0d55b54764421b7156c3'], keepPostbacks: 'examples' });
    expect(result.postbacks).toEqual([]);
    expect(result.caveats).toEqual([expect.stringContaining('Affise always answers 200')]);
  });

  it('tpb fire prints every line and the same summary whether it kept the postbacks or not', async () => {
    const server = await everyThirdRefused();
    const args = ['fire', `${server.url}/aff_lsr?transaction_id={click_id}`, '--preset', 'tune', ...ids.slice(0, 9).flatMap((id) => ['--click-id', id]), '-c', '1'];
    const text = await runCli(args, { cwd: tempDir() });
    expect(text.code).toBe(1);
    expect(text.stdout.split('\n').filter((line) => /^#\d+ /.test(line))).toHaveLength(9);
    expect(text.stdout).toContain('sent 9: 6 passed, 3 failed, 0 unreachable');
    const json = await runCli([...args, '--json'], { cwd: tempDir() });
    const doc = JSON.parse(json.stdout) as { postbacks: unknown[]; summary: { sent: number; failed: number } };
    expect(doc.postbacks).toHaveLength(9);
    expect(doc.summary).toMatchObject({ sent: 9, failed: 3 });
  });
});
