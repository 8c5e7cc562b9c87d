import { CATEGORY_TITLES, FINDING_TYPES, SEVERITY, UNMATCHED_HINT_KINDS, type Finding, type FindingType, type ReconcileReport, type UnmatchedHintKind } from '../../reconcile/types.js';
import type { ThresholdResult } from '../../reconcile/thresholds.js';
import type { Group, Lag, ReconcileInsights, Series } from '../../reconcile/insight-types.js';
import { formatDuration, formatWindow } from '../../units/duration.js';
import { columnChart } from '../html/svg.js';
import { dataTable, formatCount, formatPercent, html, raw, renderPage, shareBar, type Content, type Html } from '../html/page.js';
import { CATEGORY_LABELS, categoryTotal, displayId, findingsOf, formatPayout, formatStake, formatTime, reportCategories, summaryLine } from './categories.js';

export type HtmlReconcileReport = ReconcileReport & Partial<ReconcileInsights>;

export interface ReconcileHtmlOptions {
  verdict?: ThresholdResult;
  /** When the report was written (ISO). */
  generatedAt: string;
  version?: string;
  /** Rows per breakdown table (the rest is counted, not listed). */
  maxGroupRows?: number;
}

const HINT_LABELS: Readonly<Record<UnmatchedHintKind, string>> = {
  macro: 'literal macro instead of a click id',
  empty: 'empty-ish click id ("null", "0", "-")',
  encoding: 'matches a click after undoing an encoding change',
  truncated: 'truncated click id',
  shape: "unlike the clicks' ids (another system's id)",
  not_recorded: "tpb click captured it, the tracker's click export lacks it",
  not_found: 'no click has the id (outside the exported clicks)',
};

const MONEY_CATEGORIES = ['unmatched', 'missing_click_id', 'duplicate_extra', 'outside_window'] as const;

function stakeOf(report: ReconcileReport, type: FindingType): number {
  return (MONEY_CATEGORIES as readonly string[]).includes(type) ? report.summary.payout_at_stake[type as (typeof MONEY_CATEGORIES)[number]] : 0;
}

/** "conversions.csv:15": the file name (the JSON report has the whole path) and line. */
function location(finding: Pick<Finding, 'file' | 'line' | 'source'>): string {
  const base = finding.file ? finding.file.split(/[\\/]/).pop()! : finding.source;
  return `${base}${finding.line === null ? '' : `:${finding.line}`}`;
}

function id(value: string | null): Html | string {
  return value === null ? html`<span class="muted">(none)</span>` : displayId(value);
}

function verdictBlock(report: HtmlReconcileReport, verdict: ThresholdResult | undefined): Html {
  const s = report.summary;
  const errors = reportCategories(report).some((type) => s[type] > 0 && SEVERITY[type] === 'error');
  const warnings = reportCategories(report).some((type) => s[type] > 0);
  const state = verdict ? (verdict.failed ? 'bad' : 'ok') : errors ? 'bad' : warnings ? 'warn' : 'ok';
  const thresholds = verdict
    ? verdict.failed
      ? html`<p class="bad" id="thresholds"><strong>Thresholds exceeded:</strong> ${verdict.reasons.join('; ')}</p>`
      : html`<p class="ok" id="thresholds"><strong>Thresholds held.</strong></p>`
    : '';
  const mixed = s.currencies.length > 1 ? html` <span class="warn">(the sums mix ${s.currencies.join(', ')})</span>` : '';
  return html`<section class="verdict v-${state}" data-state="${state}" id="verdict"><div class="headline">${summaryLine(report)}</div>
<p>Money at stake: <strong id="money-at-stake">${formatStake(s.payout_at_stake.total, report)}</strong>${mixed} <span class="muted">— payout of the unmatched, missing-click-id, duplicate-extra and out-of-window conversions</span></p>
${thresholds}${report.ignored_recent ? html`<p class="muted">Thresholds leave out the ${formatCount(report.ignored_recent.conversions)} conversions of the last ${report.ignored_recent.duration} (since ${formatTime(report.ignored_recent.since)}).</p>` : ''}</section>`;
}

