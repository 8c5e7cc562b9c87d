import path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import type { Store } from '../store/db.js';
import { needsCreditedClick } from '../store/breakdown.js';
import { withRowScope } from '../store/row-scope.js';
import type { ClickRow, FindingRow, SourceCount } from '../store/reconcile.js';
import { sqliteBackend } from './engines/sqlite.js';
import { isBackend, type ReconcileBackend, type ReconcileSource } from './engines/types.js';
import {
  candidateIds,
  describeSteps,
  detectLiteralMacro,
  encodingCause,
  shapeMismatch,
  shapeOf,
  type IdShape,
} from './click-id-diagnosis.js';
import { formatDuration, formatWindow } from '../units/duration.js';
import { formatMicros, microsToUnits } from '../units/micros.js';
import { normalizeStatus, statusSpellingPairs } from './status.js';
import { computeInsights } from './breakdown.js';
import {
  CLICK_SOURCE,
  DEFAULT_PAYOUT_TOLERANCE_MICROS,
  DEFAULT_WINDOW_MS,
  FIRE_SOURCE,
  SEVERITY,
  UNMATCHED_HINT_KINDS,
  type DedupeKey,
  type Finding,
  type FindingType,
  type HintKind,
  type ReconcileOptions,
  type ReconcileReport,
  type ReconcileSummary,
  type UnmatchedHintKind,
} from './types.js';

/** How many click ids the shape statistics look at. */
const SHAPE_SAMPLE = 2000;
/** A before_click offset hint needs at least this many rows to say "most". */
const MIN_OFFSET_ROWS = 3;
const HOUR_MS = 3_600_000;
const OFFSET_SLACK_MS = 5 * 60_000;

interface Diagnosis {
  kind: UnmatchedHintKind;
  hint: string;
  /** The literal macro or empty-ish value (for the summary hint). */
  literal?: string;
  click?: ClickRow;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function where(file: string | null, line: number | null, source: string | null): string {
  if (file) return `${path.basename(file)}${line === null ? '' : `:${line}`}`;
  return `${source ?? '?'}${line === null ? '' : ` #${line}`}`;
}

function sourcesText(counts: readonly SourceCount[]): string {
  return counts.length === 0 ? 'none' : counts.map((count) => `${count.source} (${count.rows})`).join(', ');
}

function emptySummary(): ReconcileSummary {
  return {
    conversions: 0,
    clicks: 0,
    matched: 0,
    match_rate: 0,
    unmatched: 0,
    unmatched_rate: 0,
    missing_click_id: 0,
    duplicate_groups: 0,
    duplicate_extra: 0,
    duplicate_clicks: 0,
    clicks_not_recorded: 0,
    before_click: 0,
    outside_window: 0,
    missing_in_a: 0,
    missing_in_b: 0,
    payout_mismatch: 0,
    status_mismatch: 0,
    payout_at_stake: { unmatched: 0, missing_click_id: 0, duplicate_extra: 0, outside_window: 0, missing_in_a: 0, missing_in_b: 0, payout_mismatch: 0, total: 0 },
    currencies: [],
    unmatched_by_hint: Object.fromEntries(UNMATCHED_HINT_KINDS.map((kind) => [kind, 0])) as Record<UnmatchedHintKind, number>,
    overlapping_conversions: 0,
    overlapping_clicks: 0,
  };
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 1e6) / 1e6;
}

/**
 * One copy of the values findings repeat (file paths, sources, events, statuses, currencies): each
 * row from SQLite is a new string, and at 10,000,000 clicks × 2,000,000 conversions the 180,000
 * findings otherwise hold 180,000 copies of the same path, twice.
 */
class Interner {
  private readonly seen = new Map<string, string>();
  of<T extends string | null>(value: T): T {
    if (value === null || value.length > 512) return value;
    const known = this.seen.get(value);
    if (known !== undefined) return known as T;
    if (this.seen.size < 50_000) this.seen.set(value, value);
    return value;
  }
}

