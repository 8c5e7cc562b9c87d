import type { ChalkInstance } from 'chalk';
import type { FireOutcome, FireRunResult, ResolvedPostback } from '../fire/run.js';
import { escapeJsonControls, excerpt, jsonAroundArray, sanitizeForDisplay, toJson } from '../text/sanitize.js';
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
      repeat: repeatJson(result),
      requests: result.resolved.map((r) => ({ seq: r.seq, copy: r.copy, method: r.method, url: r.url, headers: r.headers, body: r.body ?? null, click_id: r.clickId })),
    };
  }
  return { ...fireJsonHead(result), postbacks: result.postbacks.map(postbackJson) };
}

/** The document of a run that sent (not --dry-run), without its `postbacks` (the last key). */
function fireJsonHead(result: FireRunResult): Record<string, unknown> {
  const s = result.summary;
  return {
    version: 1,
    dry_run: false,
    run_id: result.runId ?? null,
    interrupted: result.interrupted,
    template: result.template,
    lint: result.lint,
    repeat: repeatJson(result),
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
      duplicates: s.duplicates
        ? {
            planned: s.duplicates.planned,
            sent: s.duplicates.sent,
            skipped: s.duplicates.skipped,
            passed: s.duplicates.passed,
            failed: s.duplicates.failed,
            errors: s.duplicates.errors,
            refused: s.duplicates.refused,
            accepted: s.duplicates.accepted,
            unclear: s.duplicates.unclear,
            tracker_failed: s.duplicates.trackerFailed,
          }
        : null,
    },
  };
}

/** One entry of the document's `postbacks`. */
export function postbackJson(p: FireOutcome): Record<string, unknown> {
  return {
    seq: p.seq,
    copy: p.copy,
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
    duplicate: p.duplicate ?? null,
    sent_at: p.sentAt,
  };
}

/** How many postbacks one piece of `fireJsonChunks` holds at most, and about how many characters. */
export const POSTBACKS_PER_CHUNK = 1000;
export const CHUNK_CHARS = 256 * 1024;

/**
 * `fireJson(result)` as JSON text in pieces: the same document (`JSON.parse` of the pieces joined
 * reads back what `JSON.parse(toJson(fireJson(result), 2))` does), never one string of the whole
 * (30,000 postbacks are ~14 MB). The head is indented like toJson's; inside `postbacks`, one
 * postback per line. Every piece passes toJson's control escaping. A dry run is one piece.
 */
export function* fireJsonChunks(result: FireRunResult, limits: { postbacks?: number; chars?: number } = {}): Generator<string, void, undefined> {
  if (result.dryRun) {
    yield `${toJson(fireJson(result), 2)}\n`;
    return;
  }
  const { head, tail } = jsonAroundArray(fireJsonHead(result), 'postbacks');
  const postbacks = result.postbacks;
  if (postbacks.length === 0) {
    yield `${head}]${tail}\n`;
    return;
  }
  yield head;
  const maxPostbacks = Math.max(1, limits.postbacks ?? POSTBACKS_PER_CHUNK);
  const maxChars = limits.chars ?? CHUNK_CHARS;
  for (let from = 0; from < postbacks.length; ) {
    // A piece ends at maxPostbacks, or once its strings' lengths (a postback's other fields are
    // ~400 characters) reach maxChars: a run of long URLs or bodies still writes bounded pieces.
    let to = from;
    let chars = 0;
    while (to < postbacks.length && to - from < maxPostbacks && (to === from || chars < maxChars)) {
      const p = postbacks[to]!;
      chars += 400 + p.url.length + (p.bodyExcerpt?.length ?? 0) + p.verdict.reason.length + (p.clickId?.length ?? 0);
      to += 1;
    }
    // One JSON.stringify for the piece (per postback it is ~2x slower), then one postback per
    // line: `},{"seq":` is only ever between two postbacks (inside a string every `"` is `\"`).
    const items = JSON.stringify(postbacks.slice(from, to).map(postbackJson));
    yield escapeJsonControls(`${from === 0 ? '\n    ' : ',\n    '}${items.slice(1, -1).replaceAll('},{"seq":', '},\n    {"seq":')}`);
    from = to;
  }
  yield `\n  ]${tail}\n`;
}

function repeatJson(result: FireRunResult): Record<string, unknown> | null {
  const r = result.repeat;
  return r.copies > 1 ? { copies: r.copies, delay_ms: r.delayMs, expect: r.expect } : null;
}

/** "  copy 2 of 3" for the duplicate test's copies (nothing for a run without --repeat). */
function copyLabel(copy: number, copies: number): string {
  return copies > 1 ? `copy ${copy} of ${copies}` : '';
}

export function renderDryRun(result: FireRunResult, color: ChalkInstance): string {
  const lines = [`${color.bold('tpb fire --dry-run')}: ${result.resolved.length} request${result.resolved.length === 1 ? '' : 's'}, nothing sent (secrets redacted)`];
  if (result.sender) {
    lines.push(`${color.dim('as:')} ${result.sender.dialect ? sanitizeForDisplay(`${result.sender.dialect.title}${result.sender.dialect.detection ? ` (${result.sender.dialect.detection})` : ''}`) : 'no dialect (no macros)'}`);
    for (const fill of result.sender.fills) lines.push(`    ${sanitizeForDisplay(fill.macro)} ${color.dim('←')} ${sanitizeForDisplay(fill.filledBy)}${fill.meaning ? color.dim(`  ${sanitizeForDisplay(fill.meaning)}`) : ''}`);
  }
  if (result.repeat.copies > 1) {
    const r = result.repeat;
    const which = r.copies === 2 ? 'copy 2 of each postback is' : `copies 2..${r.copies} of each postback are`;
    lines.push(color.dim(`${which} sent ${r.delayMs === 0 ? 'right' : formatMs(r.delayMs)} after the previous copies were answered, only if the first copy passed; expected: ${r.expect}`));
  }
  for (const request of result.resolved.slice(0, 1000)) lines.push(...renderRequest(request, color, copyLabel(request.copy, result.repeat.copies)));
  if (result.resolved.length > 1000) lines.push(color.dim(`… and ${result.resolved.length - 1000} more`));
  return `${lines.join('\n')}\n`;
}