function cards(report: ReconcileReport): Html {
  const s = report.summary;
  const card = (key: string, value: Content, label: Content, cls = '') => html`<div class="card" data-key="${key}"><div class="n ${cls}">${value}</div><div class="l">${label}</div></div>`;
  const list: Html[] = [
    card('conversions', formatCount(s.conversions), 'conversions'),
    card('clicks', formatCount(s.clicks), 'clicks'),
    card('match_rate', formatPercent(s.match_rate), `matched (${formatCount(s.matched)})`, s.match_rate >= 0.99 ? 'ok' : ''),
  ];
  for (const type of reportCategories(report)) {
    if (s[type] === 0 && !['unmatched', 'missing_click_id'].includes(type)) continue;
    list.push(card(type, formatCount(s[type]), CATEGORY_LABELS[type], s[type] === 0 ? '' : SEVERITY[type] === 'error' ? 'bad' : 'warn'));
  }
  return html`<div class="cards" id="cards">${list}</div>`;
}

function summaryTable(report: ReconcileReport): Html {
  const s = report.summary;
  type Row = { key: string; label: string; count: number; share: number | null; stake: number };
  const rows: Row[] = [{ key: 'matched', label: CATEGORY_LABELS.matched, count: s.matched, share: s.match_rate, stake: 0 }];
  for (const type of reportCategories(report)) {
    const count = categoryTotal(report, type);
    rows.push({
      key: type,
      label: type === 'duplicate_extra' ? `duplicate extra (in ${s.duplicate_groups} group${s.duplicate_groups === 1 ? '' : 's'})` : CATEGORY_LABELS[type],
      count,
      share: s.conversions === 0 || ['duplicate_clicks'].includes(type) ? null : count / s.conversions,
      stake: stakeOf(report, type),
    });
  }
  return dataTable(
    rows,
    [
      { label: 'category', cell: (row) => html`<span data-category="${row.key}">${row.label}</span>` },
      { label: 'count', cell: (row) => formatCount(row.count), sortValue: (row) => row.count, numeric: true },
      { label: 'share', cell: (row) => (row.share === null ? '' : formatPercent(row.share)), sortValue: (row) => row.share, numeric: true },
      { label: 'payout at stake', cell: (row) => (row.stake > 0 ? formatStake(row.stake, report) : ''), sortValue: (row) => row.stake, numeric: true },
    ],
    { id: 'summary-table', caption: 'summary' },
  );
}

function hints(report: ReconcileReport): Html | string {
  if (report.hints.length === 0) return '';
  return html`<h2 id="hints">Hints</h2><ul>${report.hints.map((hint) => html`<li data-kind="${hint.kind}">${hint.message}</li>`)}</ul>`;
}

function swatch(cls: string): Html {
  return html`<svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect class="${cls}" width="10" height="10"></rect></svg>`;
}

function dayLabel(day: string, first: boolean): string {
  // "03-14", with the year on the first label
  return first ? day : day.slice(5);
}

function seriesSection(report: HtmlReconcileReport, series: Series): Html | string {
  if (series.daily.length === 0) return '';
  const days = series.daily;
  const immature = days.filter((day) => day.incomplete_share !== null && day.incomplete_share > 0.01);
  const minRate = Math.min(...days.filter((day) => day.conversions > 0).map((day) => day.match_rate));
  const yMin = Math.max(0, Math.floor((Math.min(minRate, 0.9) - 0.05) * 10) / 10);
  const rate = columnChart({
    id: 'chart-match-rate',
    description: `Match rate by day (${series.timezone})`,
    line: true,
    yMin,
    yMax: 1,
    formatValue: (value) => `${Math.round(value * 100)} %`,
    columns: days.map((day, i) => ({
      label: dayLabel(day.day, i === 0),
      shaded: day.incomplete_share !== null && day.incomplete_share > 0.01,
      data: { day: day.day, rate: day.match_rate, conversions: day.conversions },
      segments:
        day.conversions === 0
          ? []
          : [{ value: day.match_rate, cls: 'dot', title: `${day.day}: ${formatPercent(day.match_rate)} of ${formatCount(day.conversions)} matched${day.incomplete_share !== null && day.incomplete_share > 0.01 ? ` (clicks about ${formatPercent(day.incomplete_share, 0)} incomplete)` : ''}` }],
    })),
  });
  const volume = columnChart({
    id: 'chart-conversions',
    description: `Conversions by day (${series.timezone}): matched and not`,
    formatValue: (value) => formatCount(value),
    columns: days.map((day, i) => ({
      label: dayLabel(day.day, i === 0),
      shaded: day.incomplete_share !== null && day.incomplete_share > 0.01,
      data: { day: day.day, conversions: day.conversions, matched: day.matched, unmatched: day.unmatched + day.missing_click_id },
      segments: [
        { value: day.matched, cls: 'bar', title: `${day.day}: ${formatCount(day.matched)} matched` },
        { value: day.conversions - day.matched, cls: 'bar bad', title: `${day.day}: ${formatCount(day.conversions - day.matched)} not matched (${formatCount(day.unmatched)} unmatched, ${formatCount(day.missing_click_id)} without a click id)` },
      ],
    })),
  });
  const maturity = report.maturity?.message ? html`<p id="maturity" class="warn">${report.maturity.message}</p>` : '';
  return html`<h2 id="by-day">Match rate by day</h2>
<p class="muted">By the conversion's day in ${series.timezone}${series.undated > 0 ? `; ${formatCount(series.undated)} conversions have no time` : ''}.${immature.length > 0 ? ' Shaded days are immature: their clicks are still converting.' : ''}</p>
${maturity}<div class="chart">${rate}</div><div class="chart">${volume}<p class="legend">${swatch('bar')}matched ${swatch('bar bad')}not matched (unmatched or without a click id)</p></div>`;
}

