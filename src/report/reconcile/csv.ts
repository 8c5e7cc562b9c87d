import { FINDING_COLUMNS, type ReconcileReport } from '../../reconcile/types.js';
import { toCsv } from '../../csv/write.js';
import { renderDailyCsv, renderGroupsCsv, renderLagCsv } from './insights-text.js';

/**
 * What rows a CSV report holds (`--rows`): CSV is one table, so the where-and-when parts are each a
 * report of their own.
 */
export const CSV_ROWS = ['findings', 'groups', 'daily', 'lag'] as const;
export type CsvRows = (typeof CSV_ROWS)[number];

/**
 * The CSV report; cells a spreadsheet would run are neutralised. By default one row per finding
 * (the JSON finding keys as columns), or with --by one row per group (a breakdown is what a
 * spreadsheet is wanted for); `rows` chooses: the findings, the groups, the daily series (with
 * maturity) or the lag histogram.
 */
export function renderReconcileCsv(report: ReconcileReport, rows?: CsvRows): string {
  const chosen = rows ?? (report.by && report.by.length > 0 ? 'groups' : 'findings');
  switch (chosen) {
    case 'groups':
      return renderGroupsCsv(report);
    case 'daily':
      return renderDailyCsv(report);
    case 'lag':
      return renderLagCsv(report);
    case 'findings':
      return toCsv(FINDING_COLUMNS, report.findings as unknown as Array<Record<string, unknown>>);
  }
}
