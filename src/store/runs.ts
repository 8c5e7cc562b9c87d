import type { Store } from './db.js';

/** What one `tpb click` / `tpb fire` / `tpb check` run sent, for --from-db and reports. */
export interface RunRecord {
  id: number;
  command: string;
  target: string | null;
  options_json: string | null;
  summary_json: string | null;
  started_at: string;
  finished_at: string | null;
}

/** Start a run; `target` and `options` must already be redacted. */
export function startRun(store: Store, command: string, target: string, options: unknown, startedAt: Date): number {
  const result = store.db
    .prepare('INSERT INTO runs (command, target, options_json, started_at) VALUES (?, ?, ?, ?)')
    .run(command, target, JSON.stringify(options), startedAt.toISOString());
  return Number(result.lastInsertRowid);
}

export function finishRun(store: Store, runId: number, summary: unknown, finishedAt: Date): void {
  store.db.prepare('UPDATE runs SET summary_json = ?, finished_at = ? WHERE id = ?').run(JSON.stringify(summary), finishedAt.toISOString(), runId);
}

export function getRun(store: Store, runId: number): RunRecord | undefined {
  return store.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRecord | undefined;
}

/** The most recent run of a command, or undefined. */
export function latestRun(store: Store, command: string): RunRecord | undefined {
  return store.db.prepare('SELECT * FROM runs WHERE command = ? ORDER BY id DESC LIMIT 1').get(command) as RunRecord | undefined;
}
