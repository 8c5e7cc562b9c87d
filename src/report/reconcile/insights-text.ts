import type { ChalkInstance } from 'chalk';
import type { Group, ReconcileInsights } from '../../reconcile/insight-types.js';
import type { ReconcileReport } from '../../reconcile/types.js';
import { toCsv } from '../../csv/write.js';
import { sanitizeForDisplay } from '../../text/sanitize.js';
import { formatDuration } from '../../units/duration.js';
import { renderTable } from '../table.js';
import { formatRate, formatStake } from './categories.js';

/** Where and when, for the table, markdown and csv reports: breakdowns, the daily series, lag and maturity. */

type InsightReport = ReconcileReport & Partial<ReconcileInsights>;

/** Groups per breakdown in the table and markdown reports; json and csv list them all. */
export const SHOWN_GROUPS = 10;
/** Days of the series in the table and markdown reports (the last ones); json has them all. */
export const SHOWN_DAYS = 14;

function groupsOf(report: InsightReport): Array<{ by: string; groups: Group[] }> {
  return (report.by ?? []).map((by) => ({ by, groups: (report.groups ?? []).filter((group) => group.by === by) }));
}

function groupRow(group: Group, report: ReconcileReport): unknown[] {
  return [
    group.key ?? '(none)',
    group.conversions,
    group.matched,
    formatRate(group.match_rate),
    group.unmatched,
    group.missing_click_id,
    group.duplicate_extra,
    group.before_click,
    group.outside_window,
    formatStake(group.payout_at_stake, report),
  ];
}

const GROUP_HEADER = ['conversions', 'matched', 'match rate', 'unmatched', 'missing id', 'dup extra', 'before click', 'outside window', 'at stake'];

function lagLine(report: InsightReport): string | null {
  const lag = report.lag;
  if (!lag || lag.conversions === 0) return null;
  const p = (ms: number | null) => (ms === null ? '–' : formatDuration(ms));
  const beyond = lag.beyond_window_share > 0 ? `; ${formatRate(lag.beyond_window_share)} after the ${report.options.window} window` : '';
  return `click to conversion over ${lag.conversions.toLocaleString('en-US')} matched conversions: p50 ${p(lag.p50_ms)}, p90 ${p(lag.p90_ms)}, p99 ${p(lag.p99_ms)}${beyond}`;
}

function dayRows(report: InsightReport): { rows: unknown[][]; earlier: number } {
  const daily = report.series?.daily ?? [];
  const shown = daily.slice(-SHOWN_DAYS);
  return {
    rows: shown.map((day) => [
      day.day,
      day.conversions,
      day.matched,
      day.unmatched,
      day.missing_click_id,
      day.conversions === 0 ? '' : formatRate(day.match_rate),
      day.incomplete_share !== null ? `~${Math.round(day.incomplete_share * 100)}% still to come` : '',
    ]),
    earlier: daily.length - shown.length,
  };
}

const DAY_HEADER = ['day', 'conversions', 'matched', 'unmatched', 'missing id', 'match rate', 'maturity'];

/** Width of the longest bar of the lag histogram, in characters. */
const LAG_BAR = 24;

interface LagRow {
  label: string;
  count: number;
  share: string;
  /** Share of the fullest bucket (0..1), for a bar. */
  fill: number;
  /** The attribution window ends at this bucket's upper edge. */
  windowEnds: boolean;
}

/**
 * The lag histogram's buckets from the first to the last that has conversions (the empty ones in
 * between kept, so the shape reads right).
 */
function lagRows(report: InsightReport): LagRow[] {
  const lag = report.lag;
  if (!lag || lag.conversions === 0) return [];
  const buckets = lag.buckets;
  const first = buckets.findIndex((bucket) => bucket.count > 0);
  const last = buckets.length - 1 - [...buckets].reverse().findIndex((bucket) => bucket.count > 0);
  const fullest = Math.max(...buckets.map((bucket) => bucket.count));
  return buckets.slice(first, last + 1).map((bucket) => ({
    label: bucket.label,
    count: bucket.count,
    share: formatRate(bucket.count / lag.conversions),
    fill: bucket.count / fullest,
    windowEnds: bucket.to_ms === lag.window_ms,
  }));
}

const LAG_HEADER = ['lag', 'conversions', 'share', ''];

function textBar(share: number): string {
  return share <= 0 ? '' : '█'.repeat(Math.max(1, Math.round(share * LAG_BAR)));
}

/** The table report's where-and-when sections (lines, without a trailing newline). */
export function insightTableLines(report: InsightReport, c: ChalkInstance): string[] {
  const out: string[] = [];
  const indent = (text: string) => text.trimEnd().split('\n').map((line) => `  ${line}`).join('\n');
  const daily = report.series?.daily ?? [];
  if (daily.length > 1) {
    const { rows, earlier } = dayRows(report);
    out.push('', c.bold(`By day (${report.series!.timezone})`));
    out.push(indent(renderTable(DAY_HEADER, rows, { alignRight: [1, 2, 3, 4, 5], headerStyle: (text) => c.dim(text) })));
    if (earlier > 0) out.push(c.dim(`  … and ${earlier} earlier day${earlier === 1 ? '' : 's'} (--json has the whole series)`));
  }
  const lag = lagLine(report);
  if (lag) {
    out.push('', `${c.bold('Lag:')} ${lag}`);
    const rows = lagRows(report).map((row) => [row.label, row.count, row.share, `${textBar(row.fill)}${row.windowEnds ? ` ← the ${report.options.window} window ends` : ''}`]);
    out.push(indent(renderTable(LAG_HEADER, rows, { alignRight: [1, 2], headerStyle: (text) => c.dim(text) })));
  }
  if (report.maturity?.message) out.push(`${c.bold('Maturity:')} ${c.yellow(sanitizeForDisplay(report.maturity.message))}`);
  if (report.ignored_recent) {
    const ignored = report.ignored_recent;
    out.push(c.dim(`Thresholds leave out the ${ignored.conversions} conversions of the last ${ignored.duration}${ignored.since ? ` (after ${ignored.since})` : ''}.`));
  }
  for (const { by, groups } of groupsOf(report)) {
    out.push('', c.bold(`By ${by}`) + c.dim(` — ${groups.length} group${groups.length === 1 ? '' : 's'}, by money at stake`));
    const shown = groups.slice(0, SHOWN_GROUPS);
    out.push(indent(renderTable([by, ...GROUP_HEADER], shown.map((group) => groupRow(group, report)), { alignRight: [1, 2, 3, 4, 5, 6, 7, 8, 9], maxCellWidth: 40, headerStyle: (text) => c.dim(text) })));
    if (groups.length > shown.length) out.push(c.dim(`  … and ${groups.length - shown.length} more (--format csv or json lists every group)`));
  }
  return out;
}

