import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkExitCode, runScenario } from '../../src/check/run.js';
import { parseScenario } from '../../src/check/scenario.js';
import { Store } from '../../src/store/db.js';
import { tempDir } from '../helpers/tmp.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A tracker whose click route answers 302 after 1 ms, but every 5th after 150 ms; postbacks answer OK. */
async function slowTracker(): Promise<string> {
  let n = 0;
  const server = http.createServer((request, response) => {
    n += 1;
    const delay = n % 5 === 0 ? 150 : 1;
    setTimeout(() => {
      if (request.url!.startsWith('/click')) response.writeHead(302, { Location: `/lp?cid=id${n}` }).end();
      else response.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    }, delay);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const run = async (steps: string) => {
  const base = await slowTracker();
  const scenario = parseScenario(`tracker: ${base}\nsteps:\n${steps}`, 'load.yaml');
  return runScenario({ scenario, env: {}, store: Store.open(path.join(tempDir(), 'tpb.db')) });
};

describe('check steps as load tests: the CLI thresholds as step keys', () => {
  it('a click step over its max_p95 fails naming the threshold; the fire step after it still gets the first id', async () => {
    const result = await run(`  - name: load
    click: { url: "{tracker}/click", count: 30, concurrency: 3, max_p95: 50 }
    continue_on_failure: true
  - name: fire
    fire: { url: "{tracker}/pb?cid={click_id}", max_p99: 10000, max_error_rate: 0 }
`);
    const [load, fire] = result.runs[0]!.steps;
    expect(load!.status).toBe('failed');
    expect(load!.reason).toMatch(/^p95 latency [\d.]+ ms is over --max-p95 50 ms$/);
    expect(load!.captured).toEqual({ click_id: expect.stringMatching(/^id\d+$/) });
    expect(fire!.status).toBe('passed');
    expect(fire!.reason).toMatch(/^1 postbacks, 1 passed, p95 [\d.]+ ms, p99 [\d.]+ ms, [\d.]+\/s; 2\/2 thresholds held$/);
    expect(checkExitCode(result)).toBe(1);
  });

  it('a timed fire step at a constant rate passes within its thresholds', async () => {
    const result = await run(`  - name: click
    click: { url: "{tracker}/click" }
  - name: pb load
    fire: { url: "{tracker}/pb?cid={click_id}", duration: 400ms, rate: 30, concurrency: 20, max_p99: 5000, min_rate: 5 }
`);
    const [, fire] = result.runs[0]!.steps;
    expect(fire!.status, fire!.reason).toBe('passed');
    // 30/s for 400 ms: 12 due; a loaded machine may leave a few unsent at the end.
    expect(fire!.reason).toMatch(/^(\d+) postbacks, \1 passed, p95 [\d.]+ ms, p99 [\d.]+ ms, [\d.]+\/s; 2\/2 thresholds held$/);
  });

  it('rejects a bad threshold value with the step path', async () => {
    const base = await slowTracker();
    expect(() => parseScenario(`tracker: ${base}\nsteps:\n  - click: { url: "{tracker}/click", max_error_rate: 2 }\n`, 'bad.yaml')).toThrow(/steps\[0\]\.click\.max_error_rate.*expected a number from 0 to 1/s);
  });
});
