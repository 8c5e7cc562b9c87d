import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { parseKeyValue } from '../parsers.js';
import { PRESET_NAMES } from '../../presets/catalog.js';
import { parseTimeZone } from '../../units/timestamp.js';
import { parseDelimiterOption } from '../../csv/delimiter.js';
import type { IngestCommandOptions } from './ingest-run.js';


function timezoneOption(value: string): string {
  const zone = parseTimeZone(value);
  if (!zone) throw new InvalidArgumentError('expected an IANA time zone (America/New_York) or an offset (+05:30).');
  return zone.name;
}

function delimiterOption(value: string): string {
  const delimiter = parseDelimiterOption(value);
  if (delimiter === undefined) throw new InvalidArgumentError('expected one character, or tab, comma, semicolon, pipe.');
  return delimiter;
}

export function registerIngest(program: Command, context: CliContext): void {
  const command = program
    .command('ingest')
    .description('load click or conversion CSV exports into the database (one transaction per file)')
    .argument('<file...>', 'CSV files (.csv, .tsv, .gz; UTF-8 or UTF-16 with BOM); "-" reads stdin')
    .addOption(new Option('-k, --kind <kind>', 'what the file holds').choices(['clicks', 'conversions']).makeOptionMandatory())
    .addOption(new Option('-p, --preset <name>', "the tracker whose export this is (default: recognised from the headers)").choices(PRESET_NAMES))
    .option('-m, --map <field=Header>', 'read a field from a column, overriding the preset (repeatable)', parseKeyValue)
    .option('-s, --source <label>', 'label of these rows in reconcile (default: the preset name, else "csv")')
    .option('--timezone <zone>', 'time zone of timestamps without an offset: IANA name or ±hh:mm (default UTC)', timezoneOption)
    .option('-d, --delimiter <char>', 'field delimiter (default: detected among , ; tab |)', delimiterOption)
    .option('--decimal-comma', 'amounts are written 12,34 (and 1.234,56); detected in semicolon-separated files')
    .option('--no-decimal-comma', 'amounts use a decimal point, even in a semicolon-separated file')
    .option('--strict', 'exit 1 when any row is rejected, and 2 for a header-only file')
    .option('--force-kind', 'load the file as --kind says even when its columns look like the other kind')
    .option('--force', 'replace an earlier import of the same content instead of skipping it')
    .option('--replace', 'replace every earlier import of this source and kind, in the same transaction (a newer export covering the old ones)')
    .action(async (files: string[], options: IngestCommandOptions) => {
      const { runIngestCommand } = await import('./ingest-run.js');
      await runIngestCommand(context, files, options);
    });
  addExamples(command, [
    ['tpb ingest clicks.csv --kind clicks --preset voluum', 'a Voluum click export'],
    ['tpb ingest conversions.csv --kind conversions', 'headers recognised from every preset'],
    ['tpb ingest report.csv.gz -k conversions --map click_id="Sub ID 3"', 'the click id is in another column'],
    ['tpb ingest export.csv -k conversions --timezone America/New_York', 'naive times are New York time'],
    ['curl -s $EXPORT_URL | tpb ingest - -k clicks --source staging', 'from stdin'],
    ['tpb ingest *.csv -k conversions --strict --json', 'CI: exit 1 when a row is rejected'],
    ['tpb ingest days-1-7.csv -k conversions --preset tune --replace', 'this export replaces the earlier tune conversion imports'],
  ]);
  command.addHelpText(
    'after',
    '\nFields: click_id occurred_at offer_id affiliate_id sub1..sub5 ip user_agent;\n' +
      'conversions also conversion_id txid event status payout revenue currency.\n' +
      'Rejected rows (with line and reason): tpb db export rejects.\n',
  );
}
