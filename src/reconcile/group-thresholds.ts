import type { Group } from './insight-types.js';
import type { ThresholdResult } from './thresholds.js';
import type { ReconcileReport } from './types.js';

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 1e6) / 1e6;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}

/**
 * The report the thresholds are checked against: with `--ignore-last`, the conversions of the last
 * days are taken out of every count they are in (they are still reported), so immature days do not
 * fail CI. Without it, the report itself.
 */
export function thresholdReport(report: ReconcileReport): ReconcileReport {
  const ignored = report.ignored_recent;
  if (!ignored || ignored.conversions === 0) return report;
  const s = report.summary;
  const c = ignored.counts;
  const conversions = s.conversions - ignored.conversions;
  const unmatched = s.unmatched - c.unmatched;
  const missing = s.missing_click_id - c.missing_click_id;
  const summary = {
    ...s,
    conversions,
    matched: s.matched - c.matched,
    unmatched,
    missing_click_id: missing,
    duplicate_extra: s.duplicate_extra - c.duplicate_extra,
    duplicate_groups: ignored.duplicate_groups_kept ?? s.duplicate_groups,
    before_click: s.before_click - c.before_click,
    outside_window: s.outside_window - c.outside_window,
    missing_in_a: s.missing_in_a - (ignored.compare?.missing_in_a ?? 0),
    missing_in_b: s.missing_in_b - (ignored.compare?.missing_in_b ?? 0),
    match_rate: ratio(s.matched - c.matched, conversions),
    unmatched_rate: ratio(unmatched + missing, conversions),
  };
  return { ...report, summary };
}

export interface GroupThresholds {
  maxUnmatchedRate?: number;
  /** Groups with fewer conversions are not checked (one unmatched conversion of one is 100 %). */
  minConversions?: number;
}

export interface GroupVerdict {
  by: string;
  key: string | null;
  conversions: number;
  value: number;
  limit: number;
  reason: string;
}

/**
 * Per-group thresholds (`--max-unmatched-rate` with `--by`): every group of every breakdown is
 * checked against the rate, and each one over it fails the run, named. Returns the verdict with
 * those reasons added, and the failing groups (worst first).
 */
export function evaluateGroupThresholds(verdict: ThresholdResult, groups: readonly Group[], thresholds: GroupThresholds): ThresholdResult & { groups: GroupVerdict[] } {
  const limit = thresholds.maxUnmatchedRate;
  if (limit === undefined || groups.length === 0) return { ...verdict, groups: [] };
  const min = Math.max(1, thresholds.minConversions ?? 1);
  const failing: GroupVerdict[] = groups
    .filter((group) => group.conversions >= min && group.unmatched_rate > limit)
    .sort((a, b) => b.unmatched_rate - a.unmatched_rate || b.conversions - a.conversions)
    .map((group) => {
      const lost = group.unmatched + group.missing_click_id;
      const name = group.key === null ? '(none)' : JSON.stringify(group.key);
      return {
        by: group.by,
        key: group.key,
        conversions: group.conversions,
        value: group.unmatched_rate,
        limit,
        reason: `${group.by} ${name}: unmatched rate ${percent(group.unmatched_rate)} (${lost} of ${group.conversions}), more than the ${percent(limit)} allowed`,
      };
    });
  if (failing.length === 0) return { ...verdict, groups: [] };
  return { ...verdict, failed: true, reasons: [...verdict.reasons, ...failing.map((group) => group.reason)], groups: failing };
}
