import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { runDemo } from '../demo/run.js';
import type { PresetName } from '../presets/catalog.js';
import { Store } from '../store/db.js';
import { countRows } from '../store/admin.js';
import { renderReconcileTable } from '../report/reconcile/table.js';
import { demoJson, DEMO_INTRO, renderDemoOutro, renderDemoStepDone, renderDemoStepStart } from '../report/demo.js';
import type { CliContext } from './context.js';

/** The `tpb demo` action: a temporary database unless --db was given, narration on stdout. */
export async function runDemoCommand(context: CliContext, options: { preset: PresetName; chain?: boolean }): Promise<void> {
  const out = context.output;
  const keep = context.program.getOptionValueSource('db') !== 'default';
  let dir: string | undefined;
  let dbPath: string;
  if (keep) {
    dbPath = context.dbPath;
    if (dbPath !== ':memory:' && fs.existsSync(dbPath)) {
      const probe = Store.open(dbPath);
      const rows = countRows(probe).reduce((sum, count) => sum + count.rows, 0);
      probe.close();
      if (rows > 0) throw new UsageError(`${dbPath} already holds data; the demo needs an empty database`, { hint: 'give --db a new file name (or run tpb db reset --yes on it)' });
    }
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpb-demo-'));
    dbPath = path.join(dir, 'demo.db');
  }
  const store = Store.open(dbPath);
  const say = (text: string) => (out.json ? out.info(text) : out.data(text));
  const color = out.json ? out.stderrColor : out.stdoutColor;
  try {
    if (options.chain) {
      await runChainCommand(context, store, options.preset, keep ? dbPath : undefined);
      return;
    }
    if (!out.globals.quiet) say(DEMO_INTRO.join('\n'));
    const result = await runDemo({
      store,
      preset: options.preset,
      onStepStart: (step) => {
        if (!out.globals.quiet) say(renderDemoStepStart(step, color));
      },
      onStep: (step) => {
        if (!out.globals.quiet) say(renderDemoStepDone(step, color));
      },
    });
    if (out.json) {
      out.jsonDocument(demoJson(result, keep ? dbPath : undefined));
    } else {
      out.data(`\n${renderReconcileTable(result.report, { color, ...(context.io.stdout.columns ? { columns: context.io.stdout.columns } : {}) })}`);
      out.data(renderDemoOutro(result, color, keep ? dbPath : undefined));
    }
    if (!result.ok) context.exitCode = 1;
  } finally {
    store.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `tpb demo --chain` (src/demo/chain.ts): the same narration, then the hop table. */
async function runChainCommand(context: CliContext, store: Store, preset: PresetName, keptAt: string | undefined): Promise<void> {
  const [{ runChainDemo }, { CHAIN_INTRO, chainJson, renderChainOutro }] = await Promise.all([import('../demo/chain.js'), import('../report/demo-chain.js')]);
  const out = context.output;
  const say = (text: string) => (out.json ? out.info(text) : out.data(text));
  const color = out.json ? out.stderrColor : out.stdoutColor;
  if (!out.globals.quiet) say(CHAIN_INTRO.join('\n'));
  const result = await runChainDemo({
    store,
    preset,
    onStepStart: (step) => {
      if (!out.globals.quiet) say(renderDemoStepStart(step, color));
    },
    onStep: (step) => {
      if (!out.globals.quiet) say(renderDemoStepDone(step, color));
    },
  });
  if (out.json) out.jsonDocument(chainJson(result, keptAt));
  else out.data(renderChainOutro(result, color, keptAt));
  if (!result.ok) context.exitCode = 1;
}
