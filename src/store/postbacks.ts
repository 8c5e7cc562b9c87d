import type { Statement } from 'better-sqlite3';
import type { Store } from './db.js';
import type { Redactor } from '../text/redact.js';

/** Source label of the conversions `tpb fire` sent, for `reconcile --compare tpb:fire <export>`. */
export const TPB_FIRE_SOURCE = 'tpb:fire';

/** One fired postback as stored (URL already redacted, body already cut and redacted). */
export interface PostbackRow {
  runId: number;
  seq: number;
  /** Which copy of the postback (1; 2..N for the duplicate test's copies). */
  copy?: number;
  method: string;
  url: string;
  clickId: string | null;
  txid: string | null;
  event: string | null;
  status: string | null;
  payoutMicros: number | null;
  revenueMicros: number | null;
  currency: string | null;
  httpStatus: number | null;
  bodyExcerpt: string | null;
  latencyMs: number;
  attempts: number;
  verdict: 'pass' | 'fail' | 'error';
  reason: string | null;
  sentAt: string;
}

/**
 * Writes each postback to `postbacks` and, in the same transaction, as a `tpb:fire` conversion
 * (click id, txid, event, status, payout), batched. The duplicate test's copies (copy 2..N) are
 * postbacks but not conversions: they are the same conversion sent again to see the tracker refuse
 * it, so `tpb:fire` holds each conversion once and reconcile finds no duplicate tpb made on purpose.
 */
export class PostbackWriter {
  private readonly insertPostback: Statement;
  private readonly insertPostbacks: Statement;
  private readonly insertConversion: Statement;
  private readonly insertConversions: Statement;
  private readonly pending: PostbackRow[] = [];
  private readonly flushBatch: (rows: PostbackRow[]) => void;

  constructor(
    private readonly store: Store,
    private readonly batchSize = 1000,
  ) {
    // Rows go in MULTI_ROW at a time (one statement step for many rows costs far less than one each), in order.
    const postbackTuple = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    const postbackSql = 'INSERT INTO postbacks (run_id, seq, copy, method, url, click_id, txid, event, status, payout_micros, http_status, body_excerpt, latency_ms, attempts, verdict, reason, sent_at) VALUES ';
    const conversionTuple = `(?, '${TPB_FIRE_SOURCE}', ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    const conversionSql = 'INSERT INTO conversions (run_id, source, line, click_id, occurred_at, txid, event, status, payout_micros, revenue_micros, currency) VALUES ';
    const many = (tuple: string) => Array.from({ length: MULTI_ROW }, () => tuple).join(', ');
    this.insertPostback = store.db.prepare(postbackSql + postbackTuple);
    this.insertPostbacks = store.db.prepare(postbackSql + many(postbackTuple));
    this.insertConversion = store.db.prepare(conversionSql + conversionTuple);
    this.insertConversions = store.db.prepare(conversionSql + many(conversionTuple));
    this.flushBatch = store.db.transaction((rows: PostbackRow[]) => {
      insertInGroups(rows, this.insertPostbacks, this.insertPostback, pushPostback);
      // The duplicate test's copies are postbacks, not conversions.
      const conversions = rows.filter((row) => (row.copy ?? 1) === 1);
      insertInGroups(conversions, this.insertConversions, this.insertConversion, pushConversion);
    });
  }

  /**
   * `redactedBy`: the row's texts were just redacted by this redactor; when it is the store's own,
   * they are not redacted a second time (the same work again on every postback).
   */
  add(row: PostbackRow, redactedBy?: Redactor): void {
    const store = this.store;
    if (redactedBy !== undefined && redactedBy === store.redactor) this.pending.push(row);
    else this.pending.push({ ...row, url: store.redact(row.url), bodyExcerpt: store.redact(row.bodyExcerpt), reason: store.redact(row.reason) });
    if (this.pending.length >= this.batchSize) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.flushBatch(this.pending.splice(0));
  }
}

/** Rows per multi-row INSERT (17 parameters each, well under SQLite's limit of 32766). */
const MULTI_ROW = 50;

function insertInGroups(rows: readonly PostbackRow[], many: Statement, one: Statement, push: (values: unknown[], row: PostbackRow) => void): void {
  let i = 0;
  for (; i + MULTI_ROW <= rows.length; i += MULTI_ROW) {
    const values: unknown[] = [];
    for (let j = i; j < i + MULTI_ROW; j += 1) push(values, rows[j]!);
    // Spread, not one array: better-sqlite3 reads an array argument element by element through
    // V8's API (about 1 µs a row more than arguments).
    many.run(...values);
  }
  for (; i < rows.length; i += 1) {
    const values: unknown[] = [];
    push(values, rows[i]!);
    one.run(...values);
  }
}

function pushPostback(values: unknown[], row: PostbackRow): void {
  values.push(row.runId, row.seq, row.copy ?? 1, row.method, row.url, row.clickId, row.txid, row.event, row.status, row.payoutMicros, row.httpStatus, row.bodyExcerpt, row.latencyMs, row.attempts, row.verdict, row.reason, row.sentAt);
}

function pushConversion(values: unknown[], row: PostbackRow): void {
  values.push(row.runId, row.seq, row.clickId, row.sentAt, row.txid, row.event, row.status, row.payoutMicros, row.revenueMicros, row.currency);
}

export interface StoredPostback {
  id: number;
  run_id: number;
  seq: number;
  copy: number;
  method: string;
  url: string;
  click_id: string | null;
  txid: string | null;
  event: string | null;
  status: string | null;
  payout_micros: number | null;
  http_status: number | null;
  body_excerpt: string | null;
  latency_ms: number | null;
  attempts: number;
  verdict: string;
  reason: string | null;
  sent_at: string;
}

export function postbacksOfRun(store: Store, runId: number): StoredPostback[] {
  return store.db.prepare('SELECT * FROM postbacks WHERE run_id = ? ORDER BY seq').all(runId) as StoredPostback[];
}
