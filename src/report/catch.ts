import type { ChalkInstance } from 'chalk';
import type { StopOutcome } from '../catch/stop.js';
import type { CatchStats, CaughtRequest } from '../catch/types.js';
import type { StoredCaught } from '../store/catch.js';
import { formatMicros } from '../units/micros.js';
import { excerpt, sanitizeForDisplay } from '../text/sanitize.js';
import { renderTable } from './table.js';

/** The fields of a caught request that list, show and the live line all print. */
interface CaughtView {
  seq: number;
  id?: number | undefined;
  received_at: string;
  method: string;
  path: string;
  query_raw: string | null;
  headers: Array<[string, string]>;
  body: string | null;
  body_bytes: number;
  body_truncated: boolean;
  remote_addr: string | null;
  click_id: string | null;
  click_id_param: string | null;
  status: number | null;
  fault: string | null;
  rule: string | null;
  latency_ms: number | null;
  forward: { url: string; status: number | null; body: string | null; error: string | null; latency_ms: number | null } | null;
}

function viewOfCaught(r: CaughtRequest): CaughtView {
  return {
    seq: r.seq,
    id: r.id,
    received_at: r.received_at,
    method: r.method,
    path: r.path,
    query_raw: r.query_raw,
    headers: r.headers,
    body: r.body,
    body_bytes: r.body_bytes,
    body_truncated: r.body_truncated,
    remote_addr: r.remote_addr,
    click_id: r.fields.clickId,
    click_id_param: r.fields.clickIdParam,
    status: r.answer.status,
    fault: r.answer.fault,
    rule: r.answer.rule,
    latency_ms: r.answer.latency_ms,
    forward: r.forward,
  };
}

function viewOfStored(r: StoredCaught): CaughtView {
  return {
    seq: r.seq,
    id: r.id,
    received_at: r.received_at,
    method: r.method,
    path: r.path,
    query_raw: r.query_raw,
    headers: r.headers,
    body: r.body,
    body_bytes: r.body_bytes,
    body_truncated: r.body_truncated,
    remote_addr: r.remote_addr,
    click_id: r.click_id,
    click_id_param: r.click_id_param,
    status: r.http_status,
    fault: r.fault,
    rule: r.rule,
    latency_ms: r.latency_ms,
    forward: r.forward_url === null ? null : { url: r.forward_url, status: r.forward_status, body: r.forward_body, error: r.forward_error, latency_ms: r.forward_latency_ms },
  };
}

const target = (v: CaughtView) => `${v.path}${v.query_raw === null ? '' : `?${v.query_raw}`}`;

function forwardText(v: CaughtView): string {
  if (!v.forward) return '';
  return v.forward.status === null ? ` ⇢ forward failed (${v.forward.error ?? 'no answer'})` : ` ⇢ forwarded ${v.forward.status}`;
}

function lineOf(v: CaughtView, color?: ChalkInstance): string {
  const time = v.received_at.slice(11, 23);
  const status = v.status === null ? 'dropped' : String(v.status);
  const paint = (text: string) => (!color ? text : v.status === null || v.status >= 500 ? color.red(text) : v.status >= 400 ? color.yellow(text) : color.green(text));
  const extra = [
    v.click_id !== null ? `${v.click_id_param ?? 'click id'}=${v.click_id}` : 'no click id',
    v.fault ? `fault:${v.fault}` : '',
    v.rule ? `rule:"${v.rule}"` : '',
  ].filter(Boolean);
  const where = sanitizeForDisplay(target(v));
  const shown = where.length > 300 ? `${where.slice(0, 300)}…` : where;
  return `${time} #${v.seq} ${sanitizeForDisplay(v.method)} ${shown} → ${paint(status)} ${(v.latency_ms ?? 0).toFixed(1)}ms ${sanitizeForDisplay(extra.join(' '))}${sanitizeForDisplay(forwardText(v))}`;
}

/** `12:00:01.123 #3 GET /postback?clickid=abc&payout=2.50 → 200 0.4ms clickid=abc`, safe for a terminal. */
export function formatCaughtLine(request: CaughtRequest, color?: ChalkInstance): string {
  return lineOf(viewOfCaught(request), color);
}

function wholeOf(v: CaughtView): string {
  const lines = [
    `#${v.seq}${v.id !== undefined ? ` (id ${v.id})` : ''} ${v.received_at} from ${v.remote_addr ?? 'unknown'}`,
    `${v.method} ${target(v)}`,
    ...v.headers.map(([name, value]) => `${name}: ${value}`),
  ];
  if (v.body !== null && v.body !== '') lines.push('', excerpt(v.body, 4000, { keepNewlines: true }));
  if (v.body_truncated) lines.push(`(body: ${v.body_bytes} bytes, kept up to --max-body)`);
  lines.push(`→ ${v.status === null ? `connection dropped${v.fault ? ` (fault:${v.fault})` : ''}` : `${v.status}${v.fault ? ` (fault:${v.fault})` : ''}`}${v.rule ? ` by rule "${v.rule}"` : ''} in ${(v.latency_ms ?? 0).toFixed(1)} ms`);
  lines.push(v.click_id === null ? 'click id: none recognised' : `click id: ${v.click_id} (from ${v.click_id_param})`);
  if (v.forward) {
    lines.push(`forwarded to ${v.forward.url}: ${v.forward.status ?? `failed, ${v.forward.error}`} in ${(v.forward.latency_ms ?? 0).toFixed(1)} ms`);
    if (v.forward.body) lines.push(excerpt(v.forward.body, 2000, { keepNewlines: true }));
  }
  return sanitizeForDisplay(lines.join('\n'), { keepNewlines: true });
}

