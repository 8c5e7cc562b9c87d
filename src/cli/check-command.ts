import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError, InputError, TpbError } from '../errors.js';
import { loadScenario, type Scenario } from '../check/scenario.js';
import { readDataRows } from '../check/data.js';
import { checkExitCode, runScenario, type CheckResult, type CheckSummary, type DataRow } from '../check/run.js';
import { scenarioFiles } from '../check/files.js';
import { describeProblem, preflightScenario } from '../check/preflight.js';
import { starterEnvironment, starterFileName, starterScenario } from '../check/init.js';
import { isPresetName } from '../presets/catalog.js';
import { renderChecksJUnit, renderCheckSummary, renderStepLine } from '../report/check.js';
import type { CliContext } from './context.js';
import { InterruptWatch } from './interrupt.js';
import { Store } from '../store/db.js';

export interface CheckCommandOptions {
  var?: Array<[string, string]>;
  data?: string;
  junit?: string;
  reportHtml?: string;
  init?: boolean;
  preset?: string;
  force?: boolean;
  secret?: string[];
}

/** Write next to the target and rename, so a reader never sees half a report. */
function writeFileAtomically(file: string, text: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new InputError(`cannot write ${file}: ${(error as Error).message}`, { file, cause: error });
  }
}

/** Where a check run stores what it sends: --db (TPB_DB, the config file), else a temporary database. */
export interface CheckDatabase {
  path: string;
  /** Removed when the run ends (also on failure and on SIGINT/SIGTERM). */
  temporary: boolean;
}

/**
 * The check's database: the one --db, TPB_DB or the config file names (the runs are kept there), or
 * else a new one in the OS temp directory, so a scenario's verdict never depends on what an older
 * ./tpb.db holds. `dispose` closes it and removes a temporary one.
 */
