import type { Store } from './db.js';

/**
 * The SQL of reconcile's breakdowns, daily series, lag and maturity. It reads reconcile's
 * temporary tables (`rc_conv`: one row per conversion in scope with its earliest and, when late,
 * its credited click time, and the credited click's rowid; `rc_dup`: duplicate rows beyond the first), so it runs on the same
 * connection inside reconcile's transaction, after classification and before they are dropped.
 * The category predicates are the ones src/store/reconcile.ts counts the summary with; a test
 * checks that every breakdown's groups add up to the summary.
 *
 * Group keys are column expressions chosen from a fixed list (never text from the user), and every
 * value is bound.
 */

/** What a group can be keyed by. `bucket`: the conversion's UTC quarter hour ("2026-03-01T10:2" = 10:30–10:45). */
export type GroupKey = 'source' | 'offer' | 'affiliate' | 'sub1' | 'sub2' | 'sub3' | 'sub4' | 'sub5' | 'event' | 'status' | 'currency' | 'bucket';

const CLICK_FALLBACK: Partial<Record<GroupKey, string>> = {
  offer: 'offer_id',
  affiliate: 'affiliate_id',
  sub1: 'sub1',
  sub2: 'sub2',
  sub3: 'sub3',
  sub4: 'sub4',
  sub5: 'sub5',
};

/** Whether breakdowns by these fields read the credited click (a key that falls back to the click's field). */
export function needsCreditedClick(by: readonly (readonly string[])[]): boolean {
  return by.some((fields) => fields.some((field) => CLICK_FALLBACK[field as GroupKey] !== undefined));
}

const BLANK = 'char(32, 9, 10, 13)';

/** A value, or NULL when it is empty: NULL and '' are the same group. */
function valueOf(expression: string): string {
  return `nullif(trim(${expression}, ${BLANK}), '')`;
}

function keyExpression(key: GroupKey): string {
  switch (key) {
    // rc_conv carries the conversion's source, currency and time: no join to conversions for them.
    case 'source':
    case 'currency':
      return valueOf(`r.${key}`);
    case 'event':
    case 'status':
      return valueOf(`c.${key}`);
    case 'bucket':
      return "substr(r.occurred_at, 1, 14) || (CAST(substr(r.occurred_at, 15, 2) AS INTEGER) / 15)";
    default: {
      const column = CLICK_FALLBACK[key]!;
      return `coalesce(${valueOf(`c.${column}`)}, ${valueOf(`k.${column}`)})`;
    }
  }
}

export interface GroupCountRow {
  /** k0, k1…: the key values, in the order asked. */
  [key: `k${number}`]: string | null;
  conversions: number;
  matched: number;
  unmatched: number;
  missing_click_id: number;
  duplicate_extra: number;
  before_click: number;
  outside_window: number;
  unmatched_payout: number;
  missing_click_id_payout: number;
  duplicate_extra_payout: number;
  outside_window_payout: number;
}

export interface LagBinRow {
  /** Display bucket index (from the edges given). */
  bucket: number;
  /** Fine bin: about 2 % wide on a log scale. */
  bin: number;
  n: number;
  min_s: number;
  max_s: number;
}

export interface ClickSlotRow {
  slot: number;
  clicks: number;
}

export interface BreakdownScope {
  /** Click sources reconcile matched against; null = every click. */
  clickSources: readonly string[] | null;
  windowMs: number;
}

export class BreakdownQueries {
  private readonly params: Record<string, unknown>;
  private readonly clickFilter: string;
  private creditFilled = false;

  constructor(
    private readonly store: Store,
    scope: BreakdownScope,
  ) {
    this.params = { window: `+${(scope.windowMs / 1000).toFixed(3)} seconds`, clickSources: JSON.stringify(scope.clickSources ?? []) };
    this.clickFilter = scope.clickSources !== null ? 'AND k.source IN (SELECT value FROM json_each(@clickSources))' : '';
  }

  private get db() {
    return this.store.db;
  }

  /** Outside the window: reconcile's classification computed it once per conversion (rc_conv.late). */
  private readonly outsideWindow = '(r.late = 1)';
  private readonly beforeClick = "(r.first_click > '' AND r.occurred_at < r.first_click)";
  /** The click a conversion is credited to: the latest at or before it when it is late, else the earliest. */
  private readonly creditedAt = 'coalesce(r.anchor_click, r.first_click)';

