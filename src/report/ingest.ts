import type { ChalkInstance } from 'chalk';
import type { IngestResult } from '../ingest/ingest.js';
import { describeDelimiter } from '../csv/delimiter.js';
import { excerpt, sanitizeForDisplay } from '../text/sanitize.js';

/** Pure renderers of ingest results: the human summary and the --json document. */

const count = (n: number) => n.toLocaleString('en-US');

export function describeInput(result: Pick<IngestResult, 'delimiter' | 'input'>): string {
  const parts = [`${describeDelimiter(result.delimiter)}-separated`, result.input.encoding.toUpperCase() + (result.input.bom ? ' with BOM' : '')];
  if (result.input.compressed) parts.push('gzip');
  return parts.join(', ');
}

/** One block per file, then a total line when there were several. */
export function renderIngestSummary(results: readonly IngestResult[], color: ChalkInstance): string {
  const lines: string[] = [];
  for (const result of results) {
    const file = sanitizeForDisplay(result.file);
    const source = sanitizeForDisplay(result.source);
    if (result.status === 'unchanged') {
      lines.push(
        `${file}: ${color.yellow('already imported')} as import ${result.importId} (source ${source}, same content, ${count(result.previous?.rows ?? 0)} rows); nothing written — --force replaces it`,
      );
      continue;
    }
    const rejected = result.rejected > 0 ? color.red(`${count(result.rejected)} rejected`) : '0 rejected';
    const ids = result.replaced.map((record) => record.id);
    const verb =
      result.status !== 'replaced'
        ? ''
        : result.replacedBecause === 'options'
          ? `same content as import ${ids.join(', ')} with other options (${result.optionChanges.join('; ')}): re-imported in its place — `
          : `replaced import${ids.length === 1 ? '' : 's'} ${ids.join(', ')} (${count(result.replaced.reduce((sum, record) => sum + record.rows, 0))} rows): `;
    lines.push(
      `${file}: ${verb}${color.green(`${count(result.rows)} ${result.rows === 1 ? result.kind.replace(/s$/, '') : result.kind}`)} imported as import ${result.importId} (source ${source}), ${rejected}, in ${result.seconds.toFixed(2)} s (${count(result.rowsPerSecond)} rows/s)`,
    );
    for (const reject of result.firstRejects) {
      lines.push(`  line ${reject.line}: ${sanitizeForDisplay(reject.reason)}${reject.raw ? `  ${color.dim(excerpt(reject.raw, 80))}` : ''}`);
    }
    if (result.rejected > result.firstRejects.length) {
      lines.push(`  … ${count(result.rejected - result.firstRejects.length)} more: tpb db export rejects`);
    }
  }
  if (results.length > 1) {
    const rows = results.reduce((sum, result) => sum + (result.status === 'unchanged' ? 0 : result.rows), 0);
    const rejected = results.reduce((sum, result) => sum + (result.status === 'unchanged' ? 0 : result.rejected), 0);
    const seconds = results.reduce((sum, result) => sum + result.seconds, 0);
    lines.push(`total: ${count(rows)} rows, ${count(rejected)} rejected, ${results.length} files in ${seconds.toFixed(2)} s`);
  }
  return `${lines.join('\n')}\n`;
}

export function ingestJson(results: readonly IngestResult[]): unknown {
  const written = results.filter((result) => result.status !== 'unchanged');
  const seconds = results.reduce((sum, result) => sum + result.seconds, 0);
  const rows = written.reduce((sum, result) => sum + result.rows, 0);
  return {
    version: 1,
    files: results.map((result) => ({
      file: result.file,
      status: result.status,
      import_id: result.importId,
      kind: result.kind,
      source: result.source,
      preset: result.preset,
      mapping: {
        source: result.mappingSource.kind === 'aliases' ? 'aliases' : result.mappingSource.detected ? 'detected' : 'preset',
        description: result.mappingDescription,
        ...(result.mappingSource.kind === 'preset' && result.mappingSource.detected ? { matched: result.mappingSource.matched, total: result.mappingSource.total } : {}),
        columns: result.columns.map((column) => ({ field: column.field, header: column.header, column: column.column + 1 })),
        unused_headers: result.unusedHeaders,
      },
      delimiter: result.delimiter,
      encoding: result.input.encoding,
      bom: result.input.bom,
      compressed: result.input.compressed,
      sha256: result.sha256,
      bytes: result.bytes,
      rows: result.rows,
      rejected: result.rejected,
      blank_records: result.blankRecords,
      seconds: Number(result.seconds.toFixed(3)),
      rows_per_second: result.rowsPerSecond,
      first_rejects: result.firstRejects,
      warnings: result.warnings,
      ...(result.previous ? { previous_import: result.previous } : {}),
      replaced_imports: result.replaced,
      ...(result.replacedBecause ? { replaced_because: result.replacedBecause } : {}),
      ...(result.optionChanges.length > 0 ? { option_changes: result.optionChanges } : {}),
      options: result.options,
      naive_times: result.naiveTimes,
      reject_reasons: result.rejectReasons,
    })),
    totals: {
      files: results.length,
      rows,
      rejected: written.reduce((sum, result) => sum + result.rejected, 0),
      seconds: Number(seconds.toFixed(3)),
      rows_per_second: seconds > 0 ? Math.round(rows / seconds) : rows,
    },
  };
}
