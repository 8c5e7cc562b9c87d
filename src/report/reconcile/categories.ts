import path from 'node:path';
import { FINDING_TYPES, type Finding, type FindingType, type ReconcileReport } from '../../reconcile/types.js';

/** How many findings a category has in total (the summary count), whatever the rows shown. */
export function categoryTotal(report: ReconcileReport, type: FindingType): number {
  return report.summary[type];
}

/** Categories that apply to this run, in report order: compare categories only with --compare. */
export function reportCategories(report: ReconcileReport): FindingType[] {
  const compare = report.options.compare !== null;
  // clicks_not_recorded applies when tpb click's record was set aside for the tracker's export.
  const recorded = report.summary.clicks_not_recorded > 0 || (report.options.excluded_click_sources ?? []).length > 0;
  return FINDING_TYPES.filter(
    (type) =>
      (compare || !['missing_in_a', 'missing_in_b', 'payout_mismatch', 'status_mismatch'].includes(type)) && (recorded || type !== 'clicks_not_recorded'),
  );
}

/**
 * "clicks from tune (not tpb:click)", "clicks from tpb:click only": which clicks were matched
 * against, for the header line. Empty when there are no clicks.
 */
export function clickSourcesText(report: ReconcileReport): string {
  const used = report.options.click_sources ?? [];
  if (used.length === 0) return '';
  const excluded = report.options.excluded_click_sources ?? [];
  if (excluded.length > 0) return `clicks from ${used.join(', ')} (not ${excluded.join(', ')})`;
  if (used.length === 1 && used[0] === 'tpb:click') return 'clicks from tpb:click only (no tracker click export)';
  return `clicks from ${used.join(', ')}`;
}

export function findingsOf(report: ReconcileReport, type: FindingType): Finding[] {
  return report.findings.filter((finding) => finding.type === type);
}

/** "conversions.csv:15" (file name only: the JSON report keeps the whole path). */
export function findingLocation(finding: Pick<Finding, 'file' | 'line' | 'source'>): string {
  const line = finding.line === null ? '' : `:${finding.line}`;
  return finding.file ? `${path.basename(finding.file)}${line}` : `${finding.source}${line}`;
}

/** "12.50" / "" for no payout, with the currency when there is one. */
export function formatPayout(payout: number | null, currency: string | null = null): string {
  if (payout === null) return '';
  const text = payout.toFixed(Math.max(2, (String(payout).split('.')[1] ?? '').length));
  return currency ? `${text} ${currency}` : text;
}

export function formatRate(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

/** The money the summary says is at stake, with the currency when there is exactly one. */
export function formatStake(amount: number, report: ReconcileReport): string {
  const currencies = report.summary.currencies;
  return formatPayout(amount, currencies.length === 1 ? currencies[0]! : null);
}

/** "2026-03-02 10:00:00Z": the stored ISO time, shorter for a table. */
export function formatTime(iso: string | null): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.000Z$/, 'Z');
}

export const CATEGORY_LABELS: Readonly<Record<FindingType | 'matched' | 'duplicate_groups', string>> = {
  matched: 'matched',
  unmatched: 'unmatched',
  missing_click_id: 'missing click id',
  duplicate_groups: 'duplicate groups',
  duplicate_extra: 'duplicate extra',
  duplicate_clicks: 'duplicate clicks',
  clicks_not_recorded: 'clicks not recorded',
  before_click: 'before click',
  outside_window: 'outside window',
  missing_in_a: 'only in b',
  missing_in_b: 'only in a',
  payout_mismatch: 'payout mismatch',
  status_mismatch: 'status mismatch',
};

/** Payout the summary puts at stake for a category (0 for those that carry none). */
export function stakeOf(report: ReconcileReport, type: FindingType): number {
  const stake = report.summary.payout_at_stake;
  switch (type) {
    case 'unmatched':
    case 'missing_click_id':
    case 'duplicate_extra':
    case 'outside_window':
    case 'missing_in_a':
    case 'missing_in_b':
    case 'payout_mismatch':
      return stake[type] ?? 0;
    default:
      return 0;
  }
}

/** A category's label, with the compared sources' names: "only in tpb:fire". */
export function categoryLabel(report: ReconcileReport, type: FindingType): string {
  const compare = report.options.compare;
  if (compare && type === 'missing_in_b') return `only in ${compare.a}`;
  if (compare && type === 'missing_in_a') return `only in ${compare.b}`;
  return CATEGORY_LABELS[type];
}

/** One-line verdict: "18 unmatched, 2 missing click id, 3 duplicate extra" or "all 40 conversions matched". */
export function summaryLine(report: ReconcileReport): string {
  const parts = reportCategories(report)
    .filter((type) => report.summary[type] > 0)
    .map((type) => `${report.summary[type]} ${categoryLabel(report, type)}`);
  if (parts.length > 0) return parts.join(', ');
  return report.options.compare ? 'the two sources agree' : `all ${report.summary.conversions} conversions matched`;
}

/** An id for display: quoted when whitespace at either end would otherwise be invisible. */
export function displayId(id: string | null): string {
  if (id === null) return '';
  return /^\s|\s$/.test(id) || id === '' ? JSON.stringify(id) : id;
}

/** "1 conversion", "2,500 clicks". */
export function countOf(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