function toFinding(type: FindingType, row: FindingRow, hint: string | null, hintKind: HintKind | null, intern: Interner): Finding {
  return {
    type,
    severity: SEVERITY[type],
    source: intern.of(row.source),
    file: intern.of(row.file),
    line: row.line,
    click_id: row.click_id,
    txid: row.txid,
    event: intern.of(row.event),
    status: intern.of(row.status),
    occurred_at: row.occurred_at,
    payout: microsToUnits(row.payout_micros),
    currency: intern.of(row.currency),
    conversion_id: row.conversion_id,
    hint,
    hint_kind: hintKind,
    count: row.group_size,
    related_source: intern.of(row.rel_source),
    related_file: intern.of(row.rel_file),
    related_line: row.rel_line,
    related_click_id: row.rel_click_id,
    related_occurred_at: row.rel_occurred_at,
    related_payout: microsToUnits(row.rel_payout_micros),
    related_status: intern.of(row.rel_status),
  };
}

function timeBetween(later: string | null, earlier: string | null): number | null {
  if (!later || !earlier) return null;
  const a = Date.parse(later);
  const b = Date.parse(earlier);
  return Number.isNaN(a) || Number.isNaN(b) ? null : a - b;
}

/**
 * Match the conversions in the store to clicks and report what will not be paid and why.
 * Everything is computed in SQLite; hints are indexed lookups for the unmatched ids only.
 * Throws UsageError for contradictory options and InputError when there is nothing to reconcile.
 */
