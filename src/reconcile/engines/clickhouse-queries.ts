import { InputError } from '../../errors.js';
import { ReconcileQueries, type ClickRow, type FindingRow, type ReconcileScope, type ScopeCounts, type SourceCount, type UnmatchedId } from '../../store/reconcile.js';
import { candidateIds } from '../click-id-diagnosis.js';
import type { Layout, TableLayout } from './layout.js';
import type { ClickHouseRunner } from './runner.js';
import type { QueryMethod, ReconcileSource } from './types.js';

/** Ids bound per query when rows are fetched by id. */
const ID_BATCH = 20_000;
/**
 * duplicate_clicks counts ids shared within one source once the SQLite queries do (they gain
 * clicks_not_recorded with that change); before it, ids on more clicks than sources.
 */
const DUPLICATES_WITHIN_SOURCE = typeof (ReconcileQueries.prototype as unknown as Record<string, unknown>).findClicksNotRecorded === 'function';

/** compareCounts gives the money on each side once the SQLite queries do (reconcile puts every key into the summary). */
const COMPARE_PAYOUTS = String((ReconcileQueries.prototype as unknown as Record<string, unknown>).compareCounts).includes('missing_in_a_payout');

/** tpb click's own record of the clicks it made (the store's source name). */
const TPB_CLICK = 'tpb:click';

/**
 * reconcile's queries in ClickHouse SQL, with the same definitions as the SQLite ones
 * (src/store/reconcile.ts), for chDB and for a ClickHouse server.
 *
 * The rows in scope are read once into scratch tables: `rc_k` (clicks: id, source, click id,
 * instant, and line and file unless the layout gives them by id) and `rc_c` (conversions: what the
 * SQL compares, and every field a finding shows unless the layout gives rows by id, as tpb's SQLite
 * file does). Every count and finding list is then read from them; the rows a report shows come
 * from the layout by id when it can give them. In chDB the big tables are MergeTree on disk. Timestamps are compared as instants (Int64 milliseconds,
 * UTC); money is Int64 micro-units summed exactly. The hint lookups for the unmatched ids (exact
 * candidates after undoing an encoding, and truncation prefixes) are batched into two queries when
 * the unmatched ids are first asked for, and answered from memory afterwards.
 */

const BLANK_RE = "'[^ \\\\t\\\\n\\\\r]'";
/** `trim(x, char(32, 9, 10, 13))` of the SQLite queries. */
const trimBlank = (expression: string) => `trim(BOTH ' \\t\\n\\r' FROM ${expression})`;
const hasIdOf = (expression: string) => `(${expression} IS NOT NULL AND match(${expression}, ${BLANK_RE}))`;

/** The scratch tables, in the order they are dropped. */
const SCRATCH = ['rc_tpb', 'rc_notrec', 'rc_uid', 'rc_ov_c', 'rc_ov_k', 'rc_c_kept', 'rc_k_kept', 'rc_dupclick_rows', 'rc_cand', 'rc_prefix', 'rc_side', 'rc_dup', 'rc_cls', 'rc_anchor', 'rc_conv', 'rc_c', 'rc_k'];

interface CountRow {
  [key: string]: string | number | null;
}

/** Int64 arrives as text in JSONEachRow: a number, exactly, or an error (never a rounded one). */
function int(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(number)) throw new InputError(`a count or sum is beyond exact JavaScript numbers: ${String(value)}`);
  return number;
}

function intOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : int(value);
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

interface RawConversion {
  id: string;
  source: string;
  file: string | null;
  line: string | null;
  click_id: string | null;
  txid: string | null;
  event: string | null;
  status: string | null;
  at: string | null;
  ts: string | null;
  payout: string | null;
  currency: string | null;
  conversion_id: string | null;
}

/**
 * The instant of tpb's canonical stored time (`2026-01-02T03:04:05.678Z`, as toISOString writes
 * it, in the years ClickHouse's DateTime64 parses), null for no time; undefined for any other text,
 * whose instant ClickHouse computes.
 */
function canonicalInstant(at: string | null): number | null | undefined {
  if (at === null || at === '') return null;
  if (!/^(19\d\d|2[0-2]\d\d)-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(at)) return undefined;
  const ms = Date.parse(at);
  return Number.isNaN(ms) || new Date(ms).toISOString() !== at ? undefined : ms;
}

interface RawClick {
  id: string;
  source: string;
  file: string | null;
  line: string | null;
  click_id: string | null;
  ts: string | null;
}

/**
 * Rows whose key hash occurs more than once among the clicks with an id: grouping 10M click ids
 * as 64-bit hashes is several times cheaper than as strings, and the exact GROUP BY that follows
 * then sees only the candidates (a hash collision only adds a candidate; it cannot invent a duplicate).
 */
const repeatedHash = (hash: string) =>
  `${hash} IN (SELECT h FROM (SELECT ${hash} AS h FROM rc_k WHERE click_id IS NOT NULL AND click_id != '' GROUP BY h HAVING count() > 1))`;

const CONVERSION_COLUMNS = 'id, source, file, line, click_id, txid, event, status, at, ts, payout, currency, conversion_id';
/** rc_c's columns when the layout gives a conversion's file, line, text time and conversion id by row id. */
const SLIM_CONVERSION_COLUMNS = 'id, source, click_id, txid, event, status, ts, payout, currency';
const CLICK_COLUMNS = 'id, source, file, line, click_id, ts';

export class ClickHouseQueries implements ReconcileSource {
  private readonly params: Record<string, unknown>;
  private clicksRead = false;
  private conversionsRead = false;
  private readonly exactClicks = new Map<string, ClickRow>();
  private readonly prefixClicks = new Map<string, ClickRow[]>();
  private hintsFetched = false;
  /** Every statement run, in order (for -v and tests). */
  readonly log: string[] = [];

  constructor(
    private readonly runner: ClickHouseRunner,
    private readonly layout: Layout,
    private readonly scope: ReconcileScope,
    private readonly windowMs: number,
  ) {
    this.params = {
      ...layout.params,
      clickSources: [...(scope.clickSources ?? [])],
      conversionSources: [...(scope.conversionSources ?? [])],
      excludedSources: [...scope.excludedConversionSources],
      window: Math.round(windowMs),
    };
  }

  // --- SQL text (also what --emit-sql prints) --------------------------------------------------

  private clickScope(source: string): string {
    return this.scope.clickSources !== null ? `has({clickSources:Array(String)}, ${source})` : '1';
  }

  private conversionScope(source: string): string {
    return this.scope.conversionSources !== null
      ? `has({conversionSources:Array(String)}, ${source})`
      : `NOT has({excludedSources:Array(String)}, ${source})`;
  }

  /**
   * `CREATE … ENGINE` of a scratch table filled by a SELECT: the big ones on disk where the runner
   * keeps them there (MergeTree, sorted by `orderBy`), the rest in Memory.
   */
  private create(table: string, orderBy?: string): string {
    const engine = orderBy !== undefined && this.runner.diskScratch ? `MergeTree ORDER BY ${orderBy} SETTINGS allow_nullable_key = 1` : 'Memory';
    return `CREATE ${this.runner.scratchTable} ${table} ENGINE = ${engine}`;
  }

  /** rc_c holds only what the SQL compares when the layout gives the rest of a conversion by id. */
  private get slimConversions(): boolean {
    return this.layout.conversions.conversionDetails !== undefined;
  }

