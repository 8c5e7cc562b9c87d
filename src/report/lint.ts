import type { ChalkInstance } from 'chalk';
import type { LintFinding } from '../template/lint.js';
import { sanitizeForDisplay } from '../text/sanitize.js';

/** The JSON document of `tpb lint --json`. */
export function lintJson(template: string, preset: string | undefined, findings: readonly LintFinding[]): Record<string, unknown> {
  return {
    version: 1,
    template,
    preset: preset ?? null,
    errors: findings.filter((item) => item.severity === 'error').length,
    warnings: findings.filter((item) => item.severity === 'warning').length,
    findings,
  };
}

/** Findings as "error  param  message / fix" blocks, most severe first. */
export function renderLintFindings(findings: readonly LintFinding[], color: ChalkInstance): string {
  const sorted = [...findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  const lines: string[] = [];
  for (const item of sorted) {
    const label = item.severity === 'error' ? color.red('error  ') : color.yellow('warning');
    const param = item.param ? color.bold(sanitizeForDisplay(item.param)) : color.dim('(url)');
    lines.push(`${label} ${param}: ${sanitizeForDisplay(item.message)}`);
    lines.push(`        ${color.dim('fix:')} ${sanitizeForDisplay(item.fix)}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function renderLintReport(template: string, preset: string | undefined, findings: readonly LintFinding[], color: ChalkInstance): string {
  const errors = findings.filter((item) => item.severity === 'error').length;
  const warnings = findings.length - errors;
  const head = `${color.bold('tpb lint')} ${sanitizeForDisplay(template)}${preset ? color.dim(`  (preset ${preset})`) : ''}\n`;
  const verdict =
    findings.length === 0
      ? color.green('no problems found\n')
      : `${errors > 0 ? color.red(`${errors} error${errors === 1 ? '' : 's'}`) : '0 errors'}, ${warnings > 0 ? color.yellow(`${warnings} warning${warnings === 1 ? '' : 's'}`) : '0 warnings'}\n`;
  return `${head}${renderLintFindings(findings, color)}${verdict}`;
}
