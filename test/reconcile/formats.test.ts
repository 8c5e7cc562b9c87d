import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { Store } from '../../src/store/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { evaluateThresholds } from '../../src/reconcile/thresholds.js';
import { FINDING_COLUMNS, type ReconcileReport } from '../../src/reconcile/types.js';
import { renderReconcileCsv } from '../../src/report/reconcile/csv.js';
import { renderReconcileJUnit } from '../../src/report/reconcile/junit.js';
import { escapeMarkdown, renderReconcileMarkdown } from '../../src/report/reconcile/markdown.js';
import { renderReconcileTable } from '../../src/report/reconcile/table.js';
import { escapeXml, renderJUnit } from '../../src/report/junit.js';
import { tempDir } from '../helpers/tmp.js';
import { seedBasic } from './seed.js';
import { findAll, parseXml } from '../helpers/xml.js';

const stores: Store[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function basicReport(options: Parameters<typeof reconcile>[1] = {}): ReconcileReport {
  const store = Store.open(seedBasic(tempDir()));
  stores.push(store);
  return reconcile(store, options);
}

describe('csv', () => {
  it('has one row per finding with the JSON keys as columns, formulas neutralised', () => {
    const report = basicReport();
    const rows = parse(renderReconcileCsv(report), { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual(FINDING_COLUMNS);
    expect(rows).toHaveLength(report.findings.length);
    const formula = rows.find((row) => row.line === '41');
    expect(formula?.click_id).toBe("'=1+2");
    expect(rows.find((row) => row.line === '26')?.click_id).toBe(' 0b1c2d3e4f5a6b7c ');
    expect(rows.find((row) => row.line === '15')).toMatchObject({ type: 'unmatched', payout: '4', hint_kind: 'macro', source: 'network' });
  });
});

describe('junit', () => {
  it('parses as XML with one test case per category, failed over its threshold', () => {
    const report = basicReport({ limit: 3 });
    const verdict = evaluateThresholds(report, { max: { unmatched: 5 }, failOn: ['duplicate_clicks'], maxUnmatchedRate: 0.9 });
    const xml = parseXml(renderReconcileJUnit(report, verdict, '2026-03-01T00:00:00.000Z'));
    expect(xml.name).toBe('testsuites');
    const cases = findAll(xml, 'testcase');
    expect(cases.map((c) => c.attributes.name)).toEqual([
      'unmatched', 'missing_click_id', 'duplicate_groups', 'duplicate_extra', 'duplicate_clicks', 'before_click', 'outside_window', 'unmatched_rate',
    ]);
    const failed = cases.filter((c) => findAll(c, 'failure').length > 0).map((c) => c.attributes.name);
    expect(failed).toEqual(['unmatched', 'duplicate_clicks']);
    expect(xml.attributes).toMatchObject({ tests: '8', failures: '2', errors: '0' });
    const failure = findAll(cases[0]!, 'failure')[0]!;
    expect(failure.attributes.message).toBe('unmatched: 18, more than the 5 allowed');
    expect(failure.text).toContain('conversions.csv:15 "{clickid}"');
    expect(failure.text).toContain('… and 15 more');
  });

  it('escapes everything that would break the XML', () => {
    const hostile = 'a<b>&"c\'\u0001\u001b[31m\ud800';
    const xml = renderJUnit([{ name: hostile, cases: [{ name: hostile, classname: 'x', failure: { message: `${hostile}\nline 2`, text: hostile }, systemOut: hostile }], systemOut: `suite ${hostile}` }]);
    const parsed = parseXml(xml);
    const suiteOut = findAll(parsed, 'testsuite')[0]!.children.filter((child) => child.name === 'system-out');
    expect(suiteOut.map((child) => child.text)).toEqual(['suite a<b>&"c\'\\u0001\\u001b[31m']);
    const testcase = findAll(parsed, 'testcase')[0]!;
    // Controls become visible \uXXXX text: XML cannot hold C0 controls, and a viewer would decode a C1 reference back into one.
    expect(testcase.attributes.name).toBe('a<b>&"c\'\\u0001\\u001b[31m');
    expect(findAll(parsed, 'failure')[0]!.attributes.message).toBe('a<b>&"c\'\\u0001\\u001b[31m\nline 2');
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
    expect(escapeXml(']]>')).toBe(']]&gt;');
  });
});

describe('markdown', () => {
  it('renders a summary table, hints and collapsible category tables', () => {
    const report = basicReport({ limit: 20 });
    const md = renderReconcileMarkdown(report, evaluateThresholds(report, { max: { unmatched: 0 } }));
    expect(md).toMatch(/^## ❌ tpb reconcile: 18 unmatched, 2 missing click id, 3 duplicate extra/);
    expect(md).toContain('| unmatched | 18 | 45.00% | 21.00 USD |');
    expect(md).toContain('| **money at stake** |  |  | 55.00 USD |');
    expect(md).toContain('**Thresholds exceeded:**');
    expect(md).toContain('<details><summary>Unmatched conversions (no click has the id): 18</summary>');
    // data cannot open HTML or split a cell
    expect(md).toContain('{{click\\_id}}');
    expect(md).toContain('| a1b2 c3d4e5f6a7b |');
    expect(md).not.toMatch(/\| \[\[subid\]\] \|/);
  });

  it('escapes markdown and HTML in data', () => {
    expect(escapeMarkdown('a|b<script>*x*')).toBe('a\\|b\\<script\\>\\*x\\*');
    expect(escapeMarkdown('\u001b[31mred')).toBe('red');
    expect(escapeMarkdown('# not a heading', true)).toBe('\\# not a heading');
    expect(escapeMarkdown('1. not a list', true)).toBe('1\\. not a list');
  });
});

describe('table', () => {
  it('prints the summary, money at stake, hints and capped category rows', () => {
    const report = basicReport({ limit: 10 });
    const text = renderReconcileTable(report, { color: new Chalk({ level: 0 }) });
    expect(text).toMatch(/^Reconcile: 40 conversions against 21 clicks · window 30d · dedupe click_id\+event\+txid/);
    expect(text).toMatch(/unmatched\s+18\s+45\.00%\s+21\.00 USD at stake/);
    expect(text).toContain('Money at stake: 55.00 USD');
    expect(text).toContain('6 unmatched conversions carry a literal macro');
    expect(text).toContain('… and 8 more');
    expect(text).toContain('"   "'); // a whitespace-only id is shown quoted
    expect(text).not.toContain('\u001b[');
  });

  it('colors categories by severity when color is on', () => {
    const text = renderReconcileTable(basicReport({ limit: 1 }), { color: new Chalk({ level: 1 }) });
    expect(text).toContain('\u001b[31munmatched');
    expect(text).toContain('\u001b[33mduplicate extra');
  });
});