function openCheckDatabase(context: CliContext): { store: Store; database: CheckDatabase; dispose: () => void } {
  if (context.program.getOptionValueSource('db') !== 'default') {
    return { store: context.openStore(), database: { path: context.dbPath, temporary: false }, dispose: () => undefined };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpb-check-'));
  const file = path.join(dir, 'check.db');
  let store: Store;
  try {
    store = Store.open(file);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  store.redactor = context.redactor;
  return {
    store,
    database: { path: file, temporary: true },
    dispose: () => {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Problems listed in the error before sending; the rest are counted. */
const MAX_LISTED = 50;

/** The file `tpb check` runs when no file is named (what `tpb check --init` writes). */
const DEFAULT_SCENARIO = 'tpb-check.yaml';

/**
 * Exit code of several scenarios: the worst by the documented precedence — a scenario error (2),
 * then a failed check (1, even when another step or scenario could not reach its tracker), then 3
 * only when every problem was an unreachable tracker.
 */
export function checksExitCode(results: readonly CheckResult[]): 0 | 1 | 2 | 3 {
  const codes = results.map(checkExitCode);
  for (const code of [2, 1, 3] as const) if (codes.includes(code)) return code;
  return 0;
}

function totals(results: readonly CheckResult[]): CheckSummary & { scenarios: number } {
  const sum = (key: keyof CheckSummary) => results.reduce((n, result) => n + result.summary[key], 0);
  return { scenarios: results.length, runs: sum('runs'), steps: sum('steps'), passed: sum('passed'), failed: sum('failed'), errors: sum('errors'), skipped: sum('skipped'), duration_ms: sum('duration_ms') };
}

/** The `tpb check` action: --init writes a starter file; otherwise load, check, run, report, set the exit code. */
export async function runCheckCommand(context: CliContext, scenarioArgs: readonly string[], options: CheckCommandOptions): Promise<void> {
  const out = context.output;
  if (options.init) {
    const preset = options.preset ?? 'generic';
    if (!isPresetName(preset)) throw new UsageError(`unknown preset "${preset}"`);
    if (scenarioArgs.length > 1) throw new UsageError('--init writes one file', { hint: 'tpb check --init [file] --preset <tracker>' });
    const file = context.resolvePath(scenarioArgs[0] ?? starterFileName());
    if (fs.existsSync(file) && !options.force) throw new UsageError(`${file} already exists`, { hint: 'pass --force to overwrite it, or name another file' });
    fs.writeFileSync(file, starterScenario(preset));
    if (out.json) out.jsonDocument({ written: file, preset });
    else out.info(`Wrote ${file} (${preset}). Edit the tracker paths, then: ${starterEnvironment(preset)}tpb check ${path.relative(context.io.cwd, file) || file}`);
    return;
  }
  if (options.preset !== undefined) throw new UsageError('--preset goes with --init; a scenario names its preset in the file');
  let args = scenarioArgs;
  if (args.length === 0) {
    if (!fs.existsSync(context.resolvePath(DEFAULT_SCENARIO))) {
      throw new UsageError(`missing the scenario file: no ${DEFAULT_SCENARIO} in ${context.io.cwd}`, { hint: 'tpb check <scenario.yaml | directory | glob>…, or tpb check --init to write tpb-check.yaml' });
    }
    args = [DEFAULT_SCENARIO];
  }
  const junitFile = options.junit === undefined ? undefined : context.resolvePath(options.junit);
  if (junitFile !== undefined && !fs.existsSync(path.dirname(junitFile))) {
    throw new InputError(`directory ${path.dirname(junitFile)} does not exist`, { file: junitFile });
  }
  const htmlFile = options.reportHtml === undefined ? undefined : context.resolvePath(options.reportHtml);
  if (htmlFile !== undefined && !fs.existsSync(path.dirname(htmlFile))) {
    throw new InputError(`directory ${path.dirname(htmlFile)} does not exist`, { file: htmlFile });
  }

  // --- everything knowable before sending, for every scenario, before any is run ---------------------
  const found = scenarioFiles(args, context.io.cwd);
  const problems: string[] = [...found.problems];
  const scenarios: Scenario[] = [];
  for (const file of found.files) {
    try {
      scenarios.push(loadScenario(file));
    } catch (error) {
      if (!(error instanceof TpbError) || error.exitCode !== 2) throw error;
      problems.push(error instanceof InputError ? error.located : error.message);
    }
  }
  let data: DataRow[] | undefined;
  if (options.data !== undefined) {
    try {
      data = readDataRows(context.resolvePath(options.data));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(`--data: ${error.located}`);
    }
  }
  if (htmlFile !== undefined && found.files.length > 1) problems.push('--report-html: one page per scenario — run the scenarios one at a time for HTML reports (--junit and --json take several)');
  const vars = Object.fromEntries(options.var ?? []);
  if (options.data === undefined || data !== undefined) {
    for (const scenario of scenarios) {
      problems.push(...preflightScenario({ scenario, env: context.io.env, vars, ...(data ? { data } : {}) }).map(describeProblem));
    }
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED).join('\n');
    const more = problems.length > MAX_LISTED ? `\n… and ${problems.length - MAX_LISTED} more problems` : '';
    const lead = problems.length === 1 ? '' : `${problems.length} problems; nothing was sent:\n`;
    throw new UsageError(`${lead}${listed}${more}`, { hint: problems.length === 1 ? 'nothing was sent; see "tpb check --help"' : 'nothing was sent; see "tpb check --help"' });
  }

  const redactor = context.redactor;
  redactor.addNames(options.secret ?? []);
  const stream = (text: string) => (out.json ? out.info(text) : out.data(text));
  const { store, database, dispose } = openCheckDatabase(context);
  const interrupts = new InterruptWatch();
  const results: CheckResult[] = [];
  try {
    out.verbose(database.temporary ? `database: ${database.path} (temporary: removed when the check ends; --db keeps the runs)` : `database: ${database.path} (the runs are kept there)`);
    for (const scenario of scenarios) {
      if (interrupts.received) break;
      if (scenarios.length > 1 && !out.globals.quiet) stream(out.stdoutColor.bold(`${scenario.name} (${path.relative(context.io.cwd, scenario.file) || scenario.file})`));
      const result = await runScenario({
        scenario,
        vars,
        ...(data ? { data } : {}),
        env: context.io.env,
        store,
        signal: interrupts.signal,
        redactor,
        onRunStart: (run) => {
          if (!out.globals.quiet && run.row !== null) stream(out.stdoutColor.bold(`${scenario.name} — ${run.label}`));
        },
        onStep: (run, step) => {
          if (!out.globals.quiet || step.status === 'failed' || step.status === 'error') stream(renderStepLine(run, step, out.json ? out.stderrColor : out.stdoutColor));
          if (out.globals.verbose) for (const line of step.details) out.verbose(`      ${out.safe(line)}`);
        },
      });
      results.push(result);
      if (!out.json) out.data(renderCheckSummary(result, out.stdoutColor));
    }
    if (junitFile !== undefined) {
      fs.writeFileSync(junitFile, context.redactedText(renderChecksJUnit(results, context.io.now().toISOString())));
      out.info(`JUnit report: ${junitFile}`);
    }
    if (htmlFile !== undefined && results[0]) {
      const { renderCheckHtml } = await import('../report/html/check.js');
      const { toolVersion } = await import('./version.js');
      const rows = (data ?? []).map((row) => ({ row: row.row, values: Object.fromEntries(Object.entries(row.values).map(([name, value]) => [name, redactor.text(value)])) }));
      writeFileAtomically(htmlFile, context.redactedText(renderCheckHtml(results[0], { generatedAt: context.io.now().toISOString(), version: toolVersion(), data: rows })));
      out.info(`HTML report: ${htmlFile}`);
    }
    const summary = totals(results);
    if (out.json) {
      // One scenario: its document as before (scenario, file, runs, summary); always the list too.
      const single = results.length === 1 ? results[0]! : undefined;
      const errors = results.filter((result) => result.error).map((result) => result.error!);
      out.jsonDocument({
        ...(single ?? { version: 1, summary, error: errors[0] ?? null }),
        database,
        scenarios: results,
      });
    } else if (results.length > 1) {
      const bad = results.filter((result) => checksExitCode([result]) !== 0).length;
      out.data(`${results.length} scenarios: ${results.length - bad} passed, ${bad} did not (${summary.passed} of ${summary.steps} steps passed)`);
    }
  } finally {
    interrupts.dispose();
    dispose();
  }
  if (interrupts.received) throw interrupts.error('check interrupted: the steps left were skipped');
  const [errored, ...moreErrored] = results.filter((result) => result.error);
  for (const other of moreErrored) out.error(other.error!.message);
  if (errored?.error) throw new UsageError(errored.error.message, errored.error.hint === null ? {} : { hint: errored.error.hint });
  context.exitCode = checksExitCode(results);
}
