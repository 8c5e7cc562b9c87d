import type { ChalkInstance } from 'chalk';
import type { ClickRecord, ClickRunResult } from '../click/run.js';
import { excerpt, sanitizeForDisplay } from '../text/sanitize.js';
import { renderTable } from './table.js';
import { loadJson, renderLoadLines } from './load.js';

/** Plain-language names of why a click yielded no id. */
export const CLICK_FAILURE_LABELS: Readonly<Record<string, string>> = {
  no_redirect: 'no redirect (2xx without Location, meta refresh or JSON id)',
  no_param: 'redirect without a click-id parameter',
  status: 'error status',
  bad_location: 'redirect with a missing or unreadable Location',
  redirect_loop: 'redirect loop',
  too_many_redirects: 'too many redirects',
  network: 'network error',
};

/** The JSON document of `tpb click --json`. */
export function clickJson(result: ClickRunResult): Record<string, unknown> {
  return {
    version: 1,
    run_id: result.runId ?? null,
    interrupted: result.interrupted,
    url: result.url,
    summary: {
      sent: result.summary.sent,
      captured: result.summary.captured,
      failed: result.summary.failed,
      failures: result.summary.failures,
      network_failures: result.summary.networkFailures,
      statuses: result.summary.statuses,
      duplicate_ids: result.summary.duplicateIds,
      latency_ms: result.summary.latencyMs,
      duration_ms: result.summary.durationMs,
      requests_per_second: result.summary.requestsPerSecond,
      load: loadJson(result.summary.load),
      thresholds: result.summary.thresholds?.verdicts.map((v) => ({ name: v.name, limit: v.limit, value: v.value, failed: v.failed, reason: v.reason })) ?? null,
    },
    clicks: result.clicks.map((click) => ({
      index: click.index,
      ok: click.ok,
      click_id: click.clickId ?? null,
      param: click.param ?? null,
      from: click.from ?? null,
      status: click.status ?? null,
      location: click.location ?? null,
      hops: click.hops,
      latency_ms: click.latencyMs,
      cause: click.cause ?? null,
      detail: click.detail ?? null,
      ip: click.ip ?? null,
      sent_at: click.sentAt,
      attempts: click.attempts,
      url: click.url,
    })),
  };
}

/** One line per click, for -v and small runs. */
export function renderClickLine(click: ClickRecord, color: ChalkInstance): string {
  const status = click.status === undefined ? '---' : String(click.status);
  if (click.ok) {
    const tries = click.attempts > 1 ? `, ${click.attempts} attempts` : '';
    return `#${click.index}  ${color.green(status)}  ${color.bold(sanitizeForDisplay(click.clickId ?? ''))}  ${color.dim(`(${click.from} ${sanitizeForDisplay(click.param ?? '')}, ${Math.round(click.latencyMs)} ms${tries})`)}`;
  }
  // A network detail already starts with its kind ("timeout: …", "network: …"): no second label.
  const label = click.cause === 'network' && click.networkCause !== undefined ? '' : `${color.red(click.cause ?? 'failed')}: `;
  const attempts = click.attempts > 1 ? color.dim(` (${click.attempts} attempts)`) : '';
  return `#${click.index}  ${color.red(status)}  ${label}${sanitizeForDisplay(click.detail ?? '')}${attempts}`;
}

/**
 * Requests and answers of one click, for -v: each hop's request (headers once), status,
 * Location, content type and body start (cut, control characters stripped), then the outcome.
 * Expects a record made with `trace` (secrets already redacted).
 */
export function renderClickExchange(click: ClickRecord, color: ChalkInstance, bodyLimit = 500): string {
  const lines: string[] = [];
  (click.exchanges ?? []).forEach((exchange, hop) => {
    lines.push(`${color.dim(`#${click.index}${hop > 0 ? ` hop ${hop + 1}` : ''}`)} GET ${sanitizeForDisplay(exchange.url)}`);
    if (hop === 0) for (const [name, value] of Object.entries(exchange.requestHeaders)) lines.push(`    ${name}: ${sanitizeForDisplay(value)}`);
    if (exchange.status === undefined) {
      lines.push(`  ← ${color.red(sanitizeForDisplay(exchange.failure ?? 'no answer'))} (${Math.round(exchange.latencyMs)} ms)`);
      return;
    }
    lines.push(`  ← ${exchange.status}${exchange.contentType ? color.dim(` ${sanitizeForDisplay(exchange.contentType)}`) : ''} (${Math.round(exchange.latencyMs)} ms)`);
    if (exchange.location !== undefined) lines.push(`    location: ${sanitizeForDisplay(exchange.location)}`);
    if (exchange.body) lines.push(`  ${excerpt(exchange.body, bodyLimit)}${exchange.bodyTruncated ? color.dim(' (cut)') : ''}`);
  });
  lines.push(`  ${renderClickLine(click, color)}`);
  return `${lines.join('\n')}\n`;
}

/** The human summary of a click run (the per-click lines are printed as the clicks finish). */
export function renderClickReport(result: ClickRunResult, color: ChalkInstance): string {
  const s = result.summary;
  const lines: string[] = [];
  const captured = s.captured === s.sent ? color.green(`${s.captured}`) : color.yellow(`${s.captured}`);
  lines.push(`${color.bold('tpb click')} ${sanitizeForDisplay(result.url)}${result.runId !== undefined ? color.dim(`  (run ${result.runId})`) : ''}`);
  lines.push(`sent ${s.sent}, click ids captured ${captured}, failed ${s.failed > 0 ? color.red(String(s.failed)) : '0'}${s.duplicateIds > 0 ? color.yellow(`, ${s.duplicateIds} id${s.duplicateIds === 1 ? '' : 's'} seen twice`) : ''}`);
  lines.push(...renderLoadLines(s.load, s.thresholds, color, 'clicks'));
  const statuses = Object.entries(s.statuses).sort(([a], [b]) => a.localeCompare(b));
  lines.push(`statuses: ${statuses.map(([status, count]) => `${status === 'none' ? 'no answer' : status} ×${count}`).join(', ')}`);
  const failures = Object.entries(s.failures);
  if (failures.length > 0) {
    lines.push('');
    const examples = new Map<string, string>();
    for (const click of result.clicks) if (click.cause && !examples.has(click.cause)) examples.set(click.cause, click.detail ?? '');
    const rows = failures
      .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
      .map(([cause, count]) => [count, CLICK_FAILURE_LABELS[cause] ?? cause, cause === 'network' ? Object.entries(s.networkFailures).map(([kind, n]) => `${kind} ×${n}`).join(', ') : examples.get(cause) ?? '']);
    lines.push(renderTable(['clicks', 'failure', 'example'], rows, { alignRight: [0], maxCellWidth: 90, headerStyle: color.bold }).trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
