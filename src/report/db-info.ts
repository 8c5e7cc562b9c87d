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
    parts.push(importsTable(info.imports, color));
  }
  return parts.join('');
}

function importsTable(imports: readonly ImportRecord[], color: ChalkInstance): string {
  return renderTable(
    ['id', 'kind', 'source', 'preset', 'rows', 'rejected', 'file', 'finished'],
    imports.map((row) => [row.id, row.kind, row.source, row.preset ?? '', row.rows.toLocaleString('en-US'), row.rejected.toLocaleString('en-US'), row.file, row.finished_at ?? 'unfinished']),
    { alignRight: [0, 4, 5], headerStyle: color.dim },
  );
}

/** `tpb db imports`: one row per import, and how to remove one. */
export function renderImports(imports: readonly ImportRecord[], color: ChalkInstance): string {
  if (imports.length === 0) return 'No imports yet (tpb ingest <file> --kind clicks|conversions).\n';
  return `${importsTable(imports, color)}${color.dim('tpb db drop <id> removes one import and its rows; tpb ingest --replace replaces the earlier imports of a source')}\n`;
}