/** The whole request (-v, `catch show`), headers and body, sanitised. */
export function formatCaughtRequest(request: CaughtRequest): string {
  return wholeOf(viewOfCaught(request));
}

export function formatStoredRequest(row: StoredCaught): string {
  return wholeOf(viewOfStored(row));
}

/** `tpb catch list`: one row per stored request, newest first. */
export function renderCaughtList(rows: readonly StoredCaught[]): string {
  return renderTable(
    ['id', 'run', 'received (UTC)', 'method', 'path', 'click id', 'status', 'forward'],
    rows.map((r) => [r.id, r.run_id, r.received_at.replace('T', ' ').slice(0, 23), r.method, `${r.path}${r.query_raw ? `?${r.query_raw}` : ''}`, r.click_id ?? '—', r.http_status ?? (r.fault ? `dropped (${r.fault})` : 'dropped'), r.forward_url === null ? '' : (r.forward_status ?? 'failed')]),
    { alignRight: [0, 1], maxCellWidth: 70 },
  );
}

export function storedJson(r: StoredCaught): Record<string, unknown> {
  return { ...r };
}

export function caughtJson(r: CaughtRequest): Record<string, unknown> {
  const f = r.fields;
  return {
    seq: r.seq,
    received_at: r.received_at,
    method: r.method,
    path: r.path,
    query_raw: r.query_raw,
    query: r.query,
    headers: r.headers,
    body: r.body,
    body_bytes: r.body_bytes,
    body_truncated: r.body_truncated,
    remote_addr: r.remote_addr,
    click_id: f.clickId,
    click_id_param: f.clickIdParam,
    conversion: f.clickId === null ? null : { txid: f.txid, event: f.event, status: f.status, payout: f.payoutMicros === null ? null : formatMicros(f.payoutMicros), revenue: f.revenueMicros === null ? null : formatMicros(f.revenueMicros), currency: f.currency },
    answer: r.answer,
    forward: r.forward,
  };
}

/** What `tpb catch` prints once it listens: the URL and lines to paste. */
export function renderCatchBanner(url: string, persistence: string, forward: string | undefined): string {
  return [
    `tpb catch listening on ${url}/ (any method, any path), ${persistence}${forward ? `; forwarding to ${forward}` : ''}`,
    `  postback URL  ${url}/postback?click_id={click_id}&payout={payout}&txid={txid}`,
    `Try: tpb fire "${url}/postback?click_id={click_id}&payout={payout}" --click-id test-1 --payout 2.50`,
    `     curl "${url}/postback?click_id=test-1&payout=2.50"`,
  ].join('\n');
}

export function describeStop(outcome: StopOutcome, expect: number | undefined): string {
  const why = outcome.reason === 'count' ? 'count reached' : outcome.reason === 'time' ? '--until elapsed' : `${outcome.signal ?? 'signal'} received`;
  const expectation = expect === undefined ? '' : outcome.expectationMet ? `; expected ${expect}, got ${outcome.requests}` : `; expected ${expect} requests, only ${outcome.requests} arrived`;
  return `stopped (${why})${expectation}`;
}

export function describeCatchStats(stats: CatchStats): string {
  const parts = [`${stats.requests} request${stats.requests === 1 ? '' : 's'} caught`, `${stats.with_click_id} with a click id`];
  const statuses = Object.entries(stats.by_status).map(([status, n]) => `${n}× ${status}`);
  if (statuses.length > 0) parts.push(`answered ${statuses.join(', ')}`);
  if (stats.faults.failed + stats.faults.reset > 0) parts.push(`faults: ${stats.faults.failed} answered 503, ${stats.faults.reset} dropped`);
  const rules = Object.entries(stats.rules).map(([name, n]) => `"${name}" ${n}×`);
  if (rules.length > 0) parts.push(`rules: ${rules.join(', ')}`);
  if (stats.forwarded.ok + stats.forwarded.failed > 0) parts.push(`forwarded: ${stats.forwarded.ok} answered, ${stats.forwarded.failed} failed`);
  if (stats.forgotten > 0) parts.push(`${stats.forgotten} oldest not kept in memory (all stored with --db)`);
  return sanitizeForDisplay(parts.join('; '));
}