export function reconcile(store: Store | ReconcileBackend, options: ReconcileOptions = {}): ReconcileReport {
  if (options.rows) {
    // Only these runs' and imports' rows (tpb check): the store scopes the connection's tables.
    if (isBackend(store)) throw new UsageError('reconciling only some runs and imports needs the sqlite engine');
    const { rows, ...rest } = options;
    return withRowScope(store, rows, () => reconcile(store, rest));
  }
  const backend = isBackend(store) ? store : sqliteBackend(store);
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const dedupeKey: DedupeKey = options.dedupeKey ?? 'click_id+event+txid';
  const tolerance = options.payoutToleranceMicros ?? DEFAULT_PAYOUT_TOLERANCE_MICROS;
  const limit = options.limit ?? -1;
  const compare = options.compare;
  if (!(windowMs > 0)) throw new UsageError('the attribution window must be longer than 0', { hint: 'pass --window 30d, 90d, 12h…' });
  if (!Number.isInteger(tolerance) || tolerance < 0) throw new UsageError('the payout tolerance must be 0 or more');
  if (compare) {
    if (options.conversionsSource) {
      throw new UsageError('--compare and --conversions-source cannot be combined', { hint: '--compare <a> <b> already names the two conversion sources' });
    }
    if (compare[0] === compare[1]) throw new UsageError(`--compare needs two different sources (got ${quote(compare[0])} twice)`);
  }

  let started = Date.now();
  let cpuStarted = process.cpuUsage();
  const stage = (name: string) => {
    const now = Date.now();
    const cpu = process.cpuUsage(cpuStarted);
    options.onStage?.(name, now - started, Math.round((cpu.user + cpu.system) / 1000));
    started = now;
    cpuStarted = process.cpuUsage();
  };

  const status = (message: string) => options.onStatus?.(message);
  const n = (value: number) => value.toLocaleString('en-US');
  backend.prepare({
    onWait: () => status('waiting for another tpb process to finish writing…'),
    onBuild: (clicks, conversions) => status(`building indexes on ${n(clicks)} clicks and ${n(conversions)} conversions (once)…`),
  });
  stage('indexes');
  const excluded = options.conversionsSource || compare ? [] : [FIRE_SOURCE];

  // --- which clicks to match against ----------------------------------------------------------------
  // The tracker's click export is the record that pays; tpb click's own record of the same clicks
  // (tpb:click) is matched against only when it is all there is. Named sources must exist.
  const presentClickSources = backend.clickSourceNames();
  let clickSources: string[] | null;
  let excludedClickSources: string[] = [];
  if (options.clicksSource) {
    const unknown = options.clicksSource.filter((source) => !presentClickSources.includes(source));
    if (unknown.length > 0) {
      throw new UsageError(`--clicks-source: no clicks of source ${unknown.map(quote).join(', ')} in the database`, {
        hint: presentClickSources.length > 0 ? `click sources in the database: ${presentClickSources.join(', ')}` : 'the database has no clicks: ingest the tracker\'s click export (tpb ingest clicks.csv --kind clicks)',
      });
    }
    clickSources = [...new Set(options.clicksSource)];
  } else if (presentClickSources.includes(CLICK_SOURCE) && presentClickSources.length > 1) {
    clickSources = presentClickSources.filter((source) => source !== CLICK_SOURCE);
    excludedClickSources = [CLICK_SOURCE];
  } else {
    clickSources = null;
  }
  const usedClickSources = clickSources ?? presentClickSources;
  const checkRecorded = presentClickSources.includes(CLICK_SOURCE) && !usedClickSources.includes(CLICK_SOURCE) && usedClickSources.length > 0;

  const queries = backend.queries(
    {
      clickSources,
      conversionSources: compare ? [...compare] : options.conversionsSource ? [...options.conversionsSource] : null,
      excludedConversionSources: excluded,
    },
    windowMs,
  );

  const report: ReconcileReport = {
    version: 1,
    options: {
      clicks_source: options.clicksSource ? [...options.clicksSource] : null,
      click_sources: [...usedClickSources],
      excluded_click_sources: excludedClickSources,
      conversions_source: options.conversionsSource ? [...options.conversionsSource] : null,
      excluded_sources: excluded,
      window: formatWindow(windowMs),
      window_ms: windowMs,
      dedupe_key: dedupeKey,
      compare: null,
      payout_tolerance: microsToUnits(tolerance) ?? 0,
      limit: options.limit ?? null,
    },
    summary: emptySummary(),
    hints: [],
    overlaps: [],
    findings: [],
  };
  const summary = report.summary;

  const run = () => {
    // --- what is there to reconcile -----------------------------------------------------------
    let keyByTxid = true;
    if (compare) {
      const [a, b] = compare;
      const countA = queries.countConversionsOf(a);
      const countB = queries.countConversionsOf(b);
      for (const [name, count] of [[a, countA], [b, countB]] as const) {
        if (count.rows === 0) {
          throw new InputError(`no conversions of source ${quote(name)} to compare`, {
            hint: `sources in the database: ${sourcesText(queries.conversionSources())}; ingest the export with --source ${name}`,
          });
        }
      }
      keyByTxid = countA.with_txid > 0 && countB.with_txid > 0;
      report.options.compare = { a, b, key: keyByTxid ? 'click_id+txid' : 'click_id' };
      if (!keyByTxid) {
        const without = countA.with_txid === 0 ? a : b;
        report.hints.push({
          kind: 'compare_key',
          category: null,
          count: 0,
          message: `source ${quote(without)} has no txid on any row, so the sources are compared by click id alone`,
        });
      }
    } else if (queries.countConversionsInScope() === 0) {
      const present = queries.conversionSources();
      if (options.conversionsSource) {
        throw new InputError(`no conversions of source ${options.conversionsSource.map(quote).join(', ')} in the database`, {
          hint: `sources in the database: ${sourcesText(present)}`,
        });
      }
      if (present.length > 0) {
        throw new InputError(`the database holds only the conversions tpb fired (source ${FIRE_SOURCE}), nothing to reconcile them against`, {
          hint: `ingest the tracker's conversion export (tpb ingest conversions.csv --kind conversions), or compare: tpb reconcile --compare ${FIRE_SOURCE} <source>`,
        });
      }
      throw new InputError('the database has no conversions to reconcile', {
        hint: 'ingest a conversion export first: tpb ingest conversions.csv --kind conversions [--preset <tracker>], and the clicks: tpb ingest clicks.csv --kind clicks',
      });
    }

    // --- overlapping imports: counted once, left out of everything below ------------------------------
    report.overlaps = queries.findOverlaps();
    for (const overlap of report.overlaps) {
      if (overlap.kind === 'conversions') summary.overlapping_conversions += overlap.rows;
      else summary.overlapping_clicks += overlap.rows;
      const noun = overlap.kind === 'conversions' ? 'conversion' : 'click';
      report.hints.push({
        kind: 'overlap',
        category: null,
        count: overlap.rows,
        message:
          `${overlap.rows} ${noun} row${overlap.rows === 1 ? '' : 's'} of import ${overlap.import_id} repeat${overlap.rows === 1 ? 's' : ''} rows of import ${overlap.earlier_import_id} ` +
          `(source ${quote(overlap.source)}): overlapping exports — counted once (tpb db imports lists them; tpb db drop ${overlap.earlier_import_id}, or ingest with --replace, keeps one)`,
      });
    }
    stage('overlaps');

    summary.clicks = queries.countClicks();
    if (excludedClickSources.length > 0) {
      report.hints.push({
        kind: 'click_sources',
        category: null,
        count: 0,
        message: `matched against the clicks of ${usedClickSources.map(quote).join(', ')}, not the ${CLICK_SOURCE} clicks tpb click recorded (--clicks-source ${CLICK_SOURCE} to use those)`,
      });
    } else if (!options.clicksSource && usedClickSources.length === 1 && usedClickSources[0] === CLICK_SOURCE) {
      report.hints.push({
        kind: 'click_sources',
        category: null,
        count: 0,
        message: `matched against the clicks tpb click recorded (${CLICK_SOURCE}): no tracker click export is in the database, so a click the tracker lost still matches — ingest its click export (tpb ingest clicks.csv --kind clicks)`,
      });
    }
    const clickMatching = !compare || summary.clicks > 0;
    if (summary.clicks === 0 && !compare) {
      const present = queries.clickSources();
      report.hints.push({
        kind: 'no_clicks',
        category: 'unmatched',
        count: 0,
        message: options.clicksSource
          ? `no clicks of source ${options.clicksSource.map(quote).join(', ')} (click sources: ${sourcesText(present)}), so nothing can match`
          : 'the database has no clicks, so nothing can match: ingest the tracker\'s click export (tpb ingest clicks.csv --kind clicks)',
      });
    }
    stage('scope');

    // --- classify every conversion in one pass -------------------------------------------------
    status(`matching ${n(queries.countConversionsInScope())} conversions to ${n(summary.clicks)} clicks…`);
    queries.classifyConversions(options.insights !== undefined, needsCreditedClick(options.insights?.by ?? []));
    const counts = queries.scopeCounts();
    summary.conversions = counts.conversions;
    summary.missing_click_id = counts.missing_click_id;
    summary.payout_at_stake.missing_click_id = counts.missing_click_id_payout;
    if (clickMatching) {
      summary.matched = counts.matched;
      summary.unmatched = counts.unmatched;
      summary.before_click = counts.before_click;
      summary.outside_window = counts.outside_window;
      summary.payout_at_stake.unmatched = counts.unmatched_payout;
      summary.payout_at_stake.outside_window = counts.outside_window_payout;
    }
    stage('classify');

    status('finding duplicate conversions…');
    const duplicates = queries.findDuplicates(dedupeKey);
    summary.duplicate_groups = duplicates.groups;
    summary.duplicate_extra = duplicates.extra;
    summary.payout_at_stake.duplicate_extra = duplicates.extra_payout;
    stage('duplicates');
    status('finding duplicate clicks…');
    summary.duplicate_clicks = queries.findDuplicateClicks();
    stage('duplicate clicks');
    if (checkRecorded) {
      summary.clicks_not_recorded = queries.findClicksNotRecorded();
      stage('clicks not recorded');
    }

    if (compare) {
      queries.prepareComparison(compare[0], compare[1], keyByTxid, statusSpellingPairs());
      const compared = queries.compareCounts(tolerance);
      summary.missing_in_a = compared.missing_in_a;
      summary.missing_in_b = compared.missing_in_b;
      summary.payout_mismatch = compared.payout_mismatch;
      summary.status_mismatch = compared.status_mismatch;
      summary.payout_at_stake.missing_in_a = compared.missing_in_a_payout;
      summary.payout_at_stake.missing_in_b = compared.missing_in_b_payout;
      summary.payout_at_stake.payout_mismatch = compared.payout_mismatch_payout;
      stage('compare');
    }

    // --- diagnose the unmatched ids -------------------------------------------------------------
    const diagnoses = new Map<string, Diagnosis>();
    if (clickMatching && summary.unmatched > 0) {
      status(`diagnosing ${n(summary.unmatched)} unmatched conversions…`);
      const shape = summary.clicks > 0 ? shapeOf(queries.sampleClickIds(SHAPE_SAMPLE)) : null;
      const byKind = new Map<UnmatchedHintKind, { rows: number; literals: Map<string, number> }>();
      for (const { click_id: id, rows } of queries.unmatchedIds()) {
        const diagnosis = diagnose(queries, id, shape, summary.clicks, checkRecorded);
        diagnoses.set(id, diagnosis);
        summary.unmatched_by_hint[diagnosis.kind] += rows;
        const entry = byKind.get(diagnosis.kind) ?? { rows: 0, literals: new Map<string, number>() };
        entry.rows += rows;
        const literal = diagnosis.literal ?? id;
        entry.literals.set(literal, (entry.literals.get(literal) ?? 0) + rows);
        byKind.set(diagnosis.kind, entry);
      }
      for (const kind of UNMATCHED_HINT_KINDS) {
        const entry = byKind.get(kind);
        if (!entry) continue;
        const message = unmatchedSummaryHint(kind, entry.rows, entry.literals);
        if (message) report.hints.push({ kind, category: 'unmatched', count: entry.rows, message });
      }
      stage('diagnosis');
    }

    // --- before_click: one timezone offset behind most of them? ----------------------------------
    let offsetHours: number | null = null;
    let offsetExplicit = false;
    if (clickMatching && summary.before_click >= MIN_OFFSET_ROWS) {
      const offset = queries.commonBeforeClickOffset();
      if (offset && offset.rows * 2 > summary.before_click) {
        offsetHours = offset.hours;
        const early = `${offset.rows} of ${summary.before_click} conversions before their click are ${offset.hours}h ± 5 min early`;
        // --timezone only moves timestamps written without an offset: when both sides' times
        // carried one (Z, +02:00, unix time), re-ingesting cannot help and the hint says so.
        if (offset.naive * 2 > offset.rows) {
          report.hints.push({
            kind: 'timezone_offset',
            category: 'before_click',
            count: offset.rows,
            offset_hours: offset.hours,
            message: `conversion times look ${offset.hours}h behind click times (${early}): check the export timezones; re-ingest with --timezone`,
          });
        } else {
          offsetExplicit = true;
          report.hints.push({
            kind: 'clock_offset',
            category: 'before_click',
            count: offset.rows,
            offset_hours: offset.hours,
            message:
              `conversion times look ${offset.hours}h behind click times (${early}), but both exports' timestamps carry an explicit offset, ` +
              `so --timezone cannot change them: one system writes local time labelled as UTC (or the wrong offset), or its clock is off`,
          });
        }
      }
    }

    summary.currencies = queries.currenciesAtStake();
    if (options.insights) {
      // breakdowns and series read the SQLite queries' tables: sqlite engine only for now
      const insightStore = isBackend(store) ? store.store : store;
      if (insightStore) {
        Object.assign(report, computeInsights(insightStore, report, { windowMs, clickSources: clickSources ? [...clickSources] : null }, options.insights));
        stage('insights');
      }
    }
    finishSummary(summary);

    // --- finding rows: the last part, so a sink can write everything else first ---------------------
    status('collecting the findings…');
    const sink = options.findingSink;
    sink?.begin(report);
    const findings: { push(finding: Finding): void } = sink ? { push: (finding) => sink.finding(finding) } : report.findings;
    const intern = new Interner();
    const makeFinding = (type: FindingType, row: FindingRow, hint: string | null, kind: HintKind | null) => toFinding(type, row, hint, kind, intern);
    if (clickMatching) {
      for (const row of queries.unmatchedRows(limit)) {
        const diagnosis = diagnoses.get(row.click_id ?? '');
        const finding = makeFinding('unmatched', row, diagnosis?.hint ?? null, diagnosis?.kind ?? null);
        if (diagnosis?.click) {
          Object.assign(finding, {
            related_source: diagnosis.click.source,
            related_file: diagnosis.click.file,
            related_line: diagnosis.click.line,
            related_click_id: diagnosis.click.click_id,
            related_occurred_at: diagnosis.click.occurred_at,
          });
        }
        findings.push(finding);
      }
    }
    for (const row of queries.missingClickIdRows(limit)) {
      findings.push(
        makeFinding('missing_click_id', row, 'no click id: the postback or export row carries none (the click-id parameter is missing, or its macro was empty)', 'missing_click_id'),
      );
    }
    const keyText = dedupeKey === 'click_id' ? 'click id' : 'click id, event and txid';
    for (const row of queries.duplicateRows(limit)) {
      const noTxid = dedupeKey !== 'click_id' && (row.txid === null || row.txid.trim() === '');
      const hint =
        `same ${keyText} as ${where(row.rel_file, row.rel_line, row.rel_source)} (${row.group_size} rows in the group)` +
        (noTxid ? ': no txid, so a retried postback counts twice — send a unique txid (order id) with each conversion' : ': the postback was sent or recorded more than once');
      findings.push(makeFinding('duplicate_extra', row, hint, noTxid ? 'duplicate_no_txid' : 'duplicate'));
    }
    for (const row of queries.duplicateClickRows(limit)) {
      const hint = `${row.group_size} clicks of ${quote(row.source)} carry this id (${where(row.file, row.line, row.source)}, ${where(row.rel_file, row.rel_line, row.rel_source)}${(row.group_size ?? 0) > 2 ? ', …' : ''}): a conversion cannot tell which click it belongs to`;
      findings.push(makeFinding('duplicate_clicks', row, hint, 'duplicate_clicks'));
    }
    if (checkRecorded) {
      const others = usedClickSources.map(quote).join(', ');
      for (const row of queries.clicksNotRecordedRows(limit)) {
        const hint = `tpb click captured this id, but no click of ${others} carries it: the tracker redirected without storing the click (same-IP debounce, link prefetch, bot filtering), or its export's date range misses it`;
        findings.push(makeFinding('clicks_not_recorded', row, hint, 'clicks_not_recorded'));
      }
    }
    if (clickMatching) {
      for (const row of queries.beforeClickRows(limit)) {
        const early = timeBetween(row.rel_occurred_at, row.occurred_at);
        const clickAt = where(row.rel_file, row.rel_line, row.rel_source);
        let hint: string;
        let kind: HintKind = 'before_click';
        if (early !== null && offsetHours !== null && Math.abs(early - offsetHours * HOUR_MS) <= OFFSET_SLACK_MS) {
          hint = offsetExplicit
            ? `${formatDuration(early)} before its click at ${clickAt}: the ${offsetHours}h offset between the two systems' timestamps`
            : `${formatDuration(early)} before its click at ${clickAt}: the ${offsetHours}h timezone offset between the exports`;
          kind = offsetExplicit ? 'clock_offset' : 'timezone_offset';
        } else {
          hint = `${early === null ? 'earlier than' : `${formatDuration(early)} before`} its click at ${clickAt}: the exports' clocks or timezones differ, or the click id was reused`;
        }
        findings.push(makeFinding('before_click', row, hint, kind));
      }
      for (const row of queries.outsideWindowRows(limit)) {
        const late = timeBetween(row.occurred_at, row.rel_occurred_at);
        const hint = `${late === null ? 'later than the window after' : `${formatDuration(late)} after`} its click at ${where(row.rel_file, row.rel_line, row.rel_source)}, past the ${report.options.window} window: networks refuse conversions outside the attribution window`;
        findings.push(makeFinding('outside_window', row, hint, 'outside_window'));
      }
    }
    if (compare) {
      const [a, b] = compare;
      const key = keyByTxid ? 'click id + txid' : 'click id';
      for (const row of queries.missingInBRows(limit)) {
        findings.push(makeFinding('missing_in_b', row, `in ${quote(a)} but not in ${quote(b)} (by ${key}): it never reached ${b}, or ${b} refused it`, 'missing'));
      }
      for (const row of queries.missingInARows(limit)) {
        findings.push(makeFinding('missing_in_a', row, `in ${quote(b)} but not in ${quote(a)} (by ${key}): recorded by ${b} with no matching row in ${a}`, 'missing'));
      }
      for (const row of queries.payoutMismatchRows(limit, tolerance)) {
        const diff = Math.abs((row.payout_micros ?? 0) - (row.rel_payout_micros ?? 0));
        const hint =
          `payout ${formatMicros(row.payout_micros ?? 0)} in ${a}, ${formatMicros(row.rel_payout_micros ?? 0)} in ${b} at ${where(row.rel_file, row.rel_line, row.rel_source)}: ` +
          `differs by ${formatMicros(diff)}, more than the tolerance ${formatMicros(tolerance)}`;
        findings.push(makeFinding('payout_mismatch', row, hint, 'payout'));
      }
      for (const row of queries.statusMismatchRows(limit)) {
        const hint = `status ${quote(row.status ?? '')} (${normalizeStatus(row.status)}) in ${a}, ${quote(row.rel_status ?? '')} (${normalizeStatus(row.rel_status)}) in ${b} at ${where(row.rel_file, row.rel_line, row.rel_source)}`;
        findings.push(makeFinding('status_mismatch', row, hint, 'status'));
      }
    }
    stage('findings');
  };
  try {
    backend.transaction(run);
  } finally {
    queries.dispose();
  }

  return report;
}

