import { type Finding, type ReconcileReport } from '../../reconcile/types.js';
import type { ThresholdResult } from '../../reconcile/thresholds.js';
import { renderJUnit, type JUnitCase } from '../junit.js';
import { findingLocation, reportCategories } from './categories.js';

function describe(finding: Finding): string {
  const id = finding.click_id === null ? '(no click id)' : JSON.stringify(finding.click_id);
  return `${findingLocation(finding)} ${id}${finding.hint ? ` — ${finding.hint}` : ''}`;
}

/**
 * One test case per category (classname "tpb.reconcile"), failed when the category is over its
 * threshold; the failure lists the category's first findings. A --max-unmatched-rate adds a case.
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
  };
  if (report.options.compare) properties.compare = `${report.options.compare.a} vs ${report.options.compare.b}`;
  return renderJUnit([{ name: 'tpb reconcile', cases, properties, ...(timestamp ? { timestamp } : {}) }], 'tpb reconcile');
}
