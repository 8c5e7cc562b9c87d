import { CATEGORY_TITLES, SEVERITY, type Finding, type FindingType, type ReconcileReport } from '../../reconcile/types.js';
import type { ThresholdResult } from '../../reconcile/thresholds.js';
import { sanitizeDeep, sanitizeForDisplay } from '../../text/sanitize.js';
import { insightMarkdownLines } from './insights-text.js';
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
  summaryLine,
  countOf,
  clickSourcesText,
  categoryLabel,
  stakeOf,
} from './categories.js';

/**
 * Text from the data (ids, file names, hints quoting them) must not become markup in a pull-request
 * comment: the characters that make emphasis, links, code, HTML, tables and strike-through are
 * backslash-escaped (CommonMark allows it for any punctuation); text that starts a line also gets
 * a character that would open a heading, list or quote escaped.
 */
export function escapeMarkdown(text: string, startsLine = false): string {
  const inline = sanitizeForDisplay(text).replace(/[\\`*_[\]<>|&~]/g, (char) => `\\${char}`);
  return !startsLine
    ? inline
    : inline.replace(/^([#+\-=>]|\d+[.)])/, (start) => `${start.slice(0, -1)}\\${start.slice(-1)}`);
}

/** Markup of our own, put in a cell unescaped. */
interface Raw {
  raw: string;
}

function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  if (typeof value === 'object' && 'raw' in value) return (value as Raw).raw;
  return escapeMarkdown(String(value));
}

function table(header: readonly string[], align: readonly ('l' | 'r')[], rows: ReadonlyArray<readonly unknown[]>): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

function findingRows(type: FindingType, findings: readonly Finding[]): { header: string[]; align: ('l' | 'r')[]; rows: unknown[][] } {
  if (type === 'duplicate_clicks') {
    return {
      header: ['where', 'click id', 'clicks', 'hint'],
      align: ['l', 'l', 'r', 'l'],
      rows: findings.map((f) => [findingLocation(f), displayId(f.click_id), f.count, f.hint]),
    };
  }
  if (type === 'payout_mismatch' || type === 'status_mismatch' || type === 'missing_in_a' || type === 'missing_in_b') {
    return {
      header: ['where', 'click id', 'txid', 'payout', 'status', 'hint'],
      align: ['l', 'l', 'l', 'r', 'l', 'l'],
      rows: findings.map((f) => [findingLocation(f), displayId(f.click_id), f.txid, formatPayout(f.payout), f.status, f.hint]),
    };
  }
  return {
    header: ['where', 'click id', 'occurred at', 'payout', 'hint'],
    align: ['l', 'l', 'l', 'r', 'l'],
    rows: findings.map((f) => [findingLocation(f), displayId(f.click_id), formatTime(f.occurred_at), formatPayout(f.payout), f.hint]),
  };
}

/** A pull-request comment: verdict, summary table, hints, and each category's rows in a <details>. */
export function renderReconcileMarkdown(untrusted: ReconcileReport, verdict?: ThresholdResult): string {
  // Sanitised by construction, like the table: no string of the report keeps a control.
  const report = sanitizeDeep(untrusted);
  const s = report.summary;
  const failed = verdict?.failed ?? false;
  const icon = verdict ? (failed ? '❌' : '✅') : reportCategories(report).some((t) => s[t] > 0 && SEVERITY[t] === 'error') ? '⚠️' : '✅';
  const out: string[] = [`## ${icon} tpb reconcile: ${escapeMarkdown(summaryLine(report))}`, ''];
  const scope = report.options.compare
    ? `Compared **${escapeMarkdown(report.options.compare.a)}** with **${escapeMarkdown(report.options.compare.b)}** by ${escapeMarkdown(report.options.compare.key)}`
    : `${countOf(s.conversions, 'conversion')} against ${countOf(s.clicks, 'click')}`;
  const clickText = report.options.compare ? '' : clickSourcesText(report);
  out.push(`${scope} · window ${escapeMarkdown(report.options.window)} · dedupe key ${escapeMarkdown(report.options.dedupe_key)}${clickText ? ` · ${escapeMarkdown(clickText)}` : ''}`, '');

  const stake = s.payout_at_stake;
  const rows: unknown[][] = [[CATEGORY_LABELS.matched, s.matched, formatRate(s.match_rate), '']];
  for (const type of reportCategories(report)) {
    const count = categoryTotal(report, type);
    const share = type === 'unmatched' || type === 'missing_click_id' ? formatRate(s.conversions === 0 ? 0 : count / s.conversions) : '';
    const money = stakeOf(report, type);
    rows.push([type === 'duplicate_extra' ? `duplicate extra (in ${s.duplicate_groups} group${s.duplicate_groups === 1 ? '' : 's'})` : categoryLabel(report, type), count, share, money > 0 ? formatStake(money, report) : '']);
  }
  rows.push([{ raw: '**money at stake**' } satisfies Raw, '', '', formatStake(stake.total, report)]);
  out.push(...table(['category', 'count', 'share', 'payout at stake'], ['l', 'r', 'r', 'r'], rows), '');
  if (s.currencies.length > 1) out.push(`> The payout sums mix currencies: ${escapeMarkdown(s.currencies.join(', '))}.`, '');

  if (verdict) {
    out.push(failed ? `**Thresholds exceeded:** ${verdict.reasons.map((reason) => escapeMarkdown(reason)).join('; ')}` : '**Thresholds held.**', '');
  }
  if (report.hints.length > 0) {
    out.push('### Hints', '', ...report.hints.map((hint) => `- ${escapeMarkdown(hint.message, true)}`), '');
  }
  out.push(...insightMarkdownLines(report, (text) => escapeMarkdown(text)));
  for (const type of reportCategories(report)) {
    const total = categoryTotal(report, type);
    if (total === 0) continue;
    const shown = findingsOf(report, type);
    out.push(`<details><summary>${escapeMarkdown(CATEGORY_TITLES[type])}: ${total}</summary>`, '');
    if (shown.length > 0) {
      const t = findingRows(type, shown);
      out.push(...table(t.header, t.align, t.rows));
    }
    if (total > shown.length) out.push('', `… and ${total - shown.length} more (\`--format csv\` lists every finding).`);
    out.push('', '</details>', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
