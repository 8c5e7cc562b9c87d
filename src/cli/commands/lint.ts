import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { collectList, parseKeyValue } from '../parsers.js';
import { PRESET_NAMES, type PresetName } from '../../presets/catalog.js';
import { CheckFailed, UsageError } from '../../errors.js';
import { DIALECT_IDS } from '../../template/dialects/ids.js';

interface LintCommandOptions {
  sender: string;
  receiver?: PresetName;
  preset?: PresetName;
  var?: Array<[string, string]>;
  method?: string;
  secret?: string[];
}

export function registerLint(program: Command, context: CliContext): void {
  const command = program
    .command('lint')
    .description("check a postback URL exactly as copied, without sending it: its sender's macros, its receiver's parameters, and the damage copying does")
    .argument('<url>', "postback URL as copied from a tracker or network ({external_id}, #s2#, [[subid]]…), or a tpb template ({click_id}…)")
    .addOption(new Option('--sender <platform>', 'the platform that fills the URL (its macro dialect), or auto to detect it').choices(['auto', ...DIALECT_IDS]).default('auto'))
    .addOption(new Option('--receiver <preset>', "the tracker that receives it: required parameters, the click-id parameter it reads, id format").choices(PRESET_NAMES))
    .addOption(new Option('--preset <name>', 'same as --receiver').choices(PRESET_NAMES))
    .option('--var <name=value>', 'a custom macro that fire will fill (repeatable; only the name matters here)', parseKeyValue)
    .addOption(new Option('-X, --method <method>', 'the method the postback will use').choices(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']))
    .option('--secret <name>', 'parameter to redact in the output (repeatable)', collectList)
    .action(async (template: string, options: LintCommandOptions) => {
      const { analyzePostback } = await import('../../template/lint.js');
      const { FIRE_MACROS } = await import('../../template/macros.js');
      const { lintJson, renderLintReport } = await import('../../report/lint.js');
      if (options.receiver && options.preset && options.receiver !== options.preset) throw new UsageError('--receiver and --preset name the same thing: give one');
      const receiver = options.receiver ?? options.preset;
      const analysis = analyzePostback(template, {
        knownMacros: [...FIRE_MACROS, ...(options.var ?? []).map(([name]) => name)],
        sender: options.sender,
        ...(receiver ? { preset: receiver } : {}),
        ...(options.method ? { method: options.method } : {}),
      });
      context.redactor.addNames(options.secret ?? []);
      const shown = context.redactor.url(template);
      if (context.globals.json) context.output.jsonDocument(lintJson(shown, receiver, analysis.findings, analysis));
      else context.output.data(renderLintReport(shown, receiver, analysis.findings, context.output.stdoutColor, { analysis, verbose: context.globals.verbose }));
      const errors = analysis.findings.filter((item) => item.severity === 'error').length;
      if (errors > 0) throw new CheckFailed(`${errors} lint error${errors === 1 ? '' : 's'} in the postback URL`);
    });
  addExamples(command, [
    ["tpb lint 'https://postback.propellerads.com/?aid=1&tid=2&visitor_id={external_id}&payout={payout}'", 'as copied: the dialect is detected (Keitaro)'],
    ["tpb lint 'https://t.example.com/k3y/postback?subid=#s2#&payout=#price#' --sender cake --receiver keitaro", "CAKE fills it, Keitaro reads it: does the click id land in subid?"],
    ["tpb lint 'https://t.example.com/postback?cid={click_id}&payout={payout}'", "tpb's own macros (what tpb fire fills)"],
    ["tpb lint 'https://n.go2cloud.org/aff_lsr?offer_id=1&transaction_id={transaction_id}' --receiver tune -v", 'every macro with its meaning'],
    ['tpb lint "$POSTBACK" --json', 'findings as JSON (exit 1 on errors only)'],
  ]);
  command.addHelpText('after', `\nSenders (dialects): ${DIALECT_IDS.join(', ')}; README "Dialects" lists each one's syntax, click-id and payout macros and sources.\n`);
}