/** The summary's rates, and its payouts at stake from micros to units. */
function finishSummary(summary: ReconcileSummary): void {
  summary.match_rate = ratio(summary.matched, summary.conversions);
  summary.unmatched_rate = clickMatchingRate(summary);
  const stake = summary.payout_at_stake;
  const totalMicros =
    stake.unmatched + stake.missing_click_id + stake.duplicate_extra + stake.outside_window + stake.missing_in_a + stake.missing_in_b + stake.payout_mismatch;
  summary.payout_at_stake = {
    unmatched: microsToUnits(stake.unmatched) ?? 0,
    missing_click_id: microsToUnits(stake.missing_click_id) ?? 0,
    duplicate_extra: microsToUnits(stake.duplicate_extra) ?? 0,
    outside_window: microsToUnits(stake.outside_window) ?? 0,
    missing_in_a: microsToUnits(stake.missing_in_a) ?? 0,
    missing_in_b: microsToUnits(stake.missing_in_b) ?? 0,
    payout_mismatch: microsToUnits(stake.payout_mismatch) ?? 0,
    total: microsToUnits(totalMicros) ?? 0,
  };
}

function clickMatchingRate(summary: ReconcileSummary): number {
  return ratio(summary.unmatched + summary.missing_click_id, summary.conversions);
}

