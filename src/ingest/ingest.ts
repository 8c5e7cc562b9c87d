import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError, RuntimeError, UsageError } from '../errors.js';
import type { PresetName } from '../presets/catalog.js';
import type { ExportKind } from '../presets/exports.js';
import type { Store } from '../store/db.js';
import type { ImportRecord } from '../store/imports.js';
import { findImportByContent, hasImportOfFile, ImportWriter, type RejectRecord } from '../store/ingest.js';
import { describeMappingSource, type ColumnMapping, type MappingSource } from './headers.js';
import { hashFile, type InputInfo, type InputSpec } from '../csv/input.js';
import { parseExport, ParseInputError, type ParseEvent, type ParseOptions } from './parse.js';
import { ACK_EVERY, type MainToWorker, type WorkerData, type WorkerToMain } from './worker-protocol.js';

/**
 * `tpb ingest` as a function: one file (or stream) into the store, in one transaction. Parsing runs
 * on a worker thread (parse.ts via worker.ts) while this thread inserts, so reading and writing
 * overlap; small files are parsed inline, where a thread would cost more than it saves.
 * Progress is reported through a callback; nothing is printed.
 */

export interface IngestOptions {
  /**
   * A path to read. With `stream`, a label recorded as given (a URL, a name; "-" or absent for
   * stdin) instead.
   */
  file?: string;
  /** The bytes, when they do not come from a file: stdin, an HTTP response body, a test's buffer. */
  stream?: AsyncIterable<Uint8Array | string>;
  kind: ExportKind;
  preset?: PresetName;
  map?: Array<[string, string]>;
  /** Default: the preset's name (given or detected), else "csv". */
  source?: string;
  timezone?: string;
  delimiter?: string;
  decimalComma?: boolean;
  /** A header-only file is an input error instead of an empty import. */
  strict?: boolean;
  /** Replace an import of the same content instead of skipping. */
  force?: boolean;
  /** Load the file as `kind` says even when its columns show it is the other kind. */
  forceKind?: boolean;
  /**
   * Replace every earlier import of this source and kind, in the same transaction as this one (a
   * fresh export that covers the earlier ones: days 1–2 after day 1).
   */
  replace?: boolean;
  /** Where parsing runs; "auto" (default) uses a worker thread for inputs over 2 MiB and streams. */
  threads?: 'auto' | 'worker' | 'inline';
}

export interface IngestProgress {
  file: string;
  bytesRead: number;
  /** Undefined for a stream. */
  totalBytes: number | undefined;
  rows: number;
  rejected: number;
}

export type IngestStatus = 'imported' | 'replaced' | 'unchanged';

/**
 * The options that change what an import stores, besides its bytes and kind: recorded with the
 * import (imports.options_json), and compared when the same bytes are ingested again.
 */
export interface ImportOptionsRecord {
  preset: string | null;
  /** field → header, in insert order. */
  mapping: Array<[field: string, header: string]>;
  timezone: string;
  decimal_comma: boolean;
  delimiter: string;
}

/** "timezone UTC → -05:00", one entry per option that differs; ["options not recorded"] for an old import. */
export function describeOptionChanges(before: string | null, after: ImportOptionsRecord): string[] {
  if (before === null) return ['its options were not recorded (imported by an older tpb)'];
  let old: ImportOptionsRecord;
  try {
    old = JSON.parse(before) as ImportOptionsRecord;
  } catch {
    return ['its options were not readable'];
  }
  const changes: string[] = [];
  if (old.preset !== after.preset) changes.push(`preset ${old.preset ?? 'none'} → ${after.preset ?? 'none'}`);
  if (old.timezone !== after.timezone) changes.push(`timezone ${old.timezone} → ${after.timezone}`);
  if (old.decimal_comma !== after.decimal_comma) changes.push(`decimal comma ${old.decimal_comma ? 'on' : 'off'} → ${after.decimal_comma ? 'on' : 'off'}`);
  if (old.delimiter !== after.delimiter) changes.push(`delimiter ${JSON.stringify(old.delimiter)} → ${JSON.stringify(after.delimiter)}`);
  const map = (record: ImportOptionsRecord) => new Map(record.mapping);
  const oldMap = map(old);
  const newMap = map(after);
  const fields = [...new Set([...oldMap.keys(), ...newMap.keys()])].filter((field) => oldMap.get(field) !== newMap.get(field));
  if (fields.length > 0) {
    changes.push(`mapping ${fields.map((field) => `${field}: ${JSON.stringify(oldMap.get(field) ?? null)} → ${JSON.stringify(newMap.get(field) ?? null)}`).join(', ')}`);
  }
  return changes;
}

