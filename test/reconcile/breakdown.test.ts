import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { parseBy } from '../../src/reconcile/breakdown.js';
import { evaluateGroupThresholds, thresholdReport } from '../../src/reconcile/group-thresholds.js';
import { evaluateThresholds } from '../../src/reconcile/thresholds.js';
import { BY_FIELDS, type Group } from '../../src/reconcile/insight-types.js';
import type { ReconcileReport } from '../../src/reconcile/types.js';
import { renderGroupsCsv } from '../../src/report/reconcile/insights-text.js';
import { renderReconcileJUnit } from '../../src/report/reconcile/junit.js';
import { findAll, parseXml } from '../helpers/xml.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { seedBasic } from './seed.js';

const stores: Store[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 1);
const iso = (ms: number) => new Date(ms).toISOString();

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Conv {
  click_id: string | null;
  at: number | null;
  payout?: number;
  source?: string;
  affiliate?: string | null;
  offer?: string | null;
  txid?: string;
  currency?: string;
  status?: string;
}

function store(clicks: Array<{ id: string; at: number | null; offer?: string; affiliate?: string; sub1?: string }>, conversions: Conv[]): Store {
  const s = Store.open(path.join(tempDir(), 'tpb.db'));
  stores.push(s);
  const click = s.db.prepare("INSERT INTO clicks (source, line, click_id, occurred_at, offer_id, affiliate_id, sub1) VALUES ('tracker', ?, ?, ?, ?, ?, ?)");
  const conversion = s.db.prepare(
    "INSERT INTO conversions (source, line, click_id, occurred_at, txid, event, status, payout_micros, currency, offer_id, affiliate_id) VALUES (?, ?, ?, ?, ?, 'sale', ?, ?, ?, ?, ?)",
  );
  s.db.transaction(() => {
    clicks.forEach((c, i) => click.run(i + 2, c.id, c.at === null ? null : iso(c.at), c.offer ?? null, c.affiliate ?? null, c.sub1 ?? null));
    conversions.forEach((c, i) =>
      conversion.run(c.source ?? 'network', i + 2, c.click_id, c.at === null ? null : iso(c.at), c.txid ?? `T${i}`, c.status ?? 'approved', Math.round((c.payout ?? 1) * 1e6), c.currency ?? 'USD', c.offer ?? null, c.affiliate ?? null),
    );
  })();
  return s;
}

/** A month of clicks and conversions with every kind of problem, affiliates and offers on the clicks only. */
function messy(): Store {
  const random = prng(7);
  const clicks: Array<{ id: string; at: number; offer: string; affiliate: string; sub1: string }> = [];
  for (let i = 0; i < 3000; i += 1) clicks.push({ id: `c${i}`, at: T0 + Math.floor(random() * 30 * DAY), offer: `o${i % 4}`, affiliate: `a${i % 7}`, sub1: `s${i % 3}` });
  clicks.push({ id: 'c5', at: T0 + 3 * DAY, offer: 'o1', affiliate: 'a5', sub1: 's2' }); // a duplicate click id
  const conversions: Conv[] = [];
  for (let i = 0; i < 1500; i += 1) {
    const c = clicks[Math.floor(random() * 3000)]!;
    const r = random();
    const lag = Math.floor(random() * 3 * DAY);
    let conv: Conv = { click_id: c.id, at: c.at + lag, payout: 1 + (i % 5) };
    if (r < 0.05) conv = { ...conv, click_id: `x${i}` }; // unmatched
    else if (r < 0.07) conv = { ...conv, click_id: null }; // missing
    else if (r < 0.09) conv = { ...conv, at: c.at - HOUR }; // before click
    else if (r < 0.11) conv = { ...conv, at: c.at + 40 * DAY }; // outside window
    else if (r < 0.13) conv = { ...conv, affiliate: 'a-own' }; // the conversion names its affiliate
    else if (r < 0.14) conv = { ...conv, at: null };
    conversions.push(conv);
    if (r > 0.97) conversions.push({ ...conv, txid: `T${conversions.length - 1}` }); // an exact duplicate
  }
  return store(clicks, conversions);
}

