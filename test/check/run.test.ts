import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runScenario, checkExitCode } from '../../src/check/run.js';
import { loadScenario, parseScenario } from '../../src/check/scenario.js';
import { PRESET_NAMES } from '../../src/presets/catalog.js';
import { startMockTracker, type MockTracker } from '../../src/serve/server.js';
import { Store } from '../../src/store/db.js';
import { Redactor, REDACTED } from '../../src/text/redact.js';
import { FIXTURES } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const trackers: MockTracker[] = [];
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A scripted tracker on a free loopback port, closed after the test; returns its base URL. */
async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function tracker(preset: (typeof PRESET_NAMES)[number]): Promise<MockTracker> {
  const started = await startMockTracker({ preset, seed: 1 });
  trackers.push(started);
  return started;
}

function store(): Store {
  return Store.open(path.join(tempDir(), 'tpb.db'));
}

describe('fixture scenarios against tpb serve', () => {
  it.each(PRESET_NAMES)('%s: every step passes', async (preset) => {
    const mock = await tracker(preset);
    const scenario = loadScenario(path.join(FIXTURES, 'scenarios', `${preset}.yaml`));
    const result = await runScenario({ scenario, env: { TRACKER_URL: mock.url, KEITARO_POSTBACK_KEY: 'a1b2c3d' }, store: store() });
    const failures = result.runs[0]!.steps.filter((step) => step.status !== 'passed').map((step) => `${step.name}: ${step.reason}`);
    expect(failures).toEqual([]);
    expect(result.summary).toMatchObject({ steps: 4, passed: 4 });
    expect(checkExitCode(result)).toBe(0);
    // The mock saw the click and recorded exactly one conversion (the duplicate was refused or ignored).
    const stats = mock.stats();
    expect(stats.clicks).toBe(1);
    expect(stats.postbacks.recorded).toBe(1);
  });
});

