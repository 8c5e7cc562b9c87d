import type { Store } from '../../store/db.js';
import { distinctClickSources } from '../../store/engine-meta.js';
import { ReconcileQueries } from '../../store/reconcile.js';
import type { ReconcileBackend } from './types.js';

/** The default engine: tpb's own SQLite database, the system of record. */
export function sqliteBackend(store: Store): ReconcileBackend {
  return {
    engine: 'sqlite',
    store,
    prepare: () => store.ensureIndexes(),
    queries: (scope, windowMs) => new ReconcileQueries(store, scope, windowMs),
    clickSourceNames: () => distinctClickSources(store),
    transaction: (run) => store.db.transaction(run)(),
    close: () => undefined,
  };
}
