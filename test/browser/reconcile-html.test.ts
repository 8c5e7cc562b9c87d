/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/db.js';
import type { ReconcileReport } from '../../src/reconcile/types.js';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { seedBasic } from '../reconcile/seed.js';
import { launch, openReport, screenshot } from './chromium.mjs';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** Ids an attacker controls: they must stay text, and must not make the page fetch anything. */
const HOSTILE_IDS = [
  '"><img src="http://127.0.0.1:9/x.png" onerror="document.title=\'pwned\'">',
  '<script>document.title="pwned"</script>',
  "=HYPERLINK(\"http://127.0.0.1:9/\",\"click\")",
];

function seedHostile(dir: string): string {
  const file = seedBasic(dir);
  const store = Store.open(file);
  try {
    const insert = store.db.prepare(
      "INSERT INTO conversions (source, line, click_id, occurred_at, txid, event, status, payout_micros, currency, affiliate_id) VALUES ('network', ?, ?, '2026-03-03T08:00:00.000Z', ?, 'sale', 'approved', 1000000, 'USD', ?)",
    );
    HOSTILE_IDS.forEach((id, i) => insert.run(100 + i, id, `H${i}`, '<b>aff</b>'));
  } finally {
    store.close();
  }
  return file;
}

async function reportOf(dir: string, db: string, extra: string[] = []): Promise<{ html: string; json: ReconcileReport }> {
  const html = await runBin(['--db', db, 'reconcile', '--format', 'html', '--out', 'report.html', ...extra], { cwd: dir });
  expect(html.stderr).toMatch(/Wrote the html report/);
  const json = await runBin(['--db', db, 'reconcile', '--json', ...extra], { cwd: dir });
  return { html: path.join(dir, 'report.html'), json: JSON.parse(json.stdout) as ReconcileReport };
}

