import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runBin, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The acceptance test of the one redaction edge (issue 11): distinct secrets planted in every
 * channel a run knows them by — flags, a preset's key, ${ENV} in a scenario's path, query, body and
 * headers, request headers, bodies — sent with the built binary to trackers that echo requests the
 * way PHP does (json_encode's `\/`, `+` from forms, redirects carrying the request URL encoded
 * twice), and every byte the runs wrote is searched for every secret in every spelling.
 */

/** PHP's json_encode: `/` as `\/`, non-ASCII as \uXXXX. */
const phpJson = (value: unknown) => JSON.stringify(value).replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** How PHP reads a query or form body: `+` is a space. */
function phpParse(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    try {
      out[decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' '))] = decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return out;
}

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const full = `http://${req.headers.host}${req.url}`;
      const query = (req.url ?? '').split('?')[1] ?? '';
      // What a PHP tracker echoes: the request URI, $_GET, $_POST, the raw body, every header.
      const echo = phpJson({ uri: req.url, url: full, get: phpParse(query), post: phpParse(body), raw: body, headers: req.headers, json: body.startsWith('{') ? (JSON.parse(body) as unknown) : null });
      const headers: Record<string, string> = { 'content-type': 'text/html; charset=UTF-8', 'set-cookie': 'PHPSESSID=setcookie-SECRET-0001; path=/' };
      if ((req.url ?? '').startsWith('/click')) {
        // A redirect that carries the request URL encoded twice (a "back" link), and the click id.
        headers.location = `http://${req.headers.host}/land?subid=clk-777&back=${encodeURIComponent(encodeURIComponent(full))}&u=${encodeURIComponent(full)}`;
        res.writeHead(302, headers);
        res.end(echo);
        return;
      }
      res.writeHead(200, headers);
      res.end(`${echo}\nsuccess=true`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Distinct secrets, one per channel; each holds + / = (and one a space and an é) to test every encoding. */
const S = {
  flagQuery: 'flag+Q/uery=01',
  token: 'tok+en/Val=02',
  accessToken: 'acc+Tok/en=03',
  bearer: 'bear+er/Tok=04',
  xAuth: 'xau+th/Tok=05',
  cookie: 'coo+kie/Val=06',
  proxyAuthPassword: 'pro+xy/Pw=07',
  bodyClientSecret: 'cli+ent/Sec=08',
  bodySig: 'sig+na/ture=09',
  bodyHmac: 'hm+ac/Val=10',
  keitaroKey: 'k3itaroPostbackKey11',
  clickSecret: 'cli+ck/Sec=12',
  envPath: 'envPath-Secret-13',
  envBody: 'env+Bo dy/é=14',
  envHeader: 'env+Hea/der=15',
  envQuery: 'env+Que/ry=16',
  envClick: 'env+Cli/ck=17',
  unparseable: 'unpa+rse/able=18',
  serveKey: 'serveKeitaroKey19',
  serveToken: 'ser+ve/Tok=20',
  serveSecretParam: 'ser+ve/Pin=21',
  catchToken: 'cat+ch/Tok=22',
  catchPin: 'cat+ch/Pin=23',
  catchBearer: 'cat+ch/Bear=24',
  catchBody: 'cat+ch/Body=25',
  catchJson: 'cat+ch/Json=26',
} as const;
/** Too short to redact as free text: it must go wherever it is a token's value. */
const SHORT = 'Q7z';

/** Every spelling an echo may carry, computed here independently of the redactor. */
function spellings(secret: string): string[] {
  const lower = (text: string) => text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase());
  const once = encodeURIComponent(secret);
  const form = new URLSearchParams({ x: secret }).toString().slice(2);
  const php = once.replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
  const all = [secret, secret.replace(/\+/g, ' '), once, lower(once), encodeURIComponent(once), lower(encodeURIComponent(once)), form, encodeURIComponent(form), php, encodeURIComponent(php)];
  for (const text of [...all]) all.push(JSON.stringify(text).slice(1, -1), phpJson(text).slice(1, -1));
  return [...new Set(all)];
}

function leaks(label: string, bytes: Buffer | string): string[] {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  const utf8 = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  const found: string[] = [];
  for (const [name, secret] of Object.entries(S)) {
    for (const spelling of spellings(secret)) {
      if (utf8.includes(spelling) || text.includes(Buffer.from(spelling, 'utf8').toString('latin1'))) found.push(`${label}: ${name} as ${JSON.stringify(spelling)}`);
    }
  }
  if (utf8.includes(SHORT)) found.push(`${label}: the short token ${SHORT}`);
  return found;
}

