import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileReport } from '../../src/reconcile/types.js';
import { runBin } from '../helpers/cli.js';
import { startClickHouseStandIn, type ClickHouseStandIn } from '../helpers/clickhouse-http.js';
import { buildCorpus, corpusDir } from './corpus.js';

/** The JSON document with only the keys the other has (the daily series and breakdowns are sqlite-only for now). */
function sameKeys(text: string, other: string): string {
  const doc = JSON.parse(text) as Record<string, unknown>;
  const keys = new Set(Object.keys(JSON.parse(other) as Record<string, unknown>));
  return JSON.stringify(Object.fromEntries(Object.entries(doc).filter(([key]) => keys.has(key))), null, 2);
}

/**
 * --engine clickhouse through the built binary: the official @clickhouse/client over HTTP on
 * 127.0.0.1 to a stand-in for a server's HTTP interface that runs every statement in chDB (see
 * test/helpers/clickhouse-http.ts for what it implements and why there is no real server here).
 */
let dir: string;
let db: string;
let server: ClickHouseStandIn;
const env = { CLICKHOUSE_USER: 'tpb', CLICKHOUSE_PASSWORD: 'secret' };

beforeAll(async () => {
  dir = corpusDir();
  db = await buildCorpus(dir);
  server = await startClickHouseStandIn({ user: 'tpb', password: 'secret' });
  // tpb's layout, as a user would load it into their warehouse (MergeTree, the file name kept)
  for (const table of ['clicks', 'conversions']) {
    server.sql(
      `CREATE TABLE ${table} ENGINE = MergeTree ORDER BY tuple() AS SELECT t.*, i.file AS file
       FROM sqlite('${db}', '${table}') AS t LEFT JOIN (SELECT id, file FROM sqlite('${db}', 'imports')) AS i ON i.id = t.import_id SETTINGS join_use_nulls = 1`,
    );
  }
  // a tracker's own click log: other names, typed columns (String id, DateTime64 time)
  server.sql(`CREATE TABLE tracker_clicks (subid String, datetime Nullable(DateTime64(3, 'UTC')), campaign_id UInt32) ENGINE = MergeTree ORDER BY subid`);
  server.sql(`INSERT INTO tracker_clicks SELECT click_id, parseDateTime64BestEffortOrNull(occurred_at, 3, 'UTC'), 7 FROM sqlite('${db}', 'clicks') WHERE click_id IS NOT NULL AND source = 'tracker'`);
}, 120_000);

afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const url = () => server.url;