describe('reconcile --format html in Chromium', { timeout: 120_000 }, () => {
  it('opens with no console error and no request; the numbers are the JSON report\'s; hostile ids stay text', async () => {
    const dir = tempDir();
    const db = seedHostile(dir);
    const { html, json } = await reportOf(dir, db);
    const opened = await openReport(browser, html);
    const { page } = opened;
    await screenshot(page, dir, 'reconcile');
    expect(fs.statSync(path.join(dir, 'reconcile.png')).size).toBeGreaterThan(10_000);
    expect(opened.problems).toEqual([]);
    expect(opened.requests).toEqual([]);
    expect(await page.title()).not.toBe('pwned');
    expect(await page.$$eval('img, script[src], iframe, object, embed', (nodes) => nodes.length)).toBe(0);

    // Verdict, money at stake and the cards carry the JSON summary's numbers.
    expect(await page.$eval('#money-at-stake', (node) => node.textContent)).toBe(json.summary.payout_at_stake.total.toFixed(2) + ' USD');
    const cards = await page.$$eval('#cards .card', (nodes) => Object.fromEntries(nodes.map((node) => [node.getAttribute('data-key'), node.querySelector('.n')?.textContent])));
    expect(cards.conversions).toBe(json.summary.conversions.toLocaleString('en-US'));
    expect(cards.unmatched).toBe(String(json.summary.unmatched));
    expect(cards.match_rate).toBe(`${(json.summary.match_rate * 100).toFixed(2)} %`);
    const summary = await page.$$eval('#summary-table tbody tr', (rows) =>
      Object.fromEntries(rows.map((row) => [row.querySelector('[data-category]')?.getAttribute('data-category'), Number(row.cells[1]!.textContent!.replace(/,/g, ''))])),
    );
    for (const key of ['matched', 'unmatched', 'missing_click_id', 'duplicate_extra', 'duplicate_clicks', 'before_click', 'outside_window'] as const) {
      expect(summary[key], key).toBe(json.summary[key]);
    }

    // Every finding is listed (no --limit): one row per finding in its category's table.
    for (const type of new Set(json.findings.map((finding) => finding.type))) {
      const rows = await page.$$eval(`#findings-${type} tbody tr`, (nodes) => nodes.length);
      expect(rows, type).toBe(json.findings.filter((finding) => finding.type === type).length);
    }
    // A shared explanation is one note; its rows point to it, and the note carries the whole hint.
    const notes = await page.$$eval('#findings-unmatched tbody tr[data-note]', (rows) => rows.map((row) => `${row.cells[4]!.textContent} ${document.getElementById(row.getAttribute('data-note')!)!.textContent}`));
    for (const text of notes) {
      const [head] = text.split(': [');
      expect(json.findings.some((f) => f.type === 'unmatched' && f.hint!.startsWith(`${head}: `) && text.endsWith(f.hint!.slice(head!.length + 2)))).toBe(true);
    }
    // The hostile ids are shown as the text they are.
    const ids = await page.$$eval('#findings-unmatched tbody tr td:nth-child(2)', (cells) => cells.map((cell) => cell.textContent));
    for (const id of HOSTILE_IDS) expect(ids).toContain(id);

    // Unmatched by cause adds up to the unmatched count.
    const causes = await page.$$eval('#unmatched-by-hint-table tbody tr', (rows) => rows.map((row) => Number(row.cells[1]!.textContent)));
    expect(causes.reduce((a, b) => a + b, 0)).toBe(json.summary.unmatched);
    await page.close();
  });

  it('sorts and filters tables with its inline script, and reads the same without JavaScript', async () => {
    const dir = tempDir();
    const db = seedBasic(dir);
    const { html, json } = await reportOf(dir, db);
    const opened = await openReport(browser, html);
    const { page } = opened;
    const payouts = () => page.$$eval('#findings-unmatched tbody tr:not([hidden]) td:nth-child(4)', (cells) => cells.map((cell) => parseFloat(cell.textContent!)));
    await page.click('#findings-unmatched thead th:nth-child(4)');
    const descending = await payouts();
    expect(descending).toEqual([...descending].sort((a, b) => b - a));
    await page.click('#findings-unmatched thead th:nth-child(4)');
    const ascending = await payouts();
    expect(ascending).toEqual([...descending].reverse());
    expect(new Set(ascending).size).toBeGreaterThan(1);

    const filter = await page.$('input[data-filter="findings-unmatched"]');
    expect(filter).not.toBeNull();
    expect(await filter!.isVisible()).toBe(true);
    await filter!.type('{clickid}');
    const visible = await page.$$eval('#findings-unmatched tbody tr:not([hidden])', (rows) => rows.map((row) => row.cells[1]!.textContent));
    expect(visible).toEqual(json.findings.filter((f) => f.type === 'unmatched' && f.click_id === '{clickid}').map((f) => f.click_id));
    expect(opened.problems).toEqual([]);
    await page.close();

    // Without JavaScript: the same tables and numbers; the filter box stays hidden.
    const still = await openReport(browser, html, { javaScript: false });
    expect(await still.page.$$eval('#findings-unmatched tbody tr', (rows) => rows.length)).toBe(json.summary.unmatched);
    expect(await still.page.$eval('input[data-filter="findings-unmatched"]', (node) => (node as HTMLInputElement).hidden)).toBe(true);
    expect(still.requests).toEqual([]);
    await still.page.close();
  });

  it('follows the dark scheme and fits a phone without sideways scrolling of the page', async () => {
    const dir = tempDir();
    const db = seedBasic(dir);
    const { html } = await reportOf(dir, db);
    const light = await openReport(browser, html);
    const dark = await openReport(browser, html, { dark: true, width: 390 });
    const background = (page: typeof light.page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await background(light.page)).toBe('rgb(255, 255, 255)');
    expect(await background(dark.page)).toBe('rgb(13, 17, 23)');
    const overflow = await dark.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(dark.page, dir, 'reconcile-dark-phone');
    expect(dark.problems).toEqual([]);
    expect(dark.requests).toEqual([]);
    await light.page.close();
    await dark.page.close();
  });
});

