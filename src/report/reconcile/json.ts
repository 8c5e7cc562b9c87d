import type { ReconcileReport } from '../../reconcile/types.js';
import type { ThresholdResult } from '../../reconcile/thresholds.js';

/** The report document, with the threshold verdict when thresholds were given. */
export function reconcileJsonDocument(report: ReconcileReport, verdict?: ThresholdResult): ReconcileReport & { thresholds?: { failed: boolean; reasons: string[] } } {
  return verdict ? { ...report, thresholds: { failed: verdict.failed, reasons: verdict.reasons } } : report;
}

export function renderReconcileJson(report: ReconcileReport, verdict?: ThresholdResult): string {
  return `${JSON.stringify(reconcileJsonDocument(report, verdict), null, 2)}\n`;
}