function diagnose(queries: ReconcileSource, id: string, shape: IdShape | null, clicks: number, checkRecorded: boolean): Diagnosis {
  const macro = detectLiteralMacro(id);
  if (macro?.kind === 'empty') {
    return {
      kind: 'empty',
      literal: macro.literal,
      hint: `the click id is ${quote(macro.literal)}: the sender had no click id to send (the click was not tracked, or the parameter it reads was empty)`,
    };
  }
  if (macro) {
    return {
      kind: 'macro',
      literal: macro.literal,
      hint: `the click id is the literal macro ${quote(macro.literal)}: the sender never replaced it — use the macro syntax of the network that fires the postback`,
    };
  }
  if (checkRecorded) {
    const click = queries.tpbClickWithId(id);
    if (click) {
      return {
        kind: 'not_recorded',
        click,
        hint: `tpb click captured this id (${where(click.file, click.line, click.source)}), but the tracker's click export lacks it: the tracker redirected without storing the click (same-IP debounce, link prefetch, bot filtering), or the export's date range misses it`,
      };
    }
  }
  if (clicks === 0) return { kind: 'not_found', hint: 'no clicks to match against: ingest the tracker\'s click export' };
  for (const candidate of candidateIds(id)) {
    const click = queries.clickWithId(candidate.candidate);
    if (click) {
      return {
        kind: 'encoding',
        click,
        literal: describeSteps(candidate.steps),
        hint: `matches click ${quote(click.click_id)} after ${describeSteps(candidate.steps)}: ${encodingCause(candidate.steps)}`,
      };
    }
  }
  const length = [...id].length;
  if (length >= 4) {
    const longer = queries.clicksStartingWith(id);
    if (longer.length === 1) {
      const click = longer[0]!;
      return {
        kind: 'truncated',
        click,
        literal: `${length} of ${[...click.click_id].length} characters`,
        hint: `is the first ${length} of ${[...click.click_id].length} characters of click ${quote(click.click_id)}: cut by a length limit on the way (a parameter, sub-id or column limit)`,
      };
    }
  }
  const mismatch = shape ? shapeMismatch(id, shape) : null;
  if (mismatch) {
    return {
      kind: 'shape',
      hint: `does not look like this tracker's click ids (${mismatch}): probably another system's id in the click-id parameter`,
    };
  }
  return {
    kind: 'not_found',
    hint: "no click has this id, and it looks like the clicks' ids: the click is probably outside the exported clicks (date range, another account or offer)",
  };
}

