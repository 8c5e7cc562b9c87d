import type { Store } from './db.js';

export interface ImportRecord {
  id: number;
  kind: 'clicks' | 'conversions';
  source: string;
  preset: string | null;
  file: string;
  sha256: string;
  rows: number;
  rejected: number;
  started_at: string;
  finished_at: string | null;
}

export function listImports(store: Store): ImportRecord[] {
  return store.db.prepare('SELECT * FROM imports ORDER BY id').all() as ImportRecord[];
}