  /**
   * rc_conv.credit (the credited click's rowid) for every matched conversion. Classification stored
   * it when one click carries the id, nearly always; the few whose id several clicks carry are
   * looked up here, once.
   */
  private ensureCredit(): void {
    if (this.creditFilled) return;
    this.db
      .prepare(
        `UPDATE rc_conv AS r SET credit = (SELECT k.id FROM clicks k WHERE k.click_id = r.click_id AND k.occurred_at IS nullif(${this.creditedAt}, '') ${this.clickFilter} ORDER BY k.id LIMIT 1)
         WHERE r.first_click IS NOT NULL AND r.credit IS NULL`,
      )
      .run(this.params);
    this.creditFilled = true;
  }

  /**
   * Counts per group of the conversions in scope; a group can come in two rows (see below), which
   * the caller adds up. `filter` narrows to conversions up to a time (`until`: ISO, inclusive) or
   * after it (`after`); both are bound.
   *
   * Two parts, their rows summed per group by the caller, and `plain` (never NULL) splits the
   * conversions exactly between them:
   * - the plain matches (matched, in the window, not before the click, not a duplicate: nearly every
   *   conversion) are only counted, so SQLite sorts narrow rows for them. When a key falls back to
   *   the credited click's field (offer, affiliate, sub1…), they are sorted by the click's rowid
   *   first and the clicks read in that order: at 1,000,000 clicks a read in conversion order
   *   misses the page cache nearly every time, and in rowid order each page is read once.
   * - the rest (a few percent) carry every category; their clicks are read directly.
   */
  groupCounts(keys: readonly GroupKey[], filter: { until?: string; after?: string } = {}): GroupCountRow[] {
    const needsClick = keys.some((key) => CLICK_FALLBACK[key] !== undefined);
    if (needsClick) this.ensureCredit();
    const group = keys.length === 0 ? '' : `GROUP BY ${keys.map((_, i) => `k${i}`).join(', ')}`;
    const where: string[] = [];
    if (filter.until !== undefined) where.push('r.occurred_at <= @until');
    if (filter.after !== undefined) where.push('r.occurred_at > @after');
    const whereAnd = (predicate: string) => `WHERE ${[...where, predicate].join(' AND ')}`;
    // The conversions table only for the keys rc_conv does not carry (event, status, offer…).
    const needsConversion = keys.some((key) => key === 'event' || key === 'status' || CLICK_FALLBACK[key] !== undefined);
    const conversions = `FROM rc_conv r ${needsConversion ? 'JOIN conversions c ON c.id = r.id' : ''} LEFT JOIN rc_dup d ON d.id = r.id`;
    const plain = `(r.first_click IS NOT NULL AND ifnull(${this.beforeClick}, 0) = 0 AND r.late = 0 AND d.id IS NULL)`;
    const counted = `count(*) AS conversions, count(*) AS matched, 0 AS unmatched, 0 AS missing_click_id, 0 AS duplicate_extra, 0 AS before_click,
        0 AS outside_window, 0 AS unmatched_payout, 0 AS missing_click_id_payout, 0 AS duplicate_extra_payout, 0 AS outside_window_payout`;
    let plainPart: string;
    if (needsClick) {
      // The conversion's own value of a click field, and every other key, inside; the click's outside.
      const inner = keys.map((key, i) => {
        const column = CLICK_FALLBACK[key];
        return `${column === undefined ? keyExpression(key) : valueOf(`c.${column}`)} AS s${i}`;
      });
      const outer = keys.map((key, i) => {
        const column = CLICK_FALLBACK[key];
        return `${column === undefined ? `s.s${i}` : `coalesce(s.s${i}, ${valueOf(`k.${column}`)})`} AS k${i}`;
      });
      // LIMIT -1 keeps the sorted subquery from being flattened into the grouping.
      plainPart = `SELECT ${[...outer, ''].join(', ')} ${counted}
        FROM (SELECT ${[...inner, 'r.credit AS credit'].join(', ')} ${conversions} ${whereAnd(plain)} ORDER BY r.credit LIMIT -1) s
        LEFT JOIN clicks k ON k.id = s.credit ${group}`;
    } else {
      plainPart = `SELECT ${[...keys.map((key, i) => `${keyExpression(key)} AS k${i}`), ''].join(', ')} ${counted} ${conversions} ${whereAnd(plain)} ${group}`;
    }
    const sql = `${plainPart}
      UNION ALL
      SELECT ${[...keys.map((key, i) => `${keyExpression(key)} AS k${i}`), ''].join(', ')}
        count(*) AS conversions,
        ifnull(sum(r.first_click IS NOT NULL), 0) AS matched,
        ifnull(sum(r.has_id AND r.first_click IS NULL), 0) AS unmatched,
        ifnull(sum(NOT r.has_id), 0) AS missing_click_id,
        ifnull(sum(d.id IS NOT NULL), 0) AS duplicate_extra,
        ifnull(sum(${this.beforeClick}), 0) AS before_click,
        ifnull(sum(${this.outsideWindow}), 0) AS outside_window,
        ifnull(sum(CASE WHEN r.has_id AND r.first_click IS NULL THEN r.payout END), 0) AS unmatched_payout,
        ifnull(sum(CASE WHEN NOT r.has_id THEN r.payout END), 0) AS missing_click_id_payout,
        ifnull(sum(d.payout), 0) AS duplicate_extra_payout,
        ifnull(sum(CASE WHEN ${this.outsideWindow} THEN r.payout END), 0) AS outside_window_payout
      ${conversions} ${needsClick ? 'LEFT JOIN clicks k ON k.id = r.credit' : ''} ${whereAnd(`NOT ${plain}`)} ${group}`;
    return this.db.prepare(sql).all({ ...this.params, ...filter }) as GroupCountRow[];
  }

