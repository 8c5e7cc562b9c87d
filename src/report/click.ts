import type { ChalkInstance } from 'chalk';
import type { ClickRecord, ClickRunResult } from '../click/run.js';
import { sanitizeForDisplay } from '../text/sanitize.js';
import { renderTable } from './table.js';

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
      url: click.url,
    })),
  };
}

/** One line per click, for -v and small runs. */
export function renderClickLine(click: ClickRecord, color: ChalkInstance): string {
  const status = click.status === undefined ? '---' : String(click.status);
  if (click.ok) {
    return `#${click.index}  ${color.green(status)}  ${color.bold(sanitizeForDisplay(click.clickId ?? ''))}  ${color.dim(`(${click.from} ${sanitizeForDisplay(click.param ?? '')}, ${Math.round(click.latencyMs)} ms)`)}`;
  }
  return `#${click.index}  ${color.red(status)}  ${color.red(click.cause ?? 'failed')}: ${sanitizeForDisplay(click.detail ?? '')}`;
}

/** The human summary of a click run. */
export function renderClickReport(result: ClickRunResult, color: ChalkInstance, options: { listLimit?: number } = {}): string {
  const s = result.summary;
  const lines: string[] = [];
  const listLimit = options.listLimit ?? 20;
  if (result.clicks.length > 0 && result.summary.sent <= listLimit) {
    for (const click of result.clicks) lines.push(renderClickLine(click, color));
    lines.push('');
  }
  const captured = s.captured === s.sent ? color.green(`${s.captured}`) : color.yellow(`${s.captured}`);
  lines.push(`${color.bold('tpb click')} ${sanitizeForDisplay(result.url)}${result.runId !== undefined ? color.dim(`  (run ${result.runId})`) : ''}`);
  lines.push(`sent ${s.sent}, click ids captured ${captured}, failed ${s.failed > 0 ? color.red(String(s.failed)) : '0'}${s.duplicateIds > 0 ? color.yellow(`, ${s.duplicateIds} ids seen twice`) : ''}`);
  lines.push(`latency p50 ${s.latencyMs.p50} ms, p95 ${s.latencyMs.p95} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms; ${s.requestsPerSecond} clicks/s over ${(s.durationMs / 1000).toFixed(2)} s`);
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