  /** The columns of rc_c a finding row reads. */
  private conversionColumns(): string {
    return this.slimConversions ? SLIM_CONVERSION_COLUMNS : CONVERSION_COLUMNS;
  }

  /** SETTINGS of a read: expressions name the table's columns, never the output aliases. */
  private readSettings(settings: string | undefined): string {
    return `SETTINGS prefer_column_name_to_alias = 1${settings ? `, ${settings}` : ''}`;
  }

  /** The statement that reads the clicks in scope once. */
  readClicksSql(table = 'rc_k', where?: string): string {
    const { from, expr, settings } = this.layout.clicks;
    const id = expr.id ?? 'rowNumberInAllBlocks() + 1';
    const slim = this.layout.clicks.details !== undefined;
    return `${this.create(table, 'tuple()')} AS
SELECT id, source, click_id, ts, ${slim ? '' : 'line, file, naive, '}(at IS NOT NULL AND at != '' AND ts IS NULL) AS bad_ts FROM (
  SELECT toInt64(${id}) AS id, ${slim ? '' : `toUInt8(${expr.naive ?? '1'}) AS naive, `}toString(${expr.source}) AS source, CAST(${expr.click_id} AS Nullable(String)) AS click_id,
    CAST(${expr.ts} AS Nullable(Int64)) AS ts, ${slim ? '' : `CAST(${expr.line} AS Nullable(Int64)) AS line, CAST(${expr.file} AS Nullable(String)) AS file,
    `}CAST(${expr.occurred_at} AS Nullable(String)) AS at
  FROM ${from}
  WHERE ${where ?? this.clickScope(expr.source)})
${this.readSettings(settings)}`;
  }

  /** The statement that reads the conversions in scope once. */
  readConversionsSql(): string {
    const { from, expr, settings } = this.layout.conversions;
    const id = expr.id ?? 'rowNumberInAllBlocks() + 1';
    const text = (value: string | undefined) => `CAST(${value ?? 'NULL'} AS Nullable(String))`;
    // slim: the file, line, text time and conversion id of a reported row come from the layout by id
    const slim = this.slimConversions;
    return `${this.create('rc_c', 'id')} AS
SELECT *${slim ? ' EXCEPT (at, payout_raw)' : ''}, ${hasIdOf('click_id')} AS has_id, (at IS NOT NULL AND at != '' AND ts IS NULL) AS bad_ts,
  (payout_raw IS NOT NULL AND trimBoth(payout_raw) != '' AND payout IS NULL) AS bad_payout
FROM (
  SELECT toInt64(${id}) AS id, toUInt8(${expr.naive ?? '1'}) AS naive, toString(${expr.source}) AS source, ${slim ? '' : `CAST(${expr.file} AS Nullable(String)) AS file,
    CAST(${expr.line} AS Nullable(Int64)) AS line, `}${text(expr.click_id)} AS click_id, ${text(expr.txid)} AS txid,
    ${text(expr.event)} AS event, ${text(expr.status)} AS status, ${text(expr.occurred_at)} AS at,
    CAST(${expr.ts} AS Nullable(Int64)) AS ts, CAST(${expr.payout ?? 'NULL'} AS Nullable(Int64)) AS payout,
    ${text(expr.currency)} AS currency, ${slim ? '' : `${text(expr.conversion_id)} AS conversion_id, `}${text(expr.payout_raw)} AS payout_raw
  FROM ${from}
  WHERE ${this.conversionScope(expr.source)})
${this.readSettings(settings)}`;
  }

  /** Classify every conversion: matched, the earliest click, and the latest click at or before it when outside the window. */
  classifySql(): string[] {
    const t = this.runner.scratchTable;
    return [
      `${this.create('rc_conv', 'id')} AS
SELECT c.id AS id, c.click_id AS click_id, c.ts AS ts, c.payout AS payout, c.currency AS currency, c.has_id AS has_id, c.naive AS naive,
  toUInt8(c.has_id AND ifNull(k.found, 0) = 1) AS matched,
  if(k.null_ts = 1, NULL, k.min_ts) AS first_ts
FROM rc_c AS c
LEFT JOIN (SELECT click_id, toUInt8(1) AS found, min(ts) AS min_ts, max(isNull(ts)) AS null_ts FROM rc_k
  WHERE click_id IN (SELECT click_id FROM rc_c WHERE click_id IS NOT NULL) GROUP BY click_id) AS k
  ON c.click_id = k.click_id
SETTINGS join_use_nulls = 1`,
      `CREATE ${t} rc_anchor ENGINE = Memory AS
SELECT r.id AS id, max(k.ts) AS anchor, argMax(k.id, (assumeNotNull(k.ts), -k.id)) AS anchor_click
FROM rc_k AS k
INNER JOIN (SELECT id, click_id, ts FROM rc_conv WHERE matched AND first_ts IS NOT NULL AND ts > first_ts + {window:Int64}) AS r ON k.click_id = r.click_id
WHERE k.ts <= r.ts
GROUP BY r.id`,
      `${this.create('rc_cls', 'id')} AS
SELECT r.id AS id, r.click_id AS click_id, r.ts AS ts, r.payout AS payout, r.currency AS currency, r.has_id AS has_id, r.naive AS naive, r.matched AS matched,
  r.first_ts AS first_ts, a.anchor AS anchor, a.anchor_click AS anchor_click,
  coalesce(r.first_ts IS NOT NULL AND r.ts < r.first_ts, 0) AS before,
  coalesce(a.anchor IS NOT NULL AND r.ts > a.anchor + {window:Int64}, 0) AS outside
FROM rc_conv AS r LEFT JOIN rc_anchor AS a ON a.id = r.id
SETTINGS join_use_nulls = 1`,
    ];
  }

  scopeCountsSql(): string {
    return `SELECT count() AS n_conversions,
  countIf(matched) AS n_matched,
  countIf(has_id AND NOT matched) AS n_unmatched,
  countIf(NOT has_id) AS n_missing_click_id,
  countIf(before) AS n_before_click,
  countIf(outside) AS n_outside_window,
  sumIf(payout, has_id AND NOT matched) AS n_unmatched_payout,
  sumIf(payout, NOT has_id) AS n_missing_click_id_payout,
  sumIf(payout, outside) AS n_outside_window_payout
FROM rc_cls`;
  }

  duplicatesSql(keyColumns: 'click_id' | 'click_id+event+txid'): string {
    const key = keyColumns === 'click_id' ? '' : ", ifNull(event, ''), ifNull(txid, '')";
    return `CREATE ${this.runner.scratchTable} rc_dup ENGINE = Memory AS
SELECT id, first_id, payout FROM (
  SELECT id, payout, first_value(id) OVER w AS first_id, row_number() OVER w AS rn
  FROM rc_c
  WHERE has_id AND click_id IN (SELECT click_id FROM rc_c WHERE has_id GROUP BY click_id HAVING count() > 1)
  WINDOW w AS (PARTITION BY source, click_id${key} ORDER BY ts ASC NULLS FIRST, id ASC))
WHERE rn > 1`;
  }

