import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { CliContext } from '../context.js';
import { IngestProgressBar } from '../ingest-progress.js';
import { exitOnSignal } from '../interrupt.js';
import { CheckFailed, InputError, UsageError } from '../../errors.js';
import { ingestFile, type IngestOptions, type IngestResult } from '../../ingest/ingest.js';
import { NotCsvError, openText } from '../../csv/input.js';
import { describeInput, ingestJson, renderIngestSummary } from '../../report/ingest.js';
import { sanitizeForDisplay } from '../../text/sanitize.js';

/** The options of `tpb ingest`: ingestFile's, as commander parses them. */
export type IngestCommandOptions = Pick<IngestOptions, 'kind' | 'preset' | 'map' | 'source' | 'timezone' | 'delimiter' | 'decimalComma' | 'strict' | 'force' | 'replace' | 'forceKind'>;

/** The body of `tpb ingest`, loaded when the command runs. */
export async function runIngestCommand(
  context: CliContext,
  files: string[],
  options: IngestCommandOptions,
): Promise<void> {
  const output = context.output;
  if (files.filter((file) => file === '-').length > 1) throw new UsageError('stdin ("-") can be given only once');
  // Every path is checked before the first file is written, so a typo does not leave half a job.
  for (const file of files) {
    if (file === '-') continue;
    const resolved = context.resolvePath(file);
    try {
      fs.accessSync(resolved, fs.constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`, { file, hint: code === 'ENOENT' ? 'check the path; "-" reads stdin' : undefined });
    }
  }
  // With several files, sniff each one's head too (empty, binary, a known non-CSV format), so the
  // common "not a CSV" mistake stops the run before any file is written. gzip is checked when read.
  if (files.length > 1) {
    for (const file of files) {
      if (file === '-') continue;
      const head = readHead(context.resolvePath(file), 64 * 1024);
      if (head === undefined) continue; // a directory or special file: reported when it is read
      if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) continue;
      try {
        await openText({ kind: 'stream', stream: Readable.from([head]) }, { bytes: 0 });
      } catch (error) {
        if (error instanceof NotCsvError) {
          throw new InputError(`not a CSV file: ${error.message}`, { file, ...(error.hint ? { hint: `${error.hint}; nothing was imported` } : { hint: 'nothing was imported' }) });
        }
        throw error;
      }
    }
  }

  if (files.includes('-') && (context.io.stdin as { isTTY?: boolean }).isTTY) {
    output.info('reading CSV from the terminal: paste it, then press Ctrl-D (or pipe a file into tpb)');
  }
  const store = context.openStore();
  const results: IngestResult[] = [];
  let current = '';
  let currentBar: IngestProgressBar | undefined;
  // Ctrl-C or a CI timeout mid-file: the file's transaction is never committed. Say so, on a clean line.
  const stopWatching = exitOnSignal((signal) => {
    currentBar?.clear();
    const before = results.length > 0 ? `; ${results.map((done) => `${done.file} (import ${done.importId})`).join(', ')} ${results.length === 1 ? 'was' : 'were'} imported before it` : '';
    return `interrupted (${signal}): nothing from ${sanitizeForDisplay(current)} was imported${before}\n`;
  }, (text) => context.io.stderr.write(text));
  try {
    for (const file of files) {
      const bar = new IngestProgressBar(output);
      current = file === '-' ? 'stdin' : file;
      currentBar = bar;
      let result: IngestResult;
      try {
        result = await ingestFile(
          store,
          {
            file: file === '-' ? '-' : context.resolvePath(file),
            ...(file === '-' ? { stream: context.io.stdin } : {}),
            kind: options.kind,
            ...(options.preset ? { preset: options.preset } : {}),
            ...(options.map ? { map: options.map } : {}),
            ...(options.source !== undefined ? { source: options.source } : {}),
            ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
            ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
            ...(options.decimalComma !== undefined ? { decimalComma: options.decimalComma } : {}),
            ...(options.forceKind ? { forceKind: true } : {}),
            ...(options.strict ? { strict: true } : {}),
            ...(options.force ? { force: true } : {}),
            ...(options.replace ? { replace: true } : {}),
          },
          (progress) => bar.update({ ...progress, file: file === '-' ? 'stdin' : path.basename(file) }),
        );
      } catch (error) {
        bar.clear();
        // Each file is its own transaction: files before this one are in. Say so, and print their
        // summary, so a multi-file run that stops at a bad file never hides what it wrote.
        const index = files.indexOf(file);
        const partial =
          results.length > 0
            ? `; ${results.map((done) => `${done.file} (import ${done.importId})`).join(', ')} ${results.length === 1 ? 'was' : 'were'} imported before it${index < files.length - 1 ? `, ${files.slice(index + 1).join(', ')} not attempted` : ''}`
            : index < files.length - 1
              ? `; nothing was imported (${files.slice(index + 1).join(', ')} not attempted)`
              : '';
        if (results.length > 0) {
          if (context.globals.json) output.jsonDocument({ ...(ingestJson(results) as object), failed: { file, message: (error as Error).message } });
          else output.data(renderIngestSummary(results, output.stdoutColor));
        }
        // Report the path as the user wrote it.
        if (error instanceof InputError) {
          const hint = [error.hint, partial ? `nothing of ${file} was written${partial}` : undefined].filter(Boolean).join('; ');
          throw new InputError(error.message, { file: error.file !== undefined && file !== '-' ? file : (error.file ?? file), ...(error.line !== undefined ? { line: error.line } : {}), ...(hint ? { hint } : {}) });
        }
        throw error;
      } finally {
        bar.clear();
      }
      result = { ...result, file: file === '-' ? 'stdin' : file };
      results.push(result);
      output.info(`${sanitizeForDisplay(result.file)}: ${result.mappingDescription}; ${describeInput(result)}`);
      for (const column of result.columns) output.verbose(`  ${sanitizeForDisplay(column.header)} → ${column.field}`);
      if (result.unusedHeaders.length > 0) output.verbose(`  not stored: ${result.unusedHeaders.map((header) => sanitizeForDisplay(header)).join(', ')}`);
      for (const warning of result.warnings) output.warn(`${sanitizeForDisplay(result.file)}: ${sanitizeForDisplay(warning)}`);
    }
  } finally {
    stopWatching();
  }

  if (context.globals.json) output.jsonDocument(ingestJson(results));
  else output.data(renderIngestSummary(results, output.stdoutColor));

  // A file whose every data row was rejected is a failed import even without --strict.
  const allRejected = results.filter((result) => result.status !== 'unchanged' && result.rows === 0 && result.rejected > 0);
  if (allRejected.length > 0) {
    throw new CheckFailed(
      allRejected
        .map((result) => {
          const top = result.rejectReasons[0];
          const cause = top ? `; ${top.rows === result.rejected ? 'all' : `${top.rows.toLocaleString('en-US')}`} for: ${top.example}` : '';
          return `${sanitizeForDisplay(result.file)}: every one of its ${result.rejected.toLocaleString('en-US')} data row${result.rejected === 1 ? ' was' : 's were'} rejected${sanitizeForDisplay(cause)} (tpb db export rejects)`;
        })
        .join('\n'),
    );
  }
  const rejected = results.reduce((sum, result) => sum + (result.status === 'unchanged' ? 0 : result.rejected), 0);
  if (options.strict && rejected > 0) {
    throw new CheckFailed(`${rejected.toLocaleString('en-US')} row${rejected === 1 ? '' : 's'} rejected under --strict (see tpb db export rejects)`);
  }
}

/** The first `size` bytes of a regular file (undefined for anything else). */
function readHead(file: string, size: number): Buffer | undefined {
  if (!fs.statSync(file).isFile()) return undefined;
  const handle = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size);
    const read = fs.readSync(handle, buffer, 0, size, 0);
    return buffer.subarray(0, read);
  } finally {
    fs.closeSync(handle);
  }
}
