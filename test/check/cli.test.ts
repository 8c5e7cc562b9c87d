import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/check/scenario.js';
import { starterScenario } from '../../src/check/init.js';
import { runScenario } from '../../src/check/run.js';
import { PRESET_NAMES } from '../../src/presets/catalog.js';
import { startMockTracker, type MockTracker } from '../../src/serve/server.js';
import { Store } from '../../src/store/db.js';
import { runBin, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { findAll, parseXml } from '../helpers/xml.js';

const trackers: MockTracker[] = [];
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
});

async function tracker(preset: (typeof PRESET_NAMES)[number] = 'generic'): Promise<MockTracker> {
  const started = await startMockTracker({ preset, seed: 2 });
  trackers.push(started);
  return started;
}

const SCENARIO = `name: smoke
tracker: \${TRACKER_URL}
preset: generic
steps:
  - name: click
    click: { url: "{tracker}/click?offer_id={offer}" }
  - name: postback
    fire: { payout: "{payout}", txid: "t-{offer}" }
  - name: duplicate
    fire: { payout: "{payout}", txid: "t-{offer}", expect: { status: "{dup_status}", preset: false } }
`;

describe('tpb check through the built binary', () => {
  it('runs data rows, prints a line per step, writes a JUnit report CI can read (exit 1 on a failed check)', async () => {
    const mock = await tracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'smoke.yaml'), SCENARIO.replace('"{dup_status}"', '409'));
    fs.writeFileSync(path.join(cwd, 'rows.csv'), 'offer,payout\n1,1.00\n2,2.00\n');
    const ok = await runBin(['check', 'smoke.yaml', '--data', 'rows.csv', '--junit', 'report.xml'], { cwd, env: { TRACKER_URL: mock.url } });
    expect(ok.stderr).not.toMatch(/error/);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/\[row 1\] ✓ click/);
    expect(ok.stdout).toMatch(/\[row 2\] ✓ duplicate .*HTTP 409/);
    expect(ok.stdout).toMatch(/smoke: 6 passed of 6 steps over 2 data rows/);
    const xml = parseXml(fs.readFileSync(path.join(cwd, 'report.xml'), 'utf8'));
    const names = findAll(xml, 'testcase').map((element) => element.attributes.name);
    expect(names).toEqual(['smoke / row 1 / click', 'smoke / row 1 / postback', 'smoke / row 1 / duplicate', 'smoke / row 2 / click', 'smoke / row 2 / postback', 'smoke / row 2 / duplicate']);
    expect(new Set(names).size).toBe(names.length);

    // Expecting 200 for a duplicate fails: <failure> with expected and actual, exit 1.
    fs.writeFileSync(path.join(cwd, 'strict.yaml'), SCENARIO.replace('"{dup_status}"', '200').replace('name: smoke', 'name: strict'));
    const failed = await runBin(['check', 'strict.yaml', '--var', 'offer=9', '--var', 'payout=3.00', '--junit', 'strict.xml'], { cwd, env: { TRACKER_URL: mock.url } });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/✗ duplicate .*expected status 200/s);
    expect(failed.stdout).toMatch(/got {6}HTTP 409/);
    const report = parseXml(fs.readFileSync(path.join(cwd, 'strict.xml'), 'utf8'));
    const failures = findAll(report, 'failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.text).toMatch(/expected: status 200\nactual: {3}HTTP 409/);
    expect(findAll(report, 'testsuite')[0]!.attributes.failures).toBe('1');
  });

  it('exit 3 with <error> when the tracker cannot be reached, and <skipped> after it', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 's.yaml'), SCENARIO.replace('"{dup_status}"', '409'));
    const result = await runBin(['check', 's.yaml', '--var', 'offer=1', '--var', 'payout=1', '--junit', 'r.xml'], { cwd, env: { TRACKER_URL: `http://127.0.0.1:${port}` } });
    expect(result.code).toBe(3);
    const xml = parseXml(fs.readFileSync(path.join(cwd, 'r.xml'), 'utf8'));
    expect(findAll(xml, 'error')).toHaveLength(1);
    expect(findAll(xml, 'skipped')).toHaveLength(2);
  });

  it('exit 2 for a bad scenario, naming file, line and key; nothing is sent', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'bad.yaml'), 'name: x\nsteps:\n  - name: a\n    fire: { url: "http://127.0.0.1:9/pb", expect: { status: abc } }\n');
    const bad = await runBin(['check', 'bad.yaml'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:4: steps\[0\]\.fire\.expect\.status: "abc" is not a status code/);
    expect(bad.stdout).toBe('');
    const missing = await runBin(['check', 'nowhere.yaml'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nowhere\.yaml: cannot read the scenario: no such file/);
    fs.writeFileSync(path.join(cwd, 'env.yaml'), SCENARIO);
    const env = await runBin(['check', 'env.yaml'], { cwd });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/environment variable not set: TRACKER_URL/);
    // A status that comes from a --var is checked before anything is sent, too.
    const mock = await tracker();
    const badStatus = await runBin(['check', 'env.yaml', '--var', 'offer=1', '--var', 'payout=1', '--var', 'dup_status=4o9'], { cwd, env: { TRACKER_URL: mock.url } });
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toMatch(/env\.yaml:9: step 3 "duplicate": steps\[2\]\.fire\.expect\.status: "4o9" is not a status/);
    expect(mock.stats().clicks).toBe(0);
  });

  it('a bad value in a data row is exit 2 before the first row sends anything, naming the step and the row', async () => {
    const mock = await tracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'smoke.yaml'), SCENARIO.replace('"{dup_status}"', '409'));
    fs.writeFileSync(path.join(cwd, 'rows.csv'), 'offer,payout\n1,1.00\n2,lots\n3,3.00\n');
    const result = await runBin(['check', 'smoke.yaml', '--data', 'rows.csv', '--junit', 'report.xml'], { cwd, env: { TRACKER_URL: mock.url } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/smoke\.yaml:7: step 2 "postback": steps\[1\]\.fire\.payout: "lots" is not a decimal amount.*\(data row 2\)/);
    expect(result.stderr).toMatch(/smoke\.yaml:9: step 3 "duplicate": steps\[2\]\.fire\.payout: "lots" is not a decimal amount.*\(data row 2\)/);
    expect(result.stdout).toBe('');
    expect(fs.existsSync(path.join(cwd, 'report.xml'))).toBe(false);
    expect(mock.stats().clicks).toBe(0);
  });

  it('--json prints one document; --init writes a starter and refuses to overwrite it', async () => {
    const mock = await tracker();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 's.yaml'), SCENARIO.replace('"{dup_status}"', '409'));
    const json = await runCli(['check', 's.yaml', '--json', '--var', 'offer=5', '--var', 'payout=1.5'], { cwd, env: { TRACKER_URL: mock.url } });
    expect(json.code).toBe(0);
    const document = JSON.parse(json.stdout) as { version: number; summary: { passed: number }; runs: Array<{ steps: Array<{ name: string; status: string }> }> };
    expect(document.version).toBe(1);
    expect(document.summary.passed).toBe(3);
    expect(json.stderr).toMatch(/✓ postback/);

    const init = await runCli(['check', '--init', '--preset', 'tune'], { cwd });
    expect(init.code).toBe(0);
    expect(fs.readFileSync(path.join(cwd, 'tpb-check.yaml'), 'utf8')).toMatch(/preset: tune/);
    const again = await runCli(['check', '--init'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });
});

describe('starter scenarios (--init)', () => {
  it.each(PRESET_NAMES)('%s: parses, and its click and postback pass against tpb serve', async (preset) => {
    const mock = await tracker(preset);
    const scenario = parseScenario(starterScenario(preset), 'tpb-check.yaml');
    const result = await runScenario({ scenario, env: { TRACKER_URL: mock.url, KEITARO_POSTBACK_KEY: 'a1b2c3d' }, store: Store.open(path.join(tempDir(), 'tpb.db')) });
    const [click, postback] = result.runs[0]!.steps;
    expect([click!.status, click!.reason]).toEqual(['passed', expect.stringMatching(/captured click_id=/)]);
    expect([postback!.status, postback!.reason]).toEqual(['passed', expect.any(String)]);
  });
});
