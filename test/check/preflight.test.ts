import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expandGlob, scenarioFiles } from '../../src/check/files.js';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { findAll, parseXml } from '../helpers/xml.js';

/** Issue 10 item 5: everything knowable before sending is checked before sending. */
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A tracker that counts every request it gets: a click redirects with a click id, a postback is 200 "OK". */
async function countingTracker(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  let n = 0;
  const server = http.createServer((request, response) => {
    requests.push(request.url!);
    if (request.url!.startsWith('/click')) response.writeHead(302, { Location: `/landing?cid=id-${(n += 1)}` }).end();
    else if (request.url!.startsWith('/down')) response.writeHead(503).end('maintenance');
    else response.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const LOOP = (name: string, extra = '') => `name: ${name}
tracker: \${TRACKER_URL}
steps:
  - name: click
    click: { url: "{tracker}/click" }
  - name: postback
    fire: { url: "{tracker}/pb?cid={click_id}" }
${extra}`;

describe('tpb check validates before it sends', () => {
  it('a {clikc_id} typo in step 3 is exit 2 naming the file, step and field; the tracker gets no request', async () => {
    const tracker = await countingTracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'typo.yaml'), LOOP('typo', '  - name: duplicate\n    fire: { url: "{tracker}/pb?cid={clikc_id}" }\n'));
    const result = await runBin(['check', 'typo.yaml', '--junit', 'r.xml'], { cwd, env: { TRACKER_URL: tracker.url } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path.join(cwd, 'typo.yaml')}:8: step 3 "duplicate": steps[2].fire.url: {clikc_id} is not a var, a data column or a capture of an earlier step (did you mean {click_id}?)`);
    expect(tracker.requests).toEqual([]);
    expect(fs.existsSync(path.join(cwd, 'r.xml'))).toBe(false);
    expect(fs.readdirSync(cwd)).toEqual(['typo.yaml']);
  });

  it('a missing ingest file is exit 2 naming its path (relative to the scenario) before any postback', async () => {
    const tracker = await countingTracker();
    const cwd = tempDir();
    fs.mkdirSync(path.join(cwd, 'checks'));
    fs.writeFileSync(path.join(cwd, 'checks', 'loop.yaml'), LOOP('loop', '  - name: export\n    ingest: { file: exports/conversions.csv, kind: conversions }\n  - name: paid\n    reconcile: { max_unmatched: 0 }\n'));
    // The file is next to the working directory, not next to the scenario: still missing.
    fs.mkdirSync(path.join(cwd, 'exports'));
    fs.writeFileSync(path.join(cwd, 'exports', 'conversions.csv'), 'click_id,payout\nid-1,1.00\n');
    const result = await runBin(['check', 'checks/loop.yaml'], { cwd, env: { TRACKER_URL: tracker.url } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/loop\.yaml:8: step 3 "export": steps\[2\]\.ingest\.file: the file \S*checks\/exports\/conversions\.csv does not exist/);
    expect(tracker.requests).toEqual([]);
  });

  it('an unset ${ENV} is exit 2 naming it and the step; every problem of every file is listed, and none of the files runs', async () => {
    const tracker = await countingTracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'a.yaml'), LOOP('a'));
    fs.writeFileSync(path.join(cwd, 'b.yaml'), LOOP('b', '  - name: signed\n    fire: { url: "{tracker}/pb?cid={click_id}&sig=${TRACKER_SIG}&o={ofer}" }\n  - name: load\n    ingest: { file: nowhere.csv, kind: conversions }\n'));
    const result = await runBin(['check', 'a.yaml', 'b.yaml'], { cwd, env: { TRACKER_URL: tracker.url } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/3 problems; nothing was sent/);
    expect(result.stderr).toMatch(/b\.yaml:8: step 3 "signed": steps\[2\]\.fire\.url: environment variable not set: TRACKER_SIG/);
    expect(result.stderr).toMatch(/b\.yaml:8: step 3 "signed": steps\[2\]\.fire\.url: \{ofer\} is not a var/);
    expect(result.stderr).toMatch(/b\.yaml:10: step 4 "load": steps\[3\]\.ingest\.file: the file \S+nowhere\.csv does not exist/);
    expect(result.stdout).toBe('');
    expect(tracker.requests).toEqual([]);
  });

  it('a data row\'s bad value names the row; a capture used before the step that makes it is refused', async () => {
    const tracker = await countingTracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 's.yaml'), `tracker: \${TRACKER_URL}
steps:
  - name: early
    fire: { url: "{tracker}/pb?cid={click_id}", payout: "{amount}", expect: { status: "{code}" } }
  - name: click
    click: { url: "{tracker}/click" }
`);
    fs.writeFileSync(path.join(cwd, 'rows.csv'), 'amount,code\n1.00,200\n2.00,2oo\nten,200\n');
    const result = await runBin(['check', 's.yaml', '--data', 'rows.csv'], { cwd, env: { TRACKER_URL: tracker.url } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/step 1 "early": steps\[0\]\.fire\.url: \{click_id\} is captured by step 2 "click", which runs after this one/);
    expect(result.stderr).toMatch(/steps\[0\]\.fire\.expect\.status: .*2oo.*\(data row 2\)/);
    expect(result.stderr).toMatch(/steps\[0\]\.fire\.payout: "ten" is not a decimal amount .*\(data row 3\)/);
    expect(result.stderr).not.toMatch(/data row 1/);
    expect(tracker.requests).toEqual([]);
  });
});

describe('tpb check with several scenario files', () => {
  it('files, a directory and a quoted glob in one run: one JUnit file with a suite per scenario, one JSON document, the worst exit code', async () => {
    const tracker = await countingTracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'one.yaml'), LOOP('one'));
    fs.writeFileSync(path.join(cwd, 'two.yml'), LOOP('two'));
    fs.mkdirSync(path.join(cwd, 'dir'));
    fs.writeFileSync(path.join(cwd, 'dir', 'b.yaml'), LOOP('dir b'));
    fs.writeFileSync(path.join(cwd, 'dir', 'a.yaml'), LOOP('dir a'));
    fs.writeFileSync(path.join(cwd, 'dir', 'notes.txt'), 'not a scenario');
    fs.mkdirSync(path.join(cwd, 'more', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(cwd, 'more', 'deep', 'down.yaml'), LOOP('down').replace('/pb?cid={click_id}', '/down?cid={click_id}'));
    fs.writeFileSync(path.join(cwd, 'more', 'x.yaml'), LOOP('x'));
    const env = { TRACKER_URL: tracker.url };
    const args = ['check', 'one.yaml', 'two.yml', 'dir', 'more/**/*.yaml', 'one.yaml', '--junit', 'all.xml'];
    const result = await runBin(args, { cwd, env });
    // "down" gets a 503 (a rejected postback: a failed check), every other scenario passes: exit 1.
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/6 scenarios: 5 passed, 1 did not/);
    const xml = parseXml(fs.readFileSync(path.join(cwd, 'all.xml'), 'utf8'));
    const suites = findAll(xml, 'testsuite');
    expect(suites.map((suite) => suite.attributes.name)).toEqual(['one', 'two', 'dir a', 'dir b', 'down', 'x']);
    expect(xml.name).toBe('testsuites');
    expect(xml.attributes).toMatchObject({ tests: '12', failures: '1' });
    expect(suites.map((suite) => findAll(suite, 'testcase').length)).toEqual([2, 2, 2, 2, 2, 2]);

    const json = await runBin(['check', 'one.yaml', 'dir', '--json'], { cwd, env });
    expect(json.code).toBe(0);
    const document = JSON.parse(json.stdout) as { summary: { scenarios: number; passed: number }; scenarios: Array<{ scenario: string; file: string }>; database: { temporary: boolean } };
    expect(document.summary).toMatchObject({ scenarios: 3, passed: 6 });
    expect(document.scenarios.map((scenario) => scenario.scenario)).toEqual(['one', 'dir a', 'dir b']);
    expect(document.database.temporary).toBe(true);

    const none = await runBin(['check', 'nothing/*.yaml'], { cwd, env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/nothing\/\*\.yaml: no file matches/);
  });

  it('with no file, runs ./tpb-check.yaml; without one, the usage error says so and points at --init', async () => {
    const tracker = await countingTracker();
    const cwd = tempDir();
    const missing = await runBin(['check'], { cwd, env: { TRACKER_URL: tracker.url } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no tpb-check\.yaml in /);
    expect(missing.stderr).toMatch(/hint: .*tpb check --init/);
    fs.writeFileSync(path.join(cwd, 'tpb-check.yaml'), LOOP('default'));
    const ran = await runBin(['check'], { cwd, env: { TRACKER_URL: tracker.url } });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/default: 2 passed of 2 steps/);
  });
});

describe('scenario file arguments', () => {
  it('expands * within a segment and ** across directories, sorted, skipping hidden entries', () => {
    const dir = tempDir();
    for (const file of ['a.yaml', 'b.yml', 'c.txt', '.hidden.yaml', 'x/y/z.yaml', 'x/w.yaml', '.git/q.yaml']) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), '');
    }
    const rel = (files: string[]) => files.map((file) => path.relative(dir, file));
    expect(rel(expandGlob('*.yaml', dir))).toEqual(['a.yaml']);
    expect(rel(expandGlob('*.y?ml', dir))).toEqual(['a.yaml']);
    expect(rel(expandGlob('**/*.yaml', dir))).toEqual(['a.yaml', 'x/w.yaml', 'x/y/z.yaml']);
    expect(rel(expandGlob('x/**/z.yaml', dir))).toEqual(['x/y/z.yaml']);
    expect(rel(scenarioFiles(['.', 'a.yaml'], dir).files)).toEqual(['a.yaml', 'b.yml']);
  });
});

describe('no false alarms', () => {
  it('every fixture scenario and every --init starter passes the checks before sending', async () => {
    const { loadScenario, parseScenario } = await import('../../src/check/scenario.js');
    const { starterScenario } = await import('../../src/check/init.js');
    const { preflightScenario, describeProblem } = await import('../../src/check/preflight.js');
    const { PRESET_NAMES } = await import('../../src/presets/catalog.js');
    const { FIXTURES } = await import('../helpers/cli.js');
    const env = { TRACKER_URL: 'http://127.0.0.1:9', KEITARO_POSTBACK_KEY: 'a1b2c3d', TUNE_TOKEN: 't', TUNE_SIG: 's' };
    const problems: string[] = [];
    for (const file of fs.readdirSync(path.join(FIXTURES, 'scenarios')).filter((name) => /\.ya?ml$/.test(name))) {
      const scenario = loadScenario(path.join(FIXTURES, 'scenarios', file));
      problems.push(...preflightScenario({ scenario, env }).map(describeProblem));
    }
    for (const preset of PRESET_NAMES) {
      const scenario = parseScenario(starterScenario(preset), path.join(tempDir(), 'tpb-check.yaml'));
      problems.push(...preflightScenario({ scenario, env }).map(describeProblem).filter((line) => !/ingest\.file: the file/.test(line)));
    }
    expect(problems).toEqual([]);
  });
});
