import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { collectList, durationParser, parseInteger, parseRatio } from '../parsers.js';
import { CheckFailed, InputError, UsageError } from '../../errors.js';
import { parseAmountToMicros } from '../../units/micros.js';
import type { DedupeKey, ReconcileReport, ThresholdCategory } from '../../reconcile/types.js';
import type { ThresholdResult } from '../../reconcile/thresholds.js';
import type { CsvRows } from '../../report/reconcile/csv.js';
import { addEngineOptions, openReconcileEngine, type EngineCliOptions } from '../reconcile-engine.js';

const FORMATS = ['table', 'json', 'csv', 'markdown', 'junit', 'html'] as const;
/** report/reconcile/csv.ts's CSV_ROWS (spelled here so the renderer loads only when used). */
const CSV_ROW_CHOICES = ['findings', 'groups', 'daily', 'lag'] satisfies CsvRows[];
type Format = (typeof FORMATS)[number];

/** Rows per category when --limit is not given: all for machine formats, a screenful for people. */
const DEFAULT_LIMIT: Readonly<Record<Format, number | undefined>> = {
  table: 10,
  markdown: 20,
  junit: 20,
  json: undefined,
  csv: undefined,
  html: undefined,
};

/** --max-<category> flags: one per category a CI run may bound. */
const MAX_FLAGS: ReadonlyArray<readonly [flags: string, category: ThresholdCategory]> = [
  ['--max-unmatched <n>', 'unmatched'],
  ['--max-missing-click-id <n>', 'missing_click_id'],
  ['--max-duplicates <n>', 'duplicate_extra'],
  ['--max-duplicate-groups <n>', 'duplicate_groups'],
  ['--max-duplicate-clicks <n>', 'duplicate_clicks'],
  ['--max-before-click <n>', 'before_click'],
  ['--max-outside-window <n>', 'outside_window'],
  ['--max-missing-in-a <n>', 'missing_in_a'],
  ['--max-missing-in-b <n>', 'missing_in_b'],
  ['--max-payout-mismatch <n>', 'payout_mismatch'],
  ['--max-status-mismatch <n>', 'status_mismatch'],
];

interface ReconcileCliOptions extends EngineCliOptions {
  clicksSource?: string[];
  conversionsSource?: string[];
  window: number;
  dedupeKey: DedupeKey;
  compare?: string[];
  payoutTolerance: number;
  format?: Format;
  out?: string;
  limit?: number;
  failOn?: string[];
  maxUnmatchedRate?: number;
  by?: string[];
  timezone?: string;
  ignoreLast?: number;
  minGroupConversions?: number;
  rows?: CsvRows;
  [max: string]: unknown;
}

