import { THRESHOLD_CATEGORIES, type ReconcileReport, type ThresholdCategory } from './types.js';

/** When a reconcile run counts as failed (exit 1). No thresholds: it never fails. */
export interface ReconcileThresholds {
  /** Any finding in these categories fails. */
  failOn?: readonly ThresholdCategory[];
  /** More than n findings in a category fails. */
  max?: Partial<Record<ThresholdCategory, number>>;
  /** (unmatched + missing_click_id) / conversions above this fails. */
  maxUnmatchedRate?: number;
}

export interface CategoryVerdict {
  category: ThresholdCategory;
  value: number;
  /** The most allowed (0 for --fail-on), or null when no threshold applies. */
  limit: number | null;
  failed: boolean;
  reason: string | null;
}

export interface ThresholdResult {
  failed: boolean;
  reasons: string[];
  /** One verdict per category, in report order (what JUnit turns into test cases). */
  categories: CategoryVerdict[];
  /** The unmatched-rate check, when asked for. */
  unmatchedRate: { value: number; limit: number; failed: boolean; reason: string | null } | null;
  /** With --by: the groups over --max-unmatched-rate (src/reconcile/group-thresholds.ts). */
  groups?: ReadonlyArray<{ by: string; key: string | null; reason: string }>;
}

/** Spellings accepted by --fail-on besides the category names. */
const ALIASES: Readonly<Record<string, readonly ThresholdCategory[]>> = {
  duplicate: ['duplicate_extra'],
  duplicates: ['duplicate_extra'],
  missing: ['missing_click_id'],
  before: ['before_click'],
  window: ['outside_window'],
  mismatch: ['payout_mismatch', 'status_mismatch'],
  compare: ['missing_in_a', 'missing_in_b', 'payout_mismatch', 'status_mismatch'],
  all: THRESHOLD_CATEGORIES,
};

/** Turn --fail-on words into categories; unknown words are returned separately for the error message. */
export function parseFailOn(words: readonly string[]): { categories: ThresholdCategory[]; unknown: string[] } {
  const categories = new Set<ThresholdCategory>();
  const unknown: string[] = [];
  for (const raw of words) {
    const word = raw.trim().toLowerCase().replaceAll('-', '_');
    if ((THRESHOLD_CATEGORIES as readonly string[]).includes(word)) categories.add(word as ThresholdCategory);
    else if (ALIASES[word]) for (const category of ALIASES[word]) categories.add(category);
    else unknown.push(raw);
  }
  return { categories: THRESHOLD_CATEGORIES.filter((category) => categories.has(category)), unknown };
}

export const FAIL_ON_WORDS: readonly string[] = [...THRESHOLD_CATEGORIES, ...Object.keys(ALIASES)];

function percent(value: number): string {
  return `${(value * 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}

/** Check a report against the thresholds: which categories are over, and why, in words. */
export function evaluateThresholds(report: ReconcileReport, thresholds: ReconcileThresholds): ThresholdResult {
  const failOn = new Set(thresholds.failOn ?? []);
  const categories: CategoryVerdict[] = THRESHOLD_CATEGORIES.map((category) => {
    const value = report.summary[category];
    const max = thresholds.max?.[category];
    const limits = [max, failOn.has(category) ? 0 : undefined].filter((n): n is number => n !== undefined);
    const limit = limits.length === 0 ? null : Math.min(...limits);
    const failed = limit !== null && value > limit;
    const reason = !failed
      ? null
      : limit === 0 && failOn.has(category)
        ? `${category}: ${value} (--fail-on ${category})`
        : `${category}: ${value}, more than the ${limit} allowed`;
    return { category, value, limit, failed, reason };
  });
  let unmatchedRate: ThresholdResult['unmatchedRate'] = null;
  if (thresholds.maxUnmatchedRate !== undefined) {
    const value = report.summary.unmatched_rate;
    const failed = value > thresholds.maxUnmatchedRate;
    unmatchedRate = {
      value,
      limit: thresholds.maxUnmatchedRate,
      failed,
      reason: failed ? `unmatched rate: ${percent(value)}, more than the ${percent(thresholds.maxUnmatchedRate)} allowed` : null,
    };
  }
  const reasons = [...categories.map((verdict) => verdict.reason), unmatchedRate?.reason ?? null].filter((r): r is string => r !== null);
  return { failed: reasons.length > 0, reasons, categories, unmatchedRate };
}
