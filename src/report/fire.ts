import type { ChalkInstance } from 'chalk';
import type { FireOutcome, FireRunResult, ResolvedPostback } from '../fire/run.js';
import { excerpt, sanitizeForDisplay } from '../text/sanitize.js';
import { loadJson, renderLoadLines } from './load.js';

/** The JSON document of `tpb fire --json`. */
export function fireJson(result: FireRunResult): Record<string, unknown> {
  if (result.dryRun) {
    return {
      version: 1,
      dry_run: true,
      template: result.template,
      lint: result.lint,
      ...(result.sender ? { sender: result.sender.dialect, fills: result.sender.fills.map((f) => ({ macro: f.macro, param: f.param, meaning: f.meaning, filled_by: f.filledBy, value: f.value })) } : {}),
      requests: result.resolved.map((r) => ({ seq: r.seq, method: r.method, url: r.url, headers: r.headers, body: r.body ?? null, click_id: r.clickId })),
    };
  }
  const s = result.summary;
  return {
    version: 1,
    dry_run: false,
    run_id: result.runId ?? null,
    interrupted: result.interrupted,
    template: result.template,
    lint: result.lint,
    summary: {
      sent: s.sent,
      passed: s.passed,
      failed: s.failed,
      errors: s.errors,
      suspect: s.suspect,
      retried: s.retried,
      attempts: s.attempts,
      statuses: s.statuses,
      reasons: s.reasons,
      latency_ms: s.latencyMs,
      duration_ms: s.durationMs,
      postbacks_per_second: s.postbacksPerSecond,
      load: loadJson(s.load),
      thresholds: s.thresholds?.verdicts.map((v) => ({ name: v.name, limit: v.limit, value: v.value, failed: v.failed, reason: v.reason })) ?? null,
    },
    postbacks: result.postbacks.map((p) => ({
      seq: p.seq,
      method: p.method,
      url: p.url,
      click_id: p.clickId,
      txid: p.txid,
      event: p.event,
      status: p.status,
      payout: p.payout,
      http_status: p.httpStatus ?? null,
      body: p.bodyExcerpt ?? null,
      body_truncated: p.bodyTruncated ?? false,
      latency_ms: p.latencyMs,
      attempts: p.attempts.length,
      verdict: p.verdict.verdict,
      reason: p.verdict.reason,
      suspect: p.verdict.suspect ?? null,
      caveat: p.verdict.caveat ?? null,
      sent_at: p.sentAt,
    })),
  };
}

export function renderDryRun(result: FireRunResult, color: ChalkInstance): string {
  const lines = [`${color.bold('tpb fire --dry-run')}: ${result.resolved.length} request${result.resolved.length === 1 ? '' : 's'}, nothing sent (secrets redacted)`];
  if (result.sender) {
    lines.push(`${color.dim('as:')} ${result.sender.dialect ? sanitizeForDisplay(`${result.sender.dialect.title}${result.sender.dialect.detection ? ` (${result.sender.dialect.detection})` : ''}`) : 'no dialect (no macros)'}`);
    for (const fill of result.sender.fills) lines.push(`    ${sanitizeForDisplay(fill.macro)} ${color.dim('←')} ${sanitizeForDisplay(fill.filledBy)}${fill.meaning ? color.dim(`  ${sanitizeForDisplay(fill.meaning)}`) : ''}`);
  }
  for (const request of result.resolved.slice(0, 1000)) lines.push(...renderRequest(request, color));
  if (result.resolved.length > 1000) lines.push(color.dim(`… and ${result.resolved.length - 1000} more`));
  return `${lines.join('\n')}\n`;
}

