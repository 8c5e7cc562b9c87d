import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { InputError, RuntimeError } from '../errors.js';
import { MIGRATIONS, RECONCILE_INDEXES } from './schema.js';
import type { Redactor } from '../text/redact.js';

export type Db = Database.Database;

// The native module is loaded on first open, not at import: `tpb --help` and commands that never
// touch the database do not pay for it.
const requireModule = createRequire(import.meta.url);
let BetterSqlite3: typeof Database | undefined;
function loadSqlite(): typeof Database {
  BetterSqlite3 ??= requireModule('better-sqlite3') as typeof Database;
  return BetterSqlite3;
}

export interface OpenStoreOptions {
  /** Open an existing database without creating or migrating it. */
  readonly?: boolean;
  /** How long to wait for another process's write transaction, in ms. */
  busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 60_000;

/**
 * The local SQLite store. One file, WAL so readers never block the writer, a busy timeout so two
 * tpb processes can write to it in turn, and the schema migrated forward on open.
 */
export class Store {
  /**
   * The run's redactor: every text column that holds a request or an answer (URLs, bodies,
   * reasons, run targets and options) passes through it on the way in. Set by whoever knows the
   * run's secrets (the CLI sets its one redactor when it opens the store).
   */
  redactor: Redactor | undefined;

  /** Text of a request or an answer, redacted for storage. */
  redact(text: string): string;
  redact(text: string | null): string | null;
  redact(text: string | null): string | null {
    if (text === null || this.redactor === undefined) return text;
    // Many rows share a text (a click run's fixed link): remember the last few answers.
    if (this.redactedVersion !== this.redactor.version) {
      this.redactedCache.clear();
      this.redactedVersion = this.redactor.version;
    }
    let out = this.redactedCache.get(text);
    if (out === undefined) {
      out = this.redactor.text(text);
      if (this.redactedCache.size >= 64) this.redactedCache.clear();
      this.redactedCache.set(text, out);
    }
    return out;
  }

  private readonly redactedCache = new Map<string, string>();
  private redactedVersion = -1;

  private constructor(
    readonly db: Db,
    readonly file: string,
  ) {}

  static open(file: string, options: OpenStoreOptions = {}): Store {
    const memory = file === ':memory:';
    if (!memory) {
      const dir = path.dirname(path.resolve(file));
      if (!fs.existsSync(dir)) {
        throw new InputError(`cannot create the database: directory ${dir} does not exist`, {
          hint: 'create the directory or point --db (or TPB_DB) elsewhere',
        });
      }
      if (options.readonly && !fs.existsSync(file)) {
        throw new InputError(`no database at ${file}`, { hint: 'ingest something first, or pass --db <path>' });
      }
    }
    let db: Db;
    try {
      db = new (loadSqlite())(file, { readonly: options.readonly ?? false, timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
    } catch (error) {
      throw new InputError(`cannot open the database ${file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      if (!memory && !options.readonly) db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('temp_store = MEMORY');
      const store = new Store(db, file);
      if (!options.readonly) store.migrate();
      else store.assertSchemaKnown();
      return store;
    } catch (error) {
      db.close();
      if (error instanceof InputError || error instanceof RuntimeError) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_IOERR' || code === 'SQLITE_PERM') {
        throw new InputError(`cannot open the database ${file}: ${(error as Error).message} (${code})`, {
          hint: 'check the path and its permissions, or point --db elsewhere',
        });
      }
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new InputError(`${file} is not a tpb database (${(error as Error).message})`, {
          hint: 'point --db at another path',
        });
      }
      throw error;
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private assertSchemaKnown(): void {
    const version = this.schemaVersion;
    if (version > MIGRATIONS.length) {
      throw new InputError(
        `${this.file} was written by a newer tpb (schema ${version}, this tpb knows ${MIGRATIONS.length})`,
        { hint: 'upgrade tpb' },
      );
    }
  }

  /** Apply the migrations this database has not seen, all or none. */
  private migrate(): void {
    this.assertSchemaKnown();
    if (this.schemaVersion === MIGRATIONS.length) return;
    // BEGIN IMMEDIATE: two processes opening a fresh file at once must not both migrate.
    const apply = this.db.transaction(() => {
      const from = this.schemaVersion;
      for (let version = from; version < MIGRATIONS.length; version += 1) {
        this.db.exec(MIGRATIONS[version]!);
      }
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    });
    apply.immediate();
  }

  /** Create the indexes reconcile needs (no-op when they exist). */
  ensureIndexes(): void {
    for (const statement of RECONCILE_INDEXES) this.db.exec(statement);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
