import type { Statement } from 'better-sqlite3';
import type { Store } from './db.js';

/** Source label of clicks sent by `tpb click`. */
export const TPB_CLICK_SOURCE = 'tpb:click';

/** One simulated click as stored (URLs already redacted). */
export interface SimulatedClickRow {
  runId: number;
  /** 1-based index within the run. */
  line: number;
  clickId: string | null;
  occurredAt: string;
  offerId: string | null;
  affiliateId: string | null;
  subs: ReadonlyArray<string | null>;
  ip: string | null;
  userAgent: string | null;
  requestUrl: string;
  httpStatus: number | null;
  location: string | null;
  latencyMs: number;
  error: string | null;
}

/**
 * Writes simulated clicks in batches: one transaction per batch, one prepared statement reused,
 * so storing every click costs little next to sending it.
 */
export class SimulatedClickWriter {
  private readonly insert: Statement;
  private readonly pending: SimulatedClickRow[] = [];
  private readonly flushBatch: (rows: SimulatedClickRow[]) => void;

  constructor(
    private readonly store: Store,
    private readonly batchSize = 500,
  ) {
    this.insert = store.db.prepare(
      `INSERT INTO clicks (run_id, source, line, click_id, occurred_at, offer_id, affiliate_id, sub1, sub2, sub3, sub4, sub5,
         ip, user_agent, request_url, http_status, location, latency_ms, error)
       VALUES (?, '${TPB_CLICK_SOURCE}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.flushBatch = store.db.transaction((rows: SimulatedClickRow[]) => {
      for (const row of rows) {
        const subs = [0, 1, 2, 3, 4].map((i) => row.subs[i] ?? null);
        this.insert.run(row.runId, row.line, row.clickId, row.occurredAt, row.offerId, row.affiliateId, ...subs, row.ip, row.userAgent, row.requestUrl, row.httpStatus, row.location, row.latencyMs, row.error);
      }
    });
  }

  add(row: SimulatedClickRow): void {
    this.pending.push(row);
    if (this.pending.length >= this.batchSize) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.flushBatch(this.pending.splice(0));
  }
}

export interface CapturedClickQuery {
  /** Only this run's ids. */
  runId?: number;
  /** The most recent N ids (in the order they were captured). */
  last?: number;
}

/** Click ids captured by `tpb click`, oldest first. */
export function capturedClickIds(store: Store, query: CapturedClickQuery = {}): string[] {
  const where = [`source = '${TPB_CLICK_SOURCE}'`, 'click_id IS NOT NULL'];
  const params: unknown[] = [];
  if (query.runId !== undefined) {
    where.push('run_id = ?');
    params.push(query.runId);
  }
  let sql = `SELECT click_id FROM clicks WHERE ${where.join(' AND ')} ORDER BY id DESC`;
  if (query.last !== undefined) {
    sql += ' LIMIT ?';
    params.push(query.last);
  }
  const rows = store.db.prepare(sql).pluck().all(...params) as string[];
  return rows.reverse();
}
