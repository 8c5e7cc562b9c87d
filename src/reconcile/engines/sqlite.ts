import type { Store } from '../../store/db.js';
import { ensureReconcileIndexes, listClickSources, reconcileTransaction, ReconcileQueries } from '../../store/reconcile.js';
import type { ReconcileBackend } from './types.js';

/** The default engine: tpb's own SQLite database, the system of record. */
/** `tempFileAboveConversions`: when reconcile's temporary tables go to a file (tests lower it). */
export function sqliteBackend(store: Store, options: { tempFileAboveConversions?: number } = {}): ReconcileBackend {
  return {
    engine: 'sqlite',
    store,
    prepare: (events) => ensureReconcileIndexes(store, events),
    queries: (scope, windowMs) => new ReconcileQueries(store, scope, windowMs),
    clickSourceNames: () => listClickSources(store),
    transaction: (run) => reconcileTransaction(store, run, options.tempFileAboveConversions),
    close: () => undefined,
  };
}
