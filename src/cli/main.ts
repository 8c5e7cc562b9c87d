import { CommanderError } from 'commander';
import { processIo, type Io } from './io.js';
import { buildProgram } from './program.js';
import { colorLevel, jsonErrorDocument, type JsonErrorCode } from './output.js';
import { CheckFailed, EXIT, InputError, Interrupted, NetworkError, TpbError, UsageError, type ExitCode } from '../errors.js';
import { sanitizeForDisplay } from '../text/sanitize.js';

/** SQLite errors that are the environment's fault, not a bug: report them as runtime errors. */
const RUNTIME_SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN']);

function describe(error: TpbError): string {
  let message = error instanceof InputError ? error.located : error.message;
  if (error instanceof NetworkError && error.url && !message.includes(error.url)) message += ` (${error.url})`;
  return sanitizeForDisplay(message, { keepNewlines: true });
}

function errorCode(error: TpbError): JsonErrorCode {
  if (error instanceof Interrupted) return 'interrupted';
  if (error instanceof CheckFailed) return 'check_failed';
  if (error instanceof InputError) return 'input';
  if (error instanceof UsageError) return 'usage';
  if (error instanceof NetworkError) return 'network';
  return 'runtime';
}

/** --json given (parsed, or on the command line when parsing itself failed). */
function wantsJson(argv: readonly string[], context: { globals: { json: boolean } }): boolean {
  try {
    if (context.globals.json) return true;
  } catch {
    // options not parsed
  }
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Run tpb with `argv` (without node and script) and return the exit code. Every error ends here and
 * is mapped to design.md's exit-code table; nothing else in tpb exits or sets process.exitCode.
 */
export async function main(argv: readonly string[], rawIo: Io): Promise<ExitCode> {
  const { program, context } = buildProgram(rawIo);
  // Errors are written through the run's redactor like everything else.
  const io = context.io;
  const red = (text: string) => (colorLevel(io.stderr, io.env, !argv.includes('--no-color')) > 0 ? `\u001b[31m${text}\u001b[39m` : text);
  // With --json, an error that ends the run before its document is one on stdout too: `| jq` never reads nothing.
  const jsonError = (code: JsonErrorCode, exitCode: ExitCode, message: string, extra: Parameters<typeof jsonErrorDocument>[3] = {}) => {
    if (!wantsJson(argv, context)) return;
    const document = jsonErrorDocument(code, exitCode, sanitizeForDisplay(message, { keepNewlines: true }), extra);
    // A document streamed as it was made (reconcile's findings) is ended with the error instead.
    if (context.output.jsonWritten) {
      context.output.abortJsonDocument(document.error as Record<string, unknown>);
      return;
    }
    context.output.jsonDocument(document);
  };
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message (or the help / version text).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT.ok;
      jsonError('usage', EXIT.usage, error.message.replace(/^error: /, ''));
      return EXIT.usage;
    }
    if (error instanceof TpbError) {
      // A check failure has printed its report already; its message is the one-line verdict.
      const label = error.exitCode === EXIT.checkFailed ? 'failed:' : error instanceof Interrupted ? 'interrupted:' : 'error:';
      const message = describe(error);
      io.stderr.write(`${red(label)} ${message}\n`);
      if (error.hint) io.stderr.write(`hint: ${sanitizeForDisplay(error.hint, { keepNewlines: true })}\n`);
      jsonError(errorCode(error), error.exitCode, error.message, {
        hint: error.hint,
        ...(error instanceof InputError ? { file: error.file, line: error.line } : {}),
        ...(error instanceof NetworkError ? { url: error.url } : {}),
      });
      return error.exitCode;
    }
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && RUNTIME_SQLITE_CODES.has(code)) {
      io.stderr.write(`${red('error:')} database: ${sanitizeForDisplay((error as Error).message)} (${code})\n`);
      const hint = code === 'SQLITE_BUSY' ? 'another process held the database for too long; try again' : undefined;
      if (hint) io.stderr.write(`hint: ${hint}\n`);
      jsonError('database', EXIT.runtime, `database: ${(error as Error).message} (${code})`, { hint });
      return EXIT.runtime;
    }
    // Anything else is a bug in tpb: show the stack once so it can be reported.
    io.stderr.write(`${red('internal error:')} ${sanitizeForDisplay(String((error as Error)?.stack ?? error), { keepNewlines: true })}\n`);
    io.stderr.write('This is a bug in tpb; please report it with the command you ran.\n');
    jsonError('internal', EXIT.runtime, `internal error: ${String((error as Error)?.message ?? error)}`, { hint: 'this is a bug in tpb; please report it with the command you ran' });
    return EXIT.runtime;
  } finally {
    context.close();
  }
}

/** The entry point of bin/tpb.js. */
export function runFromProcess(): void {
  // `tpb … | head` closes stdout early: stop quietly instead of crashing with EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  void main(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
  });
}