function lagSection(lag: Lag, report: ReconcileReport): Html | string {
  if (lag.conversions === 0) return '';
  const windowIndex = lag.buckets.findIndex((bucket) => bucket.from_ms >= lag.window_ms);
  const chart = columnChart({
    id: 'chart-lag',
    description: 'Time from the credited click to the conversion',
    formatValue: (value) => formatCount(value),
    labelEvery: 1,
    columns: lag.buckets.map((bucket) => ({
      // The axis names each bar by its upper edge ("≤ 1h"); the tooltip has the whole range.
      label: bucket.to_ms === null ? `> ${formatWindow(bucket.from_ms)}` : `≤ ${formatWindow(bucket.to_ms)}`,
      data: { from: bucket.from_ms, to: bucket.to_ms ?? '', count: bucket.count },
      segments: [{ value: bucket.count, cls: bucket.from_ms >= lag.window_ms ? 'bar bad' : 'bar', title: `${bucket.label}: ${formatCount(bucket.count)} conversions` }],
    })),
    ...(windowIndex > 0 ? { marker: { beforeIndex: windowIndex, label: `window ${report.options.window}` } } : {}),
  });
  const p = (ms: number | null) => (ms === null ? '–' : formatDuration(ms));
  return html`<h2 id="lag">Conversion lag</h2>
<p>Of ${formatCount(lag.conversions)} matched conversions (those not earlier than their click): median <strong data-p="50">${p(lag.p50_ms)}</strong>, p90 <strong data-p="90">${p(lag.p90_ms)}</strong>, p99 <strong data-p="99">${p(lag.p99_ms)}</strong> after the click${lag.beyond_window_share > 0 ? html`; <span class="bad">${formatPercent(lag.beyond_window_share)} after the ${report.options.window} window</span>` : ''}.</p>
<div class="chart">${chart}</div>`;
}

function hintSection(report: ReconcileReport): Html | string {
  const s = report.summary;
  if (s.unmatched === 0) return '';
  const rows = UNMATCHED_HINT_KINDS.map((kind) => ({ kind, count: s.unmatched_by_hint[kind] })).filter((row) => row.count > 0).sort((a, b) => b.count - a.count);
  return html`<h2 id="unmatched-by-hint">Unmatched by cause</h2>${dataTable(
    rows,
    [
      { label: 'cause', cell: (row) => html`<span data-kind="${row.kind}">${HINT_LABELS[row.kind]}</span>` },
      { label: 'conversions', cell: (row) => formatCount(row.count), sortValue: (row) => row.count, numeric: true },
      { label: 'share of unmatched', cell: (row) => shareBar(row.count / s.unmatched, formatPercent(row.count / s.unmatched, 1)), sortValue: (row) => row.count / s.unmatched },
    ],
    { id: 'unmatched-by-hint-table', caption: 'unmatched by cause' },
  )}`;
}

