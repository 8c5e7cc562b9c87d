import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { scriptedServer } from '../http/server.js';

/**
 * The loop the README describes, as a user runs it on real work: tpb click → the tracker's exports
 * → tpb ingest → tpb reconcile, each a spawned binary on one SQLite file (issue 9).
 */

// Each test spawns the binary several times: give them room on a loaded machine.
vi.setConfig({ testTimeout: 180_000 });

interface Report {
  options: Record<string, unknown> & { click_sources: string[]; excluded_click_sources: string[] };
  summary: Record<string, number> & { unmatched_by_hint: Record<string, number>; payout_at_stake: Record<string, number> };
  hints: Array<{ kind: string; message: string }>;
  overlaps: Array<{ kind: string; source: string; import_id: number; earlier_import_id: number; rows: number }>;
  findings: Array<Record<string, unknown>>;
}

const TUNE_CLICK_HEADER = 'Date / Time,Transaction ID,Offer,Partner,IP,User Agent';
const TUNE_CONVERSION_HEADER = 'Date / Time,Transaction ID,Offer,Partner,Status,Payout,Advertiser Sub ID,Goal';

async function tpb(cwd: string, ...args: string[]) {
  return runBin(args, { cwd });
}

async function ok(cwd: string, ...args: string[]) {
  const result = await tpb(cwd, ...args);
  expect(result.code, `tpb ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result;
}

async function reconcileJson(cwd: string, ...args: string[]): Promise<Report> {
  const result = await ok(cwd, 'reconcile', '--json', ...args);
  return JSON.parse(result.stdout) as Report;
}

/**
 * A TUNE-like tracker: /aff_c redirects every visitor to the landing page with a transaction_id
 * (PHP's text/html on the redirect) and stores the click; the test then drops one click from what
 * it stored, as a same-IP debounce or bot filter does: the visitor got an id the tracker never kept.
 */
async function debouncingTracker() {
  const stored: Array<{ id: string; at: string; ip: string }> = [];
  let n = 0;
  const server = await scriptedServer((request, response) => {
    n += 1;
    const id = `102${String(n).padStart(5, '0')}a9f${n.toString(16)}`;
    const ip = String(request.headers['x-forwarded-for'] ?? '127.0.0.1');
    stored.push({ id, at: new Date(Date.UTC(2026, 10, 20, 10, n)).toISOString().replace('T', ' ').slice(0, 19), ip });
    response.writeHead(302, { location: `https://lp.example.com/offer?transaction_id=${id}`, 'content-type': 'text/html; charset=UTF-8' });
    response.end();
  });
  return { server, stored };
}

