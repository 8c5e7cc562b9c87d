import type { ReconcileReport } from '../../reconcile/types.js';
import type { ThresholdResult } from '../../reconcile/thresholds.js';
import { toJson } from '../../text/sanitize.js';

/** The report document, with the threshold verdict when thresholds were given. */
export function reconcileJsonDocument(report: ReconcileReport, verdict?: ThresholdResult): ReconcileReport & { thresholds?: { failed: boolean; reasons: string[] } } {
  return verdict ? { ...report, thresholds: { failed: verdict.failed, reasons: verdict.reasons } } : report;
}

export function renderReconcileJson(report: ReconcileReport, verdict?: ThresholdResult): string {
  return `${toJson(reconcileJsonDocument(report, verdict), 2)}\n`;
}