function groupSection(report: HtmlReconcileReport, maxRows: number): Html | string {
  const by = report.by ?? [];
  const groups = report.groups ?? [];
  if (by.length === 0) return '';
  const sections = by.map((field, index) => {
    const rows = groups.filter((group) => group.by === field);
    const shown = rows.slice(0, maxRows);
    const table = dataTable<Group>(
      shown,
      [
        { label: field, cell: (row) => (row.key === null ? html`<span class="muted">(none)</span>` : row.key), mono: true },
        { label: 'conversions', cell: (row) => formatCount(row.conversions), numeric: true },
        { label: 'matched', cell: (row) => formatCount(row.matched), numeric: true, narrowHidden: true },
        { label: 'match rate', cell: (row) => formatPercent(row.match_rate), sortValue: (row) => row.match_rate, numeric: true },
        { label: 'unmatched', cell: (row) => formatCount(row.unmatched), numeric: true },
        { label: 'missing click id', cell: (row) => formatCount(row.missing_click_id), numeric: true, narrowHidden: true },
        { label: 'duplicate extra', cell: (row) => formatCount(row.duplicate_extra), numeric: true, narrowHidden: true },
        { label: 'before click', cell: (row) => formatCount(row.before_click), numeric: true, narrowHidden: true },
        { label: 'outside window', cell: (row) => formatCount(row.outside_window), numeric: true, narrowHidden: true },
        { label: 'at stake', cell: (row) => formatStake(row.payout_at_stake, report), sortValue: (row) => row.payout_at_stake, numeric: true },
      ],
      { id: `groups-${index}`, filter: shown.length > 10, caption: `by ${field}` },
    );
    const more = rows.length > shown.length ? html`<p class="muted">… and ${formatCount(rows.length - shown.length)} more groups (the JSON and CSV reports list them all).</p>` : '';
    return html`<h3 data-by="${field}">By ${field} <span class="muted">(${formatCount(rows.length)} group${rows.length === 1 ? '' : 's'})</span></h3>${table}${more}`;
  });
  return html`<h2 id="breakdowns">Breakdowns</h2><p class="muted">Sorted by money at stake. Offer, affiliate and sub ids come from the conversion, or from its click when the conversion has none.</p>${sections}`;
}

/**
 * Hints often end in the same explanation ("…: the postback was sent or recorded more than once").
 * An explanation shared by several rows of a table is written once, as a numbered note above it,
 * and the rows point to it — thousands of findings stay a file one can mail.
 */
interface HintNotes {
  notes: string[];
  /** The row's hint without the shared explanation, and the note's index. */
  split(hint: string | null): { text: string; note: number | null };
}

const MIN_NOTE_ROWS = 3;
/** "n3-1": note 1 of the fourth category (short: every row of the table carries it). */
const noteId = (type: FindingType, index: number) => `n${FINDING_TYPES.indexOf(type)}-${index + 1}`;
const MIN_NOTE_LENGTH = 30;

function hintNotes(findings: readonly Finding[]): HintNotes {
  const tail = (hint: string) => {
    const at = hint.indexOf(': ');
    return at < 0 ? null : { head: hint.slice(0, at), tail: hint.slice(at + 2) };
  };
  const counts = new Map<string, number>();
  for (const finding of findings) {
    const parts = finding.hint ? tail(finding.hint) : null;
    if (parts && parts.tail.length >= MIN_NOTE_LENGTH) counts.set(parts.tail, (counts.get(parts.tail) ?? 0) + 1);
  }
  const notes = [...counts.entries()].filter(([, n]) => n >= MIN_NOTE_ROWS).sort((a, b) => b[1] - a[1]).map(([text]) => text);
  const index = new Map(notes.map((text, i) => [text, i]));
  return {
    notes,
    split(hint) {
      if (!hint) return { text: '', note: null };
      const parts = tail(hint);
      const note = parts ? index.get(parts.tail) : undefined;
      return note === undefined ? { text: hint, note: null } : { text: parts!.head, note };
    },
  };
}

