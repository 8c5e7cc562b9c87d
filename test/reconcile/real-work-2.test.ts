import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { RECONCILE_FIXTURES } from './seed.js';

/** Issue 9, items 3 and 4: the user's commands, each a spawned binary on one SQLite file. */

interface Report {
  summary: Record<string, number> & { payout_at_stake: Record<string, number> };
  hints: Array<{ kind: string; message: string; offset_hours?: number }>;
  findings: Array<Record<string, unknown>>;
}

// Each test spawns the binary several times: give them room on a loaded machine.
vi.setConfig({ testTimeout: 180_000 });

const fixture = (name: string) => path.join(RECONCILE_FIXTURES, name);

async function ok(cwd: string, ...args: string[]) {
  const result = await runBin(args, { cwd });
  expect(result.code, `tpb ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result;
}

const reconcileJson = async (cwd: string, ...args: string[]) => JSON.parse((await ok(cwd, 'reconcile', '--json', ...args)).stdout) as Report;

describe('3. options that change what is stored are compared on re-ingest', () => {
  it('follows the hint: re-ingesting the same file with --timezone re-imports it in place of the old import', async () => {
    const cwd = tempDir();
    await ok(cwd, 'ingest', fixture('timezone/clicks.csv'), '--kind', 'clicks', '--source', 'tracker');
    await ok(cwd, 'ingest', fixture('timezone/conversions-local.csv'), '--kind', 'conversions', '--source', 'network');
    const before = await reconcileJson(cwd);
    expect(before.hints.find((h) => h.kind === 'timezone_offset')?.message).toMatch(/re-ingest with --timezone/);

    // No --force: the option alone makes it another import.
    const again = await ok(cwd, 'ingest', fixture('timezone/conversions-local.csv'), '--kind', 'conversions', '--source', 'network', '--timezone', '-05:00');
    expect(again.stdout).toMatch(/same content as import 2 with other options \(timezone UTC → -05:00\): re-imported in its place — 7 conversions imported as import 3/);
    const json = JSON.parse((await ok(cwd, 'ingest', fixture('timezone/conversions-local.csv'), '--kind', 'conversions', '--source', 'network', '--timezone', '-05:00', '--json')).stdout) as {
      files: Array<{ status: string; import_id: number }>;
    };
    expect(json.files[0]).toMatchObject({ status: 'unchanged', import_id: 3 });
    const imports = JSON.parse((await ok(cwd, 'db', 'imports', '--json')).stdout) as { imports: Array<{ id: number }> };
    expect(imports.imports.map((row) => row.id)).toEqual([1, 3]);
    const after = await reconcileJson(cwd);
    expect(after.summary).toMatchObject({ conversions: 7, before_click: 1 });
    expect(after.hints.some((h) => h.kind === 'timezone_offset')).toBe(false);

    // Another delimiter or mapping is another import too.
    const mapped = await ok(cwd, 'ingest', fixture('timezone/conversions-local.csv'), '--kind', 'conversions', '--source', 'network', '--timezone', '-05:00', '--map', 'txid=event');
    expect(mapped.stdout).toMatch(/with other options \(mapping .*txid: "txid" → "event"/);
  });

  it('gives no --timezone advice when the timestamps carried an explicit offset', async () => {
    const cwd = tempDir();
    await ok(cwd, 'ingest', fixture('timezone/clicks.csv'), '--kind', 'clicks', '--source', 'tracker');
    await ok(cwd, 'ingest', fixture('timezone/conversions.csv'), '--kind', 'conversions', '--source', 'network');
    const report = await reconcileJson(cwd);
    expect(report.summary.before_click).toBe(6);
    expect(report.hints.some((h) => h.kind === 'timezone_offset')).toBe(false);
    const hint = report.hints.find((h) => h.kind === 'clock_offset');
    expect(hint).toMatchObject({ offset_hours: 5 });
    expect(hint!.message).toMatch(/explicit offset, so --timezone cannot change them/);
    expect(hint!.message).not.toMatch(/re-ingest with --timezone/);
  });
});

describe('4. mistakes are not accepted silently', () => {
  it('refuses a conversion export given as --kind clicks, and a click export given as conversions', async () => {
    const cwd = tempDir();
    const asClicks = await runBin(['ingest', fixture('basic/conversions.csv'), '--kind', 'clicks'], { cwd });
    expect(asClicks.code).toBe(2);
    expect(asClicks.stderr).toMatch(/looks like a conversion export, not clicks: it has "txid" \(txid\), "status" \(status\), "payout" \(payout\)|looks like a conversion export, not clicks: it has .*"payout"/);
    expect(asClicks.stderr).toMatch(/--kind conversions .*--force-kind/);
    fs.writeFileSync(path.join(cwd, 'clicks.csv'), 'click_id,occurred_at,ip,user_agent\nk1,2026-11-01 10:00:00,203.0.113.9,Mozilla/5.0\n');
    const asConversions = await runBin(['ingest', 'clicks.csv', '--kind', 'conversions'], { cwd });
    expect(asConversions.code).toBe(2);
    expect(asConversions.stderr).toMatch(/looks like a click export, not conversions: .*"ip" \(ip\), "user_agent" \(user_agent\)/);
    const info = await runBin(['db', 'imports', '--json'], { cwd });
    expect(info.code === 2 || (JSON.parse(info.stdout) as { imports: unknown[] }).imports.length === 0).toBe(true);
    await ok(cwd, 'ingest', 'clicks.csv', '--kind', 'conversions', '--force-kind');
  });

  it('exits 1 when every data row is rejected, naming the reason that covers most rows', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'bad.csv'), 'click_id,occurred_at,payout\nk1,31/12/2026 10:00,1\nk2,30/12/2026 10:00,1\nk3,2026-12-01 10:00:00,1.2.3\n');
    const result = await runBin(['ingest', 'bad.csv', '--kind', 'conversions'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.csv: every one of its 3 data rows were rejected; 2 for: bad timestamp in "occurred_at"/);
  });

  it('detects the decimal comma of a semicolon-separated file, says so, and parses the amounts', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'eu.csv'), 'click_id;occurred_at;payout;status\nk1;2026-12-01 10:00:00;12,34;approved\nk2;2026-12-01 11:00:00;1.234,50;approved\n');
    const result = await ok(cwd, 'ingest', 'eu.csv', '--kind', 'conversions', '--json');
    const file = (JSON.parse(result.stdout) as { files: Array<{ rows: number; rejected: number; warnings: string[]; options: { decimal_comma: boolean } }> }).files[0]!;
    expect(file).toMatchObject({ rows: 2, rejected: 0, options: { decimal_comma: true } });
    expect(file.warnings.join('\n')).toMatch(/decimal comma \("12,34"\)/);
    const rows = JSON.parse((await ok(cwd, 'db', 'export', 'conversions', '--format', 'json')).stdout) as Array<{ payout_micros: number }>;
    expect(rows.map((row) => row.payout_micros)).toEqual([12_340_000, 1_234_500_000]);
    // A semicolon file with decimal points stays as it is.
    fs.writeFileSync(path.join(cwd, 'dot.csv'), 'click_id;occurred_at;payout\nk3;2026-12-01 10:00:00;12.34\n');
    const dot = JSON.parse((await ok(cwd, 'ingest', 'dot.csv', '--kind', 'conversions', '--json')).stdout) as { files: Array<{ options: { decimal_comma: boolean } }> };
    expect(dot.files[0]!.options.decimal_comma).toBe(false);
  });

  it('--compare puts money on the table, "only in a" first', async () => {
    const cwd = tempDir();
    await ok(cwd, 'ingest', fixture('compare/advertiser.csv'), '--kind', 'conversions', '--source', 'advertiser');
    await ok(cwd, 'ingest', fixture('compare/network.csv'), '--kind', 'conversions', '--source', 'network');
    const report = await reconcileJson(cwd, '--compare', 'advertiser', 'network');
    expect(report.summary.payout_at_stake).toMatchObject({ missing_in_b: 10, missing_in_a: 10, payout_mismatch: 2.5, total: 22.5 });
    const types = report.findings.map((f) => f.type);
    expect(types.indexOf('missing_in_b')).toBeLessThan(types.indexOf('missing_in_a'));
    const table = await ok(cwd, 'reconcile', '--compare', 'advertiser', 'network');
    expect(table.stdout).toContain('Money at stake: 22.50 USD');
    expect(table.stdout.indexOf('only in advertiser')).toBeLessThan(table.stdout.indexOf('only in network'));
    expect(table.stdout).toMatch(/payout mismatch\s+1\s+2\.50 USD at stake/);
  });
});

describe('5. long silences', () => {
  it('says on a terminal that it builds indexes, and that it waits for another tpb process writing', async () => {
    const { spawn } = await import('node:child_process');
    const { runCli, REPO_ROOT } = await import('../helpers/cli.js');
    const cwd = tempDir();
    await ok(cwd, 'ingest', fixture('basic/clicks.csv'), '--kind', 'clicks', '--source', 'tracker');
    await ok(cwd, 'ingest', fixture('basic/conversions.csv'), '--kind', 'conversions', '--source', 'network');
    // Another process holds the write lock for a moment, as an ingest does.
    const holder = spawn(process.execPath, ['-e', `
      const Database = require(${JSON.stringify(path.join(REPO_ROOT, 'node_modules', 'better-sqlite3'))});
      const db = new Database(${JSON.stringify(path.join(cwd, 'tpb.db'))});
      db.prepare('BEGIN IMMEDIATE').run();
      process.stdout.write('locked\\n');
      setTimeout(() => { db.prepare('COMMIT').run(); db.close(); }, 1500);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const closed = new Promise((resolve) => holder.once('close', resolve));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const result = await runCli(['reconcile', '-v'], { cwd, stderrIsTTY: true });
    await closed;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('reconcile: waiting for another tpb process to finish writing');
    expect(result.stderr, JSON.stringify(result.stderr)).toMatch(/reconcile: building indexes on 21 clicks and 40 conversions/);
    expect(result.stderr).toMatch(/reconcile: matching 40 conversions to 21 clicks/);
    expect(result.stderr).toMatch(/reconcile: classify \d+ ms \(cpu \d+ ms\)/);
    // Not on a pipe: the status lines are for people.
    const piped = await runCli(['reconcile'], { cwd });
    expect(piped.stderr).not.toContain('matching');
  }, 120_000);
});
