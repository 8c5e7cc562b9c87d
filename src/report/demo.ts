import type { ChalkInstance } from 'chalk';
import type { DemoResult, DemoStep } from '../demo/run.js';
import { sanitizeForDisplay } from '../text/sanitize.js';

export const DEMO_INTRO = [
  'How postback tracking works: a tracker gives every click an id and passes it to the advertiser',
  "on the redirect. When the visitor buys, the advertiser's server sends that id back to the tracker",
  "(the postback). No browser, no cookie: if the id is lost or mangled on the way, the sale is not",
  'paid, and only a comparison of both sides shows why. This demo runs that loop against a mock tracker.',
];

export function renderDemoStepStart(step: Pick<DemoStep, 'number' | 'total' | 'title' | 'does'>, color: ChalkInstance): string {
  return `\n${color.bold(`${step.number}/${step.total} ${step.title}`)} — ${step.does}`;
}

export function renderDemoStepDone(step: DemoStep, color: ChalkInstance): string {
  const mark = step.ok ? color.green('✓') : color.red('✗');
  return step.shows.map((line, index) => `  ${index === 0 ? mark : ' '} ${sanitizeForDisplay(line)}`).join('\n');
}

export function renderDemoOutro(result: DemoResult, color: ChalkInstance, dbPath: string | undefined): string {
  const lines: string[] = [];
  const failed = result.expectations.filter((e) => e.expected !== e.actual);
  if (failed.length === 0) {
    lines.push(
      color.green(`Reconcile found exactly what the demo injected: ${result.plan.duplicates} duplicates, ${result.plan.unknown} unknown ids, 1 mangled id and 1 unreplaced macro — each with its likely cause.`),
    );
  } else {
    lines.push(color.red('Reconcile found something other than what the demo injected:'));
    for (const e of failed) lines.push(`  ${e.name}: expected ${e.expected}, found ${e.actual}`);
  }
  lines.push('');
  if (dbPath) {
    lines.push(`The database is kept at ${dbPath}. Explore it:`);
    lines.push(`  tpb db info --db ${dbPath}`);
    lines.push(`  tpb reconcile --db ${dbPath} --conversions-source tpb:fire --format markdown`);
    lines.push(`  tpb db export postbacks --db ${dbPath}`);
  } else {
    lines.push('Nothing was left behind (run with --db demo.db to keep the database and explore it).');
  }
  lines.push(`Next: point tpb click / tpb fire at your own tracker, or tpb serve --preset ${result.preset} to keep this mock running.`);
  return lines.join('\n');
}

/** The --json document: the steps, the expectations and both reconcile summaries. */
export function demoJson(result: DemoResult, dbPath: string | undefined): Record<string, unknown> {
  return {
    version: 1,
    ok: result.ok,
    preset: result.preset,
    tracker: result.trackerUrl,
    db: dbPath ?? null,
    plan: result.plan,
    steps: result.steps.map(({ number, title, does, shows, ok }) => ({ number, title, does, shows, ok })),
    expectations: result.expectations,
    reconcile: { summary: result.report.summary, hints: result.report.hints },
    compare: { summary: result.comparison.summary },
  };
}