describe('1. clicks tpb simulated are not matched by default', () => {
  it('matches against the tracker export, finds the click it never recorded, and says which sources it used', async () => {
    const cwd = tempDir();
    const { server, stored } = await debouncingTracker();
    // 10 visitors, one address each.
    await ok(cwd, 'click', `${server.url}/aff_c?offer_id=7&aff_id=3`, '-n', '10', '-c', '1', '--ip', '203.0.113.{i}', '--preset', 'tune');
    const clicks = await ok(cwd, 'db', 'export', 'clicks', '--format', 'json');
    const captured = (JSON.parse(clicks.stdout) as Array<{ click_id: string; source: string }>).map((row) => row.click_id);
    expect(captured).toHaveLength(10);
    // Visitor 5 is the one the tracker did not keep.
    const lost = captured[4]!;
    const kept = stored.filter((click) => click.id !== lost);
    expect(kept).toHaveLength(9);
    fs.writeFileSync(path.join(cwd, 'clicks.csv'), [TUNE_CLICK_HEADER, ...kept.map((c) => `${c.at},${c.id},7,3,${c.ip},Mozilla/5.0`)].join('\n') + '\n');
    // Every visitor converted an hour later, including the one the tracker lost.
    fs.writeFileSync(
      path.join(cwd, 'conversions.csv'),
      [TUNE_CONVERSION_HEADER, ...captured.map((id, i) => `2026-11-20 ${String(12 + (i % 5)).padStart(2, '0')}:00:00,${id},7,3,approved,1.50,order-${i},sale`)].join('\n') + '\n',
    );
    await ok(cwd, 'ingest', 'clicks.csv', '--kind', 'clicks', '--preset', 'tune');
    await ok(cwd, 'ingest', 'conversions.csv', '--kind', 'conversions', '--preset', 'tune');

    const report = await reconcileJson(cwd);
    expect(report.options.click_sources).toEqual(['tune']);
    expect(report.options.excluded_click_sources).toEqual(['tpb:click']);
    expect(report.summary).toMatchObject({ conversions: 10, clicks: 9, matched: 9, unmatched: 1, duplicate_clicks: 0, clicks_not_recorded: 1 });
    expect(report.summary.unmatched_by_hint.not_recorded).toBe(1);
    const unmatched = report.findings.find((f) => f.type === 'unmatched');
    expect(unmatched).toMatchObject({ click_id: lost, hint_kind: 'not_recorded' });
    expect(String(unmatched!.hint)).toMatch(/same-IP debounce/);
    const notRecorded = report.findings.filter((f) => f.type === 'clicks_not_recorded');
    expect(notRecorded).toEqual([expect.objectContaining({ source: 'tpb:click', click_id: lost, hint_kind: 'clicks_not_recorded' })]);
    expect(String(notRecorded[0]!.hint)).toMatch(/debounce.*prefetch.*bot filtering/);

    // The table's header line says which clicks were used.
    const table = await ok(cwd, 'reconcile');
    expect(table.stdout).toMatch(/10 conversions against 9 clicks .*clicks from tune \(not tpb:click\)/);
    expect(table.stdout).toMatch(/clicks not recorded\s+1/);

    // Asking for tpb:click explicitly still works (and then nothing is unmatched).
    const own = await reconcileJson(cwd, '--clicks-source', 'tpb:click');
    expect(own.summary).toMatchObject({ clicks: 10, matched: 10, unmatched: 0, clicks_not_recorded: 0 });

    // The chdb engine reads the same file and says the same, down to the run each tpb click came from.
    const viaChdb = await reconcileJson(cwd, '--engine', 'chdb');
    expect(viaChdb.summary).toEqual(report.summary);
    expect(viaChdb.findings).toEqual(report.findings);
    expect(notRecorded[0]).toMatchObject({ file: expect.stringMatching(/^tpb:click run \d+$/) });
  }, 60_000);

  it('uses tpb:click when it is all there is, and says so', async () => {
    const cwd = tempDir();
    const { server } = await debouncingTracker();
    await ok(cwd, 'click', `${server.url}/aff_c?offer_id=7`, '-n', '3', '-c', '1', '--preset', 'tune');
    const ids = (JSON.parse((await ok(cwd, 'db', 'export', 'clicks', '--format', 'json')).stdout) as Array<{ click_id: string }>).map((row) => row.click_id);
    fs.writeFileSync(path.join(cwd, 'conversions.csv'), [TUNE_CONVERSION_HEADER, ...ids.map((id, i) => `2030-01-01 00:00:00,${id},7,3,approved,2,o${i},sale`)].join('\n') + '\n');
    await ok(cwd, 'ingest', 'conversions.csv', '--kind', 'conversions', '--preset', 'tune');
    const report = await reconcileJson(cwd);
    expect(report.options.click_sources).toEqual(['tpb:click']);
    expect(report.summary).toMatchObject({ clicks: 3, matched: 3, clicks_not_recorded: 0 });
    expect(report.hints.find((h) => h.kind === 'click_sources')?.message).toMatch(/no tracker click export/);
    const table = await ok(cwd, 'reconcile');
    expect(table.stdout).toContain('clicks from tpb:click only');
  });

  it('counts duplicate clicks within a source, not across sources', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'a.csv'), 'click_id,occurred_at\nk1,2026-11-01T10:00:00Z\nk2,2026-11-01T10:00:00Z\nk2,2026-11-01T11:00:00Z\n');
    fs.writeFileSync(path.join(cwd, 'b.csv'), 'click_id,occurred_at\nk1,2026-11-01T10:00:00Z\nk2,2026-11-01T10:00:00Z\n');
    fs.writeFileSync(path.join(cwd, 'c.csv'), 'click_id,occurred_at,payout\nk1,2026-11-01T12:00:00Z,1\n');
    await ok(cwd, 'ingest', 'a.csv', '--kind', 'clicks', '--source', 'tracker');
    await ok(cwd, 'ingest', 'b.csv', '--kind', 'clicks', '--source', 'backup');
    await ok(cwd, 'ingest', 'c.csv', '--kind', 'conversions', '--source', 'network');
    const report = await reconcileJson(cwd);
    expect(report.summary.duplicate_clicks).toBe(1);
    expect(report.findings.filter((f) => f.type === 'duplicate_clicks')).toEqual([
      expect.objectContaining({ source: 'tracker', click_id: 'k2', count: 2, related_source: 'tracker' }),
    ]);
  });

  it('exits 2 for a --clicks-source that does not exist, naming the sources present', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'a.csv'), 'click_id,occurred_at\nk1,2026-11-01T10:00:00Z\n');
    fs.writeFileSync(path.join(cwd, 'c.csv'), 'click_id,occurred_at,payout\nk1,2026-11-01T12:00:00Z,1\n');
    await ok(cwd, 'ingest', 'a.csv', '--kind', 'clicks', '--source', 'tracker');
    await ok(cwd, 'ingest', 'c.csv', '--kind', 'conversions', '--source', 'network');
    const result = await tpb(cwd, 'reconcile', '--clicks-source', 'trackr');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/no clicks of source "trackr"[\s\S]*click sources in the database: tracker/);
  });
});

