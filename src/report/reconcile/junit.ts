import { Chalk } from 'chalk';
import type { ReconcileInsights } from '../../reconcile/insight-types.js';
import { type Finding, type ReconcileReport } from '../../reconcile/types.js';
import type { ThresholdResult } from '../../reconcile/thresholds.js';
import { renderJUnit, type JUnitCase } from '../junit.js';
import { findingLocation, reportCategories } from './categories.js';
import { insightTableLines } from './insights-text.js';

type InsightReport = ReconcileReport & Partial<ReconcileInsights>;

/**
 * Where and when as suite properties, for CI tooling that reads them: the breakdowns asked for,
 * the daily series' span, the lag percentiles and the immature days (none when the engine computed
 * no insights).
 */
function insightProperties(report: InsightReport): Record<string, string> {
  const properties: Record<string, string> = {};
  const text = (value: number | string | null | undefined) => (value === null || value === undefined ? '' : String(value));
  if (report.by && report.by.length > 0) properties.by = report.by.join(',');
  const series = report.series;
  if (series) {
    properties.series_timezone = series.timezone;
    properties.series_days = String(series.daily.length);
    properties.series_first_day = text(series.daily[0]?.day);
    properties.series_last_day = text(series.daily[series.daily.length - 1]?.day);
    properties.series_undated = String(series.undated);
  }
  const lag = report.lag;
  if (lag) {
    properties.lag_conversions = String(lag.conversions);
    properties.lag_p50_ms = text(lag.p50_ms);
    properties.lag_p90_ms = text(lag.p90_ms);
    properties.lag_p99_ms = text(lag.p99_ms);
    properties.lag_max_ms = text(lag.max_ms);
    properties.lag_beyond_window_share = String(lag.beyond_window_share);
  }
  const maturity = report.maturity;
  if (maturity) {
    properties.maturity_as_of = text(maturity.as_of);
    properties.maturity_incomplete_share = String(maturity.incomplete_share);
    properties.maturity_days = maturity.days.map((day) => day.day).join(',');
  }
  if (report.ignored_recent) properties.ignored_recent_conversions = String(report.ignored_recent.conversions);
  return properties;
}

/**
 * Where and when as the suite's <system-out> (the cases stay one per category): the last days of
 * the series, the lag and its histogram, maturity and the top groups of each breakdown, as the
 * table report prints them.
 */
function insightText(report: InsightReport): string | null {
  if (!report.series && !report.lag) return null;
  const lines = insightTableLines(report, new Chalk({ level: 0 }));
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  return lines.length === 0 ? null : lines.join('\n');
}

function describe(finding: Finding): string {
  const id = finding.click_id === null ? '(no click id)' : JSON.stringify(finding.click_id);
  return `${findingLocation(finding)} ${id}${finding.hint ? ` — ${finding.hint}` : ''}`;
}

/**
 * One test case per category (classname "tpb.reconcile"), failed when the category is over its
 * threshold; the failure lists the category's first findings. A --max-unmatched-rate adds a case
 * (and one per --by breakdown). The where-and-when sections are the suite's <system-out> and
 * properties (series_*, lag_*, maturity_*).
 */
export function renderReconcileJUnit(report: ReconcileReport, verdict: ThresholdResult, timestamp?: string): string {
  const applies = new Set<string>([...reportCategories(report), 'duplicate_groups']);
  const cases: JUnitCase[] = verdict.categories
    .filter((v) => applies.has(v.category) || v.failed)
    .map((v) => {
      const rows = v.category === 'duplicate_groups' ? [] : report.findings.filter((f) => f.type === v.category);
      const shown = rows.map(describe);
      if (v.value > rows.length && rows.length > 0) shown.push(`… and ${v.value - rows.length} more`);
      const threshold = v.limit === null ? 'no threshold' : `at most ${v.limit}`;
      const item: JUnitCase = {
        name: v.category,
        classname: 'tpb.reconcile',
        systemOut: `${v.value} finding${v.value === 1 ? '' : 's'} (${threshold})${shown.length > 0 ? `\n${shown.join('\n')}` : ''}`,
      };
      if (v.failed) item.failure = { message: v.reason ?? `${v.category}: ${v.value}`, type: 'threshold', text: shown.join('\n') };
      return item;
    });
  if (verdict.unmatchedRate) {
    const rate = verdict.unmatchedRate;
    const item: JUnitCase = {
      name: 'unmatched_rate',
      classname: 'tpb.reconcile',
      systemOut: `unmatched rate ${rate.value} (at most ${rate.limit})`,
    };
    if (rate.failed) item.failure = { message: rate.reason ?? 'unmatched rate', type: 'threshold' };
    cases.push(item);
    // One case per breakdown: which groups are over the rate.
    for (const by of report.by ?? []) {
      const over = (verdict.groups ?? []).filter((group) => group.by === by);
      const groupCase: JUnitCase = { name: `unmatched_rate by ${by}`, classname: 'tpb.reconcile', systemOut: `${over.length} group${over.length === 1 ? '' : 's'} over ${rate.limit}` };
      if (over.length > 0) groupCase.failure = { message: over[0]!.reason + (over.length > 1 ? ` (and ${over.length - 1} more)` : ''), type: 'threshold', text: over.map((group) => group.reason).join('\n') };
      cases.push(groupCase);
    }
  }
  const properties: Record<string, string> = {
    conversions: String(report.summary.conversions),
    clicks: String(report.summary.clicks),
    match_rate: String(report.summary.match_rate),
    window: report.options.window,
    dedupe_key: report.options.dedupe_key,
    ...insightProperties(report),
  };
  if (report.options.compare) properties.compare = `${report.options.compare.a} vs ${report.options.compare.b}`;
  const systemOut = insightText(report);
  return renderJUnit([{ name: 'tpb reconcile', cases, properties, ...(timestamp ? { timestamp } : {}), ...(systemOut ? { systemOut } : {}) }], 'tpb reconcile');
}
