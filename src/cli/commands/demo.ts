import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { PRESET_NAMES, type PresetName } from '../../presets/catalog.js';

export function registerDemo(program: Command, context: CliContext): void {
  const command = program
    .command('demo')
    .description('the whole loop in a few seconds: mock tracker, clicks, postbacks, exports, ingest, reconcile')
    .addOption(new Option('--preset <name>', 'which tracker the mock imitates').choices([...PRESET_NAMES]).default('generic'))
    .option('--chain', 'the two-hop trip instead: advertiser → tracker (serve --forward-postbacks) → traffic source (tpb catch), with a loss on each hop')
    .addHelpText(
      'after',
      '\nBy default the database is temporary and removed at the end; give --db <new file> to keep it and explore.\nExit 0 when reconcile finds exactly the problems the demo injected.',
    )
    .action(async (options: { preset: PresetName; chain?: boolean }) => {
      const { runDemoCommand } = await import('../demo-command.js');
      await runDemoCommand(context, options);
    });
  addExamples(command, [
    ['tpb demo', 'run it (about 2 seconds)'],
    ['tpb demo --preset tune', 'against a mock TUNE tracker: transaction_id, success=true; answers'],
    ['tpb demo --db demo.db', 'keep the database, then: tpb db info --db demo.db'],
    ['tpb demo --chain', 'fire → serve → catch: which conversions reached the traffic source, how late, which were lost where'],
  ]);
}
