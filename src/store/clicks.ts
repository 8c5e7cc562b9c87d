import type { Statement } from 'better-sqlite3';
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

/**
 * Writes simulated clicks in batches: one transaction per batch, one prepared statement reused,
 * so storing every click costs little next to sending it.
 */
export class SimulatedClickWriter {
  private readonly insertOne: Statement;
  private readonly insertMany: Statement;
  private readonly pending: SimulatedClickRow[] = [];
  private readonly flushBatch: (rows: SimulatedClickRow[]) => void;

  constructor(
    private readonly store: Store,
    private readonly batchSize = 2000,
  ) {
    // Rows go in MULTI_ROW at a time: one statement step for many rows costs far less than one each.
    const columns = `(run_id, source, line, click_id, occurred_at, offer_id, affiliate_id, sub1, sub2, sub3, sub4, sub5,
         ip, user_agent, request_url, http_status, location, latency_ms, error)`;
    const tuple = `(?, '${TPB_CLICK_SOURCE}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    this.insertOne = store.db.prepare(`INSERT INTO clicks ${columns} VALUES ${tuple}`);
    this.insertMany = store.db.prepare(`INSERT INTO clicks ${columns} VALUES ${Array.from({ length: MULTI_ROW }, () => tuple).join(', ')}`);
    this.flushBatch = store.db.transaction((rows: SimulatedClickRow[]) => {
      let i = 0;
      for (; i + MULTI_ROW <= rows.length; i += MULTI_ROW) {
        const values: unknown[] = [];
        for (let j = i; j < i + MULTI_ROW; j += 1) pushValues(values, rows[j]!);
        // Spread, not one array: better-sqlite3 reads an array argument element by element through
        // V8's API (about 1 µs a row more than arguments).
        this.insertMany.run(...values);
      }
      for (; i < rows.length; i += 1) {
        const values: unknown[] = [];
        pushValues(values, rows[i]!);
        this.insertOne.run(...values);
      }
    });
  }

  /**
   * `redactedBy`: the row's texts were just redacted by this redactor; when it is the store's own,
   * they are not redacted a second time (the same work again on every click).
   */
  add(row: SimulatedClickRow, redactedBy?: Redactor): void {
    const store = this.store;
    if (redactedBy !== undefined && redactedBy === store.redactor) this.pending.push(row);
    else this.pending.push({ ...row, requestUrl: store.redact(row.requestUrl), location: store.redact(row.location), error: store.redact(row.error), userAgent: store.redact(row.userAgent) });
    if (this.pending.length >= this.batchSize) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.flushBatch(this.pending.splice(0));
  }
}

/** Rows per multi-row INSERT (18 parameters each, well under SQLite's limit of 32766). */
const MULTI_ROW = 50;

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