  duplicateClicksSql(): string {
    if (DUPLICATES_WITHIN_SOURCE) {
      return `CREATE ${this.runner.scratchTable} rc_dupclick ENGINE = Memory AS
SELECT source AS dup_source, click_id, count() AS n, min(id) AS first_id, arraySort(groupArray(id))[2] AS second_id FROM rc_k
WHERE click_id IS NOT NULL AND click_id != '' AND ${repeatedHash('cityHash64(source, click_id)')}
GROUP BY source, click_id HAVING count() > 1`;
    }
    return `CREATE ${this.runner.scratchTable} rc_dupclick ENGINE = Memory AS
SELECT '' AS dup_source, click_id, count() AS n, min(id) AS first_id, arraySort(groupArray(id))[2] AS second_id FROM rc_k
WHERE click_id IS NOT NULL AND click_id != '' AND ${repeatedHash('cityHash64(click_id)')}
GROUP BY click_id HAVING count() > uniqExact(source)`;
  }

  /** The parameters the statements bind (for --emit-sql). */
  boundParams(): Record<string, unknown> {
    return { ...this.params, ...this.compareParams(0) };
  }

  /** The statements of a reconcile, in order, for --emit-sql (hint lookups and compare mode aside). */
  script(dedupeKey: 'click_id' | 'click_id+event+txid'): string[] {
    return [
      '-- the clicks and conversions in scope, read once',
      this.readClicksSql(),
      this.readConversionsSql(),
      '-- every conversion classified: matched, earliest click, the click it is credited to when late',
      ...this.classifySql(),
      '-- summary counts and money at stake (micro-units)',
      this.scopeCountsSql(),
      '-- duplicate conversions (rows beyond the first of each group)',
      this.duplicatesSql(dedupeKey),
      'SELECT uniqExact(first_id) AS duplicate_groups, count() AS duplicate_extra, sum(payout) AS duplicate_extra_payout FROM rc_dup',
      '-- click ids shared by several clicks',
      this.duplicateClicksSql(),
      'SELECT count() AS duplicate_clicks FROM rc_dupclick',
      '-- finding rows',
      `SELECT ${this.conversionColumns()} FROM rc_c WHERE id IN (SELECT id FROM rc_cls WHERE has_id AND NOT matched) ORDER BY id`,
      `SELECT ${this.conversionColumns()} FROM rc_c WHERE id IN (SELECT id FROM rc_cls WHERE NOT has_id) ORDER BY id`,
      `SELECT c.*, r.first_ts AS click_ts FROM rc_c AS c INNER JOIN (SELECT id, first_ts FROM rc_cls WHERE before) AS r ON r.id = c.id ORDER BY c.id`,
      `SELECT c.*, r.anchor AS click_ts FROM rc_c AS c INNER JOIN (SELECT id, anchor FROM rc_cls WHERE outside) AS r ON r.id = c.id ORDER BY c.id`,
      `SELECT c.*, d.first_id AS first_id FROM rc_c AS c INNER JOIN rc_dup AS d ON d.id = c.id ORDER BY c.id`,
    ].map((statement) => (statement.startsWith('--') ? statement.replace(/^/, '') : statement));
  }

  // --- running ---------------------------------------------------------------------------------

  private run(sql: string): void {
    this.log.push(sql);
    this.runner.exec(sql, this.params);
  }

  private select<T = CountRow>(sql: string, extra: Record<string, unknown> = {}): T[] {
    this.log.push(sql);
    return this.runner.rows<T>(sql, { ...this.params, ...extra });
  }

  /**
   * The columns of a click row. Where the layout gives a click's file, line and naive flag by id
   * (tpb's SQLite file), rc_k does not hold them — reading three more columns of every click
   * through sqlite() is a third of the read — and `clicks()` fills them in for the rows returned.
   */
  private clickColumns(alias = ''): string {
    const p = alias ? `${alias}.` : '';
    const place = this.layout.clicks.details ? 'CAST(NULL AS Nullable(String)) AS file, CAST(NULL AS Nullable(Int64)) AS line' : `${p}file AS file, ${p}line AS line`;
    return `${p}id AS id, ${p}source AS source, ${place}, ${p}click_id AS click_id, ${p}ts AS ts`;
  }

  /** Click rows of a query, with file and line from the layout when rc_k does not hold them. */
  private clicks<T extends RawClick>(sql: string, extra: Record<string, unknown> = {}): T[] {
    const rows = this.select<T>(sql, extra);
    const details = this.layout.clicks.details;
    if (!details || rows.length === 0) return rows;
    const found = details([...new Set(rows.map((row) => int(row.id)))]);
    for (const row of rows) {
      const detail = found.get(int(row.id));
      row.file = detail?.file ?? null;
      row.line = detail?.line === null || detail?.line === undefined ? null : String(detail.line);
    }
    return rows;
  }

  private ensureClicks(): void {
    if (this.clicksRead) return;
    this.run('DROP TABLE IF EXISTS rc_k');
    this.run(this.readClicksSql());
    this.clicksRead = true;
    if (this.overlapClickIds.length > 0) this.leaveOut('rc_k', 'rc_ov_k', this.overlapClickIds);
    const [bad] = this.select<{ n: string; line: string | null; id: string | null }>(
      `SELECT count() AS n, ${this.layout.clicks.details ? 'NULL' : 'min(line)'} AS line, min(id) AS id FROM rc_k WHERE bad_ts`,
    );
    if (bad && int(bad.n) > 0) {
      if (this.layout.clicks.details && bad.id !== null) bad.line = String(this.layout.clicks.details([int(bad.id)]).get(int(bad.id))?.line ?? '') || null;
      throw new InputError(`${int(bad.n)} click${int(bad.n) === 1 ? ' has' : 's have'} an occurred_at that is not a timestamp in ${this.layout.clicks.label}`, {
        hint: 'the chdb engine reads files whose columns are already clean (ISO 8601, YYYY-MM-DD hh:mm:ss UTC, unix seconds); ingest the file with tpb ingest and reconcile it there',
        ...(bad.line !== null ? { line: int(bad.line) } : {}),
        file: this.layout.clicks.label,
      });
    }
  }

  private ensureConversions(): void {
    if (this.conversionsRead) return;
    this.run('DROP TABLE IF EXISTS rc_c');
    this.run(this.readConversionsSql());
    this.conversionsRead = true;
    if (this.overlapConversionIds.length > 0) this.leaveOut('rc_c', 'rc_ov_c', this.overlapConversionIds);
    const slim = this.slimConversions;
    const [bad] = this.select<{ ts: string; payout: string; ts_line: string | null; payout_line: string | null }>(
      slim
        ? 'SELECT countIf(bad_ts) AS ts, countIf(bad_payout) AS payout, minIf(id, bad_ts) AS ts_line, minIf(id, bad_payout) AS payout_line FROM rc_c'
        : 'SELECT countIf(bad_ts) AS ts, countIf(bad_payout) AS payout, minIf(line, bad_ts) AS ts_line, minIf(line, bad_payout) AS payout_line FROM rc_c',
    );
    if (slim && bad) {
      // the first bad row's id, and its line from the layout
      const lineOf = (count: string, id: string | null) => {
        if (int(count) === 0 || id === null) return null;
        const line = this.layout.conversions.conversionDetails!([int(id)]).get(int(id))?.line;
        return line === null || line === undefined ? null : String(line);
      };
      bad.ts_line = lineOf(bad.ts, bad.ts_line);
      bad.payout_line = lineOf(bad.payout, bad.payout_line);
    }
    for (const [what, count, line] of [
      ['an occurred_at that is not a timestamp', bad?.ts, bad?.ts_line],
      ['a payout that is not a plain decimal amount', bad?.payout, bad?.payout_line],
    ] as const) {
      const n = int(count);
      if (n > 0) {
        throw new InputError(`${n} conversion${n === 1 ? ' has' : 's have'} ${what} in ${this.layout.conversions.label}`, {
          hint: 'the chdb engine reads files whose columns are already clean (amounts like 1234.56, timestamps in ISO 8601 or YYYY-MM-DD hh:mm:ss UTC); ingest the file with tpb ingest and reconcile it there',
          file: this.layout.conversions.label,
          ...(line !== null && line !== undefined ? { line: int(line) } : {}),
        });
      }
    }
  }

