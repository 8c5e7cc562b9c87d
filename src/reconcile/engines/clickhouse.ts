import crypto from 'node:crypto';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { NetworkError, RuntimeError, UsageError } from '../../errors.js';

/**
 * ClickHouse error codes of a query the given tables and options cannot answer (ErrorCodes.cpp):
 * unknown table, database, column, identifier, function or type; a type that does not fit; text
 * that does not parse as the mapped type; a syntax error from a --map expression; access denied.
 */
const QUERY_ERROR_CODES = new Set(['6', '8', '10', '16', '27', '36', '38', '41', '43', '44', '46', '47', '50', '53', '60', '62', '69', '70', '72', '81', '115', '179', '386', '497']);
import type { ClickHouseRunner } from './runner.js';

export interface ClickHouseConnection {
  url: string;
  username?: string;
  password?: string;
  /** Per request, milliseconds. */
  timeoutMs: number;
}

/** The URL without credentials, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export function parseClickHouseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--clickhouse-url ${JSON.stringify(redactUrl(url))} is not a URL`, { hint: 'e.g. --clickhouse-url http://127.0.0.1:8123 (the HTTP interface, port 8123 by default)' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--clickhouse-url must be http:// or https:// (ClickHouse's HTTP interface), got ${parsed.protocol}`, { hint: 'e.g. --clickhouse-url http://127.0.0.1:8123' });
  }
  return parsed;
}

interface Reply {
  ok: boolean;
  rows?: unknown[];
  error?: string;
  code?: string;
  network?: boolean;
}

/**
 * A ClickHouse server over HTTP with the official @clickhouse/client. The client is asynchronous
 * and reconcile is not, so it runs in a worker thread while this thread waits for each answer; one
 * session id keeps the scratch (TEMPORARY) tables of the run together, and the server drops them
 * when the session ends.
 */
export function clickhouseRunner(connection: ClickHouseConnection): ClickHouseRunner {
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./clickhouse-worker.js', import.meta.url), {
    workerData: { port: port2, signal, connection, sessionId: `tpb-${crypto.randomUUID()}` },
    transferList: [port2],
  });
  worker.unref();
  let closed = false;

  const call = (message: Record<string, unknown>): unknown[] => {
    if (closed) throw new Error('the ClickHouse connection is closed');
    Atomics.store(signal, 0, 0);
    port1.postMessage(message);
    const deadline = Date.now() + connection.timeoutMs + 5_000;
    let reply: { message: Reply } | undefined;
    while (!(reply = receiveMessageOnPort(port1) as { message: Reply } | undefined)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new NetworkError(`ClickHouse at ${redactUrl(connection.url)} did not answer in ${Math.round(connection.timeoutMs / 1000)} s`, { url: redactUrl(connection.url) });
      Atomics.wait(signal, 0, 0, Math.min(left, 1000));
    }
    const answer = reply.message;
    if (answer.ok) return answer.rows ?? [];
    if (answer.network) {
      throw new NetworkError(`cannot reach ClickHouse at ${redactUrl(connection.url)}: ${answer.error}`, {
        url: redactUrl(connection.url),
        hint: 'check --clickhouse-url (the HTTP interface, port 8123 by default) and that the server is up',
      });
    }
    if (answer.code === '516' || answer.code === '194' || answer.code === '192') {
      throw new UsageError(`ClickHouse refused the credentials: ${answer.error}`, { hint: 'set CLICKHOUSE_USER and CLICKHOUSE_PASSWORD' });
    }
    // A query the tables cannot answer (a wrong table, column or type: the options) is the user's
    // to fix, exit 2; the server failing to run a right one (memory, time, too many queries) is 3.
    if (answer.code !== undefined && QUERY_ERROR_CODES.has(answer.code)) {
      throw new UsageError(`ClickHouse: ${answer.error}`, { hint: 'check --clicks-table, --conversions-table and --map against the tables (tpb reconcile --engine clickhouse --emit-sql shows the SQL)' });
    }
    throw new RuntimeError(`ClickHouse failed to run the reconcile's query: ${answer.error}`, { hint: 'the server could not finish it (its memory, time or query limits); run it again, or ask its administrator' });
  };

  return {
    name: 'clickhouse',
    scratchTable: 'TEMPORARY TABLE',
    rows: <T>(sql: string, params: Readonly<Record<string, unknown>> = {}) => call({ kind: 'rows', sql, params }) as T[],
    exec: (sql, params = {}) => {
      call({ kind: 'exec', sql, params });
    },
    insertStrings: (table, values) => {
      call({ kind: 'insert', table, values });
    },
    close: () => {
      if (closed) return;
      try {
        call({ kind: 'close' });
      } catch {
        // closing anyway
      }
      closed = true;
      void worker.terminate();
      port1.close();
    },
  };
}
