/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockTracker, type MockTracker } from '../../src/serve/server.js';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { launch, openReport, screenshot } from './chromium.mjs';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
const trackers: MockTracker[] = [];
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
});

const SECRET = 's3cr3t-token-value';
const SCENARIO = `name: smoke
tracker: \${TRACKER_URL}
preset: generic
steps:
  - name: click
    click: { url: "{tracker}/click?offer_id={offer}" }
  - name: postback
    fire: { url: "{tracker}/postback?click_id={click_id}&payout={payout}&txid=t-{offer}&token=\${TPB_TOKEN}" }
  - name: duplicate
    fire: { url: "{tracker}/postback?click_id={click_id}&payout={payout}&txid=t-{offer}&token=\${TPB_TOKEN}", expect: { status: 200, preset: false } }
`;

describe('the Chromium harness', { timeout: 120_000 }, () => {
  it('catches a console error, a page error and a request (so the report tests can fail)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'bad.html');
    fs.writeFileSync(file, '<!doctype html><title>x</title><img src="http://127.0.0.1:9/pixel.gif"><script>console.error("boom"); undefinedFunction();</script>');
    const opened = await openReport(browser, file);
    expect(opened.requests).toEqual(['http://127.0.0.1:9/pixel.gif']);
    expect(opened.problems.some((problem) => problem.includes('boom'))).toBe(true);
    expect(opened.problems.some((problem) => problem.includes('undefinedFunction'))).toBe(true);
    await opened.page.close();
  });
});

describe('tpb check --report-html in Chromium', { timeout: 120_000 }, () => {
  it('shows each data row, step, verdict and the (redacted) requests and answers', async () => {
    const mock = await startMockTracker({ preset: 'generic', seed: 3 });
    trackers.push(mock);
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'smoke.yaml'), SCENARIO);
    fs.writeFileSync(path.join(cwd, 'rows.csv'), 'offer,payout\n1,1.00\n2,2.50\n');
    const result = await runBin(['check', 'smoke.yaml', '--data', 'rows.csv', '--report-html', 'check.html'], {
      cwd,
      env: { TRACKER_URL: mock.url, TPB_TOKEN: SECRET },
    });
    // The duplicate postback answers 409 where the scenario expects 200: a failed check, exit 1.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/HTML report: .*check\.html/);
    const file = path.join(cwd, 'check.html');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).toContain('token=REDACTED');

    const opened = await openReport(browser, file);
    const { page } = opened;
    await screenshot(page, cwd, 'check');
    expect(opened.problems).toEqual([]);
    expect(opened.requests).toEqual([]);
    expect(await page.$eval('#verdict', (node) => node.getAttribute('data-state'))).toBe('bad');
    expect(await page.$eval('#verdict .headline', (node) => node.textContent)).toBe('4 passed, 2 failed of 6 steps over 2 data rows');
    const runs = await page.$$eval('section.run', (sections) =>
      sections.map((section) => ({
        row: section.getAttribute('data-row'),
        data: section.querySelector('p.muted')?.textContent,
        steps: Array.from(section.querySelectorAll<HTMLTableRowElement>("tbody tr")).map((row) => `${row.cells[0]!.querySelector('strong')!.textContent} ${row.querySelector('[data-status]')!.getAttribute('data-status')}`),
      })),
    );
    expect(runs).toEqual([
      { row: '1', data: 'data: offer = 1 · payout = 1.00', steps: ['click passed', 'postback passed', 'duplicate failed'] },
      { row: '2', data: 'data: offer = 2 · payout = 2.50', steps: ['click passed', 'postback passed', 'duplicate failed'] },
    ]);
    const requests = await page.$$eval('pre.requests', (nodes) => nodes.map((node) => node.textContent ?? ''));
    expect(requests.some((lines) => /^GET http:\/\/127\.0\.0\.1:\d+\/postback\?click_id=.*token=REDACTED/m.test(lines) && /→ HTTP 409/.test(lines))).toBe(true);
    expect(await page.$$eval('pre.expectation', (nodes) => nodes.map((node) => node.textContent))).toEqual([
      expect.stringMatching(/^expected status 200\ngot {6}HTTP 409/),
      expect.stringMatching(/^expected status 200\ngot {6}HTTP 409/),
    ]);
    await page.close();
  });

  it('refuses a report path in a missing directory before sending anything (exit 2)', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'smoke.yaml'), SCENARIO);
    const result = await runBin(['check', 'smoke.yaml', '--report-html', 'nowhere/check.html'], { cwd, env: { TRACKER_URL: 'http://127.0.0.1:9', TPB_TOKEN: 'x' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nowhere.*does not exist/);
  });
});
