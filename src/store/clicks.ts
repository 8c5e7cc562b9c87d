import { BatchWriter, type InsertTable } from './batch-insert.js';
import type { Store } from './db.js';
import type { Redactor } from '../text/redact.js';

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

/** The clicks table as a run writes it (the source is the constant TPB_CLICK_SOURCE). */
const CLICK_TABLE: InsertTable = {
  prefix: `INSERT INTO clicks (run_id, source, line, click_id, occurred_at, offer_id, affiliate_id, sub1, sub2, sub3, sub4, sub5,
         ip, user_agent, request_url, http_status, location, latency_ms, error) VALUES `,
  tuple: `(?, '${TPB_CLICK_SOURCE}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  width: 18,
};

/** Writes simulated clicks in batches, so storing every click costs little next to sending it. */
export class SimulatedClickWriter {
  private readonly batch: BatchWriter;

  constructor(
    private readonly store: Store,
    options: { batchRows?: number } = {},
  ) {
    this.batch = new BatchWriter(store, [CLICK_TABLE], options);
  }

  /**
   * `redactedBy`: the row's texts were just redacted by this redactor; when it is the store's own,
   * they are not redacted a second time (the same work again on every click).
   */
  add(row: SimulatedClickRow, redactedBy?: Redactor): void {
    const store = this.store;
    const stored = redactedBy !== undefined && redactedBy === store.redactor ? row : { ...row, requestUrl: store.redact(row.requestUrl), location: store.redact(row.location), error: store.redact(row.error), userAgent: store.redact(row.userAgent) };
    pushValues(this.batch.values[0]!, stored);
    this.batch.endRow();
  }

  /** Write every click added so far (call it at the end of a run). */
  close(): void {
    this.batch.flush();
  }
}

function pushValues(values: unknown[], row: SimulatedClickRow): void {
  values.push(row.runId, row.line, row.clickId, row.occurredAt, row.offerId, row.affiliateId);
  for (let i = 0; i < 5; i += 1) values.push(row.subs[i] ?? null);
  values.push(row.ip, row.userAgent, row.requestUrl, row.httpStatus, row.location, row.latencyMs, row.error);
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
