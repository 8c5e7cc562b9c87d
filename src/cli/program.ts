import fs from 'node:fs';
import { Command, Option } from 'commander';
import type { Io } from './io.js';
import { CliContext } from './context.js';
import { applyConfig, findConfigFile, loadConfig } from './config.js';
import { addExamples } from './help.js';
import { colorLevel } from './output.js';
import { registerDb } from './commands/db.js';
import { registerIngest } from './commands/ingest.js';
import { registerReconcile } from './commands/reconcile.js';
import { registerClick } from './commands/click.js';
import { registerFire } from './commands/fire.js';
import { registerLint } from './commands/lint.js';
import { registerServe } from './commands/serve.js';
import { registerCatch } from './commands/catch.js';
import { registerCheck } from './commands/check.js';
import { registerDemo } from './commands/demo.js';

function readVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

/**
 * Build the commander program. Only this folder touches commander; each command's file wires its
 * options and lazily imports its implementation when it runs, so `tpb --help` stays fast.
 */
export function buildProgram(io: Io): { program: Command; context: CliContext } {
  const program = new Command();
  const context = new CliContext(io, program);

  program
    .name('tpb')
    .description(
      'Test server-to-server postbacks and reconcile clicks with conversions.\n' +
        'Simulate clicks, fire postbacks, load tracker exports into SQLite and find the conversions that will not be paid.',
    )
    .version(readVersion(), '-V, --version', 'print the version')
    .addOption(new Option('--db <path>', 'SQLite database file').env('TPB_DB').default('./tpb.db'))
    .option('--config <file>', `config file of option defaults (default: ./tpb.config.json if present)`)
    .option('--json', 'print one JSON document on stdout; messages go to stderr')
    .option('--no-color', 'no colors (also NO_COLOR=1)')
    .option('-q, --quiet', 'only errors, warnings and the result')
    .option('-v, --verbose', 'more detail: requests and answers (click, fire, check), column mappings (ingest), stage timings (reconcile)')
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) =>
        write(colorLevel(io.stderr, io.env, program.opts().color !== false) > 0 ? `\u001b[31m${text}\u001b[39m` : text),
    })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false });

  program.hook('preAction', (_root, action) => {
    const globals = program.opts<{ config?: string }>();
    const file = findConfigFile(globals.config, io.cwd);
    if (file === undefined) return;
    const config = loadConfig(file, globals.config !== undefined);
    if (config) applyConfig(config, program, action, (message) => context.output.warn(message));
  });

  // In the order of the loop: click, fire (and lint), ingest, reconcile; then the mock tracker and db.
  registerClick(program, context);
  registerFire(program, context);
  registerLint(program, context);
  registerIngest(program, context);
  registerReconcile(program, context);
  registerServe(program, context);
  registerCatch(program, context);
  registerDemo(program, context);
  registerCheck(program, context);
  registerDb(program, context);

  addExamples(program, [
    ['tpb demo', 'the whole loop against the embedded mock tracker'],
    ['tpb ingest clicks.csv --kind clicks --preset voluum', 'load a tracker click export'],
    ['tpb reconcile --format markdown', 'what will not be paid, and why'],
    ['tpb db info', 'what the database holds'],
  ]);
  program.addHelpText('after', '\nExit codes: 0 ok, 1 a check failed, 2 usage or input error, 3 network or runtime error.\n');
  return { program, context };
}
