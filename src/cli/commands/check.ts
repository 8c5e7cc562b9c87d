import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { collect, parseKeyValue } from '../parsers.js';
import { PRESET_NAMES } from '../../presets/catalog.js';
import type { CheckCommandOptions } from '../check-command.js';


export function registerCheck(program: Command, context: CliContext): void {
  const command = program
    .command('check')
    .description('run a postback scenario (click, fire, wait, ingest, reconcile steps) against a tracker, for CI')
    .argument('[scenarios...]', 'scenario files (.yaml, .yml or .json), directories (their *.yaml, *.yml) or quoted globs (checks/**/*.yaml); default ./tpb-check.yaml. With --init, the file to write')
    .option('--var <name=value>', 'set a {var} (repeatable; wins over the scenario and --data)', parseKeyValue)
    .option('--data <file>', 'CSV file: run the scenario once per row, the columns as {vars}')
    .option('--junit <file>', 'write a JUnit XML report: one test case per step and data row')
    .option('--report-html <file>', 'write a self-contained HTML report: steps, data rows, requests and answers (redacted), verdicts')
    .option('--secret <name>', 'more query parameters and headers to redact (repeatable)', collect)
    .option('--init', 'write a starter scenario instead of running one')
    .addOption(new Option('--preset <name>', 'with --init: the tracker the starter scenario is for').choices([...PRESET_NAMES]))
    .option('--force', 'with --init: overwrite an existing file')
    .addHelpText(
      'after',
      `
Scenario file (YAML or JSON):
  name, tracker (base URL, usable as {tracker}), preset, vars, steps. Each step has a name and one of
    click:     { url, params, headers, capture (default click_id), click_id_param, click_id_json, follow, timeout }
    fire:      { url (default: the preset's postback on the tracker), method, data, headers, payout, txid,
                 event, status, expect: { status: 200 | [200, 2xx], body: <regex>, preset: true|false },
                 retries, repeat, timeout }
    wait:      10s | { duration } | { until: <later step name>, timeout: 30s, interval: 1s }
    ingest:    { file, kind: clicks|conversions, preset, source, timezone }
    reconcile: { fail_on, max_unmatched, max_unmatched_rate, max_duplicates, window, dedupe_key,
                 clicks_source, conversions_source, scope: run (default: only this run's clicks,
                 postbacks and ingested files) | database (everything in --db) }
    expect_postback: { click_id (default {click_id}), method, path, match: {param: value},
                 params: { payout: "2.50", status: approved }, within: 10s }  — needs catch:
  catch: { host, port, status, body, content_type, delay, rules, fail_rate, reset_rate, seed,
           click_id_param, forward } starts a receiver for the scenario (as tpb catch); {catch_url}
  is its URL, for pointing a tracker's outbound postback at it.
  and optionally continue_on_failure: true (otherwise a failed step skips the rest of that run).
  {name} is a var, a data-row column or a capture; \${NAME} an environment variable (a secret:
  redacted everywhere; a missing one is exit 2).
Before the first request every file is checked whole: \${NAME}s set, {names} known (a var, a column,
  an earlier step's capture), fire URLs linted, ingest and rules files present (relative to the
  scenario), data rows' amounts and statuses valid. Any problem: all of them listed, exit 2, nothing sent.
Several files, directories (their *.yaml, *.yml) and quoted globs ('checks/**/*.yaml') run in one
  call, all checked before any runs: one JUnit file, one --json document, the worst exit code.
Database: a temporary one, removed at the end, unless --db (TPB_DB, the config file) names one to
  keep the runs in; -v and --json say which.
Exit codes, the worst over all scenarios: 130/143 stopped by a signal, 2 bad scenario, 1 a check
  failed (even when other steps could not reach the tracker), 3 only when every failure was an
  unreachable tracker, 0 every step passed.`,
    )
    .action(async (scenarioArgs: string[], options: CheckCommandOptions) => {
      const { runCheckCommand } = await import('../check-command.js');
      await runCheckCommand(context, scenarioArgs, options);
    });
  addExamples(command, [
    ['tpb check --init --preset tune', 'write tpb-check.yaml for a TUNE tracker'],
    ['TRACKER_URL=https://staging.example.com tpb check', 'run ./tpb-check.yaml; one line per step'],
    ["tpb check smoke.yaml checks/ 'regional/**/*.yaml' --junit report.xml", 'several scenarios, one JUnit file'],
    ['tpb check tpb-check.yaml --db checks.db -v', 'keep the runs in checks.db (default: a temporary database)'],
    ['tpb check tpb-check.yaml --data offers.csv --junit report.xml', 'once per CSV row, JUnit for CI'],
    ['tpb check smoke.yaml --var offer_id=7 --json', 'override a var; the result as JSON'],
    ['tpb check tpb-check.yaml --report-html check.html', 'a page to attach to the CI run or mail'],
  ]);
}