export interface IngestResult {
  file: string;
  status: IngestStatus;
  /** The new import, or the existing one when unchanged. */
  importId: number;
  kind: ExportKind;
  source: string;
  preset: PresetName | null;
  mappingSource: MappingSource;
  mappingDescription: string;
  columns: ColumnMapping[];
  unusedHeaders: string[];
  delimiter: string;
  input: InputInfo;
  sha256: string;
  bytes: number;
  rows: number;
  rejected: number;
  blankRecords: number;
  seconds: number;
  rowsPerSecond: number;
  firstRejects: RejectRecord[];
  warnings: string[];
  /** The import that was replaced (--force) or that already holds this content (unchanged). */
  previous?: Pick<ImportRecord, 'id' | 'file' | 'rows' | 'rejected' | 'finished_at'>;
  /** Every import this one replaced (--replace, --force, or a re-import with other options), oldest first. */
  replaced: Array<Pick<ImportRecord, 'id' | 'file' | 'rows' | 'rejected' | 'finished_at'>>;
  /** Why it replaced them; with 'options', which options differ from the import of the same bytes. */
  replacedBecause?: 'force' | 'replace' | 'options';
  optionChanges: string[];
  /** The options recorded with this import. */
  options: ImportOptionsRecord;
  /** Rows whose timestamp had no offset (read in the timezone). */
  naiveTimes: number;
  /** Rejected rows by reason (the text before its first colon), most common first. */
  rejectReasons: Array<{ reason: string; rows: number; example: string }>;
  threads: 'worker' | 'inline';
}

const FIRST_REJECTS = 10;
const INLINE_MAX_BYTES = 2 * 1024 * 1024;

interface EventSource {
  events: AsyncIterable<ParseEvent>;
  /** The main thread has consumed a batch (worker flow control). */
  ack(): void;
  close(): Promise<void>;
}

function inlineSource(spec: InputSpec, options: ParseOptions): EventSource {
  const events = parseExport(spec, options);
  return {
    events,
    ack: () => undefined,
    close: async () => {
      await events.return(undefined);
    },
  };
}

