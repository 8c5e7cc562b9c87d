import type { ChalkInstance } from 'chalk';
import type { TableCount } from '../store/admin.js';
import type { ImportRecord } from '../store/imports.js';
import { renderTable } from './table.js';

export interface DbInfo {
  file: string;
  schema_version: number;
  size_bytes: number;
  counts: TableCount[];
  imports: ImportRecord[];
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function renderDbInfo(info: DbInfo, color: ChalkInstance): string {
  const parts = [`${color.bold(info.file)}  (${formatBytes(info.size_bytes)}, schema ${info.schema_version})\n`];
  parts.push(
    renderTable(
      ['table', 'source', 'rows'],
      info.counts.map((count) => [count.table, count.source ?? '', count.rows.toLocaleString('en-US')]),
      { alignRight: [2], headerStyle: color.dim },
    ),
  );
  if (info.imports.length > 0) {
    parts.push(`\n${color.bold('imports')}\n`);
    parts.push(
      renderTable(
        ['id', 'kind', 'source', 'rows', 'rejected', 'file', 'finished'],
        info.imports.map((row) => [row.id, row.kind, row.source, row.rows, row.rejected, row.file, row.finished_at ?? 'unfinished']),
        { alignRight: [0, 3, 4], headerStyle: color.dim },
      ),
    );
  }
  return parts.join('');
}