  private overlapClickIds: number[] = [];
  private overlapConversionIds: number[] = [];

  /** Rebuild a scratch table without the given row ids (overlapping imports, counted once). */
  private leaveOut(table: string, idsTable: string, ids: readonly number[]): void {
    const t = this.runner.scratchTable;
    this.run(`DROP TABLE IF EXISTS ${idsTable}`);
    this.run(`CREATE ${t} ${idsTable} (id Int64) ENGINE = Memory`);
    for (let i = 0; i < ids.length; i += 50_000) this.runner.exec(`INSERT INTO ${idsTable} SELECT arrayJoin({ids:Array(Int64)})`, { ids: ids.slice(i, i + 50_000) });
    this.run(`DROP TABLE IF EXISTS ${table}_kept`);
    const order = table === 'rc_c' ? 'id' : 'tuple()';
    this.run(`${this.create(`${table}_kept`, order)} AS SELECT * FROM ${table} WHERE id NOT IN (SELECT id FROM ${idsTable})`);
    this.run(`DROP TABLE ${table}`);
    this.run(`${this.create(table, order)} AS SELECT * FROM ${table}_kept`);
    this.run(`DROP TABLE ${table}_kept`);
  }

  /**
   * Overlapping imports: the store finds them (it knows the imports; one query, nothing when no
   * source has two imports), and every table here then leaves those rows out, as SQLite does.
   * Export files and server tables have no imports, so no overlaps.
   */
  findOverlaps = (() => {
    if (!this.layout.overlaps) return [];
    const found = this.layout.overlaps(this.scope, this.windowMs);
    this.overlapClickIds = found.clickIds;
    this.overlapConversionIds = found.conversionIds;
    if (this.clicksRead && found.clickIds.length > 0) this.leaveOut('rc_k', 'rc_ov_k', found.clickIds);
    if (this.conversionsRead && found.conversionIds.length > 0) this.leaveOut('rc_c', 'rc_ov_c', found.conversionIds);
    return found.counts;
  }) as unknown as QueryMethod<'findOverlaps', () => unknown[]>;

  private tpbRead = false;

  /**
   * clicks_not_recorded: tpb:click clicks with an id that no click matched against carries (the
   * tracker redirected but never stored the click). Reads tpb's own clicks into rc_tpb.
   */
  findClicksNotRecorded(): number {
    this.ensureClicks();
    const source = this.layout.clicks.expr.source;
    for (const table of ['rc_notrec', 'rc_tpb']) this.run(`DROP TABLE IF EXISTS ${table}`);
    this.run(this.readClicksSql('rc_tpb', `toString(${source}) = '${TPB_CLICK}'`));
    this.tpbRead = true;
    this.run(
      `CREATE ${this.runner.scratchTable} rc_notrec ENGINE = Memory AS
SELECT id FROM rc_tpb WHERE ${hasIdOf('click_id')} AND click_id NOT IN (SELECT click_id FROM rc_k WHERE click_id IS NOT NULL)`,
    );
    return int(this.select<{ n: string }>('SELECT count() AS n FROM rc_notrec')[0]?.n);
  }

  private readonly tpbClicks = new Map<string, ClickRow>();

  tpbClickWithId(clickId: string): ClickRow | undefined {
    if (!this.tpbRead) return undefined;
    if (this.hintsFetched) return this.tpbClicks.get(clickId);
    const [row] = this.clicks<RawClick>(`SELECT ${this.clickColumns()} FROM rc_tpb WHERE click_id = {clickId:String} ORDER BY id LIMIT 1`, { clickId });
    return row ? this.clickRow(row) : undefined;
  }

  clicksNotRecordedRows(limit: number): FindingRow[] {
    if (!this.tpbRead) return [];
    const rows = this.clicks<RawClick>(`SELECT ${this.clickColumns()} FROM rc_tpb WHERE id IN (SELECT id FROM rc_notrec) ORDER BY id${this.limitClause(limit)}`);
    return rows.map((click) => ({
      id: int(click.id),
      source: click.source,
      file: click.file,
      line: intOrNull(click.line),
      click_id: click.click_id,
      txid: null,
      event: null,
      status: null,
      occurred_at: iso(intOrNull(click.ts)),
      payout_micros: null,
      currency: null,
      conversion_id: null,
      group_size: null,
      rel_id: null,
      rel_source: null,
      rel_file: null,
      rel_line: null,
      rel_click_id: null,
      rel_occurred_at: null,
      rel_payout_micros: null,
      rel_status: null,
    }));
  }

  conversionSources(): SourceCount[] {
    if (this.layout.sourceCounts) return this.layout.sourceCounts('conversions');
    const { from, expr, settings } = this.layout.conversions;
    return this.select<{ source: string; rows: string }>(
      `SELECT toString(${expr.source}) AS source, count() AS rows FROM ${from} GROUP BY source ORDER BY source${settings ? ` SETTINGS ${settings}` : ''}`,
    ).map((row) => ({ source: row.source, rows: int(row.rows) }));
  }

  clickSources(): SourceCount[] {
    if (this.layout.sourceCounts) return this.layout.sourceCounts('clicks');
    const { from, expr, settings } = this.layout.clicks;
    return this.select<{ source: string; rows: string }>(
      `SELECT toString(${expr.source}) AS source, count() AS rows FROM ${from} GROUP BY source ORDER BY source${settings ? ` SETTINGS ${settings}` : ''}`,
    ).map((row) => ({ source: row.source, rows: int(row.rows) }));
  }

  countClicks(): number {
    this.ensureClicks();
    return int(this.select<{ n: string }>('SELECT count() AS n FROM rc_k')[0]?.n);
  }

  countConversionsInScope(): number {
    this.ensureConversions();
    return int(this.select<{ n: string }>('SELECT count() AS n FROM rc_c')[0]?.n);
  }

  countConversionsOf(source: string): { rows: number; with_txid: number } {
    this.ensureConversions();
    const [row] = this.select<{ rows: string; with_txid: string }>(
      `SELECT count() AS rows, countIf(txid IS NOT NULL AND ${trimBlank('txid')} != '') AS with_txid FROM rc_c WHERE source = {source:String}`,
      { source },
    );
    return { rows: int(row?.rows), with_txid: int(row?.with_txid) };
  }

  dispose(): void {
    for (const table of SCRATCH) {
      try {
        this.runner.exec(`DROP TABLE IF EXISTS ${table}`);
      } catch {
        // the session is going away anyway
      }
    }
    this.runner.exec('DROP TABLE IF EXISTS rc_dupclick');
  }

  classifyConversions(): void {
    this.ensureClicks();
    this.ensureConversions();
    for (const table of ['rc_cls', 'rc_anchor', 'rc_conv']) this.run(`DROP TABLE IF EXISTS ${table}`);
    this.allFirstClicks = undefined;
    for (const statement of this.classifySql()) this.run(statement);
  }

