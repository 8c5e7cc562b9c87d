import type { Statement } from 'better-sqlite3';
import type { Store } from './db.js';
import { RECONCILE_INDEXES } from './schema.js';

/**
 * min and max click row id, each its own subquery: SQLite answers a lone min() or max() of the
 * rowid from the b-tree's ends, but `SELECT min(id), max(id)` scans every row (2.7 s at 10M clicks).
 */
export function clickRowIdBounds(db: Store['db']): { low: number | null; high: number | null } {
  return db.prepare('SELECT (SELECT min(id) FROM clicks) AS low, (SELECT max(id) FROM clicks) AS high').get() as { low: number | null; high: number | null };
}

/** What ensureReconcileIndexes reports before it waits or works. */
export interface IndexEvents {
  /** Another connection holds the write lock: about to wait for it (up to the busy timeout). */
  onWait?: () => void;
  /** About to build missing indexes over this many clicks and conversions. */
  onBuild?: (clicks: number, conversions: number) => void;
}

/**
 * Create the indexes reconcile needs, when some are missing, in one write transaction. When
 * another process is writing (an ingest), says so before waiting for it instead of sitting silent
 * for the whole busy timeout. No-op (and no lock) when every index exists.
 */
export function ensureReconcileIndexes(store: Store, events: IndexEvents = {}): void {
  const db = store.db;
  const present = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as Array<{ name: string }>).map((row) => row.name));
  const missing = RECONCILE_INDEXES.filter((statement) => !present.has(/INDEX IF NOT EXISTS (\w+)/.exec(statement)?.[1] ?? ''));
  if (missing.length === 0 || db.readonly) return;
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  try {
    db.pragma('busy_timeout = 0');
    db.prepare('BEGIN IMMEDIATE').run();
  } catch (error) {
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    events.onWait?.();
    db.pragma(`busy_timeout = ${timeout}`);
    db.prepare('BEGIN IMMEDIATE').run();
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
  try {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    events.onBuild?.(count('clicks'), count('conversions'));
    for (const statement of missing) db.exec(statement);
    db.prepare('COMMIT').run();
  } catch (error) {
    if (db.inTransaction) db.prepare('ROLLBACK').run();
    throw error;
  }
}

/**
 * All of reconcile's SQL. The conversions in scope are classified once into a temporary table
 * (`rc_conv`: one indexed lookup of the earliest click per conversion, a second one only for the
 * few that may be outside the window); every count and finding list is then read from it.
 * Temporary tables live in memory on this connection and are dropped by `dispose()`.
 *
 * Timestamps are the store's canonical UTC ISO text, so they compare as text and
 * `strftime(TS_FORMAT, t, '+N seconds')` yields the same shape.
 */

/** Which rows take part. Source lists are bound as JSON arrays, never spliced into SQL. */
export interface ReconcileScope {
  /**
   * Click sources to match against; null = every click. By default reconcile passes every source
   * but `tpb:click` when another exists (the tracker's export is the record that pays; tpb's own
   * record of the same clicks is what clicks_not_recorded compares it with).
   */
  clickSources: readonly string[] | null;
  /** Conversion sources to reconcile; null = every source not in excludedConversionSources. */
  conversionSources: readonly string[] | null;
  excludedConversionSources: readonly string[];
}

export interface SourceCount {
  source: string;
  rows: number;
}

/** A conversion (or click) row as a finding needs it, with the row it relates to when there is one. */
export interface FindingRow {
  id: number;
  source: string;
  file: string | null;
  line: number | null;
  click_id: string | null;
  txid: string | null;
  event: string | null;
  status: string | null;
  occurred_at: string | null;
  payout_micros: number | null;
  currency: string | null;
  conversion_id: string | null;
  group_size: number | null;
  rel_id: number | null;
  rel_source: string | null;
  rel_file: string | null;
  rel_line: number | null;
  rel_click_id: string | null;
  rel_occurred_at: string | null;
  rel_payout_micros: number | null;
  rel_status: string | null;
}

export interface ClickRow {
  id: number;
  source: string;
  file: string | null;
  line: number | null;
  click_id: string;
  occurred_at: string | null;
}

export interface ScopeCounts {
  conversions: number;
  matched: number;
  unmatched: number;
  missing_click_id: number;
  before_click: number;
  outside_window: number;
  unmatched_payout: number;
  missing_click_id_payout: number;
  outside_window_payout: number;
}

export interface UnmatchedId {
  click_id: string;
  rows: number;
}

/** Every stored field of an exported row: rows equal in all of them are the same record. */
const OVERLAP_CLICK_FIELDS = ['click_id', 'occurred_at', 'offer_id', 'affiliate_id', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'ip', 'user_agent'];
const OVERLAP_CONVERSION_FIELDS = [
  'click_id', 'occurred_at', 'conversion_id', 'txid', 'event', 'status', 'payout_micros', 'revenue_micros', 'currency',
  'offer_id', 'affiliate_id', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'ip', 'user_agent',
];

const TS_FORMAT = "'%Y-%m-%dT%H:%M:%fZ'";
/** A click id counts as present unless it is NULL or only whitespace. */
const BLANK = 'char(32, 9, 10, 13)';
const hasId = (alias: string) => `(${alias}.click_id IS NOT NULL AND trim(${alias}.click_id, ${BLANK}) <> '')`;

const CONVERSION_COLUMNS = `c.id AS id, c.source AS source, ifnull(i.file, CASE WHEN c.run_id IS NOT NULL THEN c.source || ' run ' || c.run_id END) AS file, c.line AS line, c.click_id AS click_id,
  c.txid AS txid, c.event AS event, c.status AS status, c.occurred_at AS occurred_at,
  c.payout_micros AS payout_micros, c.currency AS currency, c.conversion_id AS conversion_id`;
