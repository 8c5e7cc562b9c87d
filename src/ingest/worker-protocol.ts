import type { ParseEvent, ParseOptions } from './parse.js';

/** Messages between the main thread and the ingest worker. */
export interface WorkerData {
  /** A regular file the worker reads itself; absent when the main thread streams the bytes. */
  file?: string;
  options: ParseOptions;
}

export type MainToWorker = { type: 'ack' } | { type: 'data'; chunk: Uint8Array } | { type: 'eof' };

export type WorkerToMain =
  | ParseEvent
  | { type: 'pull' }
  | { type: 'error'; input: true; message: string; hint?: string; line?: number }
  | { type: 'error'; input: false; message: string; code?: string; stack?: string };
