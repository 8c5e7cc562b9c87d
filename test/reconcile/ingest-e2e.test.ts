import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { RECONCILE_FIXTURES } from './seed.js';
import { findAll, parseXml } from '../helpers/xml.js';

interface Report {
  summary: Record<string, number> & { unmatched_by_hint: Record<string, number>; payout_at_stake: Record<string, number> };
  hints: Array<{ kind: string; message: string; offset_hours?: number }>;
  findings: Array<Record<string, unknown>>;
  thresholds?: { failed: boolean; reasons: string[] };
}

const fixture = (name: string) => path.join(RECONCILE_FIXTURES, name);

async function ingest(cwd: string, file: string, kind: 'clicks' | 'conversions', source: string, ...extra: string[]): Promise<void> {
  const result = await runBin(['ingest', fixture(file), '--kind', kind, '--source', source, ...extra], { cwd });
  expect(result.code, result.stderr).toBe(0);
}

/** tpb ingest the basic fixture's exports, then tpb reconcile them: the realistic path, end to end. */
let cwd: string;
beforeAll(async () => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'tpb-reconcile-e2e-'));
  await ingest(cwd, 'basic/clicks.csv', 'clicks', 'tracker');
  await ingest(cwd, 'basic/conversions.csv', 'conversions', 'network');
  await ingest(cwd, 'basic/fired.csv', 'conversions', 'tpb:fire');
});
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe('tpb ingest → tpb reconcile', () => {
  it('finds every category and hint of the fixture in the ingested exports', async () => {
    const result = await runBin(['reconcile', '--json'], { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.summary).toMatchObject({
      conversions: 40, clicks: 21, matched: 20, unmatched: 18, missing_click_id: 2, duplicate_groups: 2, duplicate_extra: 3,
      duplicate_clicks: 1, before_click: 1, outside_window: 1,
    });
    expect(report.summary.unmatched_by_hint).toEqual({ macro: 6, empty: 3, encoding: 5, truncated: 1, shape: 2, not_recorded: 0, not_found: 1 });
    expect(report.summary.payout_at_stake.total).toBe(55);
    const unmatched = report.findings.find((f) => f.line === 15);
    expect(unmatched).toMatchObject({ type: 'unmatched', source: 'network', file: fixture('basic/conversions.csv'), click_id: '{clickid}', hint_kind: 'macro' });
  });

  it('writes every format', async () => {
    const csv = await runBin(['reconcile', '--format', 'csv', '--out', 'findings.csv'], { cwd });
    expect(csv.code).toBe(0);
    const rows = parse(fs.readFileSync(path.join(cwd, 'findings.csv')), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(26);
    expect(rows.filter((row) => row.click_id?.startsWith('='))).toEqual([]);

    const junit = await runBin(['reconcile', '--format', 'junit', '--fail-on', 'all'], { cwd });
    expect(junit.code).toBe(1);
    const xml = parseXml(junit.stdout);
    expect(findAll(xml, 'testcase').map((c) => [c.attributes.name, findAll(c, 'failure').length])).toEqual([
      ['unmatched', 1], ['missing_click_id', 1], ['duplicate_groups', 1], ['duplicate_extra', 1], ['duplicate_clicks', 1], ['before_click', 1], ['outside_window', 1],
    ]);

    const markdown = await runBin(['reconcile', '--format', 'markdown'], { cwd });
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(/^## ⚠️ tpb reconcile: 18 unmatched/);

    const table = await runBin(['reconcile', '--limit', '3'], { cwd });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('… and 15 more');
  });

  it.each([
    [['--max-unmatched', '18', '--max-duplicates', '3', '--max-unmatched-rate', '0.5'], 0],
    [['--max-unmatched', '10'], 1],
    [['--fail-on', 'missing_click_id'], 1],
    [['--dedupe-key', 'click_id', '--max-duplicates', '4'], 1],
    [['--window', '90d', '--fail-on', 'outside_window,payout_mismatch'], 0],
  ])('thresholds %j → exit %i', async (flags, code) => {
    const result = await runBin(['reconcile', '--json', ...flags], { cwd });
    expect(result.code).toBe(code);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.thresholds?.failed).toBe(code === 1);
  });
});

describe('timezone mismatch, found and fixed', () => {
  it('hints at the 5h offset, and re-ingesting with --timezone removes it', async () => {
    const dir = tempDir();
    await ingest(dir, 'timezone/clicks.csv', 'clicks', 'tracker');
    await ingest(dir, 'timezone/conversions-local.csv', 'conversions', 'network');
    const before = JSON.parse((await runBin(['reconcile', '--json'], { cwd: dir })).stdout) as Report;
    expect(before.summary.before_click).toBe(7);
    expect(before.hints.find((h) => h.kind === 'timezone_offset')).toMatchObject({ offset_hours: 5 });

    await ingest(dir, 'timezone/conversions-local.csv', 'conversions', 'network', '--timezone', '-05:00', '--force');
    const after = await runBin(['reconcile', '--json', '--fail-on', 'before_click'], { cwd: dir });
    expect(after.code).toBe(1);
    const report = JSON.parse(after.stdout) as Report;
    expect(report.summary).toMatchObject({ conversions: 7, before_click: 1 });
    expect(report.hints.some((h) => h.kind === 'timezone_offset')).toBe(false);
    expect(report.findings.map((f) => f.line)).toEqual([7]);
  });
});

describe('compare through ingest, and nothing to reconcile', () => {
  it('compares two ingested conversion exports', async () => {
    const dir = tempDir();
    await ingest(dir, 'compare/advertiser.csv', 'conversions', 'advertiser');
    await ingest(dir, 'compare/network.csv', 'conversions', 'network');
    const result = await runBin(['reconcile', '--json', '--compare', 'advertiser', 'network', '--max-payout-mismatch', '0'], { cwd: dir });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.summary).toMatchObject({ missing_in_a: 1, missing_in_b: 1, payout_mismatch: 1, status_mismatch: 1 });
    expect(result.stderr).toContain('payout_mismatch: 1, more than the 0 allowed');
  });

  it('exits 2 when only clicks were ingested, saying what to ingest', async () => {
    const dir = tempDir();
    await ingest(dir, 'basic/clicks.csv', 'clicks', 'tracker');
    const result = await runBin(['reconcile'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/no conversions to reconcile\nhint: ingest a conversion export first: tpb ingest conversions\.csv --kind conversions/);
  });
});