  scopeCounts(): ScopeCounts {
    const [row] = this.select(this.scopeCountsSql());
    const value = (key: string) => int(row?.[`n_${key}`]);
    return {
      conversions: value('conversions'),
      matched: value('matched'),
      unmatched: value('unmatched'),
      missing_click_id: value('missing_click_id'),
      before_click: value('before_click'),
      outside_window: value('outside_window'),
      unmatched_payout: value('unmatched_payout'),
      missing_click_id_payout: value('missing_click_id_payout'),
      outside_window_payout: value('outside_window_payout'),
    };
  }

  findDuplicates(keyColumns: 'click_id' | 'click_id+event+txid'): { groups: number; extra: number; extra_payout: number } {
    this.run('DROP TABLE IF EXISTS rc_dup');
    this.run(this.duplicatesSql(keyColumns));
    const [row] = this.select('SELECT uniqExact(first_id) AS groups, count() AS extra, sum(payout) AS extra_payout FROM rc_dup');
    return { groups: int(row?.groups), extra: int(row?.extra), extra_payout: int(row?.extra_payout) };
  }

  findDuplicateClicks(): number {
    this.ensureClicks();
    this.run('DROP TABLE IF EXISTS rc_dupclick');
    this.run(this.duplicateClicksSql());
    return int(this.select<{ n: string }>('SELECT count() AS n FROM rc_dupclick')[0]?.n);
  }

  currenciesAtStake(): string[] {
    return this.select<{ currency: string }>(
      `SELECT DISTINCT currency FROM (
  SELECT currency FROM rc_cls WHERE (NOT matched OR outside) AND currency IS NOT NULL
  UNION ALL
  SELECT currency FROM rc_c WHERE id IN (SELECT id FROM rc_dup) AND currency IS NOT NULL)
WHERE trimBoth(currency) != '' ORDER BY currency`,
    ).map((row) => row.currency);
  }

  /** naive: rows whose conversion or earliest click was read without an offset (--timezone can move them). */
  commonBeforeClickOffset(): { hours: number; rows: number; naive: number } | null {
    if (this.layout.clicks.details) return this.commonBeforeClickOffsetByDetails(this.layout.clicks.details);
    const [row] = this.select<{ hours: string; rows: string; naive: string }>(
      `SELECT toInt64(round(d)) AS hours, count() AS rows, sum(naive_row) AS naive FROM (
  SELECT (b.first_ts - b.ts) / 3600000.0 AS d, toUInt8(b.naive OR ifNull(k.naive, 0)) AS naive_row
  FROM (SELECT id, click_id, ts, first_ts, naive FROM rc_cls WHERE before) AS b
  LEFT JOIN (SELECT click_id, ts, argMin(naive, id) AS naive FROM rc_k WHERE click_id IN (SELECT click_id FROM rc_cls WHERE before) GROUP BY click_id, ts) AS k
    ON k.click_id = b.click_id AND k.ts = b.first_ts
  SETTINGS join_use_nulls = 1)
WHERE round(d) >= 1 AND abs(d - round(d)) <= 5.0 / 60 + 1e-9
GROUP BY hours ORDER BY rows DESC, hours ASC LIMIT 1`,
    );
    return row ? { hours: int(row.hours), rows: int(row.rows), naive: int(row.naive) } : null;
  }

  /**
   * The same answer when rc_k holds no naive flag: the near-whole-hour rows come back, the click
   * each is measured against is looked up (the lowest id at the earliest time, as argMin above),
   * and the clicks' flags come from the layout.
   */
  private commonBeforeClickOffsetByDetails(details: NonNullable<TableLayout['details']>): { hours: number; rows: number; naive: number } | null {
    const near = this.select<{ id: string; hours: string; naive: string }>(
      `SELECT id, toInt64(round(d)) AS hours, naive FROM (
  SELECT id, (first_ts - ts) / 3600000.0 AS d, naive FROM rc_cls WHERE before)
WHERE round(d) >= 1 AND abs(d - round(d)) <= 5.0 / 60 + 1e-9`,
    );
    if (near.length === 0) return null;
    const first = this.firstClicks(-1);
    const rows = near.map((row) => ({ ...row, kid: first.has(int(row.id)) ? String(first.get(int(row.id))) : null }));
    const clickIds = [...new Set(rows.filter((row) => int(row.naive) === 0 && row.kid !== null).map((row) => int(row.kid)))];
    const clickNaive = clickIds.length > 0 ? details(clickIds) : new Map<number, { naive: number }>();
    const byHours = new Map<number, { rows: number; naive: number }>();
    for (const row of rows) {
      const hours = int(row.hours);
      const naive = int(row.naive) !== 0 || (row.kid !== null && (clickNaive.get(int(row.kid))?.naive ?? 0) !== 0) ? 1 : 0;
      const entry = byHours.get(hours) ?? { rows: 0, naive: 0 };
      entry.rows += 1;
      entry.naive += naive;
      byHours.set(hours, entry);
    }
    let best: { hours: number; rows: number; naive: number } | null = null;
    for (const [hours, entry] of byHours) {
      if (!best || entry.rows > best.rows || (entry.rows === best.rows && hours < best.hours)) best = { hours, ...entry };
    }
    return best;
  }

  unmatchedIds(): UnmatchedId[] {
    const ids = this.select<{ click_id: string; rows: string }>(
      'SELECT click_id, count() AS rows FROM rc_cls WHERE has_id AND NOT matched GROUP BY click_id ORDER BY rows DESC, click_id ASC',
    ).map((row) => ({ click_id: row.click_id, rows: int(row.rows) }));
    this.fetchHints(ids.map((row) => row.click_id));
    return ids;
  }

  private clickRow(row: RawClick): ClickRow {
    return { id: int(row.id), source: row.source, file: row.file, line: intOrNull(row.line), click_id: row.click_id ?? '', occurred_at: iso(intOrNull(row.ts)) };
  }