describe('tpb reconcile --engine clickhouse', () => {
  it('prints the same JSON document as the sqlite engine, for every option set', async () => {
    for (const extra of [[], ['--window', '60d'], ['--dedupe-key', 'click_id'], ['--compare', 'advertiser', 'affiliate-net'], ['--clicks-source', 'tracker', '--limit', '3']]) {
      const sqlite = await runBin(['--db', db, 'reconcile', '--json', ...extra], { cwd: dir });
      const clickhouse = await runBin(['reconcile', '--json', '--engine', 'clickhouse', '--clickhouse-url', url(), ...extra], { cwd: dir, env });
      expect(clickhouse.stderr).toBe(sqlite.stderr);
      expect(clickhouse.code).toBe(sqlite.code);
      expect(sameKeys(clickhouse.stdout, sqlite.stdout)).toBe(sameKeys(sqlite.stdout, clickhouse.stdout));
    }
  }, 180_000);

  it('binds the scope as query parameters, never as SQL text, and keeps scratch tables in one session', async () => {
    server.received.length = 0;
    const result = await runBin(['reconcile', '--json', '--engine', 'clickhouse', '--clickhouse-url', url(), '--conversions-source', "net'work"], { cwd: dir, env });
    expect(result.code).toBe(2); // no such source: the message lists the sources
    expect(result.stderr).toContain('sources in the database');
    expect(server.received.some((sql) => sql.includes('{conversionSources:Array(String)}'))).toBe(true);
    expect(server.received.some((sql) => sql.includes("net'work") || sql.includes("net\\'work"))).toBe(false);
    expect(server.received.some((sql) => sql.startsWith('CREATE TEMPORARY TABLE rc_c'))).toBe(true);
  }, 60_000);

  it("reconciles against a tracker's own click table with --clicks-table and --map", async () => {
    const sqlite = await runBin(['--db', db, 'reconcile', '--json', '--clicks-source', 'tracker'], { cwd: dir });
    const mapped = await runBin(
      ['reconcile', '--json', '--engine', 'clickhouse', '--clickhouse-url', url(), '--clicks-table', 'tracker_clicks', '--map', 'click_id=subid', '--map', 'occurred_at=datetime'],
      { cwd: dir, env },
    );
    expect(mapped.code, mapped.stderr).toBe(0);
    const expected = JSON.parse(sqlite.stdout) as ReconcileReport;
    const got = JSON.parse(mapped.stdout) as ReconcileReport;
    // the summary and the hints are the same; the rows name the table's clicks (no file or line there)
    expect(got.summary).toEqual(expected.summary);
    expect(got.hints).toEqual(expected.hints);
    const shape = (report: ReconcileReport) => report.findings.filter((f) => f.type !== 'duplicate_clicks').map((f) => [f.type, f.click_id, f.occurred_at, f.payout, f.related_occurred_at]);
    expect(shape(got)).toEqual(shape(expected));
    expect(got.findings.find((f) => f.type === 'duplicate_clicks')?.source).toBe('tracker_clicks');
  }, 60_000);

  it('wrong credentials are exit 2 with what to set; an unreachable server is exit 3; a missing table names it', async () => {
    const wrong = await runBin(['reconcile', '--engine', 'clickhouse', '--clickhouse-url', url()], { cwd: dir, env: { CLICKHOUSE_USER: 'tpb', CLICKHOUSE_PASSWORD: 'nope' } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('CLICKHOUSE_PASSWORD');
    expect(wrong.stderr).not.toContain('nope');
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const unreachable = await runBin(['reconcile', '--engine', 'clickhouse', '--clickhouse-url', `http://127.0.0.1:${closed}`], { cwd: dir, env });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain(`127.0.0.1:${closed}`);
    const missing = await runBin(['reconcile', '--engine', 'clickhouse', '--clickhouse-url', url(), '--clicks-table', 'no_such_table'], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no_such_table');
    const noUrl = await runBin(['reconcile', '--engine', 'clickhouse'], { cwd: dir, env });
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('--clickhouse-url');
  }, 60_000);

  it('a server failing while the findings are read ends the streamed --json document with the error: it parses, keeps what was written, exit 3', async () => {
    const whole = await runBin(['reconcile', '--json', '--engine', 'clickhouse', '--clickhouse-url', url()], { cwd: dir, env });
    expect(whole.code).toBe(0);
    const full = JSON.parse(whole.stdout) as ReconcileReport & Record<string, unknown>;
    expect(full.findings.filter((f) => f.type === 'duplicate_extra').length).toBeGreaterThan(0);
    expect(full.findings.filter((f) => f.type === 'unmatched').length).toBeGreaterThan(0);
    // The duplicates' query comes after the unmatched findings were written.
    server.failNext = { match: /count\(\) OVER \(PARTITION BY first_id\)/, code: 241, message: 'Memory limit (total) exceeded: would use 9.31 GiB (MEMORY_LIMIT_EXCEEDED)' };
    const cut = await runBin(['reconcile', '--json', '--engine', 'clickhouse', '--clickhouse-url', url()], { cwd: dir, env });
    expect(server.failNext).toBeUndefined();
    expect(cut.code).toBe(3);
    expect(cut.stderr).toMatch(/^error: ClickHouse failed to run the reconcile's query: Memory limit .*MEMORY_LIMIT_EXCEEDED/m);
    // tpb's one error, not the client library's log dump.
    expect(cut.stderr).not.toMatch(/@clickhouse\/client|query_id|session_id/);
    const doc = JSON.parse(cut.stdout) as ReconcileReport & { findings_complete: boolean; error: { code: string; exit_code: number; message: string } };
    expect(doc.findings_complete).toBe(false);
    expect(doc.error).toMatchObject({ exit_code: 3 });
    expect(doc.error.message).toMatch(/MEMORY_LIMIT_EXCEEDED/);
    // Everything before the findings is the whole run's; the findings stop before the duplicates.
    expect(doc.summary).toEqual(full.summary);
    expect(doc.findings).toEqual(full.findings.filter((f) => f.type === 'unmatched' || f.type === 'missing_click_id'));
    expect(Object.keys(doc).slice(-2)).toEqual(['findings_complete', 'error']);
  }, 60_000);

  it('--emit-sql prints the SQL with the scope bound, temporary tables and all', async () => {
    const result = await runBin(['reconcile', '--engine', 'clickhouse', '--clickhouse-url', url(), '--emit-sql', '--clicks-source', 'tracker'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('CREATE TEMPORARY TABLE rc_k ENGINE = Memory AS');
    expect(result.stdout).toContain("has(['tracker'], `source`)");
    expect(result.stdout).toContain('FROM `clicks`');
  }, 60_000);
});