function findingColumns(type: FindingType, notes: HintNotes) {
  const where = { label: 'where', cell: (f: Finding) => location(f), mono: true };
  const clickId = { label: 'click id', cell: (f: Finding) => id(f.click_id), mono: true };
  const hint = {
    label: 'hint',
    cell: (f: Finding) => {
      const { text, note } = notes.split(f.hint);
      return note === null ? text : html`${text}: <sup>[${note + 1}]</sup>`;
    },
  };
  const payout = { label: 'payout', cell: (f: Finding) => formatPayout(f.payout, f.currency), numeric: true };
  if (type === 'duplicate_clicks') {
    return [where, clickId, { label: 'clicks', cell: (f: Finding) => f.count ?? '', numeric: true }, hint];
  }
  if (type === 'payout_mismatch' || type === 'status_mismatch' || type === 'missing_in_a' || type === 'missing_in_b') {
    return [where, clickId, { label: 'txid', cell: (f: Finding) => f.txid ?? '', mono: true }, payout, { label: 'status', cell: (f: Finding) => f.status ?? '' }, hint];
  }
  return [where, clickId, { label: 'occurred at', cell: (f: Finding) => formatTime(f.occurred_at), narrowHidden: true }, payout, hint];
}

function findingsSection(report: ReconcileReport): Html {
  const parts = reportCategories(report)
    .filter((type) => categoryTotal(report, type) > 0)
    .map((type) => {
      const total = categoryTotal(report, type);
      const shown = findingsOf(report, type);
      const notes = hintNotes(shown);
      const noteList = notes.notes.length > 0 ? html`<ol class="notes">${notes.notes.map((text, i) => html`<li id="${noteId(type, i)}">${text}</li>`)}</ol>` : '';
      const table =
        shown.length > 0
          ? html`${noteList}${dataTable(shown, findingColumns(type, notes), {
              id: `findings-${type}`,
              filter: shown.length > 10,
              caption: CATEGORY_TITLES[type],
              rowNote: (f) => {
                const note = notes.split(f.hint).note;
                return note === null ? null : noteId(type, note);
              },
            })}`
          : '';
      const more = total > shown.length ? html`<p class="muted">… and ${formatCount(total - shown.length)} more (--limit &lt;n&gt; to list more; --format csv or json lists every finding).</p>` : '';
      return html`<details ${raw(SEVERITY[type] === 'error' ? 'open' : '')} data-category="${type}"><summary><strong class="${SEVERITY[type] === 'error' ? 'bad' : 'warn'}">${CATEGORY_TITLES[type]}</strong> — ${formatCount(total)}${shown.length < total ? ` (first ${formatCount(shown.length)} shown)` : ''}</summary>${table}${more}</details>`;
    });
  if (parts.length === 0) return html`<h2 id="findings">Findings</h2><p class="ok">None.</p>`;
  return html`<h2 id="findings">Findings</h2>${parts}`;
}

/** The self-contained HTML reconcile report (`tpb reconcile --format html`). */
export function renderReconcileHtml(report: HtmlReconcileReport, options: ReconcileHtmlOptions): string {
  const s = report.summary;
  const o = report.options;
  const scope = o.compare
    ? html`<strong>${o.compare.a}</strong> compared with <strong>${o.compare.b}</strong> by ${o.compare.key}`
    : html`${formatCount(s.conversions)} conversions against ${formatCount(s.clicks)} clicks`;
  const sources = [
    o.conversions_source ? html` · conversions from ${o.conversions_source.join(', ')}` : '',
    o.clicks_source ? html` · clicks from ${o.clicks_source.join(', ')}` : '',
  ];
  const body = html`<header><h1>tpb reconcile</h1><p class="muted">${scope} · window ${o.window} · dedupe key ${o.dedupe_key}${sources}</p></header>
${verdictBlock(report, options.verdict)}
${cards(report)}
<h2 id="summary">Summary</h2>${summaryTable(report)}
${hints(report)}
${report.series ? seriesSection(report, report.series) : ''}
${report.lag ? lagSection(report.lag, report) : ''}
${hintSection(report)}
${groupSection(report, options.maxGroupRows ?? 200)}
${findingsSection(report)}`;
  return renderPage({
    title: `tpb reconcile: ${summaryLine(report)}`,
    body,
    footer: html`Written by tpb${options.version ? ` ${options.version}` : ''} at ${formatTime(options.generatedAt)}. Self-contained: no script or style from anywhere else; charts are static SVG.`,
  });
}
