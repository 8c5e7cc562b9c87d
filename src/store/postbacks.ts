import type { Statement } from 'better-sqlite3';
import type { Store } from './db.js';

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
  private readonly insertConversion: Statement;
  private readonly pending: PostbackRow[] = [];
  private readonly flushBatch: (rows: PostbackRow[]) => void;

  constructor(
    private readonly store: Store,
    private readonly batchSize = 200,
  ) {
    this.insertPostback = store.db.prepare(
      `INSERT INTO postbacks (run_id, seq, copy, method, url, click_id, txid, event, status, payout_micros, http_status, body_excerpt, latency_ms, attempts, verdict, reason, sent_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertConversion = store.db.prepare(
      `INSERT INTO conversions (run_id, source, line, click_id, occurred_at, txid, event, status, payout_micros, revenue_micros, currency)
       VALUES (?, '${TPB_FIRE_SOURCE}', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.flushBatch = store.db.transaction((rows: PostbackRow[]) => {
      for (const row of rows) {
        this.insertPostback.run(row.runId, row.seq, row.copy ?? 1, row.method, row.url, row.clickId, row.txid, row.event, row.status, row.payoutMicros, row.httpStatus, row.bodyExcerpt, row.latencyMs, row.attempts, row.verdict, row.reason, row.sentAt);
        if ((row.copy ?? 1) === 1) this.insertConversion.run(row.runId, row.seq, row.clickId, row.sentAt, row.txid, row.event, row.status, row.payoutMicros, row.revenueMicros, row.currency);
      }
    });
  }

  add(row: PostbackRow): void {
    const store = this.store;
    this.pending.push({ ...row, url: store.redact(row.url), bodyExcerpt: store.redact(row.bodyExcerpt), reason: store.redact(row.reason) });
    if (this.pending.length >= this.batchSize) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.flushBatch(this.pending.splice(0));
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