function parseTolerance(value: string): number {
  try {
    return parseAmountToMicros(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}

/** Write next to the target and rename, so a reader never sees half a report. */
function writeAtomically(file: string, text: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) throw new InputError(`cannot write ${file}: directory ${dir} does not exist`, { hint: 'create it or choose another --out' });
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new InputError(`cannot write ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** A file written in pieces and renamed into place only when complete (commit); abandon removes it otherwise. */
function openAtomically(file: string): { file: string; write(chunk: string): void; commit(): void; abandon(): void } {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) throw new InputError(`cannot write ${file}: directory ${dir} does not exist`, { hint: 'create it or choose another --out' });
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temporary, 'w');
  } catch (error) {
    throw new InputError(`cannot write ${file}: ${(error as Error).message}`, { cause: error });
  }
  let done = false;
  return {
    file,
    write(chunk) {
      try {
        fs.writeSync(fd!, chunk);
      } catch (error) {
        throw new InputError(`cannot write ${file}: ${(error as Error).message}`, { cause: error });
      }
    },
    commit() {
      fs.closeSync(fd!);
      fd = undefined;
      try {
        fs.renameSync(temporary, file);
      } catch (error) {
        throw new InputError(`cannot write ${file}: ${(error as Error).message}`, { cause: error });
      }
      done = true;
    },
    abandon() {
      if (done) return;
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
      fs.rmSync(temporary, { force: true });
      done = true;
    },
  };
}

export function registerReconcile(program: Command, context: CliContext): void {
  const command = program
    .command('reconcile')
    .description('match conversions to clicks: what is unmatched, duplicated, out of window or different, and why')
    .option('--clicks-source <sources>', 'click sources to match against (comma-separated or repeated; default: every click)', collectList)
    .option('--conversions-source <sources>', 'conversion sources to reconcile (default: every source but tpb:fire)', collectList)
    .addOption(new Option('--window <duration>', 'attribution window: 30d, 90d, 12h, 45m').argParser(durationParser('d')).default(30 * 86_400_000, '30d'))
    .addOption(new Option('--dedupe-key <key>', 'what makes two conversions the same').choices(['click_id+event+txid', 'click_id']).default('click_id+event+txid'))
    .option('--compare <sources...>', 'reconcile two conversion sources against each other: --compare <source-a> <source-b>')
    .addOption(new Option('--payout-tolerance <amount>', 'payout difference tolerated with --compare').argParser(parseTolerance).default(10_000, '0.01'))
    .addOption(new Option('-f, --format <format>', 'output format (default: table; json with --json)').choices(FORMATS))
    .option('-o, --out <file>', 'write the report to a file instead of stdout')
    .option('--by <fields>', 'break the report down by fields (comma-separated or repeated; + combines: affiliate+offer): source, offer, affiliate, sub1…sub5, event, status, currency, day, hour', collectList)
    .option('--timezone <zone>', 'time zone of the daily series and of --by day/hour: UTC (default), +05:30, America/New_York')
    .addOption(new Option('--rows <rows>', 'with --format csv, the rows: findings (the default), groups (the default with --by), daily (the daily series with maturity), lag (the lag histogram)').choices(CSV_ROW_CHOICES))
    .option('--limit <n>', 'at most n rows per category (default: 10 in table, 20 in markdown and junit, all in json, csv and html)', parseInteger({ min: 0 }))
    .option('--fail-on <categories>', 'fail (exit 1) on any finding in these categories: unmatched, missing_click_id, duplicate, duplicate_clicks, before_click, outside_window, missing_in_a, missing_in_b, payout_mismatch, status_mismatch, all', collectList);
  for (const [flags, category] of MAX_FLAGS) {
    command.option(flags, `fail (exit 1) when ${category} is over n`, parseInteger({ min: 0 }));
  }
  command.option('--max-unmatched-rate <ratio>', 'fail (exit 1) when (unmatched + missing click id) / conversions is over this (0..1); with --by, also when any group is', parseRatio);
  command.option('--min-group-conversions <n>', 'with --by and --max-unmatched-rate: check only the groups with at least n conversions (default 1)', parseInteger({ min: 1 }));
  command.addOption(new Option('--ignore-last <duration>', 'leave the conversions of the last <duration> before the latest one out of the thresholds (immature days do not fail CI): 2d, 36h').argParser(durationParser('d')));
  addEngineOptions(command);

  addExamples(
    command.action(async (options: ReconcileCliOptions) => {
      const { reconcile } = await import('../../reconcile/reconcile.js');
      const { evaluateThresholds, parseFailOn, FAIL_ON_WORDS } = await import('../../reconcile/thresholds.js');

      if (context.globals.json && options.format !== undefined && options.format !== 'json') {
        throw new UsageError(`--json prints the JSON report; it cannot be combined with --format ${options.format}`, { hint: 'drop one of them' });
      }
      const format: Format = context.globals.json ? 'json' : (options.format ?? 'table');
      let compare: [string, string] | undefined;
      if (options.compare) {
        const sources = options.compare.flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
        if (sources.length !== 2) {
          throw new UsageError(`--compare takes two sources, got ${sources.length}`, { hint: 'tpb reconcile --compare <source-a> <source-b>' });
        }
        compare = [sources[0]!, sources[1]!];
      }
      const failOn = parseFailOn(options.failOn ?? []);
      if (failOn.unknown.length > 0) {
        throw new UsageError(`--fail-on: unknown categor${failOn.unknown.length === 1 ? 'y' : 'ies'} ${failOn.unknown.join(', ')}`, {
          hint: `choose from ${FAIL_ON_WORDS.join(', ')}`,
        });
      }
      const max: Partial<Record<ThresholdCategory, number>> = {};
      for (const [flags, category] of MAX_FLAGS) {
        const value = options[new Option(flags).attributeName()];
        if (typeof value === 'number') max[category] = value;
      }
      const hasThresholds = failOn.categories.length > 0 || Object.keys(max).length > 0 || options.maxUnmatchedRate !== undefined;
      const { parseBy, parseTimezoneOption, groupsForThresholds } = await import('../../reconcile/breakdown.js');
      const { DEFAULT_HTML_BY } = await import('../../reconcile/insight-types.js');
      const by = parseBy(options.by ?? (format === 'html' ? DEFAULT_HTML_BY : []));
      if (options.rows !== undefined && format !== 'csv') {
        throw new UsageError(`--rows chooses the rows of the CSV report; it cannot be combined with --format ${format}`, { hint: `tpb reconcile --format csv --rows ${options.rows}` });
      }
      if ((options.rows === 'daily' || options.rows === 'lag') && options.engine !== 'sqlite') {
        // Like --by and --format html (src/cli/reconcile-engine.ts): the series and lag are computed by the sqlite engine only.
        throw new UsageError(`--rows ${options.rows} is sqlite-only for now`, { hint: `drop --engine ${options.engine}, or drop --rows` });
      }
      if (options.rows === 'groups' && by.length === 0) {
        throw new UsageError('--rows groups needs --by: the groups are the breakdowns', { hint: 'tpb reconcile --format csv --by affiliate' });
      }
      if (options.timezone !== undefined) parseTimezoneOption(options.timezone);

      const engine = await openReconcileEngine(options, compare, context);
      if (engine === 'emitted') return;
      if (!engine && context.dbPath !== ':memory:' && !fs.existsSync(context.dbPath)) {
        throw new InputError(`no database at ${context.dbPath}`, {
          hint: 'ingest the exports first (tpb ingest clicks.csv --kind clicks; tpb ingest conversions.csv --kind conversions), or point --db at one',
        });
      }
      const { evaluateGroupThresholds, thresholdReport } = await import('../../reconcile/group-thresholds.js');
      const verdictOf = (done: ReconcileReport): ThresholdResult =>
        evaluateGroupThresholds(evaluateThresholds(thresholdReport(done), {
          failOn: failOn.categories,
          max,
          ...(options.maxUnmatchedRate !== undefined ? { maxUnmatchedRate: options.maxUnmatchedRate } : {}),
        }), groupsForThresholds(done), {
          ...(options.maxUnmatchedRate !== undefined ? { maxUnmatchedRate: options.maxUnmatchedRate } : {}),
          ...(options.minGroupConversions !== undefined ? { minConversions: options.minGroupConversions } : {}),
        });
      // The one JSON document on stdout is written as the findings are found: memory stays flat at
      // hundreds of thousands of findings.
      // So is a JSON report to --out: into a temporary file beside it, renamed when complete.
      const streamed = format === 'json' && context.globals.json && !options.out;
      const toFile = format === 'json' && options.out !== undefined ? openAtomically(context.resolvePath(options.out)) : undefined;
      const { ReconcileJsonStream } = await import('../../report/reconcile/json.js');
      const verdictIfAsked = (done: ReconcileReport) => (hasThresholds ? verdictOf(done) : undefined);
      // A failure after the document began ends it with the error (main calls the abort).
      const stream: InstanceType<typeof ReconcileJsonStream> | undefined = streamed
        ? new ReconcileJsonStream(context.output.jsonDocumentWriter((error) => stream?.abort(error)), verdictIfAsked)
        : toFile
          ? new ReconcileJsonStream((chunk) => toFile.write(context.redactedText(chunk)), verdictIfAsked)
          : undefined;
      const { ProgressBar } = await import('../progress.js');
      // What it is doing, on a terminal only: index builds and waits can take seconds.
      const bar = new ProgressBar(context.output, { label: 'reconcile' });
      let report: ReconcileReport;
      try {
        report = reconcile(engine ?? context.openStore(), {
          ...(options.clicksSource ? { clicksSource: options.clicksSource } : {}),
          ...(options.conversionsSource ? { conversionsSource: options.conversionsSource } : {}),
          windowMs: options.window,
          dedupeKey: options.dedupeKey,
          ...(compare ? { compare } : {}),
          payoutToleranceMicros: options.payoutTolerance,
          ...((options.limit ?? DEFAULT_LIMIT[format]) !== undefined ? { limit: options.limit ?? DEFAULT_LIMIT[format]! } : {}),
          onStage: (stage, ms, cpuMs) => {
            bar.clear();
            context.output.verbose(`reconcile: ${stage} ${ms} ms (cpu ${cpuMs} ms)`);
          },
          onStatus: (message) => bar.status(`reconcile: ${message}`),
          insights: {
            by,
            ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
            ...(options.ignoreLast !== undefined ? { ignoreLastMs: options.ignoreLast } : {}),
          },
          ...(stream ? { findingSink: { begin: (done: ReconcileReport) => (bar.clear(), stream.begin(done)), finding: (finding) => stream.finding(finding) } } : {}),
        });
        stream?.end();
        toFile?.commit();
      } finally {
        toFile?.abandon();
        bar.clear();
        engine?.close();
      }
      const verdict = verdictOf(report);
      const shownVerdict = hasThresholds ? verdict : undefined;

      if (streamed) {
        for (const hint of report.hints) if (hint.kind === 'no_clicks') context.output.warn(hint.message);
        if (verdict.failed) throw new CheckFailed(`reconcile: ${verdict.reasons.join('; ')}`);
        return;
      }
      if (toFile) {
        context.output.info(`Wrote the json report to ${toFile.file}: ${(await import('../../report/reconcile/categories.js')).summaryLine(report)}.`);
        for (const hint of report.hints) if (hint.kind === 'no_clicks') context.output.warn(hint.message);
        if (verdict.failed) throw new CheckFailed(`reconcile: ${verdict.reasons.join('; ')}`);
        return;
      }
      let text: string;
      switch (format) {
        case 'json': {
          const { renderReconcileJson } = await import('../../report/reconcile/json.js');
          text = renderReconcileJson(report, shownVerdict);
          break;
        }
        case 'csv': {
          const { renderReconcileCsv } = await import('../../report/reconcile/csv.js');
          text = renderReconcileCsv(report, options.rows);
          break;
        }
        case 'markdown': {
          const { renderReconcileMarkdown } = await import('../../report/reconcile/markdown.js');
          text = renderReconcileMarkdown(report, shownVerdict);
          break;
        }
        case 'junit': {
          const { renderReconcileJUnit } = await import('../../report/reconcile/junit.js');
          text = renderReconcileJUnit(report, verdict, context.io.now().toISOString());
          break;
        }
        case 'html': {
          const { renderReconcileHtml } = await import('../../report/reconcile/html.js');
          const { toolVersion } = await import('../version.js');
          text = renderReconcileHtml(report, { ...(shownVerdict ? { verdict: shownVerdict } : {}), generatedAt: context.io.now().toISOString(), version: toolVersion() });
          break;
        }
        case 'table': {
          const { renderReconcileTable } = await import('../../report/reconcile/table.js');
          const color = options.out ? new (await import('chalk')).Chalk({ level: 0 }) : context.output.stdoutColor;
          text = renderReconcileTable(report, {
            color,
            ...(shownVerdict ? { verdict: shownVerdict } : {}),
            ...(context.io.stdout.columns ? { columns: context.io.stdout.columns } : {}),
          });
          break;
        }
      }

      const { summaryLine } = await import('../../report/reconcile/categories.js');
      if (options.out) {
        const file = context.resolvePath(options.out);
        writeAtomically(file, text);
        context.output.info(`Wrote the ${format} report to ${file}: ${summaryLine(report)}.`);
      } else if (format === 'table') {
        context.output.data(text);
      } else {
        context.output.document(text);
      }
      for (const hint of report.hints) if (hint.kind === 'no_clicks') context.output.warn(hint.message);
      if (verdict.failed) throw new CheckFailed(`reconcile: ${verdict.reasons.join('; ')}`);
    }),
    [
      ['tpb reconcile', 'what will not be paid, and why (a table)'],
      ['tpb reconcile --window 90d --dedupe-key click_id', "a 90-day window, one conversion per click"],
      ['tpb reconcile --format markdown --out report.md', 'a pull-request comment'],
      ['tpb reconcile --json --max-unmatched-rate 0.02 --fail-on duplicate', 'CI: exit 1 over 2% unmatched or on any duplicate'],
      ['tpb reconcile --format junit --out reconcile.xml --max-unmatched 0', 'one JUnit test case per category'],
      ['tpb reconcile --format html --out report.html', 'one self-contained page to open, print or mail'],
      ['tpb reconcile --by affiliate,offer --timezone America/New_York', 'which affiliate and offer lose conversions, by New York days'],
      ['tpb reconcile --json --by affiliate --max-unmatched-rate 0.05 --ignore-last 2d', 'CI: fail when any affiliate is over 5 %, not on the last 2 days'],
      ['tpb reconcile --format csv --rows daily --out daily.csv', 'the daily series (with maturity) for a spreadsheet; --rows lag: the lag histogram'],
      ['tpb reconcile --compare tpb:fire network', 'which fired postbacks the tracker did not record'],
      ['tpb reconcile --compare advertiser network --payout-tolerance 0.05', 'two conversion exports against each other'],
      ['tpb reconcile --engine chdb', 'the same report computed by embedded ClickHouse over the database (npm install chdb)'],
      ['tpb reconcile --engine chdb --clicks clicks.parquet --conversions conversions.csv.gz', 'export files read in place, nothing ingested'],
      ['tpb reconcile --engine clickhouse --clickhouse-url http://127.0.0.1:8123 --clicks-table tracker.clicks --map click_id=subid', "a tracker's own click log on a ClickHouse server"],
      ['tpb reconcile --engine chdb --emit-sql', 'the SQL, to run in your own ClickHouse console'],
    ],
  );
}
