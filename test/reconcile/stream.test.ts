import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { sqliteBackend } from '../../src/reconcile/engines/sqlite.js';
import type { Finding, ReconcileReport } from '../../src/reconcile/types.js';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { seedBasic } from './seed.js';

/**
 * At 10,000,000 clicks × 2,000,000 conversions `reconcile --json` writes ~180,000 findings: they
 * are handed to a sink as they are found (the JSON document is written piece by piece), and the
 * temporary tables go to a file above a size. Both must change nothing in what is reported.
 */
const open: Store[] = [];
afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

function basic(): { store: Store; file: string } {
  const file = seedBasic(tempDir());
  const store = Store.open(file);
  open.push(store);
  return { store, file };
}

const options = { insights: { by: [['affiliate'] as ['affiliate']] } };

describe('findings handed to a sink', () => {
  it('gives the same findings, in the same order, after a report complete but for them', () => {
    const { store } = basic();
    const collected = reconcile(store, options);
    const sunk: Finding[] = [];
    let begun: ReconcileReport | undefined;
    let findingsBeforeBegin = 0;
    const streamed = reconcile(store, {
      ...options,
      findingSink: {
        begin: (report) => {
          begun = structuredClone(report);
          findingsBeforeBegin = sunk.length;
        },
        finding: (finding) => sunk.push(finding),
      },
    });
    expect(collected.findings.length).toBeGreaterThan(20);
    expect(sunk).toEqual(collected.findings);
    expect(findingsBeforeBegin).toBe(0);
    expect(streamed.findings).toEqual([]);
    // At begin the summary is final (rates, payouts in units) and the insights are there.
    expect(begun!.summary).toEqual(collected.summary);
    expect(begun!.series).toEqual(collected.series);
    expect(begun!.groups).toEqual(collected.groups);
    expect(begun!.hints).toEqual(collected.hints);
  });

  it('reports the same with its temporary tables in a file as in memory', () => {
    const { store } = basic();
    const inMemory = reconcile(store, options);
    let tempStore: unknown;
    const inFile = reconcile(sqliteBackend(store, { tempFileAboveConversions: 0 }), {
      ...options,
      findingSink: { begin: () => (tempStore = store.db.pragma('temp_store', { simple: true })), finding: () => undefined },
    });
    expect(tempStore).toBe(1); // FILE
    expect(inFile.summary).toEqual(inMemory.summary);
    expect(inFile.lag).toEqual(inMemory.lag);
    expect(store.db.pragma('temp_store', { simple: true })).toBe(2); // MEMORY again afterwards
    const again = reconcile(sqliteBackend(store, { tempFileAboveConversions: 0 }), options);
    expect(again.findings).toEqual(inMemory.findings);
  });
});

describe('tpb reconcile --json writes its document as it goes', () => {
  it('prints byte for byte what the whole-document renderer writes to --out, thresholds included', async () => {
    const { file } = basic();
    const dir = path.dirname(file);
    const args = ['--db', file, 'reconcile', '--by', 'affiliate', '--max-unmatched-rate', '0.1'];
    const streamed = await runBin([...args, '--json'], { cwd: dir });
    const whole = await runBin([...args, '--format', 'json', '--out', 'whole.json'], { cwd: dir });
    expect(streamed.code).toBe(1);
    expect(whole.code).toBe(1);
    expect(streamed.stdout).toBe(fs.readFileSync(path.join(dir, 'whole.json'), 'utf8'));
    const document = JSON.parse(streamed.stdout) as ReconcileReport & { thresholds: { failed: boolean } };
    expect(document.findings.length).toBeGreaterThan(20);
    expect(document.thresholds.failed).toBe(true);
  });

  it('writes what the whole-document renderer writes, to stdout and to --out', async () => {
    const { store, file } = basic();
    const dir = path.dirname(file);
    const { renderReconcileJson } = await import('../../src/report/reconcile/json.js');
    const whole = renderReconcileJson(reconcile(store, { insights: { by: [] } }));
    const streamed = await runBin(['--db', file, 'reconcile', '--json'], { cwd: dir });
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toBe(whole);
    const out = await runBin(['--db', file, 'reconcile', '--format', 'json', '--out', 'r.json'], { cwd: dir });
    expect(out.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'r.json'), 'utf8')).toBe(whole);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('still answers a JSON error document when reconcile fails before writing', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'empty.db');
    Store.open(file).close();
    const result = await runBin(['--db', file, 'reconcile', '--json', '--clicks-source', 'nowhere'], { cwd: dir });
    expect(result.code).not.toBe(0);
    const document = JSON.parse(result.stdout) as { error?: { message: string } };
    expect(document.error?.message).toBeTruthy();
  });
});
