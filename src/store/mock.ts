import type { Statement } from 'better-sqlite3';
import type { PresetName } from '../presets/catalog.js';
import type { LedgerCounts, MockClick, MockConversion, MockLedger } from './mock-types.js';
import type { Store } from './db.js';

const CLICK_COLUMNS = [
  'click_id', 'occurred_at', 'offer_id', 'affiliate_id', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'ip', 'user_agent',
] as const;

const CONVERSION_COLUMNS = [
  'click_id', 'occurred_at', 'conversion_id', 'txid', 'event', 'status', 'payout_micros', 'revenue_micros', 'currency',
  'offer_id', 'affiliate_id', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'ip', 'user_agent', 'outcome', 'reason', 'dedupe_key',
] as const;

/**
 * The mock tracker's ledger in SQLite (`tpb serve --db`): mock_clicks and mock_conversions, rows of
 * this preset only, so one database can hold runs of several presets and a restarted server still
 * knows the clicks of the previous run. Each request is one autocommitted insert (WAL, synchronous
 * NORMAL); memory stays flat however long the server runs.
 */
export class SqliteMockLedger implements MockLedger {
  private readonly findClickStmt: Statement<[string, string]>;
  private readonly insertClickStmt: Statement;
  private readonly hasRecordedStmt: Statement<[string, string]>;
  private readonly insertConversionStmt: Statement;
  private readonly clickPageStmt: Statement<[string, number, number]>;
  private readonly conversionPageStmt: Statement<[string, number, number]>;
  private readonly countClicksStmt: Statement<[string]>;
  private readonly countConversionsStmt: Statement<[string]>;
  private clickSeq: number;
  private conversionSeq: number;

  constructor(
    private readonly store: Store,
    readonly preset: PresetName,
  ) {
    const db = store.db;
    this.findClickStmt = db.prepare(
      `SELECT ${CLICK_COLUMNS.join(', ')} FROM mock_clicks WHERE click_id = ? AND preset = ? ORDER BY id LIMIT 1`,
    );
    this.insertClickStmt = db.prepare(
      `INSERT INTO mock_clicks (preset, ${CLICK_COLUMNS.join(', ')}) VALUES (@preset, ${CLICK_COLUMNS.map((c) => `@${c}`).join(', ')})`,
    );
    this.hasRecordedStmt = db.prepare(
      `SELECT 1 FROM mock_conversions WHERE preset = ? AND dedupe_key = ? AND outcome = 'recorded' LIMIT 1`,
    );
    this.insertConversionStmt = db.prepare(
      `INSERT INTO mock_conversions (preset, ${CONVERSION_COLUMNS.join(', ')}) VALUES (@preset, ${CONVERSION_COLUMNS.map((c) => `@${c}`).join(', ')})`,
    );
    this.clickPageStmt = db.prepare(
      `SELECT id, ${CLICK_COLUMNS.join(', ')} FROM mock_clicks WHERE preset = ? AND id > ? ORDER BY id LIMIT ?`,
    );
    this.conversionPageStmt = db.prepare(
      `SELECT id, ${CONVERSION_COLUMNS.join(', ')} FROM mock_conversions
       WHERE preset = ? AND id > ? AND outcome = 'recorded' ORDER BY id LIMIT ?`,
    );
    this.countClicksStmt = db.prepare(`SELECT count(*) AS n FROM mock_clicks WHERE preset = ?`);
    this.countConversionsStmt = db.prepare(`SELECT count(*) AS n FROM mock_conversions WHERE preset = ? AND outcome = 'recorded'`);
    // Sequences continue where earlier runs stopped (Prosper202's ids are this sequence).
    this.clickSeq = (db.prepare(`SELECT coalesce(max(id), 0) AS n FROM mock_clicks`).get() as { n: number }).n;
    this.conversionSeq = (db.prepare(`SELECT count(*) AS n FROM mock_conversions WHERE outcome = 'recorded'`).get() as { n: number }).n;
  }

  findClick(clickId: string): MockClick | undefined {
    return this.findClickStmt.get(clickId, this.preset) as MockClick | undefined;
  }

  addClick(click: MockClick): void {
    this.insertClickStmt.run({ preset: this.preset, ...click });
    this.clickSeq += 1;
  }

  hasRecorded(dedupeKey: string): boolean {
    return this.hasRecordedStmt.get(this.preset, dedupeKey) !== undefined;
  }

  addConversion(conversion: MockConversion): void {
    this.insertConversionStmt.run({ preset: this.preset, ...conversion });
    if (conversion.outcome === 'recorded') this.conversionSeq += 1;
  }

  clickPage(after: number, limit: number): { rows: MockClick[]; next: number } {
    const rows = this.clickPageStmt.all(this.preset, after, limit) as Array<MockClick & { id: number }>;
    return { rows: rows.map(({ id: _id, ...row }) => row), next: rows.length > 0 ? rows[rows.length - 1]!.id : after };
  }

  conversionPage(after: number, limit: number): { rows: MockConversion[]; next: number } {
    const rows = this.conversionPageStmt.all(this.preset, after, limit) as Array<MockConversion & { id: number }>;
    return { rows: rows.map(({ id: _id, ...row }) => row), next: rows.length > 0 ? rows[rows.length - 1]!.id : after };
  }

  nextClickSequence(): number {
    return this.clickSeq + 1;
  }

  nextConversionSequence(): number {
    return this.conversionSeq + 1;
  }

  counts(): LedgerCounts {
    return {
      clicks: (this.countClicksStmt.get(this.preset) as { n: number }).n,
      conversions: (this.countConversionsStmt.get(this.preset) as { n: number }).n,
      evictedClicks: 0,
      evictedConversions: 0,
    };
  }

  /** The store belongs to whoever opened it (the CLI context closes it). */
  close(): void {
    // Nothing of our own to release: prepared statements go with the connection.
    void this.store;
  }
}
