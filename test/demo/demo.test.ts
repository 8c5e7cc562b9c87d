import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run.js';
import { Store } from '../../src/store/db.js';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

interface DemoDocument {
  ok: boolean;
  db: string | null;
  steps: Array<{ title: string; ok: boolean }>;
  expectations: Array<{ name: string; expected: number; actual: number }>;
  reconcile: { summary: Record<string, number> & { unmatched_by_hint: Record<string, number> } };
  compare: { summary: Record<string, number> };
}

describe('tpb demo', () => {
  it('runs the whole loop through the built binary: exit 0, the counts match what it injected, nothing left behind', async () => {
    const cwd = tempDir();
    const result = await runBin(['demo', '--json'], { cwd });
    expect(result.stderr).toMatch(/1\/6 click/);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as DemoDocument;
    expect(doc.ok).toBe(true);
    expect(doc.steps.map((step) => [step.title, step.ok])).toEqual([
      ['click', true], ['lint', true], ['fire', true], ['export', true], ['ingest', true], ['reconcile', true],
    ]);
    // 300 clicks; 120 converted, 10 re-fired, 5 never-issued ids, 1 mangled, 1 literal macro.
    expect(doc.reconcile.summary).toMatchObject({ clicks: 300, conversions: 137, matched: 130, unmatched: 7, duplicate_groups: 10, duplicate_extra: 10 });
    expect(doc.reconcile.summary.unmatched_by_hint).toMatchObject({ macro: 1, encoding: 1, not_found: 5 });
    expect(doc.compare.summary).toMatchObject({ missing_in_b: 7, missing_in_a: 0 });
    for (const e of doc.expectations) expect([e.name, e.actual]).toEqual([e.name, e.expected]);
    expect(doc.db).toBeNull();
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('narrates each step in plain words and keeps the database with --db, refusing a database that holds data', async () => {
    const cwd = tempDir();
    const result = await runBin(['demo', '--db', 'demo.db', '--no-color'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/How postback tracking works/);
    expect(result.stdout).toMatch(/3\/6 fire — The advertiser's server reports 120 sales/);
    expect(result.stdout).toMatch(/literal macro/);
    expect(result.stdout).toMatch(/tpb db info --db .*demo\.db/);
    const store = Store.open(path.join(cwd, 'demo.db'));
    const counts = store.db.prepare('SELECT source, count(*) AS n FROM conversions GROUP BY source ORDER BY source').all();
    store.close();
    expect(counts).toEqual([{ source: 'generic', n: 120 }, { source: 'tpb:fire', n: 137 }]);
    // The follow-up reconcile it prints counts the 300 clicks the demo showed, not tpb click's copy too (issue 9).
    const followUp = /^\s+(tpb reconcile .*)$/m.exec(result.stdout)![1]!.split(' ').slice(1);
    const reconciled = await runBin(followUp, { cwd });
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(reconciled.stdout).toMatch(/137 conversions against 300 clicks .*clicks from generic \(not tpb:click\)/);
    const again = await runBin(['demo', '--db', 'demo.db'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds data/);
  }, 120_000);

  it('runs against another tracker flavour in-process (TUNE: 200 answers with success=false)', async () => {
    const store = Store.open(path.join(tempDir(), 'tpb.db'));
    const result = await runDemo({ store, preset: 'tune' });
    store.close();
    expect(result.ok).toBe(true);
    const fire = result.steps.find((step) => step.title === 'fire')!;
    expect(fire.shows[1]).toMatch(/10× 200/);
    expect(result.imports.map((imported) => [imported.kind, imported.rows, imported.rejected])).toEqual([['clicks', 300, 0], ['conversions', 120, 0]]);
  });
});