function renderRequest(request: Pick<ResolvedPostback, 'seq' | 'method' | 'url' | 'headers' | 'body'>, color: ChalkInstance, label = ''): string[] {
  const lines = [`${color.dim(`#${request.seq}`)} ${request.method} ${sanitizeForDisplay(request.url)}${label ? color.dim(`  (${label})`) : ''}`];
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

/** One line per postback; `copies` (--repeat) labels the duplicate test's copies. */
export function renderPostbackLine(outcome: FireOutcome, color: ChalkInstance, copies = 1): string {
  const status = outcome.httpStatus === undefined ? '---' : String(outcome.httpStatus);
  const id = outcome.clickId === null ? '' : `${sanitizeForDisplay(outcome.clickId)}  `;
  const copy = copies > 1 ? `${copyLabel(outcome.copy, copies)}: ` : '';
  const attempts = outcome.attempts.length > 1 ? color.dim(` (${outcome.attempts.length} attempts)`) : '';
  return `#${outcome.seq}  ${verdictLabel(outcome, color)}  ${status}  ${id}${copy}${sanitizeForDisplay(outcome.verdict.reason)}${attempts}`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** `duplicates: 2 sent, 2 refused` — the duplicate test's copies, counted apart. */
export function renderDuplicatesLine(result: FireRunResult, color: ChalkInstance): string | undefined {
  const d = result.summary.duplicates;
  if (!d) return undefined;
  const parts = [`${d.sent} sent`];
  if (d.refused > 0) parts.push(`${d.refused} refused`);
  if (d.accepted > 0) parts.push(d.expect === 'refused' ? color.red(`${d.accepted} accepted (counted twice)`) : `${d.accepted} accepted`);
  if (d.unclear > 0) parts.push(color.yellow(`${d.unclear} unclear`));
  if (d.trackerFailed > 0) parts.push(color.red(`${d.trackerFailed} tracker error${d.trackerFailed === 1 ? '' : 's'} (5xx/429)`));
  if (d.errors > 0) parts.push(color.red(`${d.errors} unreachable`));
  if (d.skipped > 0) parts.push(`${d.skipped} not sent (the first copy did not pass: nothing to duplicate)`);
  const interrupted = d.planned - d.sent - d.skipped;
  if (interrupted > 0 && result.interrupted) parts.push(`${interrupted} not sent (interrupted)`);
  const verdict = d.expect === 'any' ? 'any answer expected' : d.expect === 'accepted' ? 'expected: counted again' : 'expected: refused';
  const which = d.copies === 2 ? 'copy 2' : `copies 2..${d.copies}`;
  const when = d.delayMs === 0 ? 'right after' : `${formatMs(d.delayMs)} after`;
  return `duplicates: ${parts.join(', ')} ${color.dim(`(${which}, sent ${when} the previous answers; ${verdict})`)}`;
}

/** The summary of a fire run (the per-postback lines are printed as the postbacks finish). */
export function renderFireReport(result: FireRunResult, color: ChalkInstance, options: { reasons?: boolean } = {}): string {
  const s = result.summary;
  const lines: string[] = [];
  lines.push(`${color.bold('tpb fire')} ${sanitizeForDisplay(result.template)}${result.runId !== undefined ? color.dim(`  (run ${result.runId})`) : ''}`);
  const d = s.duplicates;
  lines.push(
    `sent ${s.sent}${d && d.sent > 0 ? ` (${s.sent - d.sent} + ${d.sent} duplicate ${d.sent === 1 ? 'copy' : 'copies'})` : ''}: ${s.passed > 0 ? color.green(`${s.passed} passed`) : '0 passed'}, ${s.failed > 0 ? color.red(`${s.failed} failed`) : '0 failed'}, ${s.errors > 0 ? color.red(`${s.errors} unreachable`) : '0 unreachable'}` +
      `${s.suspect > 0 ? color.yellow(`, ${s.suspect} suspect (HTML answer)`) : ''}${s.retried > 0 ? `, ${s.retried} retried (${s.attempts} attempts in all)` : ''}`,
  );
  const duplicates = renderDuplicatesLine(result, color);
  if (duplicates) lines.push(duplicates);
  lines.push(...renderLoadLines(s.load, s.thresholds, color, 'postbacks'));
  const statuses = Object.entries(s.statuses).sort(([a], [b]) => a.localeCompare(b));
  if (statuses.length > 0) lines.push(`statuses: ${statuses.map(([status, count]) => `${status === 'none' ? 'no answer' : status} ×${count}`).join(', ')}`);
  const caveats = result.caveats;
  for (const caveat of caveats) lines.push(color.yellow(`note: ${sanitizeForDisplay(caveat)}`));
  // Why postbacks failed, counted, when their lines were not all shown (-q, --max-lines).
  if (s.reasons.length > 0 && options.reasons) {
    lines.push('why:');
    for (const reason of s.reasons) lines.push(`  ${reason.count} × ${reason.verdict}: ${sanitizeForDisplay(reason.reason)}`);
  }
  return `${lines.join('\n')}\n`;
}
