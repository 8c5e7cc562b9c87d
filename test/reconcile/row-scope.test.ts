import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { startRun } from '../../src/store/runs.js';
import { tempDir } from '../helpers/tmp.js';
import { seedBasic } from './seed.js';

const open: Store[] = [];
afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

/** The basic fixture (40 conversions, 18 unmatched), plus one small run of tpb click and one import that matches it. */
function storeWithARun(): { store: Store; runId: number; importId: number } {
  const store = Store.open(seedBasic(tempDir()));
  open.push(store);
  const db = store.db;
  const runId = startRun(store, 'click', 'http://127.0.0.1/click', {}, new Date('2026-02-01T00:00:00Z'));
  const click = db.prepare("INSERT INTO clicks (run_id, source, line, click_id, occurred_at) VALUES (?, 'tpb:click', ?, ?, '2026-02-01T00:00:00.000Z')");
  click.run(runId, 1, 'run-a');
  click.run(runId, 2, 'run-b');
  const importId = Number(
    db.prepare("INSERT INTO imports (kind, source, preset, file, sha256, rows, started_at, finished_at) VALUES ('conversions', 'network', 'generic', 'check.csv', 'x', 3, '2026-02-01T00:00:00.000Z', '2026-02-01T00:00:01.000Z')").run().lastInsertRowid,
  );
  const conversion = db.prepare("INSERT INTO conversions (import_id, source, line, click_id, txid, occurred_at, payout_micros) VALUES (?, 'network', ?, ?, ?, '2026-02-01T01:00:00.000Z', 1000000)");
  conversion.run(importId, 2, 'run-a', 't1');
  conversion.run(importId, 3, 'run-b', 't2');
  conversion.run(importId, 4, 'run-c', 't3');
  return { store, runId, importId };
}

describe('reconcile limited to some runs and imports (rows)', () => {
  it('sees only their clicks and conversions, as if the database held nothing else', () => {
    const { store, runId, importId } = storeWithARun();
    const whole = reconcile(store, { limit: 0 });
    expect(whole.summary.conversions).toBe(43);
    // The database's tracker clicks would be preferred over tpb:click, leaving the run's ids unmatched.
    expect(whole.options.click_sources).toEqual(['tracker']);

    const scoped = reconcile(store, { rows: { runIds: [runId], importIds: [importId] } });
    expect(scoped.summary).toMatchObject({ conversions: 3, clicks: 2, matched: 2, unmatched: 1, duplicate_extra: 0, overlapping_conversions: 0 });
    expect(scoped.options.click_sources).toEqual(['tpb:click']);
    expect(scoped.findings.map((finding) => [finding.type, finding.click_id])).toEqual([['unmatched', 'run-c']]);

    // An empty scope has nothing to reconcile; the tables are whole again afterwards, and writable.
    expect(() => reconcile(store, { rows: { runIds: [], importIds: [] } })).toThrow(/no conversions to reconcile/);
    expect(reconcile(store, { limit: 0 }).summary).toEqual(whole.summary);
    store.db.prepare("INSERT INTO clicks (source, click_id) VALUES ('tracker', 'after')").run();
    expect((store.db.prepare('SELECT count(*) AS n FROM clicks').get() as { n: number }).n).toBe(24);
  });
});
