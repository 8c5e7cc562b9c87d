import type { Store } from '../../store/db.js';
import type { IndexEvents, ReconcileQueries, ReconcileScope } from '../../store/reconcile.js';

/** The engines `tpb reconcile --engine` can run on. */
export const ENGINES = ['sqlite', 'chdb', 'clickhouse'] as const;
export type EngineName = (typeof ENGINES)[number];

/**
 * What reconcile asks of an engine: the public methods of the SQLite queries, so an engine that
 * misses one of them (or gets a signature wrong) does not compile. Every engine answers them with
 * the same definitions; reconcile() turns the answers into the report (counts, hints, findings).
 */
export type ReconcileSource = { [K in keyof ReconcileQueries]: ReconcileQueries[K] };

/**
 * A method of the SQLite queries by name, or `Fallback` while main does not have it yet: lets an
 * engine implement a method the reconcile capability is adding without breaking either side.
 */
export type QueryMethod<K extends string, Fallback> = K extends keyof ReconcileQueries ? ReconcileQueries[K] : Fallback;

/**
 * An engine bound to its data: SQLite (tpb's database), chDB (in-process ClickHouse over tpb's
 * SQLite file or export files), or a ClickHouse server.
 */
export interface ReconcileBackend {
  readonly engine: EngineName;
  /** tpb's database when the engine reads it (series and breakdowns are computed there). */
  readonly store?: Store;
  /** Whatever the queries need built first (SQLite: the indexes, saying when it builds or waits). */
  prepare(events?: IndexEvents): void;
  queries(scope: ReconcileScope, windowMs: number): ReconcileSource;
  /** The click sources present (whatever the scope), cheaply. */
  clickSourceNames(): string[];
  /** Run the whole reconcile as one consistent read. */
  transaction<T>(run: () => T): T;
  /** Release what the engine holds (a chDB session, a ClickHouse connection). */
  close(): void;
}

export function isBackend(value: unknown): value is ReconcileBackend {
  return typeof value === 'object' && value !== null && 'engine' in value && typeof (value as ReconcileBackend).queries === 'function';
}
