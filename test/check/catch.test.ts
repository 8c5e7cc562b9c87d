import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkExitCode, runScenario } from '../../src/check/run.js';
import { parseScenario } from '../../src/check/scenario.js';
import { startMockTracker, type MockTracker } from '../../src/serve/server.js';
import { Store } from '../../src/store/db.js';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const trackers: MockTracker[] = [];
const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((t) => t.close()));
  for (const store of stores.splice(0)) store.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A mock tracker whose outbound postbacks go to the receiver the scenario will start on `catchPort`. */
async function trackerForwardingTo(catchPort: number): Promise<MockTracker> {
  const tracker = await startMockTracker({
    preset: 'generic',
    forwardPostbacks: { template: `http://127.0.0.1:${catchPort}/pb?clickid={click_id}&payout={payout}&status={status}&txid={txid}`, retries: 2, backoffMs: 20, delay: { minMs: 100, maxMs: 100 } },
  });
  trackers.push(tracker);
  return tracker;
}

function scenarioText(trackerUrl: string, catchPort: number): string {
  return `name: outbound postback reaches the traffic source
tracker: ${trackerUrl}
preset: generic
catch: { port: ${catchPort} }
steps:
  - name: click
    click: { url: "{tracker}/click?offer_id=1&aff_id=2" }
  - name: conversion
    fire: { payout: "2.50", status: approved, txid: "ord-{click_id}" }
  - name: wrong payout expected
    continue_on_failure: true
    expect_postback: { params: { payout: "3.00" }, within: 1s }
  - name: traffic source told
    expect_postback: { path: /pb, params: { payout: "2.5", status: approved, txid: "ord-{click_id}" }, within: 5s }
  - name: never sent
    continue_on_failure: true
    expect_postback: { click_id: nope, within: 300ms }
`;
}

describe('check: catch: and expect_postback', () => {
  it('passes when the forwarded postback arrives with the expected parameters, and fails for the right reason otherwise', async () => {
    const catchPort = await freePort();
    const tracker = await trackerForwardingTo(catchPort);
    const store = Store.open(path.join(tempDir(), 'check.db'));
    stores.push(store);
    const result = await runScenario({ scenario: parseScenario(scenarioText(tracker.url, catchPort), 'scenario.yaml'), env: {}, store });
    const steps = result.runs[0]!.steps;
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['click', 'passed'],
      ['conversion', 'passed'],
      ['wrong payout expected', 'failed'],
      ['traffic source told', 'passed'],
      ['never sent', 'failed'],
    ]);
    const clickId = steps[0]!.captured!.click_id!;
    expect(steps[2]!.reason).toBe(`the postback for click id ${clickId} arrived but payout was "2.50", expected "3.00"`);
    expect(steps[3]!.reason).toMatch(new RegExp(`^arrived: #1 GET /pb\\?clickid=${clickId}&payout=2.50&status=approved&txid=ord-${clickId} → 200`));
    expect(steps[4]!.reason).toMatch(/^no postback with click id nope arrived at http:\/\/127\.0\.0\.1:\d+ within 300 ms \(1 request caught, none matching; 1 already matched by earlier steps\)$/);
    expect(checkExitCode(result)).toBe(1);
    // What the receiver caught is stored like tpb catch's.
    expect(store.db.prepare("SELECT count(*) AS n FROM conversions WHERE source = 'tpb:catch'").get()).toEqual({ n: 1 });
  }, 30_000);

  it('an expect_postback without a catch: section is a scenario error with its line', () => {
    expect(() => parseScenario('name: x\nsteps:\n  - name: a\n    expect_postback: { within: 1s }\n', 's.yaml')).toThrow(/^steps\[0\]\.expect_postback: needs a catch: section/);
    expect(() => parseScenario('name: x\ncatch: { prot: 1 }\nsteps:\n  - name: a\n    expect_postback: { witin: 1s }\n', 's.yaml')).toThrow(/catch\.prot: unknown key \(did you mean "port"\?\)[\s\S]*expect_postback\.witin: unknown key \(did you mean "within"\?\)/);
  });

  it('the built binary writes expect_postback steps as JUnit test cases, with the failure message', async () => {
    const dir = tempDir();
    const catchPort = await freePort();
    const tracker = await trackerForwardingTo(catchPort);
    fs.writeFileSync(path.join(dir, 'scenario.yaml'), scenarioText(tracker.url, catchPort));
    const result = await runBin(['check', 'scenario.yaml', '--junit', 'junit.xml', '--db', 'c.db'], { cwd: dir, timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    const junit = fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    const testcase = (name: string) => junit.split('<testcase ').find((block) => block.startsWith(`name="outbound postback reaches the traffic source / ${name}"`))!;
    expect(testcase('traffic source told')).not.toMatch(/<failure|<error/);
    expect(testcase('wrong payout expected')).toMatch(/<failure message="[^"]*payout was &quot;2.50&quot;, expected &quot;3.00&quot;" type="expect_postback"/);
    expect(testcase('never sent')).toMatch(/<failure message="no postback with click id nope arrived/);
  }, 60_000);
});
