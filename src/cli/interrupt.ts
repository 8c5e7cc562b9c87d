import { Interrupted } from '../errors.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * SIGINT (Ctrl-C) and SIGTERM (what a CI job's timeout sends) while a command sends requests: the
 * first one aborts `signal`, so the run stops sending, gives requests in flight a moment, stores
 * everything it sent and prints its summary; the command then exits 130 or 143. A second signal
 * is left to Node's default (the process ends at once), so a stuck run can still be killed.
 */
export class InterruptWatch {
  private readonly controller = new AbortController();
  received: StopSignal | undefined;
  private readonly handlers: Array<[StopSignal, () => void]>;

  constructor() {
    this.handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
      const handler = () => {
        if (this.received !== undefined) {
          // The second signal: stop listening so the default action ends the process.
          this.dispose();
          process.kill(process.pid, name);
          return;
        }
        this.received = name;
        this.controller.abort();
      };
      process.on(name, handler);
      return [name, handler];
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    for (const [name, handler] of this.handlers) process.removeListener(name, handler);
    this.handlers.length = 0;
  }

  /** The error that ends an interrupted command (exit 130 or 143), once its report is printed. */
  error(what: string): Interrupted {
    const signal = this.received ?? 'SIGINT';
    return new Interrupted(signal, `${what} (${signal})`, { hint: 'everything sent before the signal was stored; see tpb db info' });
  }
}

/**
 * For work that cannot stop half-way (an ingest is one transaction per file): on SIGINT/SIGTERM,
 * say what was lost via `describe`, then end the process at once with 130/143. The open
 * transaction is never committed, so SQLite rolls it back: nothing of the file is imported.
 * Returns the function that removes the handlers.
 */
export function exitOnSignal(describe: (signal: StopSignal) => string, write: (text: string) => void): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const handler = () => {
      write(describe(name));
      process.exit(name === 'SIGINT' ? 130 : 143);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return () => {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
  };
}
