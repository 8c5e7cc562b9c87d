import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PRESETS, PRESET_NAMES } from '../../src/presets/catalog.js';
import { EXPORT_FORMATS } from '../../src/presets/exports.js';
import { Store } from '../../src/store/db.js';
import { startMockTracker, type MockTracker } from '../../src/serve/server.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { click, fill, request } from './http.js';

// `tpb ingest` is built on its own branch; this runs as soon as it is on main and merged here.
const ingestAvailable = fs.existsSync(path.join(REPO_ROOT, 'src', 'cli', 'commands', 'ingest.ts'));

const open: MockTracker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((tracker) => tracker.close()));
});

/** A clock that moves 61.5 s per reading: distinct times, sub-second parts the exports must drop. */
function steppingClock(): { now: () => Date; readings: Date[] } {
  const readings: Date[] = [];
  let t = Date.parse('2026-11-29T10:59:30.750Z');
  return {
    readings,
    now: () => {
      const date = new Date(t);
      t += 61_500;
      readings.push(date);
      return date;
    },
  };
}

const whole = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString();

describe.skipIf(!ingestAvailable).each(PRESET_NAMES)('serve export → tpb ingest --preset %s', (preset) => {
  it('reads back the same click ids, timestamps and payouts', async () => {
    const clock = steppingClock();
    const tracker = await startMockTracker({ preset, now: clock.now, seed: 21 });
    open.push(tracker);
    const param = PRESETS[preset].clickIdParam;
    const clicks: Array<{ id: string; at: string }> = [];
    for (let i = 0; i < 12; i += 1) {
      const id = await click(tracker.routes.click, param);
      clicks.push({ id, at: whole(clock.readings.at(-1)!) });
    }
    const payouts = ['12.34', '0.0015', '7', '1999.99', ''];
    const conversions: Array<{ id: string; at: string; micros: number | null; txid: string }> = [];
    for (let i = 0; i < payouts.length; i += 1) {
      const id = clicks[i * 2]!.id;
      const answer = await request(fill(tracker.routes.postback, { click_id: id, payout: payouts[i]!, txid: `T${i}`, event: 'sale', status: '1' }));
      expect(answer.status).toBeLessThan(300);
      const micros = payouts[i] === '' ? null : Math.round(Number(payouts[i]) * 1_000_000);
      conversions.push({ id, at: whole(clock.readings.at(-1)!), micros, txid: `T${i}` });
    }
    expect(tracker.stats().postbacks.recorded).toBe(payouts.length);

    const dir = tempDir();
    const clicksFile = path.join(dir, `${preset}-clicks.csv`);
    const conversionsFile = path.join(dir, `${preset}-conversions.csv`);
    fs.writeFileSync(clicksFile, (await request(tracker.routes.clicksExport)).body);
    fs.writeFileSync(conversionsFile, (await request(tracker.routes.conversionsExport)).body);
    const db = path.join(dir, 'tpb.db');
    for (const [file, kind] of [[clicksFile, 'clicks'], [conversionsFile, 'conversions']] as const) {
      const result = await runCli(['ingest', file, '--kind', kind, '--preset', preset, '--db', db, '--strict'], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
    }

    const store = Store.open(db, { readonly: true });
    try {
      const storedClicks = store.db.prepare('SELECT click_id, occurred_at, offer_id FROM clicks ORDER BY line').all() as Array<{ click_id: string; occurred_at: string; offer_id: string | null }>;
      expect(storedClicks.map((row) => [row.click_id, row.occurred_at])).toEqual(clicks.map((c) => [c.id, c.at]));
      const storedConversions = store.db
        .prepare('SELECT click_id, occurred_at, payout_micros, txid FROM conversions ORDER BY line')
        .all() as Array<{ click_id: string; occurred_at: string; payout_micros: number | null; txid: string | null }>;
      expect(storedConversions.map((row) => [row.click_id, row.occurred_at])).toEqual(conversions.map((c) => [c.id, c.at]));
      if ('payout' in EXPORT_FORMATS[preset].conversions) {
        expect(storedConversions.map((row) => row.payout_micros)).toEqual(conversions.map((c) => c.micros));
      }
      if ('txid' in EXPORT_FORMATS[preset].conversions && preset !== 'redtrack') {
        expect(storedConversions.map((row) => row.txid)).toEqual(conversions.map((c) => c.txid));
      }
    } finally {
      store.close();
    }
  });
});