  /** Duplicate groups with an extra row at or before `until`. */
  duplicateGroupsUntil(until: string): number {
    return (
      this.db.prepare('SELECT count(DISTINCT d.first_id) AS n FROM rc_dup d JOIN conversions c ON c.id = d.id WHERE c.occurred_at <= @until').get({ until }) as { n: number }
    ).n;
  }

  /** Compare mode: rows present on one side only whose conversion is later than `after`. */
  compareOnlyInAfter(after: string): { missing_in_a: number; missing_in_b: number } {
    const count = (side: 'a' | 'b') =>
      (
        this.db
          .prepare(
            `SELECT count(*) AS n FROM rc_side s1 JOIN conversions c ON c.id = s1.id WHERE s1.side = @side AND c.occurred_at > @after AND NOT EXISTS (
               SELECT 1 FROM rc_side s2 WHERE s2.side = @other AND s2.click_id = s1.click_id AND s2.txkey = s1.txkey)`,
          )
          .get({ side, other: side === 'a' ? 'b' : 'a', after }) as { n: number }
      ).n;
    return { missing_in_a: count('b'), missing_in_b: count('a') };
  }

  /** The latest conversion time in scope (the data's own clock). */
  latestConversion(): string | null {
    return (this.db.prepare('SELECT max(occurred_at) AS t FROM rc_conv').get() as { t: string | null }).t;
  }

  /**
   * Seconds from the credited click to each matched conversion not earlier than it, counted in
   * display buckets (`edgesSeconds`: ascending upper edges, inclusive like the window's boundary;
   * beyond the last is the last bucket) and
   * in fine log-scale bins for the percentiles.
   */
  lagBins(edgesSeconds: readonly number[]): LagBinRow[] {
    const lag = `round((julianday(r.occurred_at) - julianday(${this.creditedAt})) * 86400000.0) / 1000.0`;
    // One value per matched conversion, binned here: SQLite's GROUP BY sorts every row, a map
    // does not (at 2,000,000 conversions that is most of the insights' time).
    const statement = this.db.prepare(`SELECT ${lag} AS s FROM rc_conv r WHERE r.first_click > '' AND r.occurred_at >= ${this.creditedAt}`).pluck();
    const bins = new Map<number, LagBinRow>();
    const last = edgesSeconds.length;
    for (const value of statement.iterate() as IterableIterator<number>) {
      let bucket = 0;
      while (bucket < last && !(value <= edgesSeconds[bucket]!)) bucket += 1;
      const bin = Math.trunc(Math.log(value + 1) * 50);
      const key = bin * (last + 1) + bucket;
      const row = bins.get(key);
      if (row === undefined) bins.set(key, { bucket, bin, n: 1, min_s: value, max_s: value });
      else {
        row.n += 1;
        if (value < row.min_s) row.min_s = value;
        if (value > row.max_s) row.max_s = value;
      }
    }
    return [...bins.values()].sort((a, b) => a.bin - b.bin || a.bucket - b.bucket);
  }

  /**
   * Clicks in scope after `after` and not after `until` (ISO), counted per slot of `slotSeconds`
   * (slot n starts at n × slotSeconds after the epoch).
   */
  clicksBetween(after: string, until: string, slotSeconds: number): ClickSlotRow[] {
    return this.db
      .prepare(
        `SELECT CAST(floor((julianday(k.occurred_at) - 2440587.5) * 86400.0 / @slot) AS INTEGER) AS slot, count(*) AS clicks
         FROM clicks k WHERE k.occurred_at > @after AND k.occurred_at <= @until ${this.clickFilter} GROUP BY 1 ORDER BY 1`,
      )
      .all({ ...this.params, after, until, slot: slotSeconds }) as ClickSlotRow[];
  }

  dispose(): void {
    this.creditFilled = false;
  }
}
