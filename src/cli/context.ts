import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Io } from './io.js';
import { Output, type GlobalOptions } from './output.js';
import { Store, type OpenStoreOptions } from '../store/db.js';
import { InputError, type ExitCode } from '../errors.js';
import { Redactor, redactingStream } from '../text/redact.js';

/**
 * What a command's action gets: the process io, the parsed global options, one Output, and the
 * store opened on first use (main closes it). Commands set exitCode to 1 when a check failed after
 * printing their report, or throw a typed error.
 */
export class CliContext {
  exitCode: ExitCode = 0;
  private store: Store | undefined;
  private outputInstance: Output | undefined;

  /**
   * The run's one redactor: commands add --secret names and capabilities the secret values they
   * learn; stdout, stderr and every stored text column pass through it.
   */
  readonly redactor = new Redactor();
  /** The process io with stdout and stderr passing through the redactor. */
  readonly io: Io;

  constructor(
    io: Io,
    readonly program: Command,
  ) {
    this.io = { ...io, stdout: redactingStream(io.stdout, this.redactor), stderr: redactingStream(io.stderr, this.redactor) };
  }

  /** A file the command writes (a JUnit report…), redacted like stdout. */
  redactedText(text: string): string {
    return this.redactor.text(text);
  }

  get globals(): GlobalOptions {
    const opts = this.program.opts<{ db: string; config?: string; json?: boolean; color?: boolean; quiet?: boolean; verbose?: boolean }>();
    return {
      db: opts.db,
      config: opts.config,
      json: opts.json ?? false,
      color: opts.color ?? true,
      quiet: opts.quiet ?? false,
      verbose: opts.verbose ?? false,
    };
  }

  get output(): Output {
    this.outputInstance ??= new Output(this.io, this.globals);
    return this.outputInstance;
  }

  /** Absolute path of the database file (or ':memory:'). */
  get dbPath(): string {
    // An empty TPB_DB or --db "" means the default, not the current directory.
    const db = this.globals.db === '' ? './tpb.db' : this.globals.db;
    return db === ':memory:' ? db : path.resolve(this.io.cwd, db);
  }

  /** A path argument resolved against the command's working directory. */
  resolvePath(file: string): string {
    return file === '-' ? file : path.resolve(this.io.cwd, file);
  }

  openStore(options: OpenStoreOptions = {}): Store {
    if (!this.store) {
      this.store = Store.open(this.dbPath, options);
      this.store.redactor = this.redactor;
    }
    return this.store;
  }

  /** The store, for commands that only read or manage an existing database: a missing file is exit 2. */
  openExistingStore(): Store {
    if (this.dbPath !== ':memory:' && !fs.existsSync(this.dbPath)) {
      throw new InputError(`no database at ${this.dbPath}`, { hint: 'ingest, click or fire something first, or point --db (or TPB_DB) at an existing file' });
    }
    return this.openStore();
  }

  close(): void {
    this.store?.close();
    this.store = undefined;
  }
}