describe('runScenario', () => {
  it('flows captures from a click into later steps, encoded once', async () => {
    // A tracker whose ids need encoding: + / = and a space must arrive intact.
    const received: string[] = [];
    const base = await listen((request, response) => {
      received.push(request.url!);
      if (request.url!.startsWith('/click')) {
        response.writeHead(302, { Location: `/landing?cid=${encodeURIComponent('a+b/c= d')}` }).end();
      } else response.writeHead(200).end('OK');
    });
    const scenario = parseScenario(
      `tracker: ${base}
steps:
  - name: click
    click: { url: "{tracker}/click", capture: cid }
  - name: fire
    fire: { url: "{tracker}/pb?cid={cid}&note={note}" }
`,
      'inline.yaml',
    );
    const result = await runScenario({ scenario, vars: { note: 'x&y' }, env: {}, store: store() });
    expect(result.runs[0]!.steps.map((step) => step.status)).toEqual(['passed', 'passed']);
    expect(result.runs[0]!.steps[0]!.captured).toEqual({ cid: 'a+b/c= d' });
    expect(received[1]).toBe('/pb?cid=a%2Bb%2Fc%3D%20d&note=x%26y');
  });

  it('skips the rest of a run after a failure unless continue_on_failure', async () => {
    const mock = await tracker('generic');
    const scenario = parseScenario(
      `tracker: \${TRACKER_URL}
preset: generic
steps:
  - name: unknown click
    continue_on_failure: true
    fire: { url: "{tracker}/postback?click_id=nope" }
  - name: still runs
    fire: { url: "{tracker}/postback?click_id=nope2", expect: { status: 404, preset: false } }
  - name: fails
    fire: { url: "{tracker}/postback?click_id=nope3" }
  - name: skipped
    wait: 10ms
`,
      'inline.yaml',
    );
    const result = await runScenario({ scenario, env: { TRACKER_URL: mock.url }, store: store() });
    const steps = result.runs[0]!.steps;
    expect(steps.map((step) => step.status)).toEqual(['failed', 'passed', 'failed', 'skipped']);
    expect(steps[0]!.actual).toMatch(/^HTTP 404/);
    expect(steps[3]!.reason).toBe('skipped: "fails" failed');
    expect(checkExitCode(result)).toBe(1);
  });

  it('runs once per data row with the row as vars', async () => {
    const mock = await tracker('generic');
    const scenario = parseScenario(
      `tracker: \${TRACKER_URL}
preset: generic
steps:
  - name: click
    click: { url: "{tracker}/click?offer_id={offer}" }
  - name: postback
    fire: { payout: "{payout}", txid: "t-{offer}" }
`,
      'inline.yaml',
    );
    const data = [
      { row: 1, values: { offer: '1', payout: '1.00' } },
      { row: 2, values: { offer: '2', payout: '2.50' } },
      { row: 3, values: { offer: '3', payout: 'not-money' } },
    ];
    const db = store();
    const broken = await runScenario({ scenario, data, env: { TRACKER_URL: mock.url }, store: db });
    expect(broken.error?.message).toMatch(/inline\.yaml:6: step "postback": --payout "not-money" is not a decimal amount.*\(data row 3\)/);
    expect(broken.runs[2]!.steps.map((step) => [step.status, step.errorType])).toEqual([['passed', undefined], ['error', 'scenario']]);
    expect(checkExitCode(broken)).toBe(2);
    const result = await runScenario({ scenario, data: data.slice(0, 2), env: { TRACKER_URL: mock.url }, store: db });
    expect(result.runs.map((run) => run.label)).toEqual(['row 1', 'row 2']);
    expect(result.summary).toMatchObject({ runs: 2, steps: 4, passed: 4 });
    const payouts = db.db.prepare("SELECT payout_micros FROM conversions WHERE source = 'tpb:fire' ORDER BY id").pluck().all();
    expect(payouts.slice(-2)).toEqual([1_000_000, 2_500_000]);
  });

  it('wait until polls a later step until the tracker has recorded it', async () => {
    // Records asynchronously: the status endpoint says "pending" for 600 ms after the first poll
    // (counted from the first poll, not from set-up, which can take that long on a loaded machine).
    let firstPollAt: number | undefined;
    let polls = 0;
    const base = await listen((request, response) => {
      if (request.url!.startsWith('/status')) {
        polls += 1;
        firstPollAt ??= Date.now();
        response.writeHead(200).end(Date.now() - firstPollAt > 600 ? 'recorded' : 'pending');
      } else response.writeHead(200).end('OK');
    });
    const scenario = parseScenario(
      `tracker: ${base}
steps:
  - name: wait for the conversion
    wait: { until: conversion recorded, timeout: 5s, interval: 100ms }
  - name: conversion recorded
    fire: { url: "{tracker}/status", expect: { body: "^recorded$" } }
  - name: too impatient
    wait: { until: never, timeout: 300ms, interval: 100ms }
  - name: never
    fire: { url: "{tracker}/status", expect: { body: "^gone$" } }
`,
      'inline.yaml',
    );
    const result = await runScenario({ scenario, env: {}, store: store() });
    const [wait, recorded, impatient, never] = result.runs[0]!.steps;
    expect(wait!.status).toBe('passed');
    expect(wait!.duration_ms).toBeGreaterThanOrEqual(500);
    expect(recorded!.status).toBe('passed');
    expect(polls).toBeGreaterThanOrEqual(5);
    expect(impatient!.status).toBe('failed');
    expect(impatient!.reason).toMatch(/"never" did not pass within 300 ms/);
    // The polled step reports its last attempt, and says who polled it.
    expect(never!.status).toBe('failed');
    expect(never!.reason).toMatch(/polled \d+ times by "too impatient"/);
  });

  it('redacts secrets from the environment everywhere, and names a missing one', async () => {
    const mock = await tracker('tune');
    const scenario = parseScenario(
      `tracker: \${TRACKER_URL}
preset: tune
steps:
  - name: click
    click: { url: "{tracker}/aff_c?offer_id=1&aff_id=2" }
  - name: postback
    fire: { url: "{tracker}/aff_lsr?transaction_id={click_id}&sig=\${TUNE_SIG}" }
`,
      'inline.yaml',
    );
    await expect(runScenario({ scenario, env: { TRACKER_URL: mock.url }, store: store() })).rejects.toThrow(/environment variable not set: TUNE_SIG \(used by step "postback"\)/);
    const db = store();
    const result = await runScenario({ scenario, env: { TRACKER_URL: mock.url, TUNE_SIG: 's3cr3t-value' }, store: db, redactor: new Redactor() });
    expect(result.summary.passed).toBe(2);
    const everything = JSON.stringify(result) + JSON.stringify(db.db.prepare('SELECT url FROM postbacks').all());
    expect(everything).not.toContain('s3cr3t-value');
    expect(everything).toContain(`sig=${REDACTED}`);
    // A short secret is still redacted where it is a parameter's value.
    const short = await runScenario({ scenario, env: { TRACKER_URL: mock.url, TUNE_SIG: 'abc' }, store: store() });
    expect(JSON.stringify(short)).not.toMatch(/sig=abc/);
    // The tracker's base URL is not a secret: reports still say where requests went.
    expect(everything).toContain(mock.url);
  });

  it('reports an unreachable tracker as an error (exit 3), not a failure', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const scenario = parseScenario(`tracker: http://127.0.0.1:${port}\nsteps:\n  - name: pb\n    fire: { url: "{tracker}/pb", retries: 0, timeout: 2s }\n  - name: after\n    wait: 1ms\n`, 'inline.yaml');
    const result = await runScenario({ scenario, env: {}, store: store() });
    expect(result.runs[0]!.steps.map((step) => step.status)).toEqual(['error', 'skipped']);
    expect(result.runs[0]!.steps[0]!.reason).toMatch(/refused/i);
    expect(checkExitCode(result)).toBe(3);
  });

  it('ingests and reconciles as steps', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'clicks.csv'), 'click_id,occurred_at\nc1,2026-01-01T00:00:00Z\nc2,2026-01-01T00:00:00Z\n');
    fs.writeFileSync(path.join(dir, 'conversions.csv'), 'click_id,occurred_at,txid,payout\nc1,2026-01-02T00:00:00Z,t1,1.00\nzz,2026-01-02T00:00:00Z,t2,1.00\n');
    fs.writeFileSync(
      path.join(dir, 's.yaml'),
      `steps:
  - name: clicks
    ingest: { file: clicks.csv, kind: clicks, preset: generic }
  - name: conversions
    ingest: { file: conversions.csv, kind: conversions, preset: generic }
  - name: all matched
    continue_on_failure: true
    reconcile: { max_unmatched: 0 }
  - name: one unmatched allowed
    reconcile: { max_unmatched: 1 }
`,
    );
    const result = await runScenario({ scenario: loadScenario(path.join(dir, 's.yaml')), env: {}, store: Store.open(path.join(dir, 'tpb.db')) });
    const steps = result.runs[0]!.steps;
    expect(steps.map((step) => step.status)).toEqual(['passed', 'passed', 'failed', 'passed']);
    expect(steps[2]!.reason).toMatch(/unmatched/);
    expect(steps[3]!.reason).toMatch(/2 conversions, 1 matched, 1 unmatched/);
  });
});
