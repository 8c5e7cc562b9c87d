import type { ParseEvent, ParseOptions } from './parse.js';

/** Messages between the main thread and the ingest worker. */
export interface WorkerData {
  /** A regular file the worker reads itself; absent when the main thread streams the bytes. */
  file?: string;
  options: ParseOptions;
}

export type MainToWorker = { type: 'ack'; batches: number } | { type: 'data'; chunk: Uint8Array } | { type: 'eof' };

/** Batches the main thread consumes before acknowledging them (less than the worker's in-flight limit). */
export const ACK_EVERY = 8;

export type WorkerToMain =
  | ParseEvent
  | { type: 'pull' }
  | { type: 'error'; input: true; message: string; hint?: string; line?: number }
  | { type: 'error'; input: false; message: string; code?: string; stack?: string };
