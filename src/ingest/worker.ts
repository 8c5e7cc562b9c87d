import { parentPort, workerData } from 'node:worker_threads';
import { parseExport, ParseInputError, type ParseOptions } from './parse.js';
import type { InputSpec } from '../csv/input.js';
import type { MainToWorker, WorkerData, WorkerToMain } from './worker-protocol.js';

/**
 * The ingest worker thread: reads, decodes, parses and converts rows (parse.ts) while the main
 * thread inserts them. At most MAX_IN_FLIGHT batches wait for the main thread, so memory stays
 * flat however large the file is. Stdin arrives from the main thread as messages.
 */

const MAX_IN_FLIGHT = 16; // the main thread acknowledges every ACK_EVERY batches (ingest.ts)
const port = parentPort!;
const data = workerData as WorkerData;

let inFlight = 0;
let wakeWriter: (() => void) | undefined;
const streamed: Array<Uint8Array | null> = [];
let wakeReader: (() => void) | undefined;

port.on('message', (message: MainToWorker) => {
  if (message.type === 'ack') {
    inFlight -= message.batches;
    wakeWriter?.();
  } else if (message.type === 'data') {
    streamed.push(message.chunk);
    wakeReader?.();
  } else if (message.type === 'eof') {
    streamed.push(null);
    wakeReader?.();
  }
});

async function* fromMain(): AsyncGenerator<Uint8Array> {
  for (;;) {
    while (streamed.length === 0) await new Promise<void>((resolve) => (wakeReader = resolve));
    wakeReader = undefined;
    const chunk = streamed.shift()!;
    if (chunk === null) return;
    port.postMessage({ type: 'pull' } satisfies WorkerToMain);
    yield chunk;
  }
}

function post(message: WorkerToMain, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

async function run(): Promise<void> {
  const spec: InputSpec = data.file !== undefined ? { kind: 'file', path: data.file } : { kind: 'stream', stream: fromMain() };
  const options: ParseOptions = data.options;
  try {
    for await (const event of parseExport(spec, options)) {
      if (event.type === 'batch') {
        while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => (wakeWriter = resolve));
        wakeWriter = undefined;
        inFlight += 1;
      }
      post(event);
    }
  } catch (error) {
    if (error instanceof ParseInputError) {
      post({ type: 'error', input: true, message: error.message, ...(error.hint ? { hint: error.hint } : {}), ...(error.line ? { line: error.line } : {}) });
    } else {
      const err = error as NodeJS.ErrnoException;
      post({ type: 'error', input: false, message: err.message, ...(err.code ? { code: err.code } : {}), ...(err.stack ? { stack: err.stack } : {}) });
    }
  }
  // The main thread terminates this worker once it has the last message.
}

void run();
