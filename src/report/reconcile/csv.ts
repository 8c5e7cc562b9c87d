import { FINDING_COLUMNS, type ReconcileReport } from '../../reconcile/types.js';
import { toCsv } from '../../csv/write.js';

/** One row per finding, the JSON finding keys as columns; cells a spreadsheet would run are neutralised. */
export function renderReconcileCsv(report: ReconcileReport): string {
  return toCsv(FINDING_COLUMNS, report.findings as unknown as Array<Record<string, unknown>>);
}
