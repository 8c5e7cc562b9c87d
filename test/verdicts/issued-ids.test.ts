import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { scriptedServer } from '../http/server.js';

/**
 * Issue 10, item 1: a preset's click-id format warning is about ids someone typed or read from a
 * file, never about ids the tracker itself just issued (`tpb click` → `tpb fire --from-db`).
 * A Keitaro-compatible PHP tracker that issues UUIDs as subids, as several do.
 */
const uuidTracker = () =>
  scriptedServer((request, response) => {
    if (request.target.startsWith('/Xk3dPq')) {
      response.writeHead(302, { location: `https://lp.example/offer?subid=${randomUUID()}` });
      return void response.end();
    }
    if (request.target.startsWith('/k3y/postback')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
      return void response.end('Postback recorded successfully.');
    }
    response.writeHead(404, { 'content-type': 'text/html; charset=UTF-8' });
    response.end('Not found');
  });

describe('the id-format warning and ids the tracker issued', () => {
  it('--from-db ids captured from the tracker are not format-checked; --click-id and --from-csv ids still are', async () => {
    const server = await uuidTracker();
    const cwd = tempDir();
    const click = await runCli(['click', `${server.url}/Xk3dPq?sub_id_1=2002`, '-n', '2', '--preset', 'keitaro'], { cwd });
    expect(click.code).toBe(0);
    const fromDb = await runCli(['fire', '--preset', 'keitaro', '--base', `${server.url}/k3y`, '--from-db'], { cwd });
    expect(fromDb.code).toBe(0);
    expect(fromDb.stderr).toContain('2 click ids from click run');
    expect(fromDb.stderr).not.toMatch(/click-id-format|is not 10–24/);
    const fired = server.received.filter((r) => r.target.startsWith('/k3y/postback')).map((r) => /subid=([^&]*)/.exec(r.rawQuery)![1]);
    expect(fired).toHaveLength(2);
    for (const id of fired) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);

    // The same UUID typed by hand is the user's claim, not the tracker's: checked.
    const typed = await runCli(['fire', '--preset', 'keitaro', '--base', `${server.url}/k3y`, '--click-id', fired[0]!], { cwd });
    expect(typed.code).toBe(0);
    expect(typed.stderr).toMatch(/is not 10–24 lowercase letters and digits/);

    const csv = await runCli(['fire', '--preset', 'keitaro', '--base', `${server.url}/k3y`, '--from-csv', '-'], { cwd, stdin: `subid\n${fired[1]}\n` });
    expect(csv.code).toBe(0);
    expect(csv.stderr).toMatch(/is not 10–24 lowercase letters and digits/);
  });

  it('an enforced format (Affise: 24 characters) does not stop ids the tracker issued, and still stops typed ones', async () => {
    const server = await scriptedServer((request, response) => {
      if (request.target.startsWith('/click')) {
        response.writeHead(302, { location: `https://lp.example/?clickid=${randomUUID()}` });
        return void response.end();
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"status":1,"message":"Postback accepted"}');
    });
    const cwd = tempDir();
    expect((await runCli(['click', `${server.url}/click?pid=1&offer_id=2`, '--preset', 'affise'], { cwd })).code).toBe(0);
    const fromDb = await runCli(['fire', '--preset', 'affise', '--base', server.url, '--from-db'], { cwd });
    expect(fromDb.code).toBe(0);
    expect(fromDb.stderr).not.toContain('exactly 24 characters');
    const typed = await runCli(['fire', '--preset', 'affise', '--base', server.url, '--click-id', randomUUID()], { cwd });
    expect(typed.code).toBe(2);
    expect(typed.stderr).toContain('exactly 24 characters');
  });
});
