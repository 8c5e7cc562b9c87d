import { BatchWriter, type InsertTable } from './batch-insert.js';
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

const POSTBACK_TABLE: InsertTable = {
  prefix: 'INSERT INTO postbacks (run_id, seq, copy, method, url, click_id, txid, event, status, payout_micros, http_status, body_excerpt, latency_ms, attempts, verdict, reason, sent_at) VALUES ',
  tuple: '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  width: 17,
};

const CONVERSION_TABLE: InsertTable = {
  prefix: 'INSERT INTO conversions (run_id, source, line, click_id, occurred_at, txid, event, status, payout_micros, revenue_micros, currency) VALUES ',
  tuple: `(?, '${TPB_FIRE_SOURCE}', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  width: 10,
};

/**
 * Writes each postback to `postbacks` and, in the same transaction, as a `tpb:fire` conversion
 * (click id, txid, event, status, payout), batched. The duplicate test's copies (copy 2..N) are
 * postbacks but not conversions: they are the same conversion sent again to see the tracker refuse
 * it, so `tpb:fire` holds each conversion once and reconcile finds no duplicate tpb made on purpose.
 */
export class PostbackWriter {
  private readonly batch: BatchWriter;

  constructor(
    private readonly store: Store,
    options: { batchRows?: number } = {},
  ) {
    this.batch = new BatchWriter(store, [POSTBACK_TABLE, CONVERSION_TABLE], { batchRows: 1000, ...options });
  }

  /**
   * `redactedBy`: the row's texts were just redacted by this redactor; when it is the store's own,
   * they are not redacted a second time (the same work again on every postback).
   */
  add(row: PostbackRow, redactedBy?: Redactor): void {
    const store = this.store;
    const r = redactedBy !== undefined && redactedBy === store.redactor ? row : { ...row, url: store.redact(row.url), bodyExcerpt: store.redact(row.bodyExcerpt), reason: store.redact(row.reason) };
    const copy = r.copy ?? 1;
    this.batch.values[0]!.push(r.runId, r.seq, copy, r.method, r.url, r.clickId, r.txid, r.event, r.status, r.payoutMicros, r.httpStatus, r.bodyExcerpt, r.latencyMs, r.attempts, r.verdict, r.reason, r.sentAt);
    // The duplicate test's copies are postbacks, not conversions.
    if (copy === 1) this.batch.values[1]!.push(r.runId, r.seq, r.clickId, r.sentAt, r.txid, r.event, r.status, r.payoutMicros, r.revenueMicros, r.currency);
    this.batch.endRow();
  }

  /** Write every postback added so far (call it at the end of a run). */
  close(): void {
    this.batch.flush();
  }
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