describe('the where-and-when sections in Chromium', { timeout: 120_000 }, () => {
  it("the demo's database: breakdowns by source, offer and affiliate, the daily chart and the lag histogram carry the JSON numbers", async () => {
    const dir = tempDir();
    const db = path.join(dir, 'demo.db');
    const demo = await runBin(['demo', '--db', db], { cwd: dir, timeoutMs: 120_000 });
    expect(demo.code).toBe(0);
    for (const extra of [[], ['--conversions-source', 'tpb:fire']]) {
      const { html, json } = await reportOf(dir, db, [...extra, '--by', 'source,offer,affiliate']);
      const opened = await openReport(browser, html);
      const { page } = opened;
      expect(opened.problems).toEqual([]);
      expect(opened.requests).toEqual([]);
      // One breakdown table per --by field (the html default is the same three), rows = JSON groups.
      const headings = await page.$$eval('h3[data-by]', (nodes) => nodes.map((node) => node.getAttribute('data-by')));
      expect(headings).toEqual(['source', 'offer', 'affiliate']);
      for (const [index, by] of ['source', 'offer', 'affiliate'].entries()) {
        const rows = await page.$$eval(`#groups-${index} tbody tr`, (nodes) => nodes.map((row) => [row.cells[0]!.textContent, Number(row.cells[1]!.textContent!.replace(/,/g, ''))]));
        const groups = json.groups!.filter((group) => group.by === by);
        expect(rows).toEqual(groups.map((group) => [group.key ?? '(none)', group.conversions]));
        expect(rows.reduce((sum, row) => sum + (row[1] as number), 0)).toBe(json.summary.conversions);
      }
      // The daily chart: one point per day with conversions, its rate the series' rate.
      const points = await page.$$eval('#chart-match-rate g.col', (nodes) => nodes.map((node) => [node.getAttribute('data-day'), Number(node.getAttribute('data-rate'))]));
      expect(points).toEqual(json.series!.daily.map((day) => [day.day, day.match_rate]));
      expect(await page.$$eval('#chart-match-rate circle', (nodes) => nodes.length)).toBe(json.series!.daily.filter((day) => day.conversions > 0).length);
      // The lag histogram: one bar group per bucket with the JSON count.
      const bars = await page.$$eval('#chart-lag g.col', (nodes) => nodes.map((node) => Number(node.getAttribute('data-count'))));
      expect(bars).toEqual(json.lag!.buckets.map((bucket) => bucket.count));
      expect(bars.reduce((a, b) => a + b, 0)).toBe(json.lag!.conversions);
      expect(await page.$eval('[data-p="50"]', (node) => node.textContent)).not.toBe('–');
      await screenshot(page, dir, `demo${extra.length > 0 ? '-fire' : ''}`);
      await page.close();
    }
  }, 180_000);

  it('marks immature days on the chart, says how incomplete they are, and shows the per-group verdict', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'tpb.db');
    const store = Store.open(db);
    try {
      const click = store.db.prepare("INSERT INTO clicks (source, line, click_id, occurred_at, affiliate_id) VALUES ('tracker', ?, ?, ?, ?)");
      const conversion = store.db.prepare("INSERT INTO conversions (source, line, click_id, occurred_at, txid, payout_micros, currency, affiliate_id) VALUES ('network', ?, ?, ?, ?, 2000000, 'USD', ?)");
      const start = Date.UTC(2026, 2, 1);
      store.db.transaction(() => {
        for (let i = 0; i < 1000; i += 1) {
          const at = start + Math.floor((i / 1000) * 10 * 86_400_000);
          click.run(i + 2, `c${i}`, new Date(at).toISOString(), i % 10 === 0 ? 'lossy' : 'fine');
          const when = at + ((i * 7919) % 3) * 86_400_000 + 3_600_000;
          if (i % 2 === 0 && when <= start + 10 * 86_400_000) {
            // Every 20th click's conversion arrives with an id no click has; the network's row names the affiliate.
            const lost = i % 20 === 0;
            conversion.run(i + 2, lost ? `lost${i}` : `c${i}`, new Date(when).toISOString(), `T${i}`, lost ? 'lossy' : null);
          }
        }
      })();
    } finally {
      store.close();
    }
    const { html, json } = await reportOf(dir, db, ['--by', 'affiliate', '--max-unmatched-rate', '0.2', '--ignore-last', '1d']);
    expect(json.maturity!.days.length).toBeGreaterThan(0);
    const opened = await openReport(browser, html);
    const { page } = opened;
    expect(opened.problems).toEqual([]);
    expect(opened.requests).toEqual([]);
    const shaded = await page.$$eval('#chart-match-rate rect.immature title', (nodes) => nodes.map((node) => node.textContent));
    const immature = json.series!.daily.filter((day) => day.incomplete_share !== null && day.incomplete_share > 0.01).map((day) => day.day);
    expect(shaded).toHaveLength(immature.length);
    expect(await page.$eval('#maturity', (node) => node.textContent)).toBe(json.maturity!.message);
    expect(await page.$eval('#thresholds', (node) => node.textContent)).toMatch(/Thresholds exceeded: .*affiliate "lossy": unmatched rate/);
    await screenshot(page, dir, 'immature');
    await page.close();
  });
});
