import type { CheckResult, DataRow, ScenarioRun, StepResult } from '../../check/run.js';
import { dataTable, formatCount, html, renderPage, type Html } from './page.js';

export interface CheckHtmlOptions {
  /** When the report was written (ISO). */
  generatedAt: string;
  version?: string;
  /** The --data rows (already redacted), shown above their run. */
  data?: readonly DataRow[];
}

const STATUS_WORDS: Readonly<Record<StepResult['status'], string>> = { passed: 'passed', failed: 'failed', error: 'could not run', skipped: 'skipped' };

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function stepDetails(step: StepResult): Html | string {
  const parts: Html[] = [];
  if (step.actual !== undefined) {
    parts.push(html`<pre class="expectation">expected ${step.expected ?? ''}\ngot      ${step.actual}</pre>`);
  } else if (step.expected !== undefined) {
    parts.push(html`<p class="muted">expected ${step.expected}</p>`);
  }
  if (step.captured && Object.keys(step.captured).length > 0) {
    parts.push(html`<p class="muted">captured ${Object.entries(step.captured).map(([name, value], i) => html`${i > 0 ? ', ' : ''}<code>${name}</code> = <code>${value}</code>`)}</p>`);
  }
  if (step.details.length > 0) {
    parts.push(html`<details><summary>requests and answers (${step.details.length} line${step.details.length === 1 ? '' : 's'})</summary><pre class="requests">${step.details.join('\n')}</pre></details>`);
  }
  return parts.length === 0 ? '' : html`${parts}`;
}

function runSection(result: CheckResult, run: ScenarioRun, index: number, row: DataRow | undefined): Html {
  const failed = run.steps.some((step) => step.status === 'failed' || step.status === 'error');
  const values = row
    ? html`<p class="muted">data: ${Object.entries(row.values).map(([name, value], i) => html`${i > 0 ? ' · ' : ''}<code>${name}</code> = <code>${value}</code>`)}</p>`
    : '';
  const table = dataTable(
    run.steps,
    [
      { label: 'step', cell: (step) => html`<strong>${step.name}</strong> <span class="muted">${step.kind}</span>` },
      { label: 'verdict', cell: (step) => html`<span class="pill ${step.status}" data-status="${step.status}">${STATUS_WORDS[step.status]}</span>` },
      { label: 'time', cell: (step) => duration(step.duration_ms), sortValue: (step) => step.duration_ms, numeric: true, narrowHidden: true },
      { label: 'what happened', cell: (step) => html`${step.reason}${stepDetails(step)}` },
    ],
    { id: `run-${index}`, caption: run.label },
  );
  const title = run.row === null ? result.scenario : `${result.scenario} — ${run.label}`;
  return html`<section class="run" data-row="${run.row ?? ''}" data-failed="${failed ? 'true' : 'false'}"><h2>${failed ? html`<span class="bad">✗</span>` : html`<span class="ok">✓</span>`} ${title} <span class="muted">(${duration(run.duration_ms)})</span></h2>${values}${table}</section>`;
}

/** The self-contained HTML report of a `tpb check` run (`--report-html`). */
export function renderCheckHtml(result: CheckResult, options: CheckHtmlOptions): string {
  const s = result.summary;
  const bad = s.failed > 0 || s.errors > 0 || result.error !== null;
  const parts = [`${formatCount(s.passed)} passed`];
  if (s.failed > 0) parts.push(`${formatCount(s.failed)} failed`);
  if (s.errors > 0) parts.push(`${formatCount(s.errors)} could not run`);
  if (s.skipped > 0) parts.push(`${formatCount(s.skipped)} skipped`);
  const rows = new Map((options.data ?? []).map((row) => [row.row, row]));
  const body = html`<header><h1>tpb check: ${result.scenario}</h1><p class="muted mono">${result.file}</p></header>
<section class="verdict v-${bad ? 'bad' : 'ok'}" data-state="${bad ? 'bad' : 'ok'}" id="verdict"><div class="headline">${parts.join(', ')} of ${formatCount(s.steps)} steps${s.runs > 1 ? ` over ${formatCount(s.runs)} data rows` : ''}</div>
<p class="muted">in ${duration(s.duration_ms)}</p>${result.error ? html`<p class="bad"><strong>Scenario error:</strong> ${result.error.message}${result.error.hint ? html` — ${result.error.hint}` : ''}</p>` : ''}</section>
<div class="cards" id="cards">
<div class="card" data-key="passed"><div class="n ok">${formatCount(s.passed)}</div><div class="l">passed</div></div>
<div class="card" data-key="failed"><div class="n ${s.failed > 0 ? 'bad' : ''}">${formatCount(s.failed)}</div><div class="l">failed</div></div>
<div class="card" data-key="errors"><div class="n ${s.errors > 0 ? 'bad' : ''}">${formatCount(s.errors)}</div><div class="l">could not run</div></div>
<div class="card" data-key="skipped"><div class="n">${formatCount(s.skipped)}</div><div class="l">skipped</div></div>
</div>
${result.runs.map((run, index) => runSection(result, run, index, run.row === null ? undefined : rows.get(run.row)))}`;
  return renderPage({
    title: `tpb check: ${result.scenario} — ${bad ? 'failed' : 'passed'}`,
    body,
    footer: html`Written by tpb${options.version ? ` ${options.version}` : ''} at ${options.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}. Secrets in URLs and headers are redacted.`,
  });
}
