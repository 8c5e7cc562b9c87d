/**
 * The worker thread of the clickhouse engine: runs @clickhouse/client and answers each request
 * on the port, then wakes the waiting thread (see clickhouse.ts).
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { usedParams } from './params.js';

interface Data {
  port: MessagePort;
  signal: Int32Array;
  connection: { url: string; username?: string; password?: string; timeoutMs: number };
  sessionId: string;
}

const { port, signal, connection, sessionId } = workerData as Data;
const client: ClickHouseClient = createClient({
  url: connection.url,
  ...(connection.username !== undefined ? { username: connection.username } : {}),
  ...(connection.password !== undefined ? { password: connection.password } : {}),
  session_id: sessionId,
  request_timeout: connection.timeoutMs,
  application: 'tpb',
  // Its failures reach the user once, as tpb's error; the client's own log dump (session and query
  // ids, a stack) on stderr is noise there.
  log: { level: ClickHouseLogLevel.OFF },
  // progress headers keep a long reconcile's connection alive through proxies and load balancers
  clickhouse_settings: { output_format_json_quote_64bit_integers: 1, send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
});

function answer(reply: Record<string, unknown>): void {
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

port.on('message', (message: { kind: string; sql?: string; params?: Record<string, unknown>; table?: string; values?: string[] }) => {
  void (async () => {
    try {
      switch (message.kind) {
        case 'rows': {
          const result = await client.query({ query: message.sql!, format: 'JSONEachRow', query_params: usedParams(message.sql!, message.params ?? {}) });
          answer({ ok: true, rows: await result.json() });
          break;
        }
        case 'exec':
          await client.command({ query: message.sql!, query_params: usedParams(message.sql!, message.params ?? {}) });
          answer({ ok: true });
          break;
        case 'insert':
          await client.insert({ table: message.table!, values: (message.values ?? []).map((value) => ({ value })), format: 'JSONEachRow' });
          answer({ ok: true });
          break;
        case 'close':
          await client.close();
          answer({ ok: true });
          break;
        default:
          answer({ ok: false, error: `unknown request ${message.kind}` });
      }
    } catch (error) {
      const err = error as Error & { code?: string; type?: string; cause?: { code?: string } };
      const code = err.code ?? err.cause?.code ?? /\bCode: (\d+)/.exec(err.message)?.[1];
      const network = (code !== undefined && NETWORK_CODES.has(code)) || /timeout|socket hang up|ECONNREFUSED/i.test(err.message);
      // The server's error name (MEMORY_LIMIT_EXCEEDED, UNKNOWN_TABLE) is what users search for.
      const first = err.message.split('\n')[0]!.trim();
      const text = err.type !== undefined && !first.includes(err.type) ? `${first} (${err.type})` : first;
      answer({ ok: false, error: text, ...(code !== undefined ? { code: String(code) } : {}), network });
    }
  })();
});
