import { FINDING_COLUMNS, type ReconcileReport } from '../../reconcile/types.js';
import { toCsv } from '../../csv/write.js';
import { renderGroupsCsv } from './insights-text.js';

/** One row per finding, the JSON finding keys as columns; cells a spreadsheet would run are neutralised. */
export function renderReconcileCsv(report: ReconcileReport): string {
  // With --by, the rows are the groups (a breakdown is what a spreadsheet is wanted for).
  if (report.by && report.by.length > 0) return renderGroupsCsv(report);
  return toCsv(FINDING_COLUMNS, report.findings as unknown as Array<Record<string, unknown>>);
}