  /**
   * One query for every exact candidate of every unmatched id (after undoing an encoding) and one
   * for the truncation prefixes, instead of one indexed lookup per id as SQLite does.
   */
  private fetchHints(ids: readonly string[]): void {
    this.hintsFetched = true;
    if (ids.length === 0) return;
    const candidates = new Set<string>();
    for (const id of ids) for (const candidate of candidateIds(id)) candidates.add(candidate.candidate);
    const t = this.runner.scratchTable;
    if (this.tpbRead) {
      this.run('DROP TABLE IF EXISTS rc_uid');
      this.run(`CREATE ${t} rc_uid (value String) ENGINE = Memory`);
      this.runner.insertStrings('rc_uid', ids);
      const rows = this.clicks<RawClick>(`SELECT ${this.clickColumns()} FROM rc_tpb WHERE click_id IN (SELECT value FROM rc_uid) ORDER BY click_id, id LIMIT 1 BY click_id`);
      for (const row of rows) this.tpbClicks.set(row.click_id ?? '', this.clickRow(row));
    }
    if (candidates.size > 0) {
      this.run('DROP TABLE IF EXISTS rc_cand');
      this.run(`CREATE ${t} rc_cand (value String) ENGINE = Memory`);
      this.runner.insertStrings('rc_cand', [...candidates]);
      const rows = this.clicks<RawClick>(
        `SELECT ${this.clickColumns()} FROM rc_k WHERE click_id IN (SELECT value FROM rc_cand)
ORDER BY click_id, ts ASC NULLS FIRST, id ASC LIMIT 1 BY click_id`,
      );
      for (const row of rows) this.exactClicks.set(row.click_id ?? '', this.clickRow(row));
    }
    const prefixes = [...new Set(ids.filter((id) => [...id].length >= 4))];
    if (prefixes.length > 0) {
      this.run('DROP TABLE IF EXISTS rc_prefix');
      this.run(`CREATE ${t} rc_prefix (value String) ENGINE = Memory`);
      this.runner.insertStrings('rc_prefix', prefixes);
      const lengths = [...new Set(prefixes.map((id) => [...id].length))].sort((a, b) => a - b);
      // Pre-filter on the shortest prefix's length: a click that starts with any of them starts
      // with that many of its characters. (A fixed 4 let nearly every click through when tens of
      // thousands of random hex ids were unmatched: 4 hex characters have only 65,536 values.)
      const shortest = lengths[0]!;
      const rows = this.clicks<RawClick & { prefix: string }>(
        `SELECT prefix, ${CLICK_COLUMNS} FROM (
  SELECT substringUTF8(click_id, 1, len) AS prefix, ${CLICK_COLUMNS}
  FROM (SELECT ${this.clickColumns()} FROM rc_k WHERE substringUTF8(click_id, 1, ${shortest}) IN (SELECT substringUTF8(value, 1, ${shortest}) FROM rc_prefix))
  ARRAY JOIN {lengths:Array(UInt32)} AS len
  WHERE lengthUTF8(click_id) > len)
WHERE prefix IN (SELECT value FROM rc_prefix)
ORDER BY prefix, click_id, id LIMIT 2 BY prefix`,
        { lengths },
      );
      for (const row of rows) {
        const list = this.prefixClicks.get(row.prefix) ?? [];
        list.push(this.clickRow(row));
        this.prefixClicks.set(row.prefix, list);
      }
    }
  }

  clickWithId(clickId: string): ClickRow | undefined {
    if (this.hintsFetched) return this.exactClicks.get(clickId);
    const [row] = this.clicks<RawClick>(`SELECT ${this.clickColumns()} FROM rc_k WHERE click_id = {clickId:String} ORDER BY ts ASC NULLS FIRST, id ASC LIMIT 1`, { clickId });
    return row ? this.clickRow(row) : undefined;
  }

  clicksStartingWith(prefix: string): ClickRow[] {
    if (this.hintsFetched && [...prefix].length >= 4) return this.prefixClicks.get(prefix) ?? [];
    return this.clicks<RawClick>(
      `SELECT ${this.clickColumns()} FROM rc_k WHERE startsWith(click_id, {prefix:String}) AND click_id != {prefix:String} ORDER BY click_id, id LIMIT 2`,
      { prefix },
    ).map((row) => this.clickRow(row));
  }

  sampleClickIds(count: number): string[] {
    this.ensureClicks();
    const bounds = this.layout.clickIdBounds
      ? this.layout.clickIdBounds()
      : (() => {
          const [row] = this.select<{ low: string | null; high: string | null; n: string }>('SELECT min(id) AS low, max(id) AS high, count() AS n FROM rc_k');
          return { low: int(row?.n) === 0 ? null : intOrNull(row?.low), high: int(row?.n) === 0 ? null : intOrNull(row?.high) };
        })();
    if (bounds.low === null || bounds.high === null) return [];
    const step = Math.max(1, Math.floor((bounds.high - bounds.low + 1) / count));
    const spread = this.select<{ click_id: string }>(
      `SELECT click_id FROM rc_k WHERE id IN (SELECT toInt64({low:Int64} + number * {step:Int64}) FROM numbers({count:UInt64}))
  AND click_id IS NOT NULL AND click_id != '' ORDER BY id`,
      { low: bounds.low, step, count },
    );
    if (spread.length >= Math.min(count, 50)) return spread.map((row) => row.click_id);
    return this.select<{ click_id: string }>("SELECT click_id FROM rc_k WHERE click_id IS NOT NULL AND click_id != '' ORDER BY id LIMIT {count:UInt64}", { count }).map(
      (row) => row.click_id,
    );
  }

  // --- finding rows ----------------------------------------------------------------------------

  private limitClause(limit: number): string {
    return limit < 0 ? '' : ` LIMIT ${Math.floor(limit)}`;
  }

  private conversionAt(row: RawConversion): string | null {
    return this.layout.conversions.canonicalText ? row.at : (iso(intOrNull(row.ts)) ?? row.at);
  }

  private conversionRowsByIds(idsSql: string): Map<number, RawConversion> {
    if (this.layout.conversions.conversionDetails) {
      const ids = this.select<{ id: string }>(idsSql).map((row) => int(row.id));
      return this.conversionsByDetails(this.layout.conversions.conversionDetails, ids.sort((a, b) => a - b));
    }
    const rows = this.select<RawConversion>(`SELECT ${CONVERSION_COLUMNS} FROM rc_c WHERE id IN (${idsSql}) ORDER BY id`);
    return new Map(rows.map((row) => [int(row.id), row]));
  }

  /** Conversion rows from where they live, by row id (tpb's SQLite file: a rowid probe each). */
  private conversionsByDetails(details: NonNullable<TableLayout['conversionDetails']>, ids: readonly number[]): Map<number, RawConversion> {
    const found = details(ids);
    const rows = new Map<number, RawConversion>();
    const text = (value: number | null) => (value === null ? null : String(value));
    for (const id of ids) {
      const row = found.get(id);
      if (!row) continue;
      rows.set(id, {
        id: String(id),
        source: row.source,
        file: row.file,
        line: text(row.line),
        click_id: row.click_id,
        txid: row.txid,
        event: row.event,
        status: row.status,
        at: row.at,
        ts: null, // a layout with details prints its canonical text (canonicalText)
        payout: text(row.payout),
        currency: row.currency,
        conversion_id: row.conversion_id,
      });
    }
    return rows;
  }