const NO_RELATED = `NULL AS rel_id, NULL AS rel_source, NULL AS rel_file, NULL AS rel_line, NULL AS rel_click_id,
  NULL AS rel_occurred_at, NULL AS rel_payout_micros, NULL AS rel_status`;
const RELATED_CLICK = `kk.id AS rel_id, kk.source AS rel_source, ifnull(ki.file, CASE WHEN kk.run_id IS NOT NULL THEN kk.source || ' run ' || kk.run_id END) AS rel_file, kk.line AS rel_line,
  kk.click_id AS rel_click_id, kk.occurred_at AS rel_occurred_at, NULL AS rel_payout_micros, NULL AS rel_status`;
const RELATED_CONVERSION = `cc.id AS rel_id, cc.source AS rel_source, ifnull(ci.file, CASE WHEN cc.run_id IS NOT NULL THEN cc.source || ' run ' || cc.run_id END) AS rel_file, cc.line AS rel_line,
  cc.click_id AS rel_click_id, cc.occurred_at AS rel_occurred_at, cc.payout_micros AS rel_payout_micros, cc.status AS rel_status`;

const TEMP_TABLES = ['rc_conv', 'rc_dup', 'rc_dupclick', 'rc_notrec', 'rc_overlap', 'rc_overlap_click', 'rc_side', 'rc_status'];

/** The source of the clicks `tpb click` recorded (the store's TPB_CLICK_SOURCE). */
const TPB_CLICK = 'tpb:click';

export interface OverlapCount {
  kind: 'clicks' | 'conversions';
  source: string;
  import_id: number;
  earlier_import_id: number;
  rows: number;
}

/**
 * The distinct click sources, without counting them: a skip scan of the clicks_source index (one
 * probe per source), so it costs nothing on a table of millions.
 */
/** Above this many conversions, reconcile's temporary tables live in a temporary file. */
export const TEMP_FILE_ABOVE_CONVERSIONS = 250_000;

/**
 * Run reconcile's work in one read transaction. Its temporary tables (rc_conv holds a row per
 * conversion in scope when the series and lag are computed) go to a temporary file, not memory,
 * when the database holds many conversions: the operating system's page cache keeps them as fast,
 * and the process's memory stays flat (at 2,000,000 conversions rc_conv alone is ~430 MB in memory).
 */
export function reconcileTransaction<T>(store: Store, run: () => T, fileAboveConversions = TEMP_FILE_ABOVE_CONVERSIONS): T {
  const db = store.db;
  const size = (db.prepare('SELECT max(id) AS n FROM main.conversions').get() as { n: number | null }).n ?? 0;
  // Changing temp_store drops the connection's temporary tables and views: reconcile creates its own
  // after this, but a row scope (tpb check's reconcile step, small by nature) is temporary views, kept.
  const temporaries = (db.prepare('SELECT count(*) AS n FROM temp.sqlite_master').get() as { n: number }).n;
  const toFile = size > fileAboveConversions && temporaries === 0;
  if (toFile) db.pragma('temp_store = FILE');
  try {
    return db.transaction(run)();
  } finally {
    if (toFile) db.pragma('temp_store = MEMORY');
  }
}

export function listClickSources(store: Store): string[] {
  const rows = store.db
    .prepare(
      `WITH RECURSIVE s(source) AS (
        SELECT (SELECT min(source) FROM clicks)
        UNION ALL SELECT (SELECT min(k.source) FROM clicks k WHERE k.source > s.source) FROM s WHERE s.source IS NOT NULL)
      SELECT source FROM s WHERE source IS NOT NULL`,
    )
    .all() as Array<{ source: string }>;
  return rows.map((row) => row.source);
}

export class ReconcileQueries {
  private readonly statements = new Map<string, Statement>();
  private readonly params: Record<string, unknown>;
  private readonly conversionScope: string;

  constructor(
    private readonly store: Store,
    scope: ReconcileScope,
    windowMs: number,
  ) {
    this.params = {
      clickSources: JSON.stringify(scope.clickSources ?? []),
      conversionSources: JSON.stringify(scope.conversionSources ?? []),
      excludedSources: JSON.stringify(scope.excludedConversionSources),
      window: `+${(windowMs / 1000).toFixed(3)} seconds`,
    };
    this.filterClicks = scope.clickSources !== null;
    this.includeSources = scope.conversionSources !== null;
    this.conversionScope =
      scope.conversionSources !== null
        ? 'c.source IN (SELECT value FROM json_each(@conversionSources))'
        : 'c.source NOT IN (SELECT value FROM json_each(@excludedSources))';
  }

  private readonly filterClicks: boolean;
  private readonly includeSources: boolean;

  /** `AND k.source IN (…)` when a click source filter is set. */
  private clickFilter(alias: string): string {
    return this.filterClicks ? `AND ${alias}.source IN (SELECT value FROM json_each(@clickSources))` : '';
  }

