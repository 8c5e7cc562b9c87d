import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PRESET_NAMES } from '../../src/presets/catalog.js';
import { startMockTracker, type MockTracker } from '../../src/serve/server.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { request } from './http.js';

const open: MockTracker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((tracker) => tracker.close()));
});

/** Variables some presets' fire templates need besides the click id. */
const VARS = ['--var', 'offer_id=1001', '--var', 'nid=1'];

async function tpb(args: string[], cwd: string, db: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli([...args, '--db', db], { cwd });
}

describe.each(PRESET_NAMES)('the whole loop against tpb serve --preset %s', (preset) => {
  it('tpb click → tpb fire --preset → exports → tpb ingest → tpb reconcile finds what was injected', async () => {
    const tracker = await startMockTracker({ preset, seed: 4 });
    open.push(tracker);
    const cwd = tempDir();
    const db = path.join(cwd, 'tpb.db');

    const clicked = await tpb(['click', tracker.routes.click, '-n', '20', '--preset', preset], cwd, db);
    expect(clicked.code, clicked.stderr).toBe(0);
    expect(tracker.stats().clicks).toBe(20);

    const fired = await tpb(
      ['fire', '--preset', preset, '--base', tracker.routes.postbackBase, ...VARS, '--from-db', '--last', '12', '--payout', '2.50', '--txid', 'T{i}', '--event', 'sale'],
      cwd,
      db,
    );
    expect(fired.code, fired.stderr).toBe(0);
    expect(tracker.stats().postbacks.recorded).toBe(12);

    // The same postbacks again: every tracker refuses them as duplicates (some still answer "success").
    const again = await tpb(
      ['fire', '--preset', preset, '--base', tracker.routes.postbackBase, ...VARS, '--from-db', '--last', '12', '--payout', '2.50', '--txid', 'T{i}', '--event', 'sale'],
      cwd,
      db,
    );
    expect([0, 1]).toContain(again.code);
    expect(tracker.stats().postbacks).toMatchObject({ recorded: 12, duplicate: 12 });

    const clicksFile = path.join(cwd, 'clicks.csv');
    const conversionsFile = path.join(cwd, 'conversions.csv');
    fs.writeFileSync(clicksFile, (await request(tracker.routes.clicksExport)).body);
    fs.writeFileSync(conversionsFile, (await request(tracker.routes.conversionsExport)).body);
    expect((await tpb(['ingest', clicksFile, '--kind', 'clicks', '--preset', preset, '--strict'], cwd, db)).code).toBe(0);
    expect((await tpb(['ingest', conversionsFile, '--kind', 'conversions', '--preset', preset, '--strict'], cwd, db)).code).toBe(0);

    const reconciled = await tpb(['reconcile', '--clicks-source', preset, '--json'], cwd, db);
    expect(reconciled.code, reconciled.stderr).toBe(0);
    const report = JSON.parse(reconciled.stdout) as { summary: Record<string, number> };
    expect(report.summary).toMatchObject({
      clicks: 20,
      conversions: 12,
      matched: 12,
      unmatched: 0,
      missing_click_id: 0,
      duplicate_groups: 0,
      duplicate_clicks: 0,
    });
  });
});

describe('a client that retries, against injected faults', () => {
  it('tpb fire --retries gets every postback through --fail-rate 0.3', async () => {
    const flaky = await startMockTracker({ preset: 'generic', seed: 99, failRate: 0.3 });
    open.push(flaky);
    const cwd = tempDir();
    const db = path.join(cwd, 'tpb.db');
    // Clicks retried by hand until 30 went through; the postbacks are what this test is about.
    const ids: string[] = [];
    while (ids.length < 30) {
      const answer = await request(flaky.routes.click);
      if (answer.status === 302) ids.push(new URL(answer.headers.location!).searchParams.get('click_id')!);
    }
    const fired = await tpb(
      ['fire', flaky.routes.postback, ...ids.flatMap((id) => ['--click-id', id]), '--payout', '1', '--txid', 'x{i}', '--event', 'sale', '--status', 'approved', '--retries', '6', '-c', '30'],
      cwd,
      db,
    );
    expect(fired.code, fired.stderr).toBe(0);
    expect(flaky.stats().faults.failed).toBeGreaterThan(3);
    expect(flaky.stats().postbacks.recorded).toBe(30);
    // 30 clicks and 30 postbacks got through; every other request was a 503 that was retried.
    expect(flaky.stats().requests).toBe(60 + flaky.stats().faults.failed);
  });
});