  /**
   * Conversion rows by id, the ids bound as a parameter and at most ID_BATCH at a time: ids
   * written into the SQL text overflowed ClickHouse's max_query_size (256 KiB) at 10,000,000 ×
   * 2,000,000, where the duplicate findings alone name ~80,000 ids.
   */
  private conversionRowsByIdList(ids: readonly number[]): Map<number, RawConversion> {
    if (this.layout.conversions.conversionDetails) return this.conversionsByDetails(this.layout.conversions.conversionDetails, [...new Set(ids)].sort((a, b) => a - b));
    const found = new Map<number, RawConversion>();
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      const rows = this.select<RawConversion>(`SELECT ${CONVERSION_COLUMNS} FROM rc_c WHERE id IN {ids:Array(Int64)} ORDER BY id`, { ids: ids.slice(i, i + ID_BATCH) });
      for (const row of rows) found.set(int(row.id), row);
    }
    return found;
  }

  /**
   * Click rows by id. Where the layout gives clicks by id, from there (a rowid probe each, instead
   * of a pass over every click per batch); the instant of a stored time that is not tpb's canonical
   * text is still read from rc_k, where ClickHouse computed it.
   */
  private clickRowsByIds(ids: readonly number[]): Map<number, RawClick> {
    const found = new Map<number, RawClick>();
    const details = this.layout.clicks.details;
    if (details) {
      const rows = details([...new Set(ids)]);
      const parse: number[] = [];
      for (const [id, row] of rows) {
        const ts = canonicalInstant(row.at);
        if (ts === undefined) parse.push(id);
        found.set(id, { id: String(id), source: row.source, file: row.file, line: row.line === null ? null : String(row.line), click_id: row.click_id, ts: ts === undefined || ts === null ? null : String(ts) });
      }
      for (let i = 0; i < parse.length; i += ID_BATCH) {
        for (const row of this.select<{ id: string; ts: string | null }>('SELECT id, ts FROM rc_k WHERE id IN {ids:Array(Int64)}', { ids: parse.slice(i, i + ID_BATCH) })) {
          found.get(int(row.id))!.ts = row.ts;
        }
      }
      return found;
    }
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      const rows = this.clicks<RawClick>(`SELECT ${this.clickColumns()} FROM rc_k WHERE id IN {ids:Array(Int64)}`, { ids: ids.slice(i, i + ID_BATCH) });
      for (const row of rows) found.set(int(row.id), row);
    }
    return found;
  }

  private finding(row: RawConversion, groupSize: number | null = null): FindingRow {
    return {
      id: int(row.id),
      source: row.source,
      file: row.file,
      line: intOrNull(row.line),
      click_id: row.click_id,
      txid: row.txid,
      event: row.event,
      status: row.status,
      occurred_at: this.conversionAt(row),
      payout_micros: intOrNull(row.payout),
      currency: row.currency,
      conversion_id: row.conversion_id,
      group_size: groupSize,
      rel_id: null,
      rel_source: null,
      rel_file: null,
      rel_line: null,
      rel_click_id: null,
      rel_occurred_at: null,
      rel_payout_micros: null,
      rel_status: null,
    };
  }

  private withClick(finding: FindingRow, click: RawClick | undefined): FindingRow {
    if (!click) return finding;
    return {
      ...finding,
      rel_id: int(click.id),
      rel_source: click.source,
      rel_file: click.file,
      rel_line: intOrNull(click.line),
      rel_click_id: click.click_id,
      rel_occurred_at: iso(intOrNull(click.ts)),
    };
  }

  private withConversion(finding: FindingRow, other: RawConversion | undefined): FindingRow {
    if (!other) return finding;
    return {
      ...finding,
      rel_id: int(other.id),
      rel_source: other.source,
      rel_file: other.file,
      rel_line: intOrNull(other.line),
      rel_click_id: other.click_id,
      rel_occurred_at: this.conversionAt(other),
      rel_payout_micros: intOrNull(other.payout),
      rel_status: other.status,
    };
  }

  private plainRows(where: string, limit: number): FindingRow[] {
    const rows = this.conversionRowsByIds(`SELECT id FROM rc_cls WHERE ${where} ORDER BY id${this.limitClause(limit)}`);
    return [...rows.values()].map((row) => this.finding(row));
  }

  unmatchedRows(limit: number): FindingRow[] {
    return this.plainRows('has_id AND NOT matched', limit);
  }

  missingClickIdRows(limit: number): FindingRow[] {
    return this.plainRows('NOT has_id', limit);
  }

  /**
   * The click each before-click conversion is measured against: the lowest row id at the earliest
   * time of its click id (picking it while classifying costs more than this one pass, which only
   * probes the few before-click ids).
   */
  private allFirstClicks: Map<number, number> | undefined;

  private firstClicks(limit: number): Map<number, number> {
    // the offset hint asked for all of them already: the findings take theirs from that
    if (this.allFirstClicks) return this.allFirstClicks;
    const rows = this.select<{ id: string; kid: string }>(
      `SELECT b.id AS id, k.kid AS kid
FROM (SELECT id, click_id, first_ts FROM rc_cls WHERE before ORDER BY id${this.limitClause(limit)}) AS b
INNER JOIN (SELECT click_id, ts, min(id) AS kid FROM rc_k
  WHERE click_id IN (SELECT click_id FROM (SELECT click_id FROM rc_cls WHERE before ORDER BY id${this.limitClause(limit)})) GROUP BY click_id, ts) AS k
  ON k.click_id = b.click_id AND k.ts = b.first_ts`,
    );
    const found = new Map(rows.map((row) => [int(row.id), int(row.kid)]));
    if (limit < 0) this.allFirstClicks = found;
    return found;
  }

  /**
   * Conversion rows with their click: the earliest of their click id, or the anchor (the latest at
   * or before the conversion, picked while classifying), each the lowest row id at its time.
   */
  private rowsWithClick(where: string, kids: (limit: number) => Map<number, number>, limit: number): FindingRow[] {
    const conversions = this.conversionRowsByIds(`SELECT id FROM rc_cls WHERE ${where} ORDER BY id${this.limitClause(limit)}`);
    if (conversions.size === 0) return [];
    const byConversion = kids(limit);
    const clicks = this.clickRowsByIds([...new Set(byConversion.values())]);
    return [...conversions.values()].map((conversion) => {
      const kid = byConversion.get(int(conversion.id));
      return this.withClick(this.finding(conversion), kid === undefined ? undefined : clicks.get(kid));
    });
  }

  private anchorClicks(limit: number): Map<number, number> {
    const rows = this.select<{ id: string; kid: string }>(`SELECT id, anchor_click AS kid FROM rc_cls WHERE outside ORDER BY id${this.limitClause(limit)}`);
    return new Map(rows.map((row) => [int(row.id), int(row.kid)]));
  }

  beforeClickRows(limit: number): FindingRow[] {
    return this.rowsWithClick('before', (n) => this.firstClicks(n), limit);
  }

  outsideWindowRows(limit: number): FindingRow[] {
    return this.rowsWithClick('outside', (n) => this.anchorClicks(n), limit);
  }

  duplicateRows(limit: number): FindingRow[] {
    const picked = this.select<{ id: string; first_id: string; group_size: string }>(
      `SELECT id, first_id, group_size FROM (SELECT id, first_id, count() OVER (PARTITION BY first_id) + 1 AS group_size FROM rc_dup) ORDER BY id${this.limitClause(limit)}`,
    );
    if (picked.length === 0) return [];
    const ids = picked.flatMap((row) => [int(row.id), int(row.first_id)]);
    const conversions = this.conversionRowsByIdList(ids);
    return picked.map((row) => {
      const conversion = conversions.get(int(row.id));
      if (!conversion) throw new Error(`conversion ${row.id} vanished from rc_c`);
      return this.withConversion(this.finding(conversion, int(row.group_size)), conversions.get(int(row.first_id)));
    });
  }

  duplicateClickRows(limit: number): FindingRow[] {
    // each group's first and second click (by row id) were picked by the GROUP BY that found it
    const groups = this.select<{ source: string; click_id: string; n: string; first_id: string; second_id: string }>(
      `SELECT dup_source AS source, click_id, n, first_id, second_id FROM rc_dupclick ORDER BY first_id${this.limitClause(limit)}`,
    );
    if (groups.length === 0) return [];
    const seconds = this.clickRowsByIds(groups.map((group) => int(group.second_id)));
    const second = new Map(groups.map((group) => [group.first_id, seconds.get(int(group.second_id))]));
    const firsts = this.clickRowsByIds(groups.map((group) => int(group.first_id)));
    return groups.map((group) => {
      const first = firsts.get(int(group.first_id));
      if (!first) throw new Error(`click ${group.first_id} vanished from rc_k`);
      const row: FindingRow = {
        id: int(first.id),
        source: first.source,
        file: first.file,
        line: intOrNull(first.line),
        click_id: first.click_id,
        txid: null,
        event: null,
        status: null,
        occurred_at: iso(intOrNull(first.ts)),
        payout_micros: null,
        currency: null,
        conversion_id: null,
        group_size: int(group.n),
        rel_id: null,
        rel_source: null,
        rel_file: null,
        rel_line: null,
        rel_click_id: null,
        rel_occurred_at: null,
        rel_payout_micros: null,
        rel_status: null,
      };
      return this.withClick(row, second.get(group.first_id));
    });
  }

  // --- compare mode ----------------------------------------------------------------------------

  private statusParams: { spellings: string[]; canonicals: string[] } = { spellings: [], canonicals: [] };

  prepareComparison(a: string, b: string, keyByTxid: boolean, statusPairs: ReadonlyArray<readonly [string, string]>): void {
    this.ensureConversions();
    const seen = new Set<string>();
    const spellings: string[] = [];
    const canonicals: string[] = [];
    for (const [spelling, canonical] of statusPairs) {
      if (seen.has(spelling)) continue; // INSERT OR IGNORE: the first spelling wins
      seen.add(spelling);
      spellings.push(spelling);
      canonicals.push(canonical);
    }
    this.statusParams = { spellings, canonicals };
    this.run('DROP TABLE IF EXISTS rc_side');
    this.run(
      `CREATE ${this.runner.scratchTable} rc_side ENGINE = Memory AS
SELECT if(source = {sideA:String}, 'a', 'b') AS side, click_id, ${keyByTxid ? "ifNull(txid, '')" : "''"} AS txkey, min(id) AS id
FROM rc_c WHERE source IN ({sideA:String}, {sideB:String}) AND has_id
GROUP BY side, click_id, txkey`.replaceAll('{sideA:String}', this.bindString(a)).replaceAll('{sideB:String}', this.bindString(b)),
    );
  }

  private bindString(value: string): string {
    return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  }

  countPairedKeys(): number {
    return int(this.select<{ n: string }>("SELECT count() AS n FROM rc_side AS a INNER JOIN (SELECT click_id, txkey FROM rc_side WHERE side = 'b') AS b ON a.click_id = b.click_id AND a.txkey = b.txkey WHERE a.side = 'a'")[0]?.n);
  }

  private onlyIn(side: 'a' | 'b'): string {
    const other = side === 'a' ? 'b' : 'a';
    return `SELECT s1.id AS id FROM (SELECT id, click_id, txkey FROM rc_side WHERE side = '${side}') AS s1
LEFT ANTI JOIN (SELECT click_id, txkey FROM rc_side WHERE side = '${other}') AS s2 ON s1.click_id = s2.click_id AND s1.txkey = s2.txkey`;
  }

  private canonicalStatus(column: string): string {
    const spelled = `lower(${trimBlank(column)})`;
    return `transform(${spelled}, {statusSpellings:Array(String)}, {statusCanonicals:Array(String)}, ${spelled})`;
  }

  private pairsSql(condition: 'payout' | 'status'): string {
    const differs =
      condition === 'payout'
        ? 'ca.payout IS NOT NULL AND cb.payout IS NOT NULL AND abs(ca.payout - cb.payout) > {tolerance:Int64}'
        : `${trimBlank("ifNull(ca.status, '')")} != '' AND ${trimBlank("ifNull(cb.status, '')")} != '' AND ${this.canonicalStatus('ca.status')} != ${this.canonicalStatus('cb.status')}`;
    return `SELECT a.id AS id, b.id AS rel FROM (SELECT id, click_id, txkey FROM rc_side WHERE side = 'a') AS a
INNER JOIN (SELECT id, click_id, txkey FROM rc_side WHERE side = 'b') AS b ON a.click_id = b.click_id AND a.txkey = b.txkey
INNER JOIN (SELECT id, payout, status FROM rc_c) AS ca ON ca.id = a.id
INNER JOIN (SELECT id, payout, status FROM rc_c) AS cb ON cb.id = b.id
WHERE ${differs}`;
  }

  private compareParams(tolerance = 0): Record<string, unknown> {
    return { statusSpellings: this.statusParams.spellings, statusCanonicals: this.statusParams.canonicals, tolerance };
  }

  compareCounts(toleranceMicros: number): {
    missing_in_a: number;
    missing_in_b: number;
    payout_mismatch: number;
    status_mismatch: number;
    missing_in_a_payout: number;
    missing_in_b_payout: number;
    payout_mismatch_payout: number;
  } {
    const params = this.compareParams(toleranceMicros);
    const get = (sql: string) => this.select<{ n: string; payout: string | null }>(sql, params)[0];
    const missing = (side: 'a' | 'b') => get(`SELECT count() AS n, sum(c.payout) AS payout FROM (${this.onlyIn(side)}) AS s INNER JOIN (SELECT id, payout FROM rc_c) AS c ON c.id = s.id`);
    const inB = missing('b');
    const inA = missing('a');
    const payout = get(`SELECT count() AS n, sum(abs(pa - pb)) AS payout FROM (${this.pairsSql('payout').replace('SELECT a.id AS id, b.id AS rel', 'SELECT a.id AS id, b.id AS rel, ca.payout AS pa, cb.payout AS pb')})`);
    const counts = {
      missing_in_a: int(inB?.n),
      missing_in_b: int(inA?.n),
      payout_mismatch: int(payout?.n),
      status_mismatch: int(get(`SELECT count() AS n, 0 AS payout FROM (${this.pairsSql('status')})`)?.n),
    };
    const payouts = { missing_in_a_payout: int(inB?.payout), missing_in_b_payout: int(inA?.payout), payout_mismatch_payout: int(payout?.payout) };
    return (COMPARE_PAYOUTS ? { ...counts, ...payouts } : counts) as typeof counts & typeof payouts;
  }

  missingInARows(limit: number): FindingRow[] {
    const rows = this.conversionRowsByIds(`SELECT id FROM (${this.onlyIn('b')}) ORDER BY id${this.limitClause(limit)}`);
    return [...rows.values()].map((row) => this.finding(row));
  }

  missingInBRows(limit: number): FindingRow[] {
    const rows = this.conversionRowsByIds(`SELECT id FROM (${this.onlyIn('a')}) ORDER BY id${this.limitClause(limit)}`);
    return [...rows.values()].map((row) => this.finding(row));
  }

  private pairRows(condition: 'payout' | 'status', limit: number, tolerance: number): FindingRow[] {
    const pairs = this.select<{ id: string; rel: string }>(`SELECT id, rel FROM (${this.pairsSql(condition)}) ORDER BY id${this.limitClause(limit)}`, this.compareParams(tolerance));
    if (pairs.length === 0) return [];
    const ids = pairs.flatMap((pair) => [int(pair.id), int(pair.rel)]);
    const conversions = this.conversionRowsByIdList(ids);
    return pairs.map((pair) => this.withConversion(this.finding(conversions.get(int(pair.id))!), conversions.get(int(pair.rel))));
  }

  payoutMismatchRows(limit: number, toleranceMicros: number): FindingRow[] {
    return this.pairRows('payout', limit, toleranceMicros);
  }

  statusMismatchRows(limit: number): FindingRow[] {
    return this.pairRows('status', limit, 0);
  }
}