/** The markdown report's where-and-when sections. `escape` is the markdown renderer's escaping. */
export function insightMarkdownLines(report: InsightReport, escape: (text: string) => string): string[] {
  const out: string[] = [];
  const cell = (value: unknown) => escape(value === null || value === undefined ? '' : String(value));
  const table = (header: readonly string[], rows: ReadonlyArray<readonly unknown[]>) => [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
  const daily = report.series?.daily ?? [];
  if (daily.length > 1) {
    const { rows, earlier } = dayRows(report);
    out.push(`<details><summary>By day (${cell(report.series!.timezone)})</summary>`, '', ...table(DAY_HEADER, rows));
    if (earlier > 0) out.push('', `… and ${earlier} earlier days (\`--json\` has the whole series).`);
    out.push('', '</details>', '');
  }
  const lag = lagLine(report);
  if (lag) {
    out.push(`**Lag:** ${cell(lag)}`, '');
    const rows = lagRows(report).map((row) => [row.windowEnds ? `${row.label} (the ${report.options.window} window ends)` : row.label, row.count, row.share]);
    out.push('<details><summary>Lag histogram</summary>', '', ...table(LAG_HEADER.slice(0, 3), rows), '', '</details>', '');
  }
  if (report.maturity?.message) out.push(`> **Maturity:** ${cell(report.maturity.message)}`, '');
  if (report.ignored_recent) out.push(`Thresholds leave out the ${report.ignored_recent.conversions} conversions of the last ${cell(report.ignored_recent.duration)}.`, '');
  for (const { by, groups } of groupsOf(report)) {
    const shown = groups.slice(0, SHOWN_GROUPS);
    out.push(`### By ${cell(by)} (${groups.length} group${groups.length === 1 ? '' : 's'})`, '', ...table([by, ...GROUP_HEADER], shown.map((group) => groupRow(group, report))));
    if (groups.length > shown.length) out.push('', `… and ${groups.length - shown.length} more (\`--format csv\` lists every group).`);
    out.push('');
  }
  return out;
}

export const GROUP_COLUMNS = [
  'by', 'key', 'conversions', 'matched', 'unmatched', 'missing_click_id', 'duplicate_extra', 'before_click', 'outside_window', 'match_rate', 'unmatched_rate', 'payout_at_stake',
] as const;

/** With --by, the csv report is the groups: one row per group, each breakdown's fields as columns too. */
export function renderGroupsCsv(report: InsightReport): string {
  const fields = [...new Set((report.by ?? []).flatMap((by) => by.split('+')))];
  const rows = (report.groups ?? []).map((group) => ({ ...Object.fromEntries(fields.map((field) => [field, group.values[field] ?? null])), ...group, values: undefined }));
  return toCsv([...GROUP_COLUMNS, ...fields], rows as Array<Record<string, unknown>>);
}

export const DAILY_COLUMNS = ['day', 'conversions', 'matched', 'unmatched', 'missing_click_id', 'match_rate', 'incomplete_share', 'timezone'] as const;

/**
 * `--format csv --rows daily`: the daily series, one row per day from the first to the last
 * (days without conversions included), with maturity's `incomplete_share` (empty on a complete
 * day); the conversions without a time are one last row, `(undated)`, so the column adds up to
 * the summary.
 */
export function renderDailyCsv(report: InsightReport): string {
  const series = report.series;
  const rows: Array<Record<string, unknown>> = (series?.daily ?? []).map((day) => ({ ...day, timezone: series!.timezone }));
  if (series && series.undated > 0) rows.push({ day: '(undated)', conversions: series.undated, timezone: series.timezone });
  return toCsv(DAILY_COLUMNS, rows);
}

export const LAG_COLUMNS = ['bucket', 'from_ms', 'to_ms', 'conversions', 'share', 'cumulative_share', 'after_window'] as const;

/**
 * `--format csv --rows lag`: the lag histogram, one row per bucket (all of them, empty ones too),
 * `after_window` true for the buckets past the attribution window.
 */
export function renderLagCsv(report: InsightReport): string {
  const lag = report.lag;
  let seen = 0;
  const share = (count: number) => (lag && lag.conversions > 0 ? Math.round((count / lag.conversions) * 1e6) / 1e6 : 0);
  const rows = (lag?.buckets ?? []).map((bucket) => {
    seen += bucket.count;
    return {
      bucket: bucket.label,
      from_ms: bucket.from_ms,
      to_ms: bucket.to_ms,
      conversions: bucket.count,
      share: share(bucket.count),
      cumulative_share: share(seen),
      after_window: bucket.from_ms >= lag!.window_ms,
    };
  });
  return toCsv(LAG_COLUMNS, rows);
}
