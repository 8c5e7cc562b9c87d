import type { ChalkInstance } from 'chalk';
import type { LintFinding, PostbackAnalysis } from '../template/lint.js';
import { sanitizeForDisplay } from '../text/sanitize.js';

/** The JSON document of `tpb lint --json`. */
export function lintJson(template: string, preset: string | undefined, findings: readonly LintFinding[], analysis?: PostbackAnalysis): Record<string, unknown> {
  return {
    version: 1,
    template,
    preset: preset ?? null,
    receiver: preset ?? null,
    ...(analysis
      ? {
          sender: analysis.dialect ? { id: analysis.dialect.id, title: analysis.dialect.title, chosen: analysis.dialect.chosen, detection: analysis.dialect.detection, tied_with: analysis.dialect.tiedWith, mixed: analysis.dialect.mixed } : null,
          macros: analysis.macros,
          click_id: { macros: analysis.clickId.macros, params: analysis.clickId.params, receiver_param: analysis.clickId.receiverParam, lands: analysis.clickId.lands },
        }
      : {}),
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

/** "reads as Keitaro: 2 of 2 macros" and where the click id goes. */
function renderAnalysis(analysis: PostbackAnalysis, color: ChalkInstance, verbose: boolean): string {
  const lines: string[] = [];
  const d = analysis.dialect;
  if (d && d.chosen !== 'default') {
    const how = d.chosen === 'sender' ? `sender ${d.title}` : d.detection === 'no macros' ? 'none (no macros)' : d.id === 'unknown' ? `reads as no known dialect (${d.detection ?? ''})` : `reads as ${d.detection ?? d.title}`;
    lines.push(`${color.dim('dialect:')} ${sanitizeForDisplay(how)}${d.mixed && d.id !== 'unknown' ? color.yellow(' — mixed') : ''}`);
  }
  const c = analysis.clickId;
  if (c.macros.length > 0 || c.receiverParam) {
    const where = c.macros.length > 0 ? `${c.macros.join(', ')} in ${c.params.join(', ') || '(not a parameter)'}` : 'no click-id macro';
    const lands = c.receiverParam === null ? '' : c.lands ? color.green(`  → the receiver reads ${c.receiverParam}: it lands`) : color.red(`  → the receiver reads ${c.receiverParam}: it does not land`);
    lines.push(`${color.dim('click id:')} ${sanitizeForDisplay(where)}${lands}`);
  }
  if (verbose) {
    for (const use of analysis.macros) {
      const meaning = use.meaning ? `${use.dialect}: ${use.meaning}${use.uncertain ? color.yellow(' (uncertain: not confirmed by its documentation)') : ''}` : color.red('unknown');
      lines.push(`  ${color.bold(sanitizeForDisplay(use.macro))}${use.param ? color.dim(` in ${sanitizeForDisplay(use.param)}`) : ''}  ${sanitizeForDisplay(meaning)}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function renderLintReport(template: string, preset: string | undefined, findings: readonly LintFinding[], color: ChalkInstance, extra: { analysis?: PostbackAnalysis; verbose?: boolean } = {}): string {
  const errors = findings.filter((item) => item.severity === 'error').length;
  const warnings = findings.length - errors;
  const head = `${color.bold('tpb lint')} ${sanitizeForDisplay(template)}${preset ? color.dim(`  (receiver ${preset})`) : ''}\n`;
  const verdict =
    findings.length === 0
      ? color.green('no problems found\n')
      : `${errors > 0 ? color.red(`${errors} error${errors === 1 ? '' : 's'}`) : '0 errors'}, ${warnings > 0 ? color.yellow(`${warnings} warning${warnings === 1 ? '' : 's'}`) : '0 warnings'}\n`;
  return `${head}${extra.analysis ? renderAnalysis(extra.analysis, color, extra.verbose ?? false) : ''}${renderLintFindings(findings, color)}${verdict}`;
}
