import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { collectList, parseKeyValue } from '../parsers.js';
import { PRESET_NAMES, type PresetName } from '../../presets/catalog.js';
import { CheckFailed } from '../../errors.js';

interface LintCommandOptions {
  preset?: PresetName;
  var?: Array<[string, string]>;
  method?: string;
  secret?: string[];
}

export function registerLint(program: Command, context: CliContext): void {
  const command = program
    .command('lint')
    .description('check a postback URL or template without sending it: unresolved or foreign macros, required parameters, click-id format, encoding')
    .argument('<url-template>', 'postback URL or template ({click_id}, {payout}…)')
    .addOption(new Option('--preset <name>', "check that tracker's required parameters and click-id format").choices(PRESET_NAMES))
    .option('--var <name=value>', 'a custom macro that fire will fill (repeatable; only the name matters here)', parseKeyValue)
    .addOption(new Option('-X, --method <method>', 'the method the postback will use').choices(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']))
    .option('--secret <name>', 'parameter to redact in the output (repeatable)', collectList)
    .action(async (template: string, options: LintCommandOptions) => {
      const { lintTemplate } = await import('../../template/lint.js');
      const { FIRE_MACROS } = await import('../../template/macros.js');
      const { lintJson, renderLintReport } = await import('../../report/lint.js');
      const findings = lintTemplate(template, {
        knownMacros: [...FIRE_MACROS, ...(options.var ?? []).map(([name]) => name)],
        ...(options.preset ? { preset: options.preset } : {}),
        ...(options.method ? { method: options.method } : {}),
      });
      context.redactor.addNames(options.secret ?? []);
      const shown = context.redactor.url(template);
      if (context.globals.json) context.output.jsonDocument(lintJson(shown, options.preset, findings));
      else context.output.data(renderLintReport(shown, options.preset, findings, context.output.stdoutColor));
      const errors = findings.filter((item) => item.severity === 'error').length;
      if (errors > 0) throw new CheckFailed(`${errors} lint error${errors === 1 ? '' : 's'} in the postback URL`);
    });
  addExamples(command, [
    ['tpb lint "https://t.example.com/postback?cid={click_id}&payout={payout}"', 'a generic template'],
    ['tpb lint "https://n.go2cloud.org/aff_lsr?offer_id=1&transaction_id={transaction_id}" --preset tune', 'TUNE: a foreign macro'],
    ['tpb lint "https://e.example.com/?nid={nid}&transaction_id={click_id}" --preset everflow --var nid=7', 'with a custom macro'],
    ['tpb lint "$POSTBACK" --json', 'findings as JSON (exit 1 on errors only)'],
  ]);
}
