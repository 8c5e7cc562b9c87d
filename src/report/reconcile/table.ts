import type { ChalkInstance } from 'chalk';
import { CATEGORY_TITLES, SEVERITY, type Finding, type FindingType, type ReconcileReport } from '../../reconcile/types.js';
import type { ThresholdResult } from '../../reconcile/thresholds.js';
import { sanitizeDeep, sanitizeForDisplay } from '../../text/sanitize.js';
import { renderTable } from '../table.js';
import { insightTableLines } from './insights-text.js';
import {
  CATEGORY_LABELS,
  categoryTotal,
  displayId,
  findingLocation,
  findingsOf,
  formatPayout,
  formatRate,
  formatStake,
  formatTime,
  reportCategories,
  countOf,
  clickSourcesText,
  categoryLabel,
  stakeOf,
} from './categories.js';

export interface ReconcileTableOptions {
  color: ChalkInstance;
  /** The threshold verdict, when thresholds were given. */
  verdict?: ThresholdResult;
  /** Width of the terminal (hints are cut to fit). */
  columns?: number;
}

function rowsFor(type: FindingType, findings: readonly Finding[]): { header: string[]; rows: unknown[][]; right: number[] } {
  if (type === 'duplicate_clicks') {
    return {
      header: ['where', 'click id', 'clicks', 'first at', 'hint'],
      rows: findings.map((f) => [findingLocation(f), displayId(f.click_id), f.count, formatTime(f.occurred_at), f.hint]),
      right: [2],
    };
  }
  if (type === 'payout_mismatch' || type === 'status_mismatch' || type === 'missing_in_a' || type === 'missing_in_b') {
    return {
      header: ['where', 'click id', 'txid', 'payout', 'status', 'hint'],
      rows: findings.map((f) => [findingLocation(f), displayId(f.click_id), f.txid, formatPayout(f.payout), f.status, f.hint]),
      right: [3],
    };
  }
  return {
    header: ['where', 'click id', 'occurred at', 'payout', 'hint'],
    rows: findings.map((f) => [findingLocation(f), displayId(f.click_id), formatTime(f.occurred_at), formatPayout(f.payout), f.hint]),
    right: [3],
  };
}

/** The human report: a summary block, the hints, then each category's rows with "and N more". */
export function renderReconcileTable(untrusted: ReconcileReport, options: ReconcileTableOptions): string {
  // Sanitised by construction: every string of the report (ids, currencies, sources, hints, file
  // names) loses its controls here, so no field printed below can carry an escape sequence.
  const report = sanitizeDeep(untrusted);
  const c = options.color;
  const s = report.summary;
  const out: string[] = [];
  const scope = report.options.compare
    ? `${report.options.compare.a} against ${report.options.compare.b} (by ${report.options.compare.key})`
    : `${countOf(s.conversions, 'conversion')} against ${countOf(s.clicks, 'click')}`;
  const sources = report.options.conversions_source ? ` · conversions from ${report.options.conversions_source.join(', ')}` : '';
  const clickText = report.options.compare ? '' : clickSourcesText(report);
  const clickSources = clickText ? ` · ${clickText}` : '';
  out.push(c.bold(`Reconcile: ${sanitizeForDisplay(scope)}`) + c.dim(` · window ${report.options.window} · dedupe ${report.options.dedupe_key}${sanitizeForDisplay(sources + clickSources)}`));
  out.push('');

  const paint = (type: FindingType, text: string, count: number) =>
    count === 0 ? c.dim(text) : SEVERITY[type] === 'error' ? c.red(text) : c.yellow(text);
  const stake = s.payout_at_stake;
  // Built by hand rather than with renderTable, which would strip the colors from the labels.
  const lines: Array<{ label: string; paint: (text: string) => string; count: number; extra: string }> = [];
  lines.push({ label: CATEGORY_LABELS.matched, paint: (text) => c.green(text), count: s.matched, extra: formatRate(s.match_rate) });
  for (const type of reportCategories(report)) {
    const count = categoryTotal(report, type);
    let extra = '';
    if (type === 'unmatched' || type === 'missing_click_id') extra = formatRate(s.conversions === 0 ? 0 : count / s.conversions);
    if (type === 'duplicate_extra') extra = `in ${s.duplicate_groups} group${s.duplicate_groups === 1 ? '' : 's'}`;
    const money = stakeOf(report, type);
    if (money > 0) extra += `${extra ? '  ' : ''}${formatStake(money, report)} at stake`;
    lines.push({ label: sanitizeForDisplay(categoryLabel(report, type)), paint: (text) => paint(type, text, count), count, extra });
  }
  const labelWidth = Math.max(...lines.map((line) => line.label.length));
  const countWidth = Math.max(...lines.map((line) => String(line.count).length));
  for (const line of lines) {
    out.push(`  ${line.paint(line.label.padEnd(labelWidth))}  ${String(line.count).padStart(countWidth)}  ${line.extra}`.trimEnd());
  }
  const currencyNote = s.currencies.length > 1 ? c.yellow(` (mixes ${s.currencies.join(', ')})`) : '';
  out.push('');
  out.push(
    `${c.bold('Money at stake:')} ${formatStake(stake.total, report)}${currencyNote}` +
      c.dim(
        report.options.compare
          ? ' — payout of rows on one side only, payout differences, and unmatched, missing-click-id, duplicate-extra and out-of-window conversions'
          : ' — payout of unmatched, missing-click-id, duplicate-extra and out-of-window conversions',
      ),
  );

  if (report.hints.length > 0) {
    out.push('', c.bold('Hints'));
    for (const hint of report.hints) out.push(`  ${c.cyan('›')} ${sanitizeForDisplay(hint.message)}`);
  }

  out.push(...insightTableLines(report, c));

  // Cut hints to the terminal; piped output keeps them whole.
  const hintWidth = options.columns ? Math.max(40, options.columns - 70) : 1000;
  for (const type of reportCategories(report)) {
    const total = categoryTotal(report, type);
    if (total === 0) continue;
    const shown = findingsOf(report, type);
    const title = `${CATEGORY_TITLES[type]} — ${total}`;
    out.push('', SEVERITY[type] === 'error' ? c.red.bold(title) : c.yellow.bold(title));
    if (shown.length > 0) {
      const table = rowsFor(type, shown);
      out.push(
        renderTable(table.header, table.rows, { alignRight: table.right, maxCellWidth: hintWidth, headerStyle: (text) => c.dim(text) })
          .trimEnd()
          .split('\n')
          .map((line) => `  ${line}`)
          .join('\n'),
      );
    }
    if (total > shown.length) out.push(c.dim(`  … and ${total - shown.length} more (--limit <n> to show more, --format csv or json for all)`));
  }

  if (options.verdict) {
    out.push('');
    if (options.verdict.failed) out.push(c.red.bold('Thresholds exceeded: ') + options.verdict.reasons.join('; '));
    else out.push(c.green('Thresholds held.'));
  }
  return `${out.join('\n')}\n`;
}
