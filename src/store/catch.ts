import type { Statement } from 'better-sqlite3';
import type { Store } from './db.js';

/** Source label of the conversions `tpb catch` received, for `reconcile --compare <tracker> tpb:catch`. */
export const TPB_CATCH_SOURCE = 'tpb:catch';

/** One caught request as stored: everything already redacted and bounded by the receiver. */
export interface CaughtRow {
  runId: number;
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  queryRaw: string | null;
  query: ReadonlyArray<readonly [string, string]>;
  headers: ReadonlyArray<readonly [string, string]>;
  body: string | null;
  bodyBytes: number;
  bodyTruncated: boolean;
  remoteAddr: string | null;
  clickId: string | null;
  clickIdParam: string | null;
  httpStatus: number | null;
  fault: string | null;
  rule: string | null;
  latencyMs: number;
  forward: { url: string; status: number | null; body: string | null; error: string | null; latencyMs: number } | null;
  /** Stored as a `tpb:catch` conversion too when the request carried a click id and was answered 2xx. */
  conversion: {
    clickId: string;
    txid: string | null;
    event: string | null;
    status: string | null;
    payoutMicros: number | null;
    revenueMicros: number | null;
    currency: string | null;
  } | null;
}

/** A caught request read back (`tpb catch list|show`, reports). */
export interface StoredCaught {
  id: number;
  run_id: number;
  seq: number;
  received_at: string;
  method: string;
  path: string;
  query_raw: string | null;
  query: Array<[string, string]>;
  headers: Array<[string, string]>;
  body: string | null;
  body_bytes: number;
  body_truncated: boolean;
  remote_addr: string | null;
  click_id: string | null;
  click_id_param: string | null;
  http_status: number | null;
  fault: string | null;
  rule: string | null;
  latency_ms: number | null;
  forward_url: string | null;
  forward_status: number | null;
  forward_body: string | null;
  forward_error: string | null;
  forward_latency_ms: number | null;
}

/**
 * Writes caught requests in batches: one transaction per batch (or per `flushMs`, whichever comes
 * first), so a receiver taking thousands of requests a second does one fsync-free commit per batch
 * instead of one per request. Requests with a click id also become `tpb:catch` conversions in the
 * same transaction.
 */
export class CaughtWriter {
  private readonly insertCaught: Statement;
  private readonly insertConversion: Statement;
  private readonly pending: CaughtRow[] = [];
  private readonly flushBatch: (rows: CaughtRow[]) => void;
  private timer: NodeJS.Timeout | undefined;
  written = 0;

  constructor(
    store: Store,
    private readonly options: { batchSize?: number; flushMs?: number } = {},
  ) {
    this.insertCaught = store.db.prepare(
      `INSERT INTO caught_requests (run_id, seq, received_at, method, path, query_raw, query_json, headers_json, body, body_bytes, body_truncated,
         remote_addr, click_id, click_id_param, http_status, fault, rule, latency_ms, forward_url, forward_status, forward_body, forward_error, forward_latency_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertConversion = store.db.prepare(
      `INSERT INTO conversions (run_id, source, line, click_id, occurred_at, txid, event, status, payout_micros, revenue_micros, currency, ip)
       VALUES (?, '${TPB_CATCH_SOURCE}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.flushBatch = store.db.transaction((rows: CaughtRow[]) => {
      for (const r of rows) {
        const f = r.forward;
        this.insertCaught.run(
          r.runId, r.seq, r.receivedAt, r.method, r.path, r.queryRaw, JSON.stringify(r.query), JSON.stringify(r.headers), r.body, r.bodyBytes, r.bodyTruncated ? 1 : 0,
          r.remoteAddr, r.clickId, r.clickIdParam, r.httpStatus, r.fault, r.rule, r.latencyMs,
          f?.url ?? null, f?.status ?? null, f?.body ?? null, f?.error ?? null, f?.latencyMs ?? null,
        );
        const c = r.conversion;
        if (c) this.insertConversion.run(r.runId, r.seq, c.clickId, r.receivedAt, c.txid, c.event, c.status, c.payoutMicros, c.revenueMicros, c.currency, r.remoteAddr);
      }
    });
  }

  add(row: CaughtRow): void {
    this.pending.push(row);
    if (this.pending.length >= (this.options.batchSize ?? 500)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 50);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const rows = this.pending.splice(0);
    this.flushBatch(rows);
    this.written += rows.length;
  }
}

type RawCaught = Omit<StoredCaught, 'query' | 'headers' | 'body_truncated'> & { query_json: string | null; headers_json: string; body_truncated: number };

function decode(row: RawCaught): StoredCaught {
  const { query_json, headers_json, body_truncated, ...rest } = row;
  return { ...rest, query: query_json ? (JSON.parse(query_json) as Array<[string, string]>) : [], headers: JSON.parse(headers_json) as Array<[string, string]>, body_truncated: body_truncated === 1 };
}

export interface CaughtQuery {
  runId?: number;
  clickId?: string;
  /** Newest first, at most this many (0 = all). */
  limit?: number;
}

/** Caught requests, newest first. */
export function listCaught(store: Store, query: CaughtQuery = {}): StoredCaught[] {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (query.runId !== undefined) {
    where.push('run_id = ?');
    args.push(query.runId);
  }
  if (query.clickId !== undefined) {
    where.push('click_id = ?');
    args.push(query.clickId);
  }
  const limit = query.limit ?? 50;
  const sql = `SELECT * FROM caught_requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC ${limit > 0 ? 'LIMIT ?' : ''}`;
  const rows = store.db.prepare(sql).all(...args, ...(limit > 0 ? [limit] : [])) as RawCaught[];
  return rows.map(decode);
}

export function countCaught(store: Store, runId?: number): number {
  const row = (runId === undefined
    ? store.db.prepare('SELECT count(*) AS n FROM caught_requests').get()
    : store.db.prepare('SELECT count(*) AS n FROM caught_requests WHERE run_id = ?').get(runId)) as { n: number };
  return row.n;
}

export function getCaught(store: Store, id: number): StoredCaught | undefined {
  const row = store.db.prepare('SELECT * FROM caught_requests WHERE id = ?').get(id) as RawCaught | undefined;
  return row ? decode(row) : undefined;
}