function unmatchedSummaryHint(kind: UnmatchedHintKind, rows: number, literals: ReadonlyMap<string, number>): string | null {
  const top = [...literals.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 3)
    .map(([literal, n]) => `${quote(literal)} ×${n}`)
    .join(', ');
  const more = literals.size > 3 ? `, ${literals.size - 3} more` : '';
  const one = rows === 1;
  const conversions = `${rows} unmatched conversion${one ? '' : 's'} ${one ? 'carries' : 'carry'}`;
  const match = one ? 'matches' : 'match';
  switch (kind) {
    case 'macro':
      return `${conversions} a literal macro instead of a click id (${top}${more}): the postback URL uses a macro its sender does not replace`;
    case 'empty':
      return `${conversions} an empty-ish click id (${top}${more}): the sender had no click id to send`;
    case 'encoding':
      return `${rows} unmatched conversion${one ? '' : 's'} ${match} a click after undoing an encoding change (${top}${more}): fix the encoding between the two systems`;
    case 'truncated':
      return `${conversions} a truncated click id: a length limit cuts the id on the way`;
    case 'shape':
      return `${conversions} ${one ? 'an id' : 'ids'} unlike the clicks' ids: another system's id is in the click-id parameter`;
    case 'not_recorded':
      return `${conversions} an id tpb click captured that the tracker's click export lacks (${top}${more}): the tracker redirected without storing the click (same-IP debounce, link prefetch, bot filtering)`;
    case 'not_found':
      return null;
  }
}
