/**
 * Typed errors carry the exit code of design.md's table and a hint for the user.
 * Core code throws these; only src/cli/main.ts turns them into output and an exit code.
 */
export type ExitCode = 0 | 1 | 2 | 3 | 130 | 143;

/** 130 and 143 are the shell's codes for a process stopped by SIGINT (Ctrl-C) and SIGTERM (a CI timeout). */
export const EXIT = { ok: 0, checkFailed: 1, usage: 2, runtime: 3, sigint: 130, sigterm: 143 } as const;

export abstract class TpbError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Bad flag, bad option value, bad configuration (exit 2). */
export class UsageError extends TpbError {
  readonly exitCode = EXIT.usage;
}

/** Unreadable or invalid input: a file, a line of it, a scenario key (exit 2). */
export class InputError extends TpbError {
  readonly exitCode = EXIT.usage;
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(message: string, options: { file?: string; line?: number; hint?: string; cause?: unknown } = {}) {
    super(message, options);
    this.file = options.file;
    this.line = options.line;
  }
  /** "file:line: message" the way compilers print it. */
  get located(): string {
    if (this.file === undefined) return this.message;
    return `${this.file}${this.line === undefined ? '' : `:${this.line}`}: ${this.message}`;
  }
}

/** The command ran and a check did not hold (exit 1). The report has already been printed. */
export class CheckFailed extends TpbError {
  readonly exitCode = EXIT.checkFailed;
}

/** Network or runtime failure: tracker unreachable, timed out after retries (exit 3). */
export class NetworkError extends TpbError {
  readonly exitCode = EXIT.runtime;
  /** Already redacted: never put a secret here. */
  readonly url: string | undefined;
  constructor(message: string, options: { url?: string; hint?: string; cause?: unknown } = {}) {
    super(message, options);
    this.url = options.url;
  }
}

/** Runtime failure that is not the network: the database is locked for too long, disk full (exit 3). */
export class RuntimeError extends TpbError {
  readonly exitCode = EXIT.runtime;
}

/**
 * The run was stopped by SIGINT or SIGTERM after it had stored and reported what it sent (exit 130
 * or 143, as a shell reports a process killed by that signal).
 */
export class Interrupted extends TpbError {
  readonly exitCode: ExitCode;
  readonly signal: 'SIGINT' | 'SIGTERM';
  constructor(signal: 'SIGINT' | 'SIGTERM', message: string, options: { hint?: string } = {}) {
    super(message, options);
    this.signal = signal;
    this.exitCode = signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
  }
}

export function isTpbError(error: unknown): error is TpbError {
  return error instanceof TpbError;
}
