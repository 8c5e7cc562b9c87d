import type { ChalkInstance } from 'chalk';
import type { CheckResult, ScenarioRun, StepResult } from '../check/run.js';
import { sanitizeForDisplay } from '../text/sanitize.js';
import { renderJUnit, type JUnitCase, type JUnitSuite } from './junit.js';

const MARK: Record<StepResult['status'], string> = { passed: '✓', failed: '✗', error: '!', skipped: '-' };

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One line per step: mark, name, and why. */
export function renderStepLine(run: ScenarioRun, step: StepResult, color: ChalkInstance): string {
  const paint = { passed: color.green, failed: color.red, error: color.red, skipped: color.dim }[step.status];
  const prefix = run.row === null ? '' : color.dim(`[${run.label}] `);
  const name = sanitizeForDisplay(step.name);
  const reason = sanitizeForDisplay(step.reason);
  const extra =
    step.status === 'failed' && step.expected !== undefined
      ? `\n      expected ${sanitizeForDisplay(step.expected)}\n      got      ${sanitizeForDisplay(step.actual ?? '')}`
      : '';
  return `  ${prefix}${paint(MARK[step.status])} ${name} ${color.dim(`(${seconds(step.duration_ms)})`)} — ${step.status === 'passed' ? color.dim(reason) : reason}${extra}`;
}

export function renderCheckSummary(result: CheckResult, color: ChalkInstance): string {
  const s = result.summary;
  const parts = [color.green(`${s.passed} passed`)];
  if (s.failed > 0) parts.push(color.red(`${s.failed} failed`));
  if (s.errors > 0) parts.push(color.red(`${s.errors} could not run`));
  if (s.skipped > 0) parts.push(color.dim(`${s.skipped} skipped`));
  const runs = s.runs > 1 ? ` over ${s.runs} data rows` : '';
  return `${sanitizeForDisplay(result.scenario)}: ${parts.join(', ')} of ${s.steps} steps${runs} in ${seconds(s.duration_ms)}`;
}

/** Test case names: "scenario / row N / step" — unique, since step names are unique per scenario. */
export function testCaseName(result: CheckResult, run: ScenarioRun, step: StepResult): string {
  return run.row === null ? `${result.scenario} / ${step.name}` : `${result.scenario} / ${run.label} / ${step.name}`;
}

/** JUnit: one suite per run (data row), one test case per step. */
export function renderCheckJUnit(result: CheckResult, timestamp: string): string {
  return renderJUnit(checkJUnitSuites(result, timestamp), result.scenario);
}

/** Several scenarios in one JUnit file (`tpb check a.yaml b.yaml`): their suites in order. */
export function renderChecksJUnit(results: readonly CheckResult[], timestamp: string): string {
  if (results.length === 1) return renderCheckJUnit(results[0]!, timestamp);
  return renderJUnit(results.flatMap((result) => checkJUnitSuites(result, timestamp)), 'tpb check');
}

function checkJUnitSuites(result: CheckResult, timestamp: string): JUnitSuite[] {
  return result.runs.map((run) => ({
    name: run.row === null ? result.scenario : `${result.scenario} / ${run.label}`,
    time: run.duration_ms / 1000,
    timestamp,
    properties: { file: result.file },
    cases: run.steps.map((step): JUnitCase => {
      const text = [
        ...(step.expected !== undefined ? [`expected: ${step.expected}`] : []),
        ...(step.actual !== undefined ? [`actual:   ${step.actual}`] : []),
        ...step.details,
      ].join('\n');
      const base: JUnitCase = {
        name: testCaseName(result, run, step),
        classname: result.scenario,
        time: step.duration_ms / 1000,
        ...(step.details.length > 0 ? { systemOut: step.details.join('\n') } : {}),
      };
      switch (step.status) {
        case 'failed':
          return { ...base, failure: { message: step.reason, type: step.kind, text } };
        case 'error':
          return { ...base, error: { message: step.reason, type: step.errorType ?? 'network', text } };
        case 'skipped':
          return { ...base, skipped: step.reason };
        default:
          return base;
      }
    }),
  }));
}