const SUM_KEYS = ['conversions', 'matched', 'unmatched', 'missing_click_id', 'duplicate_extra', 'before_click', 'outside_window'] as const;

function expectGroupsAddUp(report: ReconcileReport, by: string): void {
  const groups = (report.groups ?? []).filter((group) => group.by === by);
  expect(groups.length, by).toBeGreaterThan(0);
  for (const key of SUM_KEYS) {
    expect(groups.reduce((sum, group) => sum + group[key], 0), `${by}: ${key}`).toBe(report.summary[key]);
  }
  const stake = groups.reduce((sum, group) => sum + group.payout_at_stake, 0);
  expect(stake, `${by}: payout at stake`).toBeCloseTo(report.summary.payout_at_stake.total, 6);
}

describe('--by breakdowns', () => {
  it('every field, alone and combined, has groups whose totals equal the summary', () => {
    const s = messy();
    const by = parseBy([BY_FIELDS.join(','), 'affiliate+offer', 'source+day']);
    const report = reconcile(s, { insights: { by } });
    expect(report.by).toEqual([...BY_FIELDS, 'affiliate+offer', 'source+day']);
    expect(report.summary.unmatched).toBeGreaterThan(0);
    expect(report.summary.duplicate_extra).toBeGreaterThan(0);
    expect(report.summary.outside_window).toBeGreaterThan(0);
    expect(report.summary.before_click).toBeGreaterThan(0);
    for (const field of report.by!) expectGroupsAddUp(report, field);
    // Affiliates come from the click when the conversion has none; unmatched ones have no click.
    const affiliates = report.groups!.filter((group) => group.by === 'affiliate');
    expect(affiliates.map((group) => group.key).sort()).toEqual(['a-own', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', null].sort());
    const none = affiliates.find((group) => group.key === null)!;
    expect(none.unmatched + none.missing_click_id).toBe(report.summary.unmatched + report.summary.missing_click_id - (affiliates.find((g) => g.key === 'a-own')!.unmatched + affiliates.find((g) => g.key === 'a-own')!.missing_click_id));
    // Sorted by money at stake.
    const stakes = affiliates.map((group) => group.payout_at_stake);
    expect(stakes).toEqual([...stakes].sort((a, b) => b - a));
    // A combination names both values.
    const combo = report.groups!.find((group) => group.by === 'affiliate+offer' && group.values.affiliate === 'a3' && group.values.offer === 'o1');
    expect(combo?.key).toBe('a3 / o1');
    // hour groups are "YYYY-MM-DDTHH:00", and fold into the day groups.
    const hours = report.groups!.filter((group) => group.by === 'hour' && group.key !== null);
    expect(hours.every((group) => /^\d{4}-\d\d-\d\dT\d\d:00$/.test(group.key!))).toBe(true);
  });

  it('matches the basic fixture\'s summary in every format (json groups, csv rows)', () => {
    const s = Store.open(seedBasic(tempDir()));
    stores.push(s);
    const report = reconcile(s, { insights: { by: parseBy(['source,currency,day']) } });
    for (const field of report.by!) expectGroupsAddUp(report, field);
    const rows = parse(renderGroupsCsv(report), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(report.groups!.length);
    expect(rows.filter((row) => row.by === 'day').reduce((sum, row) => sum + Number(row.conversions), 0)).toBe(report.summary.conversions);
  });

  it('credits each conversion to the click the window rule picks when several clicks carry its id', () => {
    // Classification keeps the credited click's rowid only when one click carries the id; the
    // others are looked up by the credit rule: the latest click at or before the conversion, else
    // the earliest; equal times go to the first row.
    const clicks = [
      { id: 'dup', at: T0, affiliate: 'early', offer: 'o-early' },
      { id: 'dup', at: T0 + 2 * HOUR, affiliate: 'middle', offer: 'o-middle' },
      { id: 'dup', at: T0 + 2 * HOUR, affiliate: 'middle-twin', offer: 'o-twin' },
      { id: 'dup', at: T0 + 5 * HOUR, affiliate: 'late', offer: 'o-late' },
      { id: 'solo', at: T0, affiliate: 'solo', offer: 'o-solo' },
      { id: ' ', at: T0, affiliate: 'blank', offer: 'o-blank' },
      { id: 'undated', at: null, affiliate: 'undated', offer: 'o-undated' },
      { id: 'undated', at: null, affiliate: 'undated-twin', offer: 'o-undated-twin' },
    ];
    const conversions: Conv[] = [
      { click_id: 'dup', at: T0 + 3 * HOUR }, // after the 02:00 clicks: the first of them
      { click_id: 'dup', at: T0 - HOUR }, // before every click: the earliest
      { click_id: 'dup', at: T0 + 40 * DAY }, // outside the 30-day window of the latest click
      { click_id: 'dup', at: T0 + 6 * HOUR, affiliate: 'own' }, // its own affiliate wins
      { click_id: 'solo', at: T0 + HOUR },
      { click_id: ' ', at: T0 + HOUR }, // only whitespace: no click id, whatever click carries ' '
      { click_id: 'undated', at: T0 + HOUR },
      { click_id: 'gone', at: T0 + HOUR },
    ];
    const report = reconcile(store(clicks, conversions), { insights: { by: parseBy(['affiliate,offer,affiliate+offer']) } });
    expect(report.summary).toMatchObject({ conversions: 8, matched: 6, unmatched: 1, missing_click_id: 1, before_click: 1, outside_window: 1 });
    const affiliates = Object.fromEntries(
      report.groups!.filter((group) => group.by === 'affiliate').map((group) => [group.key ?? '(none)', [group.conversions, group.matched, group.before_click, group.outside_window]]),
    );
    expect(affiliates).toEqual({
      middle: [1, 1, 0, 0],
      early: [1, 1, 1, 0],
      late: [1, 1, 0, 1],
      own: [1, 1, 0, 0],
      solo: [1, 1, 0, 0],
      undated: [1, 1, 0, 0],
      '(none)': [2, 0, 0, 0],
    });
    const offers = Object.fromEntries(report.groups!.filter((group) => group.by === 'offer').map((group) => [group.key ?? '(none)', group.conversions]));
    expect(offers).toEqual({ 'o-middle': 1, 'o-early': 1, 'o-late': 2, 'o-solo': 1, 'o-undated': 1, '(none)': 2 });
    expect(report.groups!.find((group) => group.by === 'affiliate+offer' && group.key === 'own / o-late')!.conversions).toBe(1);
    for (const by of report.by!) expectGroupsAddUp(report, by);
  });

  it('refuses an unknown field, naming it and the choices', () => {
    expect(() => parseBy(['affiliate,country'])).toThrow(/--by: unknown field "country"/);
    expect(() => parseBy(['day+hour'])).toThrow(/day\+hour/);
  });
});

describe('the daily series', () => {
  it('covers every day, adds up to the summary, and follows --timezone', () => {
    const clicks = [{ id: 'a', at: T0 }, { id: 'b', at: T0 }];
    const conversions: Conv[] = [
      { click_id: 'a', at: T0 + 2 * HOUR }, // 03-01 02:00Z: 02-28 in New York
      { click_id: 'b', at: T0 + 26 * HOUR }, // 03-02 02:00Z
      { click_id: 'zz', at: T0 + 4 * DAY + HOUR }, // 03-05, unmatched
      { click_id: 'a', at: null },
    ];
    const utc = reconcile(store(clicks, conversions), { insights: {} });
    expect(utc.series!.timezone).toBe('UTC');
    expect(utc.series!.daily.map((day) => [day.day, day.conversions, day.matched, day.unmatched])).toEqual([
      ['2026-03-01', 1, 1, 0], ['2026-03-02', 1, 1, 0], ['2026-03-03', 0, 0, 0], ['2026-03-04', 0, 0, 0], ['2026-03-05', 1, 0, 1],
    ]);
    expect(utc.series!.undated).toBe(1);
    const ny = reconcile(store(clicks, conversions), { insights: { timezone: 'America/New_York' } });
    expect(ny.series!.timezone).toBe('America/New_York');
    expect(ny.series!.daily[0]!.day).toBe('2026-02-28');
    expect(ny.series!.daily.find((day) => day.day === '2026-03-04')!.conversions).toBe(1);
    const india = reconcile(store(clicks, conversions), { insights: { timezone: '+05:30' } });
    expect(india.series!.daily.map((day) => day.day)).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05']);
  });
});

describe('lag and maturity', () => {
  it('lag percentiles and histogram of known lags; the window is an edge', () => {
    const clicks = Array.from({ length: 200 }, (_, i) => ({ id: `c${i}`, at: T0 + i * 60_000 }));
    // Lags of 1..200 hours; the window is 7 days (168 h).
    const conversions: Conv[] = clicks.map((c, i) => ({ click_id: c.id, at: c.at + (i + 1) * HOUR }));
    const report = reconcile(store(clicks, conversions), { windowMs: 7 * DAY, insights: {} });
    const lag = report.lag!;
    expect(lag.conversions).toBe(200);
    expect(lag.p50_ms! / HOUR).toBeCloseTo(100, 0);
    expect(lag.p90_ms! / HOUR).toBeCloseTo(180, 0);
    expect(lag.p99_ms! / HOUR).toBeCloseTo(198, 0);
    expect(lag.buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(200);
    const windowEdge = lag.buckets.findIndex((bucket) => bucket.from_ms === 7 * DAY);
    expect(windowEdge).toBeGreaterThan(0);
    // Lags over 168 h are outside the window; the one of exactly 168 h is inside, in the histogram too.
    expect(lag.buckets.slice(windowEdge).reduce((sum, bucket) => sum + bucket.count, 0)).toBe(32);
    expect(lag.beyond_window_share).toBeCloseTo(32 / 200, 5);
    expect(report.summary.outside_window).toBe(32);
  });

  it('marks the last days incomplete by the lag distribution, and --ignore-last keeps them out of the thresholds', () => {
    const random = prng(3);
    const clicks: Array<{ id: string; at: number }> = [];
    const conversions: Conv[] = [];
    // 20 days of clicks, 100 a day; a third convert, 0–4 days later (uniform); the export ends at day 20.
    const end = T0 + 20 * DAY;
    for (let i = 0; i < 2000; i += 1) {
      const at = T0 + Math.floor((i / 2000) * 20 * DAY);
      clicks.push({ id: `c${i}`, at });
      if (i % 3 === 0) {
        const when = at + Math.floor(random() * 4 * DAY);
        if (when <= end) conversions.push({ click_id: `c${i}`, at: when });
      }
    }
    // The last day also has conversions the clicks export does not have yet (unmatched).
    for (let i = 0; i < 5; i += 1) conversions.push({ click_id: `late${i}`, at: end - i * HOUR });
    const report = reconcile(store(clicks, conversions), { insights: { ignoreLastMs: 2 * DAY } });
    const maturity = report.maturity!;
    expect(maturity.as_of).toBe(iso(end));
    const days = maturity.days.map((day) => day.day);
    expect(days).toEqual(['2026-03-17', '2026-03-18', '2026-03-19', '2026-03-20']);
    // Clicks of the last day: about 7/8 of their conversions still to come; the day before: ~5/8…
    const share = Object.fromEntries(maturity.days.map((day) => [day.day, day.incomplete_share]));
    expect(share['2026-03-20']).toBeGreaterThan(0.8);
    expect(share['2026-03-19']).toBeGreaterThan(0.5);
    expect(share['2026-03-19']).toBeLessThan(0.75);
    expect(share['2026-03-17']).toBeLessThan(0.2);
    expect(maturity.message).toMatch(/^the last 4 days \(2026-03-17 to 2026-03-20\) are about \d+ % incomplete: their clicks are still converting \(median lag .*\), so a gap there is expected, not lost$/);
    expect(report.series!.daily.find((day) => day.day === '2026-03-20')!.incomplete_share).toBe(share['2026-03-20']);
    expect(report.series!.daily.find((day) => day.day === '2026-03-10')!.incomplete_share).toBeNull();

    // The 5 unmatched are in the last 2 days: --ignore-last 2d takes them out of the thresholds only.
    expect(report.summary.unmatched).toBe(5);
    const ignored = report.ignored_recent!;
    expect(ignored.counts.unmatched).toBe(5);
    expect(ignored.since).toBe(iso(end - 2 * DAY));
    expect(evaluateThresholds(report, { max: { unmatched: 0 } }).failed).toBe(true);
    const adjusted = thresholdReport(report);
    expect(adjusted.summary.unmatched).toBe(0);
    expect(adjusted.summary.conversions).toBe(report.summary.conversions - ignored.conversions);
    expect(evaluateThresholds(adjusted, { max: { unmatched: 0 } }).failed).toBe(false);
  });
});

describe('thresholds per group', () => {
  it('--max-unmatched-rate with --by fails on any group over it, naming the group; small groups can be skipped', () => {
    const clicks = Array.from({ length: 40 }, (_, i) => ({ id: `c${i}`, at: T0, affiliate: i < 30 ? 'good' : 'bad' }));
    const conversions: Conv[] = [
      ...clicks.map((c) => ({ click_id: c.id, at: T0 + HOUR })),
      ...Array.from({ length: 3 }, (_, i) => ({ click_id: `lost${i}`, at: T0 + HOUR, affiliate: 'bad' })),
      { click_id: 'lonely', at: T0 + HOUR, affiliate: 'tiny' },
    ];
    const report = reconcile(store(clicks, conversions), { insights: { by: parseBy(['affiliate']) } });
    const overall = evaluateThresholds(report, { maxUnmatchedRate: 0.2 });
    expect(overall.failed).toBe(false); // 4 of 44 overall
    const perGroup = evaluateGroupThresholds(overall, report.groups as Group[], { maxUnmatchedRate: 0.2 });
    expect(perGroup.failed).toBe(true);
    expect(perGroup.reasons).toEqual([
      'affiliate "tiny": unmatched rate 100% (1 of 1), more than the 20% allowed',
      'affiliate "bad": unmatched rate 23.08% (3 of 13), more than the 20% allowed',
    ]);
    const bigOnly = evaluateGroupThresholds(overall, report.groups as Group[], { maxUnmatchedRate: 0.2, minConversions: 5 });
    expect(bigOnly.reasons).toEqual(['affiliate "bad": unmatched rate 23.08% (3 of 13), more than the 20% allowed']);
    // JUnit: one case per breakdown, failed with the groups over the rate.
    const xml = parseXml(renderReconcileJUnit(report, perGroup, '2026-03-01T00:00:00.000Z'));
    const byCase = findAll(xml, 'testcase').find((c) => c.attributes.name === 'unmatched_rate by affiliate')!;
    expect(findAll(byCase, 'failure')[0]!.attributes.message).toBe('affiliate "tiny": unmatched rate 100% (1 of 1), more than the 20% allowed (and 1 more)');
    expect(findAll(xml, 'testcase').find((c) => c.attributes.name === 'unmatched_rate')!.children.some((child) => child.name === 'failure')).toBe(false);
  });
});

describe('tpb reconcile --by, --timezone, --ignore-last through the CLI', () => {
  it('json has groups, series, lag and maturity; table, markdown and junit show them; csv is the groups, the days or the lag; bad flags are exit 2', async () => {
    const cwd = tempDir();
    const db = seedBasic(cwd);
    const json = await runCli(['--db', db, 'reconcile', '--json', '--by', 'affiliate,day', '--timezone', 'Europe/Berlin'], { cwd });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as ReconcileReport;
    expect(doc.by).toEqual(['affiliate', 'day']);
    expect(doc.series!.timezone).toBe('Europe/Berlin');
    expect(doc.series!.daily.reduce((sum, day) => sum + day.conversions, 0) + doc.series!.undated).toBe(doc.summary.conversions);
    expect(doc.lag!.conversions).toBeGreaterThan(0);
    expect(doc.maturity).toBeDefined();
    const plain = await runCli(['--db', db, 'reconcile', '--json'], { cwd });
    const plainDoc = JSON.parse(plain.stdout) as ReconcileReport;
    expect(plainDoc.series!.daily.length).toBeGreaterThan(0);
    expect(plainDoc.groups).toEqual([]);

    const table = await runCli(['--db', db, 'reconcile', '--by', 'affiliate'], { cwd });
    expect(table.stdout).toMatch(/By day \(UTC\)/);
    expect(table.stdout).toMatch(/Lag: click to conversion over \d+ matched conversions: p50/);
    expect(table.stdout).toMatch(/By affiliate — \d+ groups?, by money at stake/);
    const md = await runCli(['--db', db, 'reconcile', '--format', 'markdown', '--by', 'affiliate'], { cwd });
    expect(md.stdout).toMatch(/### By affiliate \(\d+ groups?\)/);
    const csv = await runCli(['--db', db, 'reconcile', '--format', 'csv', '--by', 'source'], { cwd });
    const rows = parse(csv.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((row) => row.key)).toEqual(['network']);
    expect(Number(rows[0]!.conversions)).toBe(plainDoc.summary.conversions);

    // The lag histogram in the table and markdown: its buckets' counts are the JSON's.
    const lagRows = table.stdout.split('\n').filter((line) => /^ {2}\S+–\S+\s+\d+\s+[\d.]+%/.test(line));
    expect(lagRows.length).toBeGreaterThan(0);
    const counted = lagRows.map((line) => Number(line.trim().split(/\s+/)[1]));
    expect(counted.reduce((a, b) => a + b, 0)).toBe(plainDoc.lag!.conversions);
    expect(md.stdout).toMatch(/<details><summary>Lag histogram<\/summary>\n\n\| lag \| conversions \| share \|/);

    // CSV is one table: --rows chooses the daily series (with maturity) or the lag histogram.
    const daily = await runCli(['--db', db, 'reconcile', '--format', 'csv', '--rows', 'daily', '--timezone', 'Europe/Berlin'], { cwd });
    expect(daily.code).toBe(0);
    const days = parse(daily.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(days[0]!)).toEqual(['day', 'conversions', 'matched', 'unmatched', 'missing_click_id', 'match_rate', 'incomplete_share', 'timezone']);
    expect(days.filter((row) => row.day !== '(undated)').map((row) => [row.day, Number(row.conversions), Number(row.matched), Number(row.unmatched)])).toEqual(
      doc.series!.daily.map((day) => [day.day, day.conversions, day.matched, day.unmatched]),
    );
    expect(days.reduce((sum, row) => sum + Number(row.conversions), 0)).toBe(doc.summary.conversions);
    expect(days.every((row) => row.timezone === 'Europe/Berlin')).toBe(true);
    const findingsCsv = await runCli(['--db', db, 'reconcile', '--format', 'csv', '--by', 'source', '--rows', 'findings'], { cwd });
    const findingRows = parse(findingsCsv.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(findingRows.length).toBe(plainDoc.findings.length);
    expect(findingRows.every((row) => row.type !== undefined && row.type !== '')).toBe(true);
    const lagCsv = await runCli(['--db', db, 'reconcile', '--format', 'csv', '--rows', 'lag'], { cwd });
    const buckets = parse(lagCsv.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(buckets.map((row) => [row.bucket, Number(row.conversions)])).toEqual(plainDoc.lag!.buckets.map((bucket) => [bucket.label, bucket.count]));
    expect(Number(buckets[buckets.length - 1]!.cumulative_share)).toBe(1);
    expect(buckets.filter((row) => row.after_window === 'true').map((row) => Number(row.from_ms))).toEqual(
      plainDoc.lag!.buckets.filter((bucket) => bucket.from_ms >= plainDoc.lag!.window_ms).map((bucket) => bucket.from_ms),
    );
    for (const [args, message] of [
      [['--rows', 'lag'], /--rows chooses the rows of the CSV report; it cannot be combined with --format table/],
      [['--format', 'csv', '--rows', 'groups'], /--rows groups needs --by/],
      [['--format', 'csv', '--rows', 'daily', '--engine', 'chdb'], /--rows daily is sqlite-only for now/],
    ] as const) {
      const refused = await runCli(['--db', db, 'reconcile', ...args], { cwd });
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr).toMatch(message);
    }

    // JUnit: the where-and-when sections as suite properties and the suite's output; the cases stay one per category.
    const junit = await runCli(['--db', db, 'reconcile', '--format', 'junit', '--by', 'affiliate'], { cwd });
    expect(junit.code).toBe(0);
    const xml = parseXml(junit.stdout);
    const properties = Object.fromEntries(findAll(xml, 'property').map((node) => [node.attributes.name, node.attributes.value]));
    expect(properties).toMatchObject({
      by: 'affiliate',
      series_timezone: 'UTC',
      series_days: String(plainDoc.series!.daily.length),
      series_first_day: plainDoc.series!.daily[0]!.day,
      lag_conversions: String(plainDoc.lag!.conversions),
      lag_p50_ms: String(plainDoc.lag!.p50_ms),
      lag_p90_ms: String(plainDoc.lag!.p90_ms),
      lag_p99_ms: String(plainDoc.lag!.p99_ms),
      maturity_incomplete_share: String(plainDoc.maturity!.incomplete_share),
    });
    const suite = findAll(xml, 'testsuite')[0]!;
    const out = suite.children.filter((child) => child.name === 'system-out').map((child) => child.text).join('');
    expect(out).toMatch(/^By day \(UTC\)/);
    expect(out).toMatch(/Lag: click to conversion over \d+ matched conversions: p50/);
    expect(out).toMatch(/By affiliate — \d+ groups?, by money at stake/);
    expect(findAll(xml, 'testcase').map((node) => node.attributes.name)).not.toContain('where and when');

    const bad = await runCli(['--db', db, 'reconcile', '--by', 'country'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--by: unknown field "country"/);
    const zone = await runCli(['--db', db, 'reconcile', '--timezone', 'Mars/Olympus'], { cwd });
    expect(zone.code).toBe(2);
    expect(zone.stderr).toMatch(/--timezone: "Mars\/Olympus" is not a time zone/);

    const group = await runCli(['--db', db, 'reconcile', '--json', '--by', 'source', '--max-unmatched-rate', '0.01'], { cwd });
    expect(group.code).toBe(1);
    expect((JSON.parse(group.stdout) as { thresholds: { reasons: string[] } }).thresholds.reasons).toContainEqual(expect.stringMatching(/^source "network": unmatched rate/));
  });
});

describe('the html report without a browser', () => {
  it('--compare results are in it; every id is escaped; the CSP forbids every fetch', async () => {
    const { renderReconcileHtml } = await import('../../src/report/reconcile/html.js');
    const { seedCsv } = await import('./seed.js');
    const s = Store.open(path.join(tempDir(), 'tpb.db'));
    stores.push(s);
    seedCsv(s, 'compare/advertiser.csv', 'conversions', 'advertiser');
    seedCsv(s, 'compare/network.csv', 'conversions', 'network');
    s.db.prepare("INSERT INTO conversions (source, line, click_id, occurred_at, txid) VALUES ('advertiser', 999, '<svg onload=alert(1)>', '2026-03-01T00:00:00.000Z', 'X1')").run();
    const report = reconcile(s, { compare: ['advertiser', 'network'], insights: { by: parseBy(['source']) } });
    const page = renderReconcileHtml(report, { generatedAt: '2026-03-01T00:00:00.000Z' });
    for (const type of ['missing_in_a', 'missing_in_b', 'payout_mismatch', 'status_mismatch'] as const) {
      if (report.summary[type] > 0) expect(page).toContain(`id="findings-${type}"`);
    }
    expect(report.summary.missing_in_b).toBeGreaterThan(0);
    expect(page).not.toContain('<svg onload');
    expect(page).toContain('&lt;svg onload=alert(1)&gt;');
    expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-[^"]+&#39;; script-src &#39;sha256-/);
    expect(page).not.toMatch(/<(img|link|iframe|object|embed)\b|https?:\/\//);
  });
});
