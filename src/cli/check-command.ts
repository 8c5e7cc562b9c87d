import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError, InputError } from '../errors.js';
import { loadScenario } from '../check/scenario.js';
import { readDataRows } from '../check/data.js';
import { checkExitCode, runScenario } from '../check/run.js';
import { starterFileName, starterScenario } from '../check/init.js';
import { isPresetName } from '../presets/catalog.js';
import { renderCheckJUnit, renderCheckSummary, renderStepLine } from '../report/check.js';
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

/** The `tpb check` action: --init writes a starter file; otherwise load, run, report, set the exit code. */
export async function runCheckCommand(context: CliContext, scenarioArg: string | undefined, options: CheckCommandOptions): Promise<void> {
  const out = context.output;
  if (options.init) {
    const preset = options.preset ?? 'generic';
    if (!isPresetName(preset)) throw new UsageError(`unknown preset "${preset}"`);
    const file = context.resolvePath(scenarioArg ?? starterFileName());
    if (fs.existsSync(file) && !options.force) throw new UsageError(`${file} already exists`, { hint: 'pass --force to overwrite it, or name another file' });
    fs.writeFileSync(file, starterScenario(preset));
    if (out.json) out.jsonDocument({ written: file, preset });
    else out.info(`Wrote ${file} (${preset}). Edit the tracker paths, then: TRACKER_URL=https://staging.example.com tpb check ${path.relative(context.io.cwd, file) || file}`);
    return;
  }
  if (scenarioArg === undefined) throw new UsageError('missing the scenario file', { hint: 'tpb check <scenario.yaml>, or tpb check --init to write one' });
  if (options.preset !== undefined) throw new UsageError('--preset goes with --init; a scenario names its preset in the file');
  const scenario = loadScenario(context.resolvePath(scenarioArg));
  const data = options.data === undefined ? undefined : readDataRows(context.resolvePath(options.data));
  const junitFile = options.junit === undefined ? undefined : context.resolvePath(options.junit);
  if (junitFile !== undefined && !fs.existsSync(path.dirname(junitFile))) {
    throw new InputError(`directory ${path.dirname(junitFile)} does not exist`, { file: junitFile });
  }
  const htmlFile = options.reportHtml === undefined ? undefined : context.resolvePath(options.reportHtml);
  if (htmlFile !== undefined && !fs.existsSync(path.dirname(htmlFile))) {
    throw new InputError(`directory ${path.dirname(htmlFile)} does not exist`, { file: htmlFile });
  }
  const redactor = context.redactor;
  redactor.addNames(options.secret ?? []);
  const stream = (text: string) => (out.json ? out.info(text) : out.data(text));
  const { store, database, dispose } = openCheckDatabase(context);
  const interrupts = new InterruptWatch();
  try {
    await runAndReport();
  } finally {
    interrupts.dispose();
    dispose();
  }
  if (interrupts.received) throw interrupts.error('check interrupted: the steps left were skipped');

  async function runAndReport(): Promise<void> {
    out.verbose(database.temporary ? `database: ${database.path} (temporary: removed when the check ends; --db keeps the runs)` : `database: ${database.path} (the runs are kept there)`);
    const result = await runScenario({
      scenario,
      vars: Object.fromEntries(options.var ?? []),
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
    if (junitFile !== undefined) {
      fs.writeFileSync(junitFile, context.redactedText(renderCheckJUnit(result, context.io.now().toISOString())));
      out.info(`JUnit report: ${junitFile}`);
    }
    if (htmlFile !== undefined) {
      const { renderCheckHtml } = await import('../report/html/check.js');
      const { toolVersion } = await import('./version.js');
      const rows = (data ?? []).map((row) => ({ row: row.row, values: Object.fromEntries(Object.entries(row.values).map(([name, value]) => [name, redactor.text(value)])) }));
      writeFileAtomically(htmlFile, context.redactedText(renderCheckHtml(result, { generatedAt: context.io.now().toISOString(), version: toolVersion(), data: rows })));
      out.info(`HTML report: ${htmlFile}`);
    }
    if (out.json) out.jsonDocument({ ...result, database });
    else out.data(renderCheckSummary(result, out.stdoutColor));
    if (interrupts.received) return;
    if (result.error) throw new UsageError(result.error.message, result.error.hint === null ? {} : { hint: result.error.hint });
    context.exitCode = checkExitCode(result);
  }
}
