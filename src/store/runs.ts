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
    .run(command, store.redact(target), store.redact(JSON.stringify(options)), startedAt.toISOString());
  return Number(result.lastInsertRowid);
}

/** Object keys in snake_case (latencyMs → latency_ms), at any depth: stored JSON uses one key style. */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(), snakeCaseKeys(item)]));
}

/** Finish a run with its summary (stored with snake_case keys, like every --json document). */
export function finishRun(store: Store, runId: number, summary: unknown, finishedAt: Date): void {
  store.db.prepare('UPDATE runs SET summary_json = ?, finished_at = ? WHERE id = ?').run(store.redact(JSON.stringify(snakeCaseKeys(summary))), finishedAt.toISOString(), runId);
}

export function getRun(store: Store, runId: number): RunRecord | undefined {
  return store.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRecord | undefined;
}

/** The most recent run of a command, or undefined. */
export function latestRun(store: Store, command: string): RunRecord | undefined {
  return store.db.prepare('SELECT * FROM runs WHERE command = ? ORDER BY id DESC LIMIT 1').get(command) as RunRecord | undefined;
}
