import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { evaluateThresholds, parseFailOn } from '../../src/reconcile/thresholds.js';
import type { Finding, ReconcileReport } from '../../src/reconcile/types.js';
import { InputError, UsageError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { seedBasic, seedCsv } from './seed.js';

const open: Store[] = [];
afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

function basicStore(): Store {
  const store = Store.open(seedBasic(tempDir()));
  open.push(store);
  return store;
}

function emptyStore(): Store {
  const store = Store.open(path.join(tempDir(), 'tpb.db'));
  open.push(store);
  return store;
}

const byLine = (report: ReconcileReport, type: Finding['type']): Record<number, Finding> =>
  Object.fromEntries(report.findings.filter((f) => f.type === type).map((f) => [f.line, f]));

describe('reconcile on the basic fixture', () => {
  it('counts every category (known answers in fixtures/reconcile/README.md)', () => {
    const report = reconcile(basicStore());
    expect(report.version).toBe(1);
    expect(report.summary).toEqual({
      conversions: 40,
      clicks: 21,
      matched: 20,
      match_rate: 0.5,
      unmatched: 18,
      unmatched_rate: 0.5,
      missing_click_id: 2,
      duplicate_groups: 2,
      duplicate_extra: 3,
      duplicate_clicks: 1,
      clicks_not_recorded: 0,
      before_click: 1,
      outside_window: 1,
      missing_in_a: 0,
      missing_in_b: 0,
      payout_mismatch: 0,
      status_mismatch: 0,
      payout_at_stake: { unmatched: 21, missing_click_id: 6, duplicate_extra: 13, outside_window: 15, missing_in_a: 0, missing_in_b: 0, payout_mismatch: 0, total: 55 },
      currencies: ['USD'],
      unmatched_by_hint: { macro: 6, empty: 3, encoding: 5, truncated: 1, shape: 2, not_recorded: 0, not_found: 1 },
      overlapping_conversions: 0,
      overlapping_clicks: 0,
    });
    expect(report.findings).toHaveLength(18 + 2 + 3 + 1 + 1 + 1);
  });

  it('names the source, file and line of every finding and diagnoses each unmatched id', () => {
    const report = reconcile(basicStore());
    const unmatched = byLine(report, 'unmatched');
    const kinds = Object.fromEntries(Object.entries(unmatched).map(([line, f]: [string, Finding]) => [line, f.hint_kind]));
    expect(kinds).toEqual({
      15: 'macro', 16: 'macro', 17: 'macro', 18: 'macro', 19: 'macro', 20: 'macro',
      21: 'empty', 22: 'empty', 23: 'empty',
      24: 'encoding', 25: 'encoding', 26: 'encoding', 27: 'encoding', 28: 'encoding',
      29: 'truncated', 30: 'shape', 31: 'not_found', 41: 'shape',
    });
    const first = unmatched[15]!;
    expect(first).toMatchObject({ source: 'network', file: 'fixtures/reconcile/basic/conversions.csv', click_id: '{clickid}', txid: 'T010', payout: 4, currency: 'USD', severity: 'error' });
    expect(first.hint).toContain('literal macro "{clickid}"');
    expect(unmatched[24]!.hint).toMatch(/after URL-decoding:/);
    expect(unmatched[25]!.hint).toMatch(/after URL-decoding twice/);
    expect(unmatched[26]!.hint).toMatch(/trimming whitespace/);
    expect(unmatched[27]!.hint).toMatch(/turning spaces back into \+/);
    expect(unmatched[28]!.hint).toMatch(/upper-casing/);
    expect(unmatched[28]).toMatchObject({ related_click_id: 'C384EFV6JHQODRN7', related_line: 6, related_source: 'tracker' });
    expect(unmatched[29]!.hint).toMatch(/first 12 of 16 characters of click "f3a9c1d2e4b5a6c7"/);
    expect(unmatched[30]!.hint).toMatch(/9 characters of \[0-9\]/);
    expect(unmatched[31]!.hint).toMatch(/no click has this id/);
    for (const finding of report.findings) {
      expect(Object.keys(finding).sort()).toEqual(Object.keys(first).sort());
    }
  });

  it('reports duplicates with the row they repeat, and the no-txid cause', () => {
    const duplicates = byLine(reconcile(basicStore()), 'duplicate_extra');
    expect(Object.keys(duplicates)).toEqual(['6', '8', '9']);
    expect(duplicates[6]).toMatchObject({ related_line: 5, count: 2, hint_kind: 'duplicate' });
    expect(duplicates[8]).toMatchObject({ related_line: 7, count: 3, hint_kind: 'duplicate_no_txid' });
    expect(duplicates[9]!.hint).toMatch(/no txid/);
  });

  it('dedupes by click id alone with --dedupe-key click_id', () => {
    const report = reconcile(basicStore(), { dedupeKey: 'click_id' });
    expect(report.summary).toMatchObject({ duplicate_groups: 2, duplicate_extra: 5 });
    expect(Object.keys(byLine(report, 'duplicate_extra'))).toEqual(['6', '8', '9', '10', '11']);
  });

  it('judges before_click against the earliest click and the window against the latest earlier click', () => {
    const report = reconcile(basicStore());
    expect(byLine(report, 'before_click')[14]).toMatchObject({ related_line: 9, related_occurred_at: '2026-03-01T10:40:00.000Z', hint_kind: 'before_click' });
    expect(byLine(report, 'before_click')[14]!.hint).toMatch(/^37m before its click/);
    const outside = byLine(report, 'outside_window');
    expect(Object.keys(outside)).toEqual(['13']); // line 12 is 10 days after the second click of its id
    expect(outside[13]).toMatchObject({ related_line: 8, payout: 15 });
    expect(outside[13]!.hint).toMatch(/41d 23h after its click .* past the 30d window/);
    expect(reconcile(basicStore(), { windowMs: 90 * 86_400_000 }).summary.outside_window).toBe(0);
    // line 12 is exactly 10 days after its latest click: on the boundary is inside
    expect(reconcile(basicStore(), { windowMs: 10 * 86_400_000 }).summary.outside_window).toBe(1);
    expect(reconcile(basicStore(), { windowMs: 10 * 86_400_000 - 1000 }).summary.outside_window).toBe(2);
  });

  it('finds click ids shared by several clicks', () => {
    const shared = reconcile(basicStore()).findings.filter((f) => f.type === 'duplicate_clicks');
    expect(shared).toEqual([expect.objectContaining({ click_id: '9d8c7b6a5f4e3d2c', line: 7, related_line: 22, count: 2, source: 'tracker', severity: 'warning' })]);
  });

  it('does not count one click seen by two sources (tpb click and the tracker export) as a duplicate', () => {
    const store = emptyStore();
    const insert = store.db.prepare('INSERT INTO clicks (source, click_id, occurred_at) VALUES (?, ?, ?)');
    insert.run('tpb:click', 'abc123', '2026-01-01T00:00:00.000Z');
    insert.run('tracker', 'abc123', '2026-01-01T00:00:00.000Z');
    insert.run('tracker', 'dup456', '2026-01-01T00:00:00.000Z');
    insert.run('tracker', 'dup456', '2026-01-01T00:00:01.000Z');
    store.db.prepare("INSERT INTO conversions (source, click_id, occurred_at) VALUES ('net', 'abc123', '2026-01-02T00:00:00.000Z')").run();
    const report = reconcile(store);
    expect(report.summary.duplicate_clicks).toBe(1);
    expect(report.findings.filter((f) => f.type === 'duplicate_clicks').map((f) => f.click_id)).toEqual(['dup456']);
  });

  it('limits finding rows per category but never the counts', () => {
    const report = reconcile(basicStore(), { limit: 2 });
    expect(report.summary.unmatched).toBe(18);
    expect(report.findings.filter((f) => f.type === 'unmatched').map((f) => f.line)).toEqual([15, 16]);
    expect(report.findings.filter((f) => f.type === 'duplicate_extra')).toHaveLength(2);
    expect(report.summary.unmatched_by_hint.encoding).toBe(5);
    expect(reconcile(basicStore(), { limit: 0 }).findings).toEqual([]);
  });

  it('leaves no temporary tables behind and gives the same answer twice on one connection', () => {
    const store = basicStore();
    const first = reconcile(store);
    const second = reconcile(store);
    expect(second).toEqual(first);
    const temp = store.db.prepare("SELECT name FROM temp.sqlite_master WHERE type = 'table'").all();
    expect(temp).toEqual([]);
    const indexes = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'clicks_click_id'").all();
    expect(indexes).toHaveLength(1);
  });
});

describe('rows without a time', () => {
  it('match, but are never before the click or outside the window', () => {
    const store = emptyStore();
    const click = store.db.prepare('INSERT INTO clicks (source, line, click_id, occurred_at) VALUES (?, ?, ?, ?)');
    const conversion = store.db.prepare('INSERT INTO conversions (source, line, click_id, occurred_at, txid) VALUES (?, ?, ?, ?, ?)');
    click.run('tracker', 2, 'aaaa0000bbbb1111', null);
    click.run('tracker', 3, 'cccc2222dddd3333', '2026-03-01T10:00:00.000Z');
    conversion.run('network', 2, 'aaaa0000bbbb1111', '2020-01-01T00:00:00.000Z', 'T1');
    conversion.run('network', 3, 'cccc2222dddd3333', null, 'T2');
    const report = reconcile(store);
    expect(report.summary).toMatchObject({ conversions: 2, matched: 2, unmatched: 0, before_click: 0, outside_window: 0 });
  });
});

describe('sources', () => {
  it('excludes tpb:fire by default and reconciles it when asked', () => {
    const store = basicStore();
    expect(reconcile(store).options.excluded_sources).toEqual(['tpb:fire']);
    const fired = reconcile(store, { conversionsSource: ['tpb:fire'] });
    expect(fired.summary).toMatchObject({ conversions: 2, matched: 1, unmatched: 1, unmatched_by_hint: expect.objectContaining({ macro: 1 }) });
  });

  it('matches only the chosen click sources, with a hint when none match', () => {
    const store = basicStore();
    seedCsv(store, 'timezone/clicks.csv', 'clicks', 'other-tracker');
    expect(reconcile(store, { clicksSource: ['tracker'] }).summary.clicks).toBe(21);
    // A source that does not exist is a usage error naming the sources there are (issue 9, item 4).
    expect(() => reconcile(store, { clicksSource: ['nope'] })).toThrow(UsageError);
    expect(() => reconcile(store, { clicksSource: ['nope'] })).toThrow(/no clicks of source "nope"/);
  });

  it('refuses to reconcile nothing, saying what to ingest (exit 2 errors)', () => {
    expect(() => reconcile(emptyStore())).toThrow(InputError);
    expect(() => reconcile(emptyStore())).toThrow(/no conversions to reconcile/);
    const onlyFired = emptyStore();
    seedCsv(onlyFired, 'basic/fired.csv', 'conversions', 'tpb:fire');
    expect(() => reconcile(onlyFired)).toThrow(/only the conversions tpb fired/);
    const error = (() => {
      try {
        reconcile(basicStore(), { conversionsSource: ['nope'] });
      } catch (caught) {
        return caught as InputError;
      }
      throw new Error('expected an error');
    })();
    expect(error.message).toMatch(/no conversions of source "nope"/);
    expect(error.hint).toBe('sources in the database: network (40), tpb:fire (2)');
  });

  it('rejects contradictory options', () => {
    expect(() => reconcile(basicStore(), { compare: ['a', 'b'], conversionsSource: ['x'] })).toThrow(UsageError);
    expect(() => reconcile(basicStore(), { compare: ['a', 'a'] })).toThrow(/two different sources/);
    expect(() => reconcile(basicStore(), { windowMs: 0 })).toThrow(UsageError);
  });
});

describe('timezone offset hint', () => {
  it('names a constant whole-hour offset behind most before_click rows', () => {
    const store = emptyStore();
    seedCsv(store, 'timezone/clicks.csv', 'clicks', 'tracker');
    seedCsv(store, 'timezone/conversions.csv', 'conversions', 'network');
    const report = reconcile(store);
    expect(report.summary.before_click).toBe(6);
    const hint = report.hints.find((h) => h.kind === 'timezone_offset');
    expect(hint).toMatchObject({ offset_hours: 5, count: 5, category: 'before_click' });
    expect(hint?.message).toMatch(/conversion times look 5h behind click times.*re-ingest with --timezone/);
    const rows = report.findings.filter((f) => f.type === 'before_click');
    expect(rows.filter((f) => f.hint_kind === 'timezone_offset')).toHaveLength(5);
    expect(rows.find((f) => f.line === 7)).toMatchObject({ hint_kind: 'before_click' });
  });

  it('gives no offset hint when the early conversions are scattered', () => {
    expect(reconcile(basicStore()).hints.some((h) => h.kind === 'timezone_offset')).toBe(false);
  });
});

describe('compare mode', () => {
  function compareStore(): Store {
    const store = emptyStore();
    seedCsv(store, 'compare/advertiser.csv', 'conversions', 'advertiser');
    seedCsv(store, 'compare/network.csv', 'conversions', 'network');
    return store;
  }

  it('finds rows on one side only, payout and status mismatches', () => {
    const report = reconcile(compareStore(), { compare: ['advertiser', 'network'] });
    expect(report.options.compare).toEqual({ a: 'advertiser', b: 'network', key: 'click_id+txid' });
    expect(report.summary).toMatchObject({ conversions: 12, missing_in_a: 1, missing_in_b: 1, payout_mismatch: 1, status_mismatch: 1, unmatched: 0, matched: 0 });
    const find = (type: Finding['type']) => report.findings.filter((f) => f.type === type);
    expect(find('missing_in_b')).toEqual([expect.objectContaining({ source: 'advertiser', line: 5, txid: 'O-4' })]);
    expect(find('missing_in_a')).toEqual([expect.objectContaining({ source: 'network', line: 7, txid: 'O-7' })]);
    expect(find('payout_mismatch')).toEqual([expect.objectContaining({ line: 3, payout: 10, related_payout: 12.5, related_line: 3, related_source: 'network' })]);
    expect(find('payout_mismatch')[0]!.hint).toMatch(/differs by 2\.50, more than the tolerance 0\.01/);
    expect(find('status_mismatch')).toEqual([expect.objectContaining({ line: 4, status: 'approved', related_status: 'declined' })]);
  });

  it('applies the payout tolerance exactly', () => {
    expect(reconcile(compareStore(), { compare: ['advertiser', 'network'], payoutToleranceMicros: 4_999 }).summary.payout_mismatch).toBe(2);
    expect(reconcile(compareStore(), { compare: ['advertiser', 'network'], payoutToleranceMicros: 5_000 }).summary.payout_mismatch).toBe(1);
    expect(reconcile(compareStore(), { compare: ['advertiser', 'network'], payoutToleranceMicros: 2_500_000 }).summary.payout_mismatch).toBe(0);
  });

  it('compares by click id alone when one side has no txid', () => {
    const store = emptyStore();
    seedCsv(store, 'basic/conversions.csv', 'conversions', 'network');
    seedCsv(store, 'basic/clicks.csv', 'clicks', 'tracker');
    store.db.prepare("INSERT INTO conversions (source, line, click_id, payout_micros) VALUES ('tpb:fire', 1, 'f3a9c1d2e4b5a6c7', 10000000)").run();
    const report = reconcile(store, { compare: ['tpb:fire', 'network'] });
    expect(report.options.compare?.key).toBe('click_id');
    expect(report.hints.some((h) => h.kind === 'compare_key')).toBe(true);
    expect(report.summary.missing_in_b).toBe(0);
  });

  it('says which source is missing', () => {
    expect(() => reconcile(compareStore(), { compare: ['advertiser', 'tracker'] })).toThrow(/no conversions of source "tracker" to compare/);
  });
});

describe('thresholds', () => {
  it('fails on any finding in --fail-on categories and over --max-<category>', () => {
    const report = reconcile(basicStore());
    expect(evaluateThresholds(report, {}).failed).toBe(false);
    const failOn = evaluateThresholds(report, { failOn: parseFailOn(['duplicate']).categories });
    expect(failOn).toMatchObject({ failed: true, reasons: ['duplicate_extra: 3 (--fail-on duplicate_extra)'] });
    expect(evaluateThresholds(report, { max: { unmatched: 18 } }).failed).toBe(false);
    expect(evaluateThresholds(report, { max: { unmatched: 17 } }).reasons).toEqual(['unmatched: 18, more than the 17 allowed']);
    expect(evaluateThresholds(report, { maxUnmatchedRate: 0.5 }).failed).toBe(false);
    expect(evaluateThresholds(report, { maxUnmatchedRate: 0.49 }).reasons).toEqual(['unmatched rate: 50%, more than the 49% allowed']);
    expect(evaluateThresholds(report, { failOn: ['payout_mismatch'] }).failed).toBe(false);
  });

  it('parses --fail-on words and aliases', () => {
    expect(parseFailOn(['unmatched', 'duplicates', 'missing-click-id'])).toEqual({ categories: ['unmatched', 'missing_click_id', 'duplicate_extra'], unknown: [] });
    expect(parseFailOn(['all']).categories).toHaveLength(12);
    expect(parseFailOn(['nope']).unknown).toEqual(['nope']);
  });
});
