import fs from 'node:fs';
import { sanitizeForDisplay, toJson } from '../text/sanitize.js';
import type { PostbackOutcome } from './ledger.js';

export type RouteKind = 'click' | 'postback' | 'export' | 'unknown';

/** One request the mock tracker served, secrets already redacted. One NDJSON line of --log. */
export interface RequestLogEntry {
  /** When the request arrived, UTC ISO 8601. */
  time: string;
  method: string;
  /** Path and query with secret parameters (and Keitaro's postback key) replaced by REDACTED. */
  path: string;
  route: RouteKind;
  /** HTTP status answered; null when the connection was dropped (--reset-rate) or the client left. */
  status: number | null;
  /** From arrival to the last byte written (or the drop), injected latency included. */
  latency_ms: number;
  /** An injected fault. */
  fault?: 'fail' | 'reset';
  /** What a postback became. */
  outcome?: PostbackOutcome;
  click_id?: string;
  /** The tracker's words for a postback it did not record. */
  message?: string;
}

/** `12:00:01.123 GET /aff_lsr?transaction_id=…&security_token=REDACTED → 200 3.1ms recorded`, safe for a terminal. */
export function formatRequestLine(entry: RequestLogEntry): string {
  const time = entry.time.slice(11, 23);
  const status = entry.status === null ? 'dropped' : String(entry.status);
  const detail = [entry.fault ? `fault:${entry.fault}` : '', entry.outcome ?? '', entry.message ? `(${entry.message})` : '']
    .filter((part) => part !== '')
    .join(' ');
  const line = `${time} ${entry.method} ${entry.path} → ${status} ${entry.latency_ms.toFixed(1)}ms${detail ? ` ${detail}` : ''}`;
  return sanitizeForDisplay(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
}

/** Appends entries to a file as NDJSON (one JSON object per line). */
export class NdjsonRequestLog {
  private readonly stream: fs.WriteStream;
  private failure: Error | undefined;

  private constructor(readonly file: string, stream: fs.WriteStream) {
    this.stream = stream;
    this.stream.on('error', (error) => {
      this.failure = error;
    });
  }

  /** Opens (appending to) `file`; rejects when it cannot be opened, before the server starts. */
  static async open(file: string): Promise<NdjsonRequestLog> {
    const stream = fs.createWriteStream(file, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return new NdjsonRequestLog(file, stream);
  }

  get error(): Error | undefined {
    return this.failure;
  }

  write(entry: RequestLogEntry): void {
    if (this.failure === undefined) this.stream.write(`${toJson(entry)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stream.closed) resolve();
      else this.stream.end(() => resolve());
    });
  }
}
