import type { Store } from '../../store/db.js';
import { ensureReconcileIndexes, listClickSources, ReconcileQueries } from '../../store/reconcile.js';
import type { ReconcileBackend } from './types.js';

/** The default engine: tpb's own SQLite database, the system of record. */
export function sqliteBackend(store: Store): ReconcileBackend {
  return {
    engine: 'sqlite',
    store,
    prepare: (events) => ensureReconcileIndexes(store, events),
    queries: (scope, windowMs) => new ReconcileQueries(store, scope, windowMs),
    clickSourceNames: () => listClickSources(store),
    transaction: (run) => store.db.transaction(run)(),
    close: () => undefined,
  };
}