function renderRequest(request: Pick<ResolvedPostback, 'seq' | 'method' | 'url' | 'headers' | 'body'>, color: ChalkInstance): string[] {
  const lines = [`${color.dim(`#${request.seq}`)} ${request.method} ${sanitizeForDisplay(request.url)}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`    ${name}: ${sanitizeForDisplay(value)}`);
  if (request.body !== undefined) lines.push(`    ${color.dim('body:')} ${excerpt(request.body, 500)}`);
  return lines;
}

/** Request and answer of one postback, for -v (body cut, control characters stripped). */
export function renderExchange(outcome: FireOutcome, color: ChalkInstance, bodyLimit = 500): string {
  const lines = renderRequest({ seq: outcome.seq, method: outcome.method, url: outcome.url, headers: outcome.requestHeaders, ...(outcome.requestBody !== undefined ? { body: outcome.requestBody } : {}) }, color);
  for (const attempt of outcome.attempts) {
    if (outcome.attempts.length > 1 || attempt.failure) {
      lines.push(`  ${color.dim(`attempt ${attempt.attempt}:`)} ${attempt.status ?? sanitizeForDisplay(attempt.failure ?? '')} (${Math.round(attempt.latencyMs)} ms)${attempt.waitMs !== undefined ? color.dim(`, retry in ${attempt.waitMs} ms`) : ''}`);
    }
  }
  if (outcome.httpStatus !== undefined) {
    lines.push(`  ← ${outcome.httpStatus}${outcome.responseHeaders?.['content-type'] ? color.dim(` ${sanitizeForDisplay(outcome.responseHeaders['content-type'])}`) : ''}`);
    if (outcome.bodyExcerpt) lines.push(`  ${excerpt(outcome.bodyExcerpt, bodyLimit)}${outcome.bodyTruncated ? color.dim(' (cut)') : ''}`);
  }
  lines.push(`  ${verdictLabel(outcome, color)} ${sanitizeForDisplay(outcome.verdict.reason)}`);
  return `${lines.join('\n')}\n`;
}

function verdictLabel(outcome: FireOutcome, color: ChalkInstance): string {
  if (outcome.verdict.verdict === 'pass') return color.green('pass');
  if (outcome.verdict.verdict === 'fail') return color.red('FAIL');
  return color.red('ERROR');
}

/** One line per postback. */
export function renderPostbackLine(outcome: FireOutcome, color: ChalkInstance): string {
  const status = outcome.httpStatus === undefined ? '---' : String(outcome.httpStatus);
  const id = outcome.clickId === null ? '' : `${sanitizeForDisplay(outcome.clickId)}  `;
  const attempts = outcome.attempts.length > 1 ? color.dim(` (${outcome.attempts.length} attempts)`) : '';
  return `#${outcome.seq}  ${verdictLabel(outcome, color)}  ${status}  ${id}${sanitizeForDisplay(outcome.verdict.reason)}${attempts}`;
}

/** The summary of a fire run (the per-postback lines are printed as the postbacks finish). */
export function renderFireReport(result: FireRunResult, color: ChalkInstance, options: { reasons?: boolean } = {}): string {
  const s = result.summary;
  const lines: string[] = [];
  lines.push(`${color.bold('tpb fire')} ${sanitizeForDisplay(result.template)}${result.runId !== undefined ? color.dim(`  (run ${result.runId})`) : ''}`);
  lines.push(
    `sent ${s.sent}: ${s.passed > 0 ? color.green(`${s.passed} passed`) : '0 passed'}, ${s.failed > 0 ? color.red(`${s.failed} failed`) : '0 failed'}, ${s.errors > 0 ? color.red(`${s.errors} unreachable`) : '0 unreachable'}` +
      `${s.suspect > 0 ? color.yellow(`, ${s.suspect} suspect (HTML answer)`) : ''}${s.retried > 0 ? `, ${s.retried} retried (${s.attempts} attempts in all)` : ''}`,
  );
  lines.push(...renderLoadLines(s.load, s.thresholds, color, 'postbacks'));
  const statuses = Object.entries(s.statuses).sort(([a], [b]) => a.localeCompare(b));
  if (statuses.length > 0) lines.push(`statuses: ${statuses.map(([status, count]) => `${status === 'none' ? 'no answer' : status} ×${count}`).join(', ')}`);
  const caveats = [...new Set(result.postbacks.map((p) => p.verdict.caveat).filter((c): c is string => Boolean(c)))];
  for (const caveat of caveats) lines.push(color.yellow(`note: ${sanitizeForDisplay(caveat)}`));
  // Why postbacks failed, counted, when their lines were not all shown (-q, --max-lines).
  if (s.reasons.length > 0 && options.reasons) {
    lines.push('why:');
    for (const reason of s.reasons) lines.push(`  ${reason.count} × ${reason.verdict}: ${sanitizeForDisplay(reason.reason)}`);
  }
  return `${lines.join('\n')}\n`;
}