  private statement(key: string, sql: () => string): Statement {
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.store.db.prepare(sql());
      this.statements.set(key, statement);
    }
    return statement;
  }

  private get db() {
    return this.store.db;
  }

  conversionSources(): SourceCount[] {
    return this.statement('conversionSources', () => 'SELECT source, count(*) AS rows FROM conversions GROUP BY source ORDER BY source').all() as SourceCount[];
  }

  clickSources(): SourceCount[] {
    return this.statement('clickSources', () => 'SELECT source, count(*) AS rows FROM clicks GROUP BY source ORDER BY source').all() as SourceCount[];
  }

  /** Clicks matched against, overlap rows counted once (call after findOverlaps). */
  countClicks(): number {
    const all = (this.statement('countClicks', () => `SELECT count(*) AS n FROM clicks k WHERE 1 = 1 ${this.clickFilter('k')}`).get(this.params) as { n: number }).n;
    if (!this.clickOverlap) return all;
    const overlap = (this.db.prepare(`SELECT count(*) AS n FROM rc_overlap_click k WHERE 1 = 1 ${this.clickFilter('k')}`).get(this.params) as { n: number }).n;
    return all - overlap;
  }

  /**
   * Conversions in scope, overlap rows counted once. Counted as all rows minus the excluded
   * sources (a b-tree count and an index range), not by scanning every row's source.
   */
  countConversionsInScope(): number {
    const n = (sql: string) => (this.db.prepare(sql).get(this.params) as { n: number }).n;
    const total = this.includeSources
      ? n('SELECT count(*) AS n FROM conversions WHERE source IN (SELECT value FROM json_each(@conversionSources))')
      : n('SELECT count(*) AS n FROM conversions') - n('SELECT count(*) AS n FROM conversions WHERE source IN (SELECT value FROM json_each(@excludedSources))');
    if (!this.conversionOverlap) return total;
    return total - n(`SELECT count(*) AS n FROM rc_overlap c WHERE ${this.conversionScope}`);
  }

  countConversionsOf(source: string): { rows: number; with_txid: number } {
    return this.statement(
      'countOf',
      () => `SELECT count(*) AS rows, count(nullif(trim(txid, ${BLANK}), '')) AS with_txid FROM conversions WHERE source = @source`,
    ).get({ source }) as { rows: number; with_txid: number };
  }

  dispose(): void {
    for (const table of TEMP_TABLES) this.db.exec(`DROP TABLE IF EXISTS temp.${table}`);
  }

  /** Whether findOverlaps() found overlap rows of each table (the queries then leave them out). */
  private conversionOverlap = false;
  private clickOverlap = false;

  private notOverlap(alias: string, table: 'rc_overlap' | 'rc_overlap_click'): string {
    const on = table === 'rc_overlap' ? this.conversionOverlap : this.clickOverlap;
    return on ? `AND ${alias}.id NOT IN (SELECT id FROM ${table})` : '';
  }

  /**
   * overlapping imports: a row identical in every stored field to a row of an EARLIER import of the
   * same source (export day 1, then days 1–2) is the same record exported twice, not a duplicate.
   * Rows pair one to one — the k-th copy within an import with the k-th copy of the earlier
   * import — so a conversion the tracker really recorded twice is still a duplicate. Only sources
   * with more than one import are looked at (one query per table, nothing when there are none).
   * The overlap rows (rc_overlap, rc_overlap_click) are counted once: every later query leaves them out.
   */
  findOverlaps(): OverlapCount[] {
    const overlaps: OverlapCount[] = [];
    for (const kind of ['conversions', 'clicks'] as const) {
      const table = kind === 'conversions' ? 'rc_overlap' : 'rc_overlap_click';
      this.db.exec(`DROP TABLE IF EXISTS temp.${table}`);
      this.db.exec(`CREATE TEMP TABLE ${table} (id INTEGER PRIMARY KEY, source TEXT NOT NULL, import_id INTEGER NOT NULL, earlier_import_id INTEGER NOT NULL)`);
      const multi = this.db
        .prepare("SELECT source FROM imports WHERE kind = ? AND finished_at IS NOT NULL GROUP BY source HAVING count(*) > 1")
        .all(kind) as Array<{ source: string }>;
      if (multi.length === 0) continue;
      const fields = (kind === 'conversions' ? OVERLAP_CONVERSION_FIELDS : OVERLAP_CLICK_FIELDS).map((field) => `t.${field}`).join(', ');
      const bare = (kind === 'conversions' ? OVERLAP_CONVERSION_FIELDS : OVERLAP_CLICK_FIELDS).join(', ');
      this.db
        .prepare(
          `INSERT INTO ${table} (id, source, import_id, earlier_import_id)
           SELECT id, source, import_id, first_import FROM (
             SELECT id, source, import_id, first_value(import_id) OVER g AS first_import, row_number() OVER g AS n FROM (
               SELECT t.id, t.source, t.import_id, ${fields},
                 row_number() OVER (PARTITION BY t.import_id, ${fields} ORDER BY t.id) AS copy
               FROM ${kind} t
               WHERE t.import_id IN (SELECT i.id FROM imports i WHERE i.kind = @kind AND i.finished_at IS NOT NULL
                 AND i.source IN (SELECT value FROM json_each(@sources))))
             WINDOW g AS (PARTITION BY source, ${bare}, copy ORDER BY import_id, id))
           WHERE n > 1`,
        )
        .run({ kind, sources: JSON.stringify(multi.map((row) => row.source)) });
      const counts = this.db
        .prepare(`SELECT source, import_id, earlier_import_id, count(*) AS rows FROM ${table} GROUP BY source, import_id, earlier_import_id ORDER BY import_id, earlier_import_id`)
        .all() as Array<Omit<OverlapCount, 'kind'>>;
      if (counts.length > 0) {
        if (kind === 'conversions') this.conversionOverlap = true;
        else this.clickOverlap = true;
      }
      for (const count of counts) overlaps.push({ kind, ...count });
    }
    return overlaps;
  }

  /**
   * The conversions in scope, classified in ONE pass (one statement): each conversion is joined
   * through the clicks (click_id, occurred_at) index to the clicks with its id — the earliest one
   * and the latest one at or before the conversion come out of the same probe — and only the rows
   * that are a finding are kept in rc_conv (a few percent; the matched, in-window majority is
   * counted, not stored, which keeps memory flat at millions of rows). Per conversion:
   * - has_id: it carries a click id (not NULL, not only whitespace); else missing_click_id
   * - first_click: the earliest click with that id among the click sources matched against
   *   ('' when that click has no time, NULL when there is none = unmatched)
   * - before_click: first_click > '' and the conversion is earlier than it
   * - anchor_click: the latest click at or before the conversion (the one that would be credited);
   *   outside_window (column `late`, computed once here): the conversion is later than
   *   anchor_click + window
   * - credit: the rowid of the click the conversion is credited to, when exactly one click carries
   *   its id (nearly always): the same probe yields it from the index, so a breakdown by a click's
   *   field (offer, affiliate, sub1…) reads that row directly instead of searching the clicks again.
   *   NULL when several clicks carry the id; BreakdownQueries fills those few in when it needs them.
   * matched = conversions in scope − unmatched − missing_click_id (see scopeCounts). Overlap rows
   * (findOverlaps) are left out. keepAll (for the breakdowns, which need every matched row) keeps
   * every conversion in rc_conv. withCredit: store `credit` (only breakdowns by a click's field read
   * it; computing it here raised the 10M reconcile's peak RSS from ~300 to ~410 MB, so a reconcile
   * without such a breakdown leaves it NULL, and BreakdownQueries fills it in if ever asked).
   */
  classifyConversions(keepAll = false, withCredit = keepAll): void {
    this.db.exec('DROP TABLE IF EXISTS temp.rc_conv');
    this.db.exec(`CREATE TEMP TABLE rc_conv (
      id INTEGER PRIMARY KEY, source TEXT NOT NULL, click_id TEXT, occurred_at TEXT, payout INTEGER, currency TEXT,
      has_id INTEGER NOT NULL, first_click TEXT, anchor_click TEXT, late INTEGER NOT NULL, credit INTEGER)`);
    const hasIdC = hasId('c');
    const first = `CASE WHEN ${hasIdC} AND count(k.click_id) > 0 THEN min(ifnull(k.occurred_at, '')) END`;
    const anchor = 'max(CASE WHEN k.occurred_at <= c.occurred_at THEN k.occurred_at END)';
    this.db
      .prepare(
        `INSERT INTO rc_conv (id, source, click_id, occurred_at, payout, currency, has_id, first_click, anchor_click, late, credit)
         SELECT c.id, c.source, c.click_id, c.occurred_at, c.payout_micros, c.currency, ${hasIdC}, ${first}, ${anchor},
           ifnull(${anchor} IS NOT NULL AND c.occurred_at > strftime(${TS_FORMAT}, ${anchor}, @window), 0),
           ${withCredit ? `CASE WHEN ${hasIdC} AND count(k.click_id) = 1 THEN min(k.id) END` : 'NULL'}
         FROM conversions c LEFT JOIN clicks k ON k.click_id = c.click_id ${this.clickFilter('k')}
         WHERE ${this.conversionScope} ${this.notOverlap('c', 'rc_overlap')}
         GROUP BY c.id
         ${keepAll ? 'HAVING 1 OR' : 'HAVING'} NOT ${hasIdC} OR count(k.click_id) = 0
           OR (min(ifnull(k.occurred_at, '')) > '' AND (c.occurred_at < min(k.occurred_at)
             OR c.occurred_at > strftime(${TS_FORMAT}, ${anchor}, @window)))`,
      )
      .run(this.params);
  }

  /** Outside the window: classifyConversions computed it once per conversion (rc_conv.late). */
  private readonly outsideWindow = '(r.late = 1)';
  private readonly beforeClick = `(r.first_click > '' AND r.occurred_at < r.first_click)`;

  /** Every count of the click matching: rc_conv holds the findings, the rest are matched. */
  scopeCounts(): ScopeCounts {
    const counts = this.statement(
      'scopeCounts',
      () => `SELECT
        ifnull(sum(r.has_id AND r.first_click IS NULL), 0) AS unmatched,
        ifnull(sum(NOT r.has_id), 0) AS missing_click_id,
        ifnull(sum(${this.beforeClick}), 0) AS before_click,
        ifnull(sum(${this.outsideWindow}), 0) AS outside_window,
        ifnull(sum(CASE WHEN r.has_id AND r.first_click IS NULL THEN r.payout END), 0) AS unmatched_payout,
        ifnull(sum(CASE WHEN NOT r.has_id THEN r.payout END), 0) AS missing_click_id_payout,
        ifnull(sum(CASE WHEN ${this.outsideWindow} THEN r.payout END), 0) AS outside_window_payout
      FROM rc_conv r`,
    ).get(this.params) as Omit<ScopeCounts, 'conversions' | 'matched'>;
    const conversions = this.countConversionsInScope();
    return { conversions, matched: conversions - counts.unmatched - counts.missing_click_id, ...counts };
  }

  /** Groups of conversions of one source sharing the dedupe key; rc_dup holds the rows beyond the first. */
  findDuplicates(keyColumns: 'click_id' | 'click_id+event+txid'): { groups: number; extra: number; extra_payout: number } {
    const key = keyColumns === 'click_id' ? '' : ", ifnull(c.event, ''), ifnull(c.txid, '')";
    this.db.exec('DROP TABLE IF EXISTS temp.rc_dup');
    this.db.exec('CREATE TEMP TABLE rc_dup (id INTEGER PRIMARY KEY, first_id INTEGER NOT NULL, payout INTEGER)');
    this.db
      .prepare(
        `INSERT INTO rc_dup (id, first_id, payout)
         SELECT id, first_id, payout FROM (
           SELECT c.id AS id, c.payout_micros AS payout, first_value(c.id) OVER w AS first_id, row_number() OVER w AS rn
           FROM conversions c
           -- Only click ids that occur more than once can be duplicates: an index-only scan finds
           -- them without sorting every conversion.
           WHERE c.click_id IN (SELECT click_id FROM conversions GROUP BY click_id HAVING count(*) > 1)
             AND ${this.conversionScope} AND ${hasId('c')} ${this.notOverlap('c', 'rc_overlap')}
           WINDOW w AS (PARTITION BY c.source, c.click_id${key} ORDER BY c.occurred_at, c.id))
         WHERE rn > 1`,
      )
      .run(this.params);
    this.db.exec('CREATE INDEX temp.rc_dup_first ON rc_dup (first_id)');
    return this.db.prepare('SELECT count(DISTINCT first_id) AS groups, count(*) AS extra, ifnull(sum(payout), 0) AS extra_payout FROM rc_dup').get() as {
      groups: number;
      extra: number;
      extra_payout: number;
    };
  }

  /**
   * duplicate_clicks: a click id carried by more than one click WITHIN one source (rc_dupclick, one
   * row per source and id). The same id in two sources — tpb click's record and the tracker's
   * export of that click — is one click seen twice, the expected case; overlap rows are left out.
   * Ids seen more than once at all are found first by an index-only group-by.
   */
  findDuplicateClicks(): number {
    this.db.exec('DROP TABLE IF EXISTS temp.rc_dupclick');
    this.db.exec('CREATE TEMP TABLE rc_dupclick (source TEXT NOT NULL, click_id TEXT NOT NULL, n INTEGER NOT NULL, first_id INTEGER NOT NULL, PRIMARY KEY (source, click_id))');
    this.db
      .prepare(
        `INSERT INTO rc_dupclick (source, click_id, n, first_id)
         SELECT k.source, k.click_id, count(*), min(k.id) FROM clicks k
         WHERE k.click_id IN (SELECT click_id FROM clicks WHERE click_id IS NOT NULL AND click_id <> '' GROUP BY click_id HAVING count(*) > 1)
           ${this.clickFilter('k')} ${this.notOverlap('k', 'rc_overlap_click')}
         GROUP BY k.source, k.click_id HAVING count(*) > 1`,
      )
      .run(this.params);
    return (this.db.prepare('SELECT count(*) AS n FROM rc_dupclick').get() as { n: number }).n;
  }

  /**
   * clicks_not_recorded: clicks for which tpb click captured an id (source tpb:click) that no click
   * of the sources matched against carries — the tracker redirected but never stored the click
   * (same-IP debounce, prefetch, bot filtering). Asked only when tpb:click is not matched against.
   */
  findClicksNotRecorded(): number {
    this.db.exec('DROP TABLE IF EXISTS temp.rc_notrec');
    this.db.exec('CREATE TEMP TABLE rc_notrec (id INTEGER PRIMARY KEY)');
    this.db
      .prepare(
        `INSERT INTO rc_notrec (id)
         SELECT t.id FROM clicks t WHERE t.source = '${TPB_CLICK}' AND ${hasId('t')}
           AND NOT EXISTS (SELECT 1 FROM clicks k WHERE k.click_id = t.click_id ${this.clickFilter('k')})`,
      )
      .run(this.params);
    return (this.db.prepare('SELECT count(*) AS n FROM rc_notrec').get() as { n: number }).n;
  }

  /** The tpb:click click with exactly this id, whatever the click sources matched against. */
  tpbClickWithId(clickId: string): ClickRow | undefined {
    return this.statement(
      'tpbClickWithId',
      () => `SELECT ${this.clickColumns} FROM clicks k LEFT JOIN imports i ON i.id = k.import_id
        WHERE k.click_id = @clickId AND k.source = '${TPB_CLICK}' ORDER BY k.id LIMIT 1`,
    ).get({ clickId }) as ClickRow | undefined;
  }

  clicksNotRecordedRows(limit: number): Iterable<FindingRow> {
    return this.statement(
      'notRecordedRows',
      () => `SELECT k.id AS id, k.source AS source, ifnull(i.file, CASE WHEN k.run_id IS NOT NULL THEN k.source || ' run ' || k.run_id END) AS file, k.line AS line, k.click_id AS click_id,
          NULL AS txid, NULL AS event, NULL AS status, k.occurred_at AS occurred_at, NULL AS payout_micros,
          NULL AS currency, NULL AS conversion_id, NULL AS group_size, ${NO_RELATED}
        FROM (SELECT id FROM rc_notrec ORDER BY id LIMIT @limit) n
        JOIN clicks k ON k.id = n.id LEFT JOIN imports i ON i.id = k.import_id
        ORDER BY k.id`,
    ).iterate({ limit }) as IterableIterator<FindingRow>;
  }

  /** Currencies of the conversions that will not be paid. */
  currenciesAtStake(): string[] {
    const rows = this.db
      .prepare(
        `SELECT DISTINCT currency FROM (
           SELECT r.currency FROM rc_conv r WHERE (r.first_click IS NULL OR ${this.outsideWindow}) AND r.currency IS NOT NULL
           UNION SELECT c.currency FROM rc_dup d JOIN conversions c ON c.id = d.id WHERE c.currency IS NOT NULL)
         WHERE trim(currency) <> '' ORDER BY currency`,
      )
      .all(this.params) as Array<{ currency: string }>;
    return rows.map((row) => row.currency);
  }

  /**
   * The most common whole number of hours by which before_click conversions precede their click,
   * counting only rows within ±5 minutes of a whole hour.
   */
  commonBeforeClickOffset(): { hours: number; rows: number; naive: number } | null {
    // naive: the conversion's or the click's import read naive timestamps in a timezone (imports.
    // naive_times > 0, or not recorded), so --timezone can move them; tpb's own runs write UTC.
    const naiveOf = (table: 'conversions' | 'clicks', where: string) =>
      `ifnull((SELECT ifnull(i.naive_times, 1) FROM ${table} t JOIN imports i ON i.id = t.import_id WHERE ${where} LIMIT 1), 0) > 0`;
    const row = this.statement(
      'offset',
      () => `SELECT CAST(round(d) AS INTEGER) AS hours, count(*) AS rows, sum(naive) AS naive FROM (
        SELECT (julianday(r.first_click) - julianday(r.occurred_at)) * 24.0 AS d,
          (${naiveOf('conversions', 't.id = r.id')} OR ${naiveOf('clicks', `t.click_id = r.click_id AND t.occurred_at = r.first_click ${this.clickFilter('t')}`)}) AS naive
        FROM rc_conv r WHERE ${this.beforeClick})
      WHERE round(d) >= 1 AND abs(d - round(d)) <= 5.0 / 60 + 1e-9
      GROUP BY 1 ORDER BY rows DESC, hours LIMIT 1`,
    ).get(this.params) as { hours: number; rows: number; naive: number } | undefined;
    return row ?? null;
  }

  /** Distinct click ids of unmatched conversions, most frequent first. */
  unmatchedIds(): UnmatchedId[] {
    return this.statement(
      'unmatchedIds',
      () => 'SELECT click_id, count(*) AS rows FROM rc_conv WHERE has_id AND first_click IS NULL GROUP BY click_id ORDER BY rows DESC, click_id',
    ).all() as UnmatchedId[];
  }

  private readonly clickColumns = `k.id AS id, k.source AS source, ifnull(i.file, CASE WHEN k.run_id IS NOT NULL THEN k.source || ' run ' || k.run_id END) AS file, k.line AS line, k.click_id AS click_id, k.occurred_at AS occurred_at`;

  /** The click with exactly this id (indexed lookup). */
  clickWithId(clickId: string): ClickRow | undefined {
    return this.statement(
      'clickWithId',
      () => `SELECT ${this.clickColumns} FROM clicks k LEFT JOIN imports i ON i.id = k.import_id
        WHERE k.click_id = @clickId ${this.clickFilter('k')} ORDER BY k.occurred_at LIMIT 1`,
    ).get({ ...this.params, clickId }) as ClickRow | undefined;
  }

  /** Up to two clicks whose id starts with `prefix` and is longer (an index range scan). */
  clicksStartingWith(prefix: string): ClickRow[] {
    return this.statement(
      'clicksStartingWith',
      () => `SELECT ${this.clickColumns} FROM clicks k LEFT JOIN imports i ON i.id = k.import_id
        WHERE k.click_id > @prefix AND k.click_id < @upper ${this.clickFilter('k')} LIMIT 2`,
    ).all({ ...this.params, prefix, upper: `${prefix}\u{10FFFF}` }) as ClickRow[];
  }

  /** About `count` click ids spread over the table (by rowid), for the shape statistics. */
  sampleClickIds(count: number): string[] {
    const bounds = clickRowIdBounds(this.db);
    if (bounds.low === null || bounds.high === null) return [];
    const step = Math.max(1, Math.floor((bounds.high - bounds.low + 1) / count));
    const spread = this.statement(
      'sampleSpread',
      () => `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @count)
        SELECT k.click_id AS click_id FROM n JOIN clicks k ON k.id = @low + n.i * @step
        WHERE k.click_id IS NOT NULL AND k.click_id <> '' ${this.clickFilter('k')}`,
    ).all({ ...this.params, count, low: bounds.low, step }) as Array<{ click_id: string }>;
    if (spread.length >= Math.min(count, 50)) return spread.map((row) => row.click_id);
    // A click source that is a small part of the table: take its first rows instead.
    const first = this.statement(
      'sampleFirst',
      () => `SELECT k.click_id AS click_id FROM clicks k WHERE k.click_id IS NOT NULL AND k.click_id <> '' ${this.clickFilter('k')} LIMIT @count`,
    ).all({ ...this.params, count }) as Array<{ click_id: string }>;
    return first.map((row) => row.click_id);
  }

  private conversionRows(key: string, from: () => string, extraColumns = NO_RELATED, extraJoins = ''): (limit: number) => Iterable<FindingRow> {
    return (limit) =>
      this.statement(
        key,
        () => `SELECT ${CONVERSION_COLUMNS}, ${extraColumns} FROM (${from()}) s
          JOIN conversions c ON c.id = s.id LEFT JOIN imports i ON i.id = c.import_id ${extraJoins}
          ORDER BY s.id`,
      ).iterate({ ...this.params, limit }) as IterableIterator<FindingRow>;
  }

  /** limit -1 = all rows. */
  unmatchedRows(limit: number): Iterable<FindingRow> {
    return this.conversionRows(
      'unmatchedRows',
      () => 'SELECT id, NULL AS group_size FROM rc_conv WHERE has_id AND first_click IS NULL ORDER BY id LIMIT @limit',
      `s.group_size AS group_size, ${NO_RELATED}`,
    )(limit);
  }

  missingClickIdRows(limit: number): Iterable<FindingRow> {
    return this.conversionRows(
      'missingRows',
      () => 'SELECT id, NULL AS group_size FROM rc_conv WHERE NOT has_id ORDER BY id LIMIT @limit',
      `s.group_size AS group_size, ${NO_RELATED}`,
    )(limit);
  }

  beforeClickRows(limit: number): Iterable<FindingRow> {
    return this.conversionRows(
      'beforeRows',
      () => `SELECT r.id AS id, (SELECT k.id FROM clicks k WHERE k.click_id = r.click_id AND k.occurred_at = r.first_click ${this.clickFilter('k')} ORDER BY k.id LIMIT 1) AS rel
        FROM rc_conv r WHERE ${this.beforeClick} ORDER BY r.id LIMIT @limit`,
      `NULL AS group_size, ${RELATED_CLICK}`,
      'LEFT JOIN clicks kk ON kk.id = s.rel LEFT JOIN imports ki ON ki.id = kk.import_id',
    )(limit);
  }

  outsideWindowRows(limit: number): Iterable<FindingRow> {
    return this.conversionRows(
      'outsideRows',
      () => `SELECT r.id AS id, (SELECT k.id FROM clicks k WHERE k.click_id = r.click_id AND k.occurred_at = r.anchor_click ${this.clickFilter('k')} ORDER BY k.id LIMIT 1) AS rel
        FROM rc_conv r WHERE ${this.outsideWindow} ORDER BY r.id LIMIT @limit`,
      `NULL AS group_size, ${RELATED_CLICK}`,
      'LEFT JOIN clicks kk ON kk.id = s.rel LEFT JOIN imports ki ON ki.id = kk.import_id',
    )(limit);
  }

  duplicateRows(limit: number): Iterable<FindingRow> {
    return this.conversionRows(
      'duplicateRows',
      () => 'SELECT d.id AS id, d.first_id AS first_id, (SELECT count(*) FROM rc_dup d2 WHERE d2.first_id = d.first_id) + 1 AS group_size FROM rc_dup d ORDER BY d.id LIMIT @limit',
      `s.group_size AS group_size, ${RELATED_CONVERSION}`,
      'LEFT JOIN conversions cc ON cc.id = s.first_id LEFT JOIN imports ci ON ci.id = cc.import_id',
    )(limit);
  }

  duplicateClickRows(limit: number): Iterable<FindingRow> {
    return this.statement(
      'duplicateClickRows',
      () => `SELECT k.id AS id, k.source AS source, ifnull(i.file, CASE WHEN k.run_id IS NOT NULL THEN k.source || ' run ' || k.run_id END) AS file, k.line AS line, k.click_id AS click_id,
          NULL AS txid, NULL AS event, NULL AS status, k.occurred_at AS occurred_at, NULL AS payout_micros,
          NULL AS currency, NULL AS conversion_id, d.n AS group_size, ${RELATED_CLICK}
        FROM (SELECT source, click_id, n, first_id FROM rc_dupclick ORDER BY first_id LIMIT @limit) d
        JOIN clicks k ON k.id = d.first_id LEFT JOIN imports i ON i.id = k.import_id
        LEFT JOIN clicks kk ON kk.id = (
          SELECT k2.id FROM clicks k2 WHERE k2.click_id = d.click_id AND k2.source = d.source AND k2.id > d.first_id
            ${this.notOverlap('k2', 'rc_overlap_click')} ORDER BY k2.id LIMIT 1)
        LEFT JOIN imports ki ON ki.id = kk.import_id
        ORDER BY d.first_id`,
    ).iterate({ ...this.params, limit }) as IterableIterator<FindingRow>;
  }

  /**
   * Compare mode: the first row of each key (click id + txid, or click id alone) of both sources in
   * rc_side, and the status spellings in rc_status.
   */
  prepareComparison(a: string, b: string, keyByTxid: boolean, statusPairs: ReadonlyArray<readonly [string, string]>): void {
    this.db.exec('DROP TABLE IF EXISTS temp.rc_side');
    this.db.exec('DROP TABLE IF EXISTS temp.rc_status');
    this.db.exec(`CREATE TEMP TABLE rc_side (side TEXT NOT NULL, click_id TEXT NOT NULL, txkey TEXT NOT NULL, id INTEGER NOT NULL,
      PRIMARY KEY (side, click_id, txkey)) WITHOUT ROWID`);
    this.db.exec('CREATE TEMP TABLE rc_status (spelling TEXT PRIMARY KEY, canonical TEXT NOT NULL) WITHOUT ROWID');
    const insertSide = this.db.prepare(
      `INSERT INTO rc_side (side, click_id, txkey, id)
       SELECT @side, c.click_id, ${keyByTxid ? "ifnull(c.txid, '')" : "''"}, min(c.id) FROM conversions c
       WHERE c.source = @source AND ${hasId('c')} GROUP BY 2, 3`,
    );
    const insertStatus = this.db.prepare('INSERT OR IGNORE INTO rc_status (spelling, canonical) VALUES (?, ?)');
    this.db.transaction(() => {
      insertSide.run({ side: 'a', source: a });
      insertSide.run({ side: 'b', source: b });
      for (const [spelling, canonical] of statusPairs) insertStatus.run(spelling, canonical);
    })();
  }

  countPairedKeys(): number {
    return (
      this.db
        .prepare("SELECT count(*) AS n FROM rc_side a JOIN rc_side b ON b.side = 'b' AND b.click_id = a.click_id AND b.txkey = a.txkey WHERE a.side = 'a'")
        .get() as { n: number }
    ).n;
  }

  private onlyIn(side: 'a' | 'b'): string {
    const other = side === 'a' ? 'b' : 'a';
    return `SELECT s1.id AS id, NULL AS group_size FROM rc_side s1 WHERE s1.side = '${side}' AND NOT EXISTS (
      SELECT 1 FROM rc_side s2 WHERE s2.side = '${other}' AND s2.click_id = s1.click_id AND s2.txkey = s1.txkey)`;
  }

  private readonly pairs = `SELECT a.id AS id, b.id AS rel, NULL AS group_size FROM rc_side a
    JOIN rc_side b ON b.side = 'b' AND b.click_id = a.click_id AND b.txkey = a.txkey
    JOIN conversions ca ON ca.id = a.id JOIN conversions cb ON cb.id = b.id WHERE a.side = 'a'`;
  private readonly payoutDiffers = 'ca.payout_micros IS NOT NULL AND cb.payout_micros IS NOT NULL AND abs(ca.payout_micros - cb.payout_micros) > @tolerance';
  private canonicalStatus(alias: string): string {
    return `coalesce((SELECT canonical FROM rc_status WHERE spelling = lower(trim(${alias}.status, ${BLANK}))), lower(trim(${alias}.status, ${BLANK})))`;
  }
  private get statusDiffers(): string {
    return `trim(ifnull(ca.status, ''), ${BLANK}) <> '' AND trim(ifnull(cb.status, ''), ${BLANK}) <> ''
      AND ${this.canonicalStatus('ca')} <> ${this.canonicalStatus('cb')}`;
  }

  /**
   * Compare counts, and the money they put at stake: the payout of each row missing on one side,
   * and the payout difference of each pair that differs by more than the tolerance.
   */
  compareCounts(toleranceMicros: number): {
    missing_in_a: number;
    missing_in_b: number;
    payout_mismatch: number;
    status_mismatch: number;
    missing_in_a_payout: number;
    missing_in_b_payout: number;
    payout_mismatch_payout: number;
  } {
    const get = (sql: string) => this.db.prepare(sql).get({ tolerance: toleranceMicros }) as { n: number; payout: number };
    const missing = (side: 'a' | 'b') =>
      get(`SELECT count(*) AS n, ifnull(sum(c.payout_micros), 0) AS payout FROM (${this.onlyIn(side)}) s JOIN conversions c ON c.id = s.id`);
    const inB = missing('b');
    const inA = missing('a');
    const payout = get(`SELECT count(*) AS n, ifnull(sum(abs(ca.payout_micros - cb.payout_micros)), 0) AS payout FROM rc_side a
      JOIN rc_side b ON b.side = 'b' AND b.click_id = a.click_id AND b.txkey = a.txkey
      JOIN conversions ca ON ca.id = a.id JOIN conversions cb ON cb.id = b.id WHERE a.side = 'a' AND ${this.payoutDiffers}`);
    return {
      missing_in_a: inB.n,
      missing_in_b: inA.n,
      payout_mismatch: payout.n,
      status_mismatch: get(`SELECT count(*) AS n, 0 AS payout FROM (${this.pairs} AND ${this.statusDiffers})`).n,
      missing_in_a_payout: inB.payout,
      missing_in_b_payout: inA.payout,
      payout_mismatch_payout: payout.payout,
    };
  }

  /** Rows of source b that a lacks. */
  missingInARows(limit: number): Iterable<FindingRow> {
    return this.conversionRows('missingInA', () => `${this.onlyIn('b')} ORDER BY s1.id LIMIT @limit`, `NULL AS group_size, ${NO_RELATED}`)(limit);
  }

  /** Rows of source a that b lacks. */
  missingInBRows(limit: number): Iterable<FindingRow> {
    return this.conversionRows('missingInB', () => `${this.onlyIn('a')} ORDER BY s1.id LIMIT @limit`, `NULL AS group_size, ${NO_RELATED}`)(limit);
  }

  payoutMismatchRows(limit: number, toleranceMicros: number): Iterable<FindingRow> {
    return this.statement(
      'payoutMismatch',
      () => `SELECT ${CONVERSION_COLUMNS}, NULL AS group_size, ${RELATED_CONVERSION} FROM (${this.pairs} AND ${this.payoutDiffers} ORDER BY a.id LIMIT @limit) s
        JOIN conversions c ON c.id = s.id LEFT JOIN imports i ON i.id = c.import_id
        JOIN conversions cc ON cc.id = s.rel LEFT JOIN imports ci ON ci.id = cc.import_id ORDER BY s.id`,
    ).iterate({ limit, tolerance: toleranceMicros }) as IterableIterator<FindingRow>;
  }

  statusMismatchRows(limit: number): Iterable<FindingRow> {
    return this.statement(
      'statusMismatch',
      () => `SELECT ${CONVERSION_COLUMNS}, NULL AS group_size, ${RELATED_CONVERSION} FROM (${this.pairs} AND ${this.statusDiffers} ORDER BY a.id LIMIT @limit) s
        JOIN conversions c ON c.id = s.id LEFT JOIN imports i ON i.id = c.import_id
        JOIN conversions cc ON cc.id = s.rel LEFT JOIN imports ci ON ci.id = cc.import_id ORDER BY s.id`,
    ).iterate({ limit }) as IterableIterator<FindingRow>;
  }
}
