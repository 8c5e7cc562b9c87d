import { Chalk, type ChalkInstance } from 'chalk';
import type { Io, OutStream } from './io.js';
import { sanitizeForDisplay, toJson } from '../text/sanitize.js';

export interface GlobalOptions {
  db: string;
  config?: string;
  json: boolean;
  color: boolean;
  quiet: boolean;
  verbose: boolean;
}

/** Decide once per stream whether to color: --no-color and NO_COLOR win, then FORCE_COLOR, then TTY. */
export function colorLevel(stream: OutStream, env: Io['env'], colorFlag: boolean): 0 | 1 | 2 | 3 {
  if (!colorFlag) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '2') return 2;
    if (force === '3') return 3;
    return 1;
  }
  if (!stream.isTTY) return 0;
  if (env.TERM === 'dumb') return 0;
  return env.COLORTERM === 'truecolor' ? 3 : 2;
}

/**
 * The only way commands print. Data goes to stdout (exactly one document with --json); messages,
 * warnings and progress go to stderr. Quiet silences info, never warnings or errors.
 */
export class Output {
  readonly stdoutColor: ChalkInstance;
  readonly stderrColor: ChalkInstance;
  private jsonDocumentWritten = false;

  constructor(
    readonly io: Io,
    readonly globals: Pick<GlobalOptions, 'json' | 'color' | 'quiet' | 'verbose'>,
  ) {
    this.stdoutColor = new Chalk({ level: colorLevel(io.stdout, io.env, globals.color) });
    this.stderrColor = new Chalk({ level: colorLevel(io.stderr, io.env, globals.color) });
  }

  get json(): boolean {
    return this.globals.json;
  }

  /** True when stderr is an interactive terminal and a progress bar may be drawn. */
  get canShowProgress(): boolean {
    return Boolean(this.io.stderr.isTTY) && !this.globals.quiet;
  }

  /** Write the command's data to stdout. With --json, use jsonDocument instead. */
  data(text: string): void {
    if (this.globals.json) throw new Error('Output.data called in --json mode; use jsonDocument');
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * A machine-readable document (CSV, markdown, XML) for stdout. Its cells came from outside, so on
   * a terminal escape sequences and control characters are stripped; piped or redirected, it is
   * written exactly.
   */
  document(text: string): void {
    const safe = this.io.stdout.isTTY ? sanitizeForDisplay(text, { keepNewlines: true }) : text;
    this.io.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
  }

  /** Whether the run's JSON document has been written (main writes an error document otherwise). */
  get jsonWritten(): boolean {
    return this.jsonDocumentWritten;
  }

  /**
   * The one JSON document of a --json run, written piece by piece (a report of millions of rows
   * never becomes one string in memory). The pieces must together be one JSON document. Claimed
   * at the first piece, like jsonDocumentWriter: when making the first piece throws, main still
   * writes its JSON error document.
   */
  jsonDocumentChunks(chunks: Iterable<string>): void {
    const write = this.jsonDocumentWriter();
    for (const chunk of chunks) write(chunk);
  }

  /**
   * The one JSON document of a --json run, written in pieces as they come (a long report).
   * `onAbort`: when the run fails after the first piece, main calls it with the error (the `error`
   * object of jsonErrorDocument) to end the document it began as valid JSON that says so.
   */
  jsonDocumentWriter(onAbort?: (error: Record<string, unknown>) => void): (chunk: string) => void {
    let started = false;
    return (chunk) => {
      // Claimed at the first piece: an error before it still gets its JSON error document.
      if (!started) {
        if (this.jsonDocumentWritten) throw new Error('a second JSON document was written to stdout');
        this.jsonDocumentWritten = true;
        started = true;
        this.abortDocument = onAbort;
      }
      this.io.stdout.write(chunk);
    };
  }

  private abortDocument: ((error: Record<string, unknown>) => void) | undefined;

  /**
   * The run failed after its streamed document began: let the writer end it with the error (a
   * document that parses, and says it is incomplete). False when nothing can be done: no document
   * was begun, or its writer cannot end it early.
   */
  abortJsonDocument(error: Record<string, unknown>): boolean {
    const abort = this.abortDocument;
    this.abortDocument = undefined;
    if (abort === undefined) return false;
    abort(error);
    return true;
  }

  /** The one JSON document of a --json run. */
  jsonDocument(value: unknown): void {
    if (this.jsonDocumentWritten) throw new Error('a second JSON document was written to stdout');
    this.jsonDocumentWritten = true;
    this.io.stdout.write(`${toJson(value, 2)}\n`);
  }

  /** Human message on stderr (silenced by --quiet). */
  info(message: string): void {
    if (!this.globals.quiet) this.io.stderr.write(`${message}\n`);
  }

  /** Shown only with --verbose. */
  verbose(message: string): void {
    if (this.globals.verbose && !this.globals.quiet) this.io.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    this.io.stderr.write(`${this.stderrColor.yellow('warning:')} ${message}\n`);
  }

  error(message: string): void {
    this.io.stderr.write(`${this.stderrColor.red('error:')} ${message}\n`);
  }

  /** Untrusted text made safe for a terminal. */
  safe(text: string): string {
    return sanitizeForDisplay(text);
  }
}

/** What kind of error a --json error document reports (`error.code`). */
export type JsonErrorCode = 'usage' | 'input' | 'check_failed' | 'network' | 'runtime' | 'database' | 'interrupted' | 'internal';

/**
 * The document a --json run prints on stdout when it ends with an error before its own document,
 * so `tpb … --json | jq` never reads empty input: `{"version":1,"error":{code,message,hint,…}}`.
 */
export function jsonErrorDocument(code: JsonErrorCode, exitCode: number, message: string, extra: { hint?: string | undefined; file?: string | undefined; line?: number | undefined; url?: string | undefined } = {}): Record<string, unknown> {
  return {
    version: 1,
    error: {
      code,
      exit_code: exitCode,
      message,
      hint: extra.hint ?? null,
      ...(extra.file !== undefined ? { file: extra.file } : {}),
      ...(extra.line !== undefined ? { line: extra.line } : {}),
      ...(extra.url !== undefined ? { url: extra.url } : {}),
    },
  };
}
