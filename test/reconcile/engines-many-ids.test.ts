import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { openClickHouseBackend } from '../../src/reconcile/engines/index.js';
import { tempDir } from '../helpers/tmp.js';
import { seedCsv } from './seed.js';

/**
 * At 10,000,000 clicks × 2,000,000 conversions the duplicate findings name ~80,000 conversion ids,
 * and --engine chdb fetched them with the ids written into the SQL text: past ClickHouse's
 * max_query_size (256 KiB) that is a syntax error, exit 3. 30,000 duplicated conversions (60,000
 * ids, ~400 KB as text) reproduce it in seconds; the ids are now bound, a batch at a time.
 */
describe('--engine chdb with tens of thousands of findings to fetch by id', () => {
  it('reports every duplicate as the sqlite engine does', async () => {
    const dir = tempDir();
    const n = 30_000;
    const clicks = ['click_id,occurred_at'];
    const conversions = ['click_id,occurred_at,txid,event,payout'];
    for (let i = 0; i < n; i += 1) {
      const id = `ck${String(i).padStart(8, '0')}`;
      clicks.push(`${id},2026-03-01T10:00:00.000Z`);
      // Each conversion twice: the second is a duplicate of the first (same click id, event, txid).
      for (const second of [0, 1]) conversions.push(`${id},2026-03-01T11:00:0${second}.000Z,T${i},sale,1.50`);
    }
    fs.writeFileSync(path.join(dir, 'clicks.csv'), `${clicks.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'conversions.csv'), `${conversions.join('\n')}\n`);
    const file = path.join(dir, 'tpb.db');
    const store = Store.open(file);
    try {
      seedCsv(store, path.join(dir, 'clicks.csv'), 'clicks', 'tracker');
      seedCsv(store, path.join(dir, 'conversions.csv'), 'conversions', 'network');
      const sqlite = reconcile(store, {});
      const backend = await openClickHouseBackend({ engine: 'chdb', store, dbFile: file });
      let chdb;
      try {
        chdb = reconcile(backend, {});
      } finally {
        backend.close();
      }
      expect(sqlite.summary.duplicate_extra).toBe(n);
      expect(chdb.summary.duplicate_extra).toBe(n);
      expect(chdb.summary.duplicate_groups).toBe(sqlite.summary.duplicate_groups);
      const duplicates = (report: typeof sqlite) => report.findings.filter((finding) => finding.type === 'duplicate_extra');
      expect(duplicates(chdb)).toHaveLength(n);
      expect(duplicates(chdb).map((f) => [f.line, f.related_line])).toEqual(duplicates(sqlite).map((f) => [f.line, f.related_line]));
    } finally {
      store.close();
    }
  }, 120_000);
});