describe('2. overlapping exports are counted once, and the database can be repaired', () => {
  const day1 = [
    'Date / Time,Transaction ID,Offer,Partner,Status,Payout,Advertiser Sub ID,Goal',
    '2026-11-01 10:00:00,c1,7,3,approved,1.50,o1,sale',
    '2026-11-01 11:00:00,c2,7,3,approved,1.50,o2,sale',
    '2026-11-01 12:00:00,c3,7,3,approved,1.50,,sale',
    '2026-11-01 12:00:00,c3,7,3,approved,1.50,,sale',
  ];
  const day2 = ['2026-11-02 10:00:00,c4,7,3,approved,1.50,o4,sale', '2026-11-02 11:00:00,c5,7,3,approved,1.50,o5,sale'];
  const clicks = ['Date / Time,Transaction ID,Offer,Partner', ...['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => `2026-11-01 09:00:00,${id},7,3`)];

  async function setUp() {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'clicks.csv'), clicks.join('\n') + '\n');
    fs.writeFileSync(path.join(cwd, 'day1.csv'), day1.join('\n') + '\n');
    fs.writeFileSync(path.join(cwd, 'days1-2.csv'), [...day1, ...day2].join('\n') + '\n');
    await ok(cwd, 'ingest', 'clicks.csv', '--kind', 'clicks', '--preset', 'tune');
    await ok(cwd, 'ingest', 'day1.csv', '--kind', 'conversions', '--preset', 'tune');
    await ok(cwd, 'ingest', 'days1-2.csv', '--kind', 'conversions', '--preset', 'tune');
    return cwd;
  }

  it('reports the repeated rows once, not as duplicate conversions', async () => {
    const cwd = await setUp();
    const report = await reconcileJson(cwd);
    // c3 was really recorded twice by the tracker (no txid): that duplicate stays, once.
    expect(report.summary).toMatchObject({ conversions: 6, matched: 6, duplicate_groups: 1, duplicate_extra: 1, overlapping_conversions: 4 });
    expect(report.summary.payout_at_stake.duplicate_extra).toBe(1.5);
    expect(report.overlaps).toEqual([{ kind: 'conversions', source: 'tune', import_id: 3, earlier_import_id: 2, rows: 4 }]);
    expect(report.hints.find((h) => h.kind === 'overlap')?.message).toMatch(/^4 conversion rows of import 3 repeat rows of import 2 \(source "tune"\): overlapping exports — counted once/);
    const table = await ok(cwd, 'reconcile');
    expect(table.stdout).toContain('overlapping exports — counted once');
  });

  it('tpb db imports lists the imports and tpb db drop removes one with its rows', async () => {
    const cwd = await setUp();
    const list = await ok(cwd, 'db', 'imports');
    expect(list.stdout).toMatch(/1\s+clicks\s+tune/);
    expect(list.stdout).toMatch(/3\s+conversions\s+tune\s+tune\s+6\s+0\s+.*days1-2\.csv/);
    const json = JSON.parse((await ok(cwd, 'db', 'imports', '--json')).stdout) as { imports: Array<{ id: number; rows: number }> };
    expect(json.imports.map((row) => [row.id, row.rows])).toEqual([[1, 5], [2, 4], [3, 6]]);

    const dropped = await ok(cwd, 'db', 'drop', '2');
    expect(dropped.stdout).toMatch(/Dropped import 2 \(conversions of source tune from .*day1\.csv\): 4 conversions and 0 rejects deleted/);
    const report = await reconcileJson(cwd);
    expect(report.summary).toMatchObject({ conversions: 6, duplicate_extra: 1, overlapping_conversions: 0 });
    expect(report.overlaps).toEqual([]);

    const missing = await tpb(cwd, 'db', 'drop', '2');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no import 2 in .*\nhint: imports: 1, 3/);
    const bad = await tpb(cwd, 'db', 'drop', 'two');
    expect(bad.code).toBe(2);
  });

  it('ingest --replace replaces every earlier import of that source and kind', async () => {
    const cwd = await setUp();
    fs.writeFileSync(path.join(cwd, 'days1-3.csv'), [...day1, ...day2, '2026-11-03 10:00:00,c1,7,3,approved,3.00,o9,sale'].join('\n') + '\n');
    const result = await ok(cwd, 'ingest', 'days1-3.csv', '--kind', 'conversions', '--preset', 'tune', '--replace', '--json');
    const file = (JSON.parse(result.stdout) as { files: Array<{ status: string; import_id: number; replaced_imports: Array<{ id: number }> }> }).files[0]!;
    expect(file.status).toBe('replaced');
    expect(file.replaced_imports.map((row) => row.id)).toEqual([2, 3]);
    const imports = JSON.parse((await ok(cwd, 'db', 'imports', '--json')).stdout) as { imports: Array<{ id: number; kind: string }> };
    expect(imports.imports.map((row) => [row.id, row.kind])).toEqual([[1, 'clicks'], [4, 'conversions']]);
    const report = await reconcileJson(cwd);
    expect(report.summary).toMatchObject({ conversions: 7, overlapping_conversions: 0, duplicate_extra: 1 });

    const text = await ok(cwd, 'ingest', 'days1-2.csv', '--kind', 'conversions', '--preset', 'tune', '--replace');
    expect(text.stdout).toMatch(/replaced import 4 \(7 rows\)/);
  });
});
