import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { FINDING_COLUMNS } from '../../src/reconcile/types.js';
import { seedBasic, seedCsv } from './seed.js';
import { findAll, parseXml } from '../helpers/xml.js';
import { Store } from '../../src/store/db.js';

const SUMMARY_KEYS = [
  'conversions', 'clicks', 'matched', 'match_rate', 'unmatched', 'unmatched_rate', 'missing_click_id', 'duplicate_groups',
  'duplicate_extra', 'duplicate_clicks', 'clicks_not_recorded', 'before_click', 'outside_window', 'missing_in_a', 'missing_in_b', 'payout_mismatch',
  'status_mismatch', 'payout_at_stake', 'currencies', 'unmatched_by_hint', 'overlapping_conversions', 'overlapping_clicks',
];

/** The JSON report's schema, checked key by key and type by type. */
function checkReportSchema(report: Record<string, unknown>): void {
  expect(Object.keys(report)).toEqual(expect.arrayContaining(['version', 'options', 'summary', 'hints', 'findings']));
  expect(report.version).toBe(1);
  const summary = report.summary as Record<string, unknown>;
  expect(Object.keys(summary)).toEqual(SUMMARY_KEYS);
  for (const key of SUMMARY_KEYS.slice(0, 17)) expect(typeof summary[key], key).toBe('number');
  expect(Object.keys(summary.payout_at_stake as object)).toEqual(['unmatched', 'missing_click_id', 'duplicate_extra', 'outside_window', 'missing_in_a', 'missing_in_b', 'payout_mismatch', 'total']);
  for (const hint of report.hints as Array<Record<string, unknown>>) {
    expect(typeof hint.kind).toBe('string');
    expect(typeof hint.message).toBe('string');
    expect(typeof hint.count).toBe('number');
  }
  for (const finding of report.findings as Array<Record<string, unknown>>) {
    expect(Object.keys(finding)).toEqual(FINDING_COLUMNS);
    expect(typeof finding.type).toBe('string');
    expect(typeof finding.source).toBe('string');
    for (const key of ['line', 'payout', 'count', 'related_line', 'related_payout'] as const) {
      expect(finding[key] === null || typeof finding[key] === 'number', key).toBe(true);
    }
    for (const key of ['file', 'click_id', 'txid', 'occurred_at', 'hint', 'hint_kind'] as const) {
      expect(finding[key] === null || typeof finding[key] === 'string', key).toBe(true);
    }
  }
}