/** The built worker next to this module, if there is one (there is not when running from sources). */
function workerUrl(): URL | undefined {
  const url = new URL('./worker.js', import.meta.url);
  try {
    return fs.existsSync(fileURLToPath(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

function workerSource(url: URL, data: WorkerData, stream: AsyncIterable<Uint8Array | string> | undefined): EventSource {
  // The worker's live data is a few batches; capping its heap keeps the process's memory flat
  // (V8 would otherwise let garbage grow the heap well past what is alive).
  const worker = new Worker(url, {
    workerData: data,
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
  });
  const queue: WorkerToMain[] = [];
  let failure: Error | undefined;
  let exited = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  worker.on('message', (message: WorkerToMain) => {
    queue.push(message);
    notify();
  });
  worker.on('error', (error) => {
    failure = error;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    notify();
  });

  // Stdin: forward bytes to the worker, a few chunks ahead of what it has consumed.
  let pulls = 0;
  let wakePump: (() => void) | undefined;
  let stopped = false;
  if (stream) {
    void (async () => {
      try {
        let ahead = 0;
        for await (const raw of stream) {
          if (stopped) return;
          const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
          worker.postMessage({ type: 'data', chunk } satisfies MainToWorker);
          ahead += 1;
          while (ahead - pulls >= 4 && !stopped) await new Promise<void>((resolve) => (wakePump = resolve));
        }
        if (!stopped) worker.postMessage({ type: 'eof' } satisfies MainToWorker);
      } catch (error) {
        failure = new InputError(`cannot read the input: ${(error as Error).message}`);
        notify();
      }
    })();
  }

  async function* events(): AsyncGenerator<ParseEvent> {
    for (;;) {
      while (queue.length === 0) {
        if (failure) {
          if ((failure as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
            throw new RuntimeError('the ingest worker ran out of memory', { hint: 'records are held whole while they are read: is there a runaway quoted field? (TPB_INGEST_THREADS=inline reads without the worker)', cause: failure });
          }
          throw failure;
        }
        if (exited) throw new RuntimeError('the ingest worker stopped unexpectedly');
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const message = queue.shift()!;
      if (message.type === 'pull') {
        pulls += 1;
        const resume = wakePump;
        wakePump = undefined;
        resume?.();
        continue;
      }
      if (message.type === 'error') {
        if (message.input) throw new ParseInputError(message.message, message.hint, message.line);
        const error = new Error(message.message) as NodeJS.ErrnoException;
        if (message.code) error.code = message.code;
        if (message.stack) error.stack = message.stack;
        throw error;
      }
      yield message;
      if (message.type === 'end') return;
    }
  }

  let unacknowledged = 0;
  return {
    events: events(),
    ack: () => {
      // One message per ACK_EVERY batches: a postMessage per batch cost more than the batch's parse.
      unacknowledged += 1;
      if (unacknowledged < ACK_EVERY) return;
      worker.postMessage({ type: 'ack', batches: unacknowledged } satisfies MainToWorker);
      unacknowledged = 0;
    },
    close: async () => {
      stopped = true;
      wakePump?.();
      await worker.terminate();
    },
  };
}

/** Whether an import of the same bytes was made with the same options (an old import without a record is not). */
function sameOptions(previous: ImportRecord, options: ImportOptionsRecord): boolean {
  return previous.options_json !== null && describeOptionChanges(previous.options_json, options).length === 0;
}

/** The kind of a reject reason: its text before the first colon ("bad timestamp in \"occurred_at\""). */
function reasonClass(reason: string): string {
  const colon = reason.indexOf(':');
  return colon > 0 ? reason.slice(0, colon) : reason;
}

function brief(record: ImportRecord): Pick<ImportRecord, 'id' | 'file' | 'rows' | 'rejected' | 'finished_at'> {
  return { id: record.id, file: record.file, rows: record.rows, rejected: record.rejected, finished_at: record.finished_at };
}

function inputError(error: unknown, file: string): unknown {
  if (error instanceof ParseInputError) {
    return new InputError(error.message, { file, ...(error.line ? { line: error.line } : {}), ...(error.hint ? { hint: error.hint } : {}) });
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new InputError('no such file', { file, hint: 'check the path' });
  if (code === 'EACCES' || code === 'EPERM') return new InputError('permission denied', { file });
  if (code === 'EISDIR') return new InputError('is a directory, not a CSV file', { file });
  return error;
}

/**
 * Ingest one export into the store. Resolves with what happened; throws InputError (exit 2,
 * nothing written) for inputs that are not a readable CSV or whose headers cannot be mapped.
 */
export async function ingestFile(store: Store, options: IngestOptions, onProgress?: (progress: IngestProgress) => void): Promise<IngestResult> {
  const started = process.hrtime.bigint();
  if (options.file === undefined && !options.stream) throw new UsageError('ingestFile needs a file or a stream');
  const label = options.file ?? '-';
  const display = label === '-' ? 'stdin' : label;
  // A path is recorded absolute; a stream's label as given.
  const recordedFile = options.stream || label === '-' ? label : path.resolve(label);

  // The content hash decides "already imported". It is computed while the worker reads, and
  // checked at the end inside the transaction; a file whose path was imported before (a likely
  // re-ingest) is hashed up front instead, so an unchanged file is recognised without parsing it.
  let spec: InputSpec;
  let totalBytes: number | undefined;
  let sha256: string | undefined;
  let useStream: AsyncIterable<Uint8Array | string> | undefined;
  try {
    if (label === '-' || options.stream) {
      if (!options.stream) throw new InputError('reading stdin needs a stream', { file: display });
      useStream = options.stream;
      spec = { kind: 'stream', stream: options.stream };
    } else {
      const stat = await fs.promises.stat(label);
      if (stat.isDirectory()) throw new InputError('is a directory, not a CSV file', { file: display });
      if (stat.isFile()) {
        totalBytes = stat.size;
        if (hasImportOfFile(store, options.kind, recordedFile)) sha256 = await hashFile(label);
        spec = { kind: 'file', path: label };
      } else {
        useStream = fs.createReadStream(label);
        spec = { kind: 'stream', stream: useStream };
      }
    }
  } catch (error) {
    throw inputError(error, display);
  }

  const parseOptions: ParseOptions = {
    kind: options.kind,
    ...(options.preset ? { preset: options.preset } : {}),
    ...(options.map ? { map: options.map } : {}),
    ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
    ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
    ...(options.decimalComma !== undefined ? { decimalComma: options.decimalComma } : {}),
    ...(options.forceKind ? { forceKind: true } : {}),
    hash: sha256 === undefined,
  };
  const threadsEnv = process.env.TPB_INGEST_THREADS;
  const threads = options.threads ?? (threadsEnv === 'worker' || threadsEnv === 'inline' ? threadsEnv : 'auto');
  const url = threads === 'inline' ? undefined : workerUrl();
  const useWorker = url !== undefined && (threads === 'worker' || totalBytes === undefined || totalBytes > INLINE_MAX_BYTES);
  const source: EventSource = useWorker
    ? workerSource(url, { ...(spec.kind === 'file' ? { file: spec.path } : {}), options: parseOptions }, spec.kind === 'stream' ? useStream : undefined)
    : inlineSource(spec, parseOptions);

  let writer: ImportWriter | undefined;
  let header: Extract<ParseEvent, { type: 'header' }> | undefined;
  let importSource = options.source ?? options.preset ?? 'csv';
  let preset: PresetName | null = options.preset ?? null;
  let rows = 0;
  let rejected = 0;
  let blankRecords = 0;
  let bytes = 0;
  let previous: ImportRecord | undefined;
  let replaced: ImportRecord[] = [];
  let replacedBecause: IngestResult['replacedBecause'];
  let optionChanges: string[] = [];
  let importOptions: ImportOptionsRecord | undefined;
  let naiveTimes = 0;
  const reasons = new Map<string, { rows: number; example: string }>();
  const firstRejects: RejectRecord[] = [];
  const now = () => new Date().toISOString();

  const result = (status: IngestStatus, importId: number, hash: string): IngestResult => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      file: display,
      status,
      importId,
      kind: options.kind,
      source: importSource,
      preset,
      mappingSource: header!.mappingSource,
      mappingDescription: describeMappingSource(header!.mappingSource),
      columns: header!.columns,
      unusedHeaders: header!.unused,
      delimiter: header!.delimiter,
      input: header!.input,
      sha256: hash,
      bytes,
      rows,
      rejected,
      blankRecords,
      seconds,
      rowsPerSecond: seconds > 0 ? Math.round(rows / seconds) : rows,
      firstRejects,
      warnings: header!.warnings,
      ...(previous ? { previous: brief(previous) } : {}),
      replaced: replaced.map(brief),
      ...(replacedBecause ? { replacedBecause } : {}),
      optionChanges,
      options: importOptions!,
      naiveTimes,
      rejectReasons: [...reasons.entries()].map(([reason, entry]) => ({ reason, ...entry })).sort((a, b) => b.rows - a.rows),
      threads: useWorker ? 'worker' : 'inline',
    };
  };

  try {
    for await (const event of source.events) {
      if (event.type === 'header') {
        header = event;
        if (event.mappingSource.kind === 'preset') {
          preset = event.mappingSource.preset;
          if (options.source === undefined) importSource = preset;
        }
        importOptions = {
          preset,
          mapping: event.columns.map((column) => [column.field, column.header]),
          timezone: event.timezone,
          decimal_comma: event.decimalComma,
          delimiter: event.delimiter,
        };
        if (sha256 !== undefined) {
          previous = findImportByContent(store, options.kind, importSource, sha256);
          if (previous && !options.force && !options.replace && sameOptions(previous, importOptions)) {
            bytes = totalBytes ?? 0;
            return result('unchanged', previous.id, sha256);
          }
        }
        writer = ImportWriter.begin(store, { kind: options.kind, source: importSource, preset, file: recordedFile, sha256: null, startedAt: now(), optionsJson: JSON.stringify(importOptions) });
        continue;
      }
      if (event.type === 'batch') {
        writer!.insertRows(event.text, event.rows);
        if (event.rejects.length > 0) {
          writer!.insertRejects(event.rejects);
          for (const reject of event.rejects) {
            const reason = reasonClass(reject.reason);
            const entry = reasons.get(reason);
            if (entry) entry.rows += 1;
            else reasons.set(reason, { rows: 1, example: reject.reason });
          }
          for (const reject of event.rejects) if (firstRejects.length < FIRST_REJECTS) firstRejects.push(reject);
        }
        source.ack();
        rows += event.rows;
        rejected += event.rejects.length;
        bytes = event.bytesRead;
        onProgress?.({ file: display, bytesRead: event.bytesRead, totalBytes, rows, rejected });
        continue;
      }
      // end
      bytes = event.bytesRead;
      blankRecords = event.blankRecords;
      naiveTimes = event.naiveTimes;
      const hash = sha256 ?? event.sha256!;
      if (rows === 0 && rejected === 0 && options.strict) {
        throw new InputError('has a header row and no data rows', { file: display, hint: 'under --strict an empty export is an error' });
      }
      let status: IngestStatus = 'imported';
      // Checked again inside the transaction: another process may have imported the same content
      // while this one was reading.
      previous = writer!.findByContent(hash);
      if (previous && !options.force && !options.replace && sameOptions(previous, importOptions!)) {
        writer!.rollback();
        return result('unchanged', previous.id, hash);
      }
      if (options.replace) {
        replaced = writer!.deleteEarlierImports();
        if (replaced.length > 0) {
          status = 'replaced';
          replacedBecause = 'replace';
        }
        previous ??= replaced[replaced.length - 1];
      } else if (previous) {
        // The same bytes: --force, or other options that change what is stored (a re-ingest with
        // --timezone after reconcile's hint) — this import takes the old one's place.
        if (!options.force) optionChanges = describeOptionChanges(previous.options_json, importOptions!);
        replacedBecause = options.force ? 'force' : 'options';
        writer!.deleteImport(previous.id);
        replaced = [previous];
        status = 'replaced';
      }
      writer!.commit({ rows, rejected, sha256: hash, finishedAt: now(), naiveTimes });
      onProgress?.({ file: display, bytesRead: bytes, totalBytes, rows, rejected });
      return result(status, writer!.importId, hash);
    }
    throw new RuntimeError(`${display}: the reader stopped before the end of the input`);
  } catch (error) {
    writer?.rollback();
    throw inputError(error, display);
  } finally {
    await source.close();
  }
}