describe('planted secrets never leak (issue 11, items 1–6)', () => {
  it('finds no secret in any encoding in stdout, stderr, JUnit, exports, the database or its WAL', async () => {
    const cwd = tempDir();
    const outputs: Array<[string, CliResult]> = [];
    const run = async (label: string, args: string[], env: Record<string, string> = {}) => {
      const result = await runBin(['--db', 'tpb.db', ...args], { cwd, env, timeoutMs: 60_000 });
      outputs.push([label, result]);
      return result;
    };
    const proxyAuth = `Basic ${Buffer.from(`proxyuser:${S.proxyAuthPassword}`).toString('base64')}`;

    // fire: a --secret parameter, default names in the query, secret headers, a form body, -v and --json.
    const fireArgs = [
      'fire',
      `${base}/pb?cid={click_id}&pin=${encodeURIComponent(S.flagQuery)}&token=${encodeURIComponent(S.token)}&access_token=${encodeURIComponent(S.accessToken)}`,
      '--click-id', 'abc-1',
      '--secret', 'pin',
      '-H', `Authorization: Bearer ${S.bearer}`,
      '-H', `X-Auth-Token: ${S.xAuth}`,
      '-H', `Cookie: sess=${S.cookie}`,
      '-H', `Proxy-Authorization: ${proxyAuth}`,
      '--data', `client_secret=${encodeURIComponent(S.bodyClientSecret)}&sig=${encodeURIComponent(S.bodySig)}&hmac=${encodeURIComponent(S.bodyHmac)}&note=hello`,
      '--retries', '0',
    ];
    for (const flags of [['-v'], ['--json'], ['-v', '--dry-run'], ['--json', '--dry-run']]) {
      const result = await run(`fire ${flags.join(' ')}`, [...fireArgs, ...flags]);
      expect([0, 1], result.stderr).toContain(result.code);
    }
    // A short token echoed back (item 5), and an unparseable URL's token (item 4).
    await run('fire short -v', ['fire', `${base}/pb?cid={click_id}&token=${SHORT}`, '--click-id', 'abc-2', '-v', '--retries', '0']);
    await run('fire short --json', ['fire', `${base}/pb?cid={click_id}&token=${SHORT}`, '--click-id', 'abc-3', '--json', '--retries', '0']);
    const unparseable = await run('fire unparseable -v', ['fire', `http://127.0.0.1:99999/pb?cid={click_id}&token=${encodeURIComponent(S.unparseable)}`, '--click-id', 'abc-4', '-v', '--retries', '1', '--retry-delay', '1ms', '--no-lint']);
    expect(unparseable.code).toBe(3);
    // A preset's credential in the path: Keitaro's postback key.
    await run('fire keitaro -v', ['fire', '--preset', 'keitaro', '--base', `${base}/${S.keitaroKey}`, '--click-id', 'abc-5', '-v', '--retries', '0']);

    // click: a secret in the link, echoed by a redirect encoded twice (item 3).
    for (const flags of [['-v'], ['--json']]) {
      const result = await run(`click ${flags.join(' ')}`, ['click', `${base}/click?offer_id=1&client_secret=${encodeURIComponent(S.clickSecret)}&token=${SHORT}`, '-n', '2', ...flags]);
      expect(result.code, result.stderr).toBe(0);
    }

    // check: ${ENV} in a fire step's path (item 1), in data under a plain key (item 2), in a header,
    // in a query parameter, and in a click step; with JUnit and --json.
    fs.writeFileSync(
      path.join(cwd, 'secrets.yaml'),
      [
        'name: planted',
        'tracker: ${TRACKER}',
        'steps:',
        '  - name: click',
        '    click: { url: "{tracker}/click?offer_id=2&aff=${CLICK_SECRET}" }',
        '  - name: path',
        '    fire: { url: "{tracker}/pb/${PATH_SECRET}/go?cid={click_id}&q=${QUERY_SECRET}", expect: { body: "nothing-like-this" } }',
        '    continue_on_failure: true',
        '  - name: body',
        '    fire:',
        '      url: "{tracker}/pb?cid={click_id}"',
        '      method: POST',
        `      data: '{"note":"\${BODY_SECRET}","n":1}'`,
        '      headers: { X-Custom: "${HEADER_SECRET}" }',
        '      expect: { status: 500 }',
        '    continue_on_failure: true',
        '',
      ].join('\n'),
    );
    const env = { TRACKER: base, PATH_SECRET: S.envPath, BODY_SECRET: S.envBody, HEADER_SECRET: S.envHeader, QUERY_SECRET: S.envQuery, CLICK_SECRET: S.envClick };
    const check = await run('check -v --junit --report-html', ['check', 'secrets.yaml', '--junit', 'report.xml', '--report-html', 'check.html', '-v'], env);
    expect(check.code, check.stdout + check.stderr).toBe(1);
    await run('check --json', ['check', 'secrets.yaml', '--json'], env);

    // tpb serve's NDJSON request log and its stderr log: a postback with a token, a --secret
    // parameter and the mock's own key in the path.
    const serve = spawn(process.execPath, [BIN, 'serve', '--preset', 'keitaro', '--postback-key', S.serveKey, '--secret', 'pin', '--log', 'serve.ndjson', '--json'], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let serveOut = '';
    let serveErr = '';
    serve.stdout.setEncoding('utf8').on('data', (chunk: string) => (serveOut += chunk));
    serve.stderr.setEncoding('utf8').on('data', (chunk: string) => (serveErr += chunk));
    const serveExited = new Promise<void>((resolve) => serve.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${serveOut} ${serveErr}`)), 15_000);
      serve.stdout.on('data', () => serveOut.includes('"url"') && serveOut.trimEnd().endsWith('}') && (clearTimeout(timer), resolve()));
    });
    const serveUrl = (JSON.parse(serveOut) as { url: string }).url;
    const answer = await fetch(`${serveUrl}/${S.serveKey}/postback?subid=none&status=sale&token=${encodeURIComponent(S.serveToken)}&pin=${encodeURIComponent(S.serveSecretParam)}`);
    await answer.text();
    serve.kill('SIGTERM');
    await serveExited;
    // The routes tpb serve prints show its key on purpose (the user needs it): only its logs are judged.
    outputs.push(['serve (log lines)', { code: 0, stdout: '', stderr: serveErr }]);

    // tpb catch: what it prints per request (-v shows every header and the body), its NDJSON log,
    // its --json document, the rows it stores and a reconcile HTML report over what it recorded.
    for (const flags of [['-v'], ['--json']]) {
      const catcher = spawn(process.execPath, [BIN, '--db', 'tpb.db', 'catch', '--count', '3', '--secret', 'pin', '--log', 'catch.ndjson', ...flags], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let catchOut = '';
      let catchErr = '';
      catcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (catchOut += chunk));
      catcher.stderr.setEncoding('utf8').on('data', (chunk: string) => (catchErr += chunk));
      const catchExited = new Promise<void>((resolve) => catcher.on('exit', () => resolve()));
      const catchUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`catch did not start: ${catchOut} ${catchErr}`)), 15_000);
        const look = () => {
          const hit = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(catchOut + catchErr);
          if (hit) {
            clearTimeout(timer);
            resolve(hit[1]!);
          }
        };
        catcher.stdout.on('data', look);
        catcher.stderr.on('data', look);
      });
      const query = `click_id=cc-1&token=${encodeURIComponent(S.catchToken)}&pin=${encodeURIComponent(S.catchPin)}&payout=1.5`;
      await (await fetch(`${catchUrl}/postback?${query}`, { headers: { authorization: `Bearer ${S.catchBearer}` } })).text();
      await (await fetch(`${catchUrl}/postback`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `click_id=cc-2&client_secret=${encodeURIComponent(S.catchBody)}` })).text();
      await (await fetch(`${catchUrl}/postback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ click_id: 'cc-3', api_key: S.catchJson }) })).text();
      await catchExited;
      outputs.push([`catch ${flags.join(' ')}`, { code: 0, stdout: catchOut, stderr: catchErr }]);
    }
    await run('catch list --json', ['catch', 'list', '--json']);
    await run('catch show 1', ['catch', 'show', '1']);
    await run('catch show 3 --json', ['catch', 'show', '3', '--json']);
    const html = await run('reconcile html', ['reconcile', '--conversions-source', 'tpb:catch,tpb:fire', '--format', 'html', '--out', 'reconcile.html']);
    expect(html.code, html.stderr).toBe(0);

    // Everything stored, as the user would read it back.
    for (const table of ['postbacks', 'clicks', 'runs', 'conversions']) {
      await run(`db export ${table}`, ['db', 'export', table]);
      await run(`db export ${table} --json`, ['db', 'export', table, '--format', 'json']);
    }

    const found: string[] = [];
    for (const [label, result] of outputs) found.push(...leaks(`${label} stdout`, result.stdout), ...leaks(`${label} stderr`, result.stderr));
    expect(fs.readFileSync(path.join(cwd, 'serve.ndjson'), 'utf8')).toContain('postback');
    for (const file of fs.readdirSync(cwd)) {
      if (file === 'secrets.yaml') continue;
      found.push(...leaks(file, fs.readFileSync(path.join(cwd, file))));
    }
    expect(found).toEqual([]);

    // The runs did happen (a test that sends nothing finds nothing).
    const fired = outputs.find(([label]) => label === 'fire -v')![1];
    expect(fired.stderr).toContain('REDACTED');
    const stored = outputs.find(([label]) => label === 'db export postbacks')![1].stdout;
    expect(stored.split('\n').length).toBeGreaterThan(6);
    expect(stored).toContain('REDACTED');
    expect(fs.readFileSync(path.join(cwd, 'report.xml'), 'utf8')).toContain('testcase');
    expect(fs.readFileSync(path.join(cwd, 'check.html'), 'utf8')).toContain('<html');
    expect(fs.readFileSync(path.join(cwd, 'catch.ndjson'), 'utf8').split('\n').filter(Boolean).length).toBe(6);
    expect(outputs.find(([label]) => label === 'catch -v')![1].stdout).toContain('REDACTED');
    expect(outputs.find(([label]) => label === 'catch show 3 --json')![1].stdout).toContain('cc-3');
  }, 300_000);
});