let cwd: string;
beforeAll(() => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'tpb-reconcile-cli-'));
  seedBasic(cwd);
});
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe('tpb reconcile through the built binary', () => {
  it('--json prints exactly one report document with every summary key', async () => {
    const result = await runBin(['reconcile', '--json'], { cwd });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    checkReportSchema(report);
    expect((report.summary as { unmatched: number }).unmatched).toBe(18);
    expect(report.findings).toHaveLength(26); // all findings: no --limit
    expect(report).not.toHaveProperty('thresholds');
  });

  it('prints the table by default, without color when piped', async () => {
    const result = await runBin(['reconcile'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Reconcile: 40 conversions against 21 clicks/);
    expect(result.stdout).toContain('Money at stake: 55.00 USD');
    expect(result.stdout).not.toContain('\u001b[');
    expect(result.stderr).toBe('');
  });

  it.each([
    [['--max-unmatched', '18'], 0, ''],
    [['--max-unmatched', '17'], 1, 'unmatched: 18, more than the 17 allowed'],
    [['--fail-on', 'duplicate'], 1, 'duplicate_extra: 3 (--fail-on duplicate_extra)'],
    [['--fail-on', 'payout_mismatch,status_mismatch'], 0, ''],
    [['--max-unmatched-rate', '0.5'], 0, ''],
    [['--max-unmatched-rate', '0.4'], 1, 'unmatched rate: 50%, more than the 40% allowed'],
    [['--max-duplicates', '2', '--max-outside-window', '0'], 1, 'duplicate_extra: 3, more than the 2 allowed; outside_window: 1, more than the 0 allowed'],
    [['--window', '90d', '--max-outside-window', '0'], 0, ''],
  ])('thresholds %j exit %i', async (flags, code, reason) => {
    const result = await runBin(['reconcile', '--json', ...flags], { cwd });
    expect(result.code).toBe(code);
    const report = JSON.parse(result.stdout) as { thresholds: { failed: boolean; reasons: string[] } };
    expect(report.thresholds.failed).toBe(code === 1);
    if (reason) {
      expect(result.stderr).toContain(`failed: reconcile: ${reason}`);
      expect(report.thresholds.reasons.join('; ')).toBe(reason);
    } else {
      expect(result.stderr).toBe('');
    }
  });

  it('writes junit to --out: one test case per category, failures over the thresholds, exit 1', async () => {
    const result = await runBin(['reconcile', '--format', 'junit', '--out', 'reconcile.xml', '--max-unmatched', '0', '--fail-on', 'before_click'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Wrote the junit report to .*reconcile\.xml: 18 unmatched/);
    const xml = parseXml(fs.readFileSync(path.join(cwd, 'reconcile.xml'), 'utf8'));
    const cases = findAll(xml, 'testcase');
    expect(cases).toHaveLength(7);
    expect(cases.filter((c) => findAll(c, 'failure').length > 0).map((c) => c.attributes.name)).toEqual(['unmatched', 'before_click']);
  });

  it('writes csv with formulas neutralised, and markdown', async () => {
    const csv = await runBin(['reconcile', '--format', 'csv'], { cwd });
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(26);
    expect(rows.some((row) => row.click_id === "'=1+2")).toBe(true);
    expect(rows.some((row) => row.click_id === '=1+2')).toBe(false);
    const md = await runBin(['reconcile', '--format', 'markdown', '--out', 'report.md'], { cwd });
    expect(md.code).toBe(0);
    expect(fs.readFileSync(path.join(cwd, 'report.md'), 'utf8')).toMatch(/^## ⚠️ tpb reconcile: 18 unmatched/);
  });

  it('exits 2 with what to ingest when the database has no conversions', async () => {
    const empty = tempDir();
    const missing = await runBin(['reconcile'], { cwd: empty });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/error: no database at .*tpb\.db/);
    expect(missing.stderr).toMatch(/hint: ingest the exports first/);
    expect(fs.existsSync(path.join(empty, 'tpb.db'))).toBe(false);
    Store.open(path.join(empty, 'tpb.db')).close();
    const none = await runBin(['reconcile', '--json'], { cwd: empty });
    expect(none.code).toBe(2);
    // --json: the error is also a JSON document on stdout, so a pipe into jq reads something.
    expect((JSON.parse(none.stdout) as { error: { code: string } }).error.code).toBe('input');
    expect(none.stderr).toMatch(/the database has no conversions to reconcile/);
    expect(none.stderr).toMatch(/tpb ingest conversions\.csv --kind conversions/);
  });
});

describe('tpb reconcile options', () => {
  it.each([
    [['--json', '--format', 'csv'], /cannot be combined with --format csv/],
    [['--compare', 'network'], /--compare takes two sources, got 1/],
    [['--fail-on', 'unmatched,nope'], /unknown category nope/],
    [['--window', 'soon'], /argument 'soon' is invalid/],
    [['--payout-tolerance', '0.0000001'], /more than 6 decimals/],
    [['--format', 'xml'], /Allowed choices are table, json, csv, markdown, junit/],
    [['--compare', 'network', 'tpb:fire', '--conversions-source', 'network'], /cannot be combined/],
  ])('%j is a usage error (exit 2)', async (flags, message) => {
    const result = await runCli(['reconcile', ...flags], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    // Only a --json run prints a (JSON error) document on stdout.
    if (flags.includes('--json')) expect((JSON.parse(result.stdout) as { error: { exit_code: number } }).error.exit_code).toBe(2);
    else expect(result.stdout).toBe('');
  });

  it('takes defaults from tpb.config.json', async () => {
    const dir = tempDir();
    seedBasic(dir);
    fs.writeFileSync(path.join(dir, 'tpb.config.json'), JSON.stringify({ reconcile: { window: '90d', 'dedupe-key': 'click_id' } }));
    const result = await runCli(['reconcile', '--json'], { cwd: dir });
    const report = JSON.parse(result.stdout) as { options: { window: string }; summary: { outside_window: number; duplicate_extra: number } };
    expect(report.options.window).toBe('90d');
    expect(report.summary).toMatchObject({ outside_window: 0, duplicate_extra: 5 });
  });

  it('--limit caps the rows and the table says how many more', async () => {
    const result = await runCli(['reconcile', '--limit', '1'], { cwd });
    expect(result.stdout).toContain('… and 17 more');
    const json = await runCli(['reconcile', '--json', '--limit', '1'], { cwd });
    const report = JSON.parse(json.stdout) as { findings: unknown[]; options: { limit: number } };
    expect(report.options.limit).toBe(1);
    expect(report.findings).toHaveLength(6);
  });

  it('compares two sources from the command line', async () => {
    const dir = tempDir();
    const store = Store.open(path.join(dir, 'tpb.db'));
    seedCsv(store, 'compare/advertiser.csv', 'conversions', 'advertiser');
    seedCsv(store, 'compare/network.csv', 'conversions', 'network');
    store.close();
    const result = await runCli(['reconcile', '--compare', 'advertiser', 'network', '--fail-on', 'compare'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Reconcile: advertiser against network \(by click_id\+txid\)/);
    expect(result.stdout).toMatch(/payout mismatch\s+1/);
    expect(result.stdout).toContain('Only in source a — 1');
    expect(result.stderr).toContain('missing_in_b: 1 (--fail-on missing_in_b); missing_in_a: 1');
  });

  it('-v reports the time of each stage on stderr', async () => {
    const result = await runCli(['reconcile', '--json', '-v'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/reconcile: classify \d+ ms/);
    JSON.parse(result.stdout);
  });
});
