import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { collect, collectList, durationParser, parseHeader, parseHttpUrl, parseInteger, parseKeyValue } from '../parsers.js';
import { PRESET_NAMES, type PresetName } from '../../presets/catalog.js';
import { CheckFailed, NetworkError, UsageError } from '../../errors.js';
import type { HttpMethod } from '../../http/client.js';
import { MAX_TIMEOUT_MS, MAX_WAIT_MS } from '../../units/duration.js';
import { parseStatusExpectation, type StatusExpectation } from '../../fire/verdict.js';
import { DIALECT_IDS } from '../../template/dialects/ids.js';
import { REPEAT_EXPECTATIONS, type RepeatExpectation } from '../../fire/duplicates.js';

interface FireCommandOptions extends LoadCommandOptions {
  clickId?: string[];
  fromDb?: boolean;
  last?: number;
  run?: number;
  fromCsv?: string;
  column?: string;
  preset?: PresetName;
  base?: string;
  var?: Array<[string, string]>;
  payout?: string;
  revenue?: string;
  txid?: string;
  status?: string;
  event?: string;
  currency?: string;
  method?: HttpMethod;
  data?: string;
  header?: Array<[string, string]>;
  timeout: number;
  retries: number;
  retryDelay: number;
  concurrency: number;
  repeat: number;
  repeatDelay?: number;
  expectRepeat?: RepeatExpectation;
  expectStatus?: StatusExpectation;
  expectBody?: RegExp;
  dryRun?: boolean;
  secret?: string[];
  lint: boolean;
  maxLines?: number;
  as?: string;
  clickIdParam?: string;
}

function parseExpectStatus(value: string): StatusExpectation {
  try {
    return parseStatusExpectation(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}

function parseRegex(value: string): RegExp {
  try {
    return new RegExp(value);
  } catch (error) {
    throw new InvalidArgumentError(`not a valid regular expression: ${(error as Error).message}.`);
  }
}

import { addLoadOptions, loadThresholds, type LoadCommandOptions } from '../load-options.js';

export function registerFire(program: Command, context: CliContext): void {
  const command = program
    .command('fire')
    .description('fire test postbacks and check what the tracker answered')
    .argument('[url-template]', 'postback URL with {click_id}, {payout}, {txid}, {status}, {event}, {currency}, {timestamp}, {unix}, {uuid}, {i} and --var macros')
    .option('--click-id <id>', 'click id to fire for (repeatable)', collect)
    .option('--from-db', 'click ids captured by tpb click (default: its latest run)')
    .option('--last <n>', 'with --from-db: the N most recently captured ids', parseInteger({ min: 1 }))
    .option('--run <id>', 'with --from-db: the ids of this click run', parseInteger({ min: 1 }))
    .option('--from-csv <file>', 'click ids from a CSV file (.gz, UTF-8 or UTF-16; "-" reads stdin)')
    .option('--column <name>', 'with --from-csv: the column of click ids (default: a click-id-like header)')
    .addOption(new Option('--preset <name>', "the receiving tracker: its postback template (with --base), click-id parameter and success rule").choices(PRESET_NAMES))
    .option('--click-id-param <name>', 'with --as: the parameter the click ids go into (default: the preset\'s, or the sender\'s click-id macro)')
    .addOption(new Option('--as <platform>', "play the platform that sends the URL: its macros ({external_id}, #s2#…) get --click-id, --payout… and --var values; auto detects it").choices(['auto', ...DIALECT_IDS]))
    .option('--base <url>', "with --preset: the tracker's base URL (Keitaro: including the postback key)", parseHttpUrl)
    .option('--var <name=value>', 'a custom macro {name} (repeatable)', parseKeyValue)
    .option('--payout <amount>', 'value of {payout}, e.g. 1.50')
    .option('--revenue <amount>', 'value of {revenue}')
    .option('--txid <id>', 'value of {txid} (may use {i}, {uuid})')
    .option('--status <status>', 'value of {status}')
    .option('--event <name>', 'value of {event}')
    .option('--currency <code>', 'value of {currency}')
    .addOption(new Option('-X, --method <method>', 'HTTP method (default GET, POST with --data)').choices(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']))
    .option('--data <template>', 'request body template: JSON when it starts with { or [, else form-encoded')
    .option('-H, --header <header>', 'request header "Name: value" (repeatable; value may use macros)', parseHeader)
    .addOption(new Option('--timeout <duration>', 'per attempt').argParser(durationParser('s', MAX_TIMEOUT_MS)).default(10_000, '10s'))
    .option('--retries <n>', 'retries on network errors, 429 and 5xx (never other 4xx)', parseInteger({ min: 0, max: 10 }), 2)
    .addOption(new Option('--retry-delay <duration>', 'first backoff delay, doubled each retry, with jitter').argParser(durationParser('ms', MAX_WAIT_MS)).default(250, '250ms'))
    .option('-c, --concurrency <n>', 'postbacks in flight at once', parseInteger({ min: 1, max: 1000 }), 10)
    .option('--repeat <n>', 'the duplicate test: send each postback N times, copy 2 after the first copies were answered (only where the first passed)', parseInteger({ min: 1, max: 1000 }), 1)
    .addOption(new Option('--repeat-delay <duration>', 'with --repeat: wait this long after one copy\'s answers before the next copy (default 1s; 0 allowed)').argParser(durationParser('s', MAX_WAIT_MS)))
    .addOption(new Option('--expect-repeat <verdict>', "with --repeat: refused (default: a working tracker counts a conversion once), accepted (it is set to count repeats) or any").choices(REPEAT_EXPECTATIONS));
  addLoadOptions(command, 'postbacks')
    .option('--expect-status <code|2xx|list>', 'expected status (replaces the preset rule)', parseExpectStatus)
    .option('--expect-body <regex>', 'regular expression the body must match (replaces the preset rule)', parseRegex)
    .option('--dry-run', 'print the resolved requests (secrets redacted) and send nothing')
    .option('--secret <name>', 'query parameter, header or JSON key to redact everywhere (repeatable; token, key, api_key… are by default)', collectList)
    .option('--no-lint', 'send even when lint finds errors')
    .option('--max-lines <n>', 'list at most N postbacks on stdout, then count the rest (default: every postback)', parseInteger({ min: 0 }));
  command.action(async (template: string | undefined, options: FireCommandOptions) => {
      await fireAction(context, template, options);
    });
  addExamples(command, [
    ['tpb fire "https://t.example.com/postback?cid={click_id}&payout={payout}" --click-id abc123 --payout 1.50', 'one postback'],
    ['tpb fire --preset tune --base https://net.go2cloud.org --var offer_id=26 --from-db --last 20', 'TUNE: success=true; or not'],
    ['tpb fire --preset keitaro --base https://t.example.com/k3y --from-csv ids.csv --column subid', 'ids from a CSV'],
    ['tpb fire --preset tune --base http://127.0.0.1:8787 --from-db --txid T-{i} --repeat 2', 'the duplicate test: each copy must be refused'],
    ['tpb fire "$PB" --from-db --repeat 3 --repeat-delay 5s --expect-repeat accepted', 'a tracker set to count repeats'],
    ['tpb fire "$PB" --from-db --dry-run', 'what would be sent, secrets redacted'],
    ["tpb fire 'https://t.example.com/k3y/postback?subid=#s2#&payout=#price#' --as cake --click-id abc --payout 2.5", 'the URL as copied from CAKE'],
    ["tpb fire 'https://t.example.com/postback?cid=REPLACE&payout=OPTIONAL' --as auto --preset voluum --click-id abc --dry-run --json", 'placeholders filled; each fill shown'],
  ]);
}

async function clickIdsFor(context: CliContext, options: FireCommandOptions): Promise<string[]> {
  const sources = [options.clickId !== undefined, options.fromDb === true, options.fromCsv !== undefined].filter(Boolean).length;
  if (sources > 1) throw new UsageError('give click ids one way: --click-id, --from-db or --from-csv');
  if ((options.last !== undefined || options.run !== undefined) && !options.fromDb) throw new UsageError('--last and --run go with --from-db');
  if (options.column !== undefined && options.fromCsv === undefined) throw new UsageError('--column goes with --from-csv');
  if (options.clickId) return options.clickId;
  if (options.fromDb) {
    const { capturedClickIds } = await import('../../store/clicks.js');
    const { latestRun } = await import('../../store/runs.js');
    const store = context.openExistingStore();
    let runId = options.run;
    if (runId === undefined && options.last === undefined) {
      runId = latestRun(store, 'click')?.id;
      if (runId === undefined) throw new UsageError('no click ids in the database', { hint: 'capture some with tpb click first, or use --click-id' });
    }
    const ids = capturedClickIds(store, { ...(runId !== undefined ? { runId } : {}), ...(options.last !== undefined ? { last: options.last } : {}) });
    if (ids.length === 0) throw new UsageError(`no captured click ids${runId !== undefined ? ` in click run ${runId}` : ''} in ${context.dbPath}`, { hint: 'capture some with tpb click first' });
    context.output.info(`${ids.length} click id${ids.length === 1 ? '' : 's'} from ${runId !== undefined ? `click run ${runId}` : 'the database'}`);
    return ids;
  }
  if (options.fromCsv !== undefined) {
    const { readClickIdsFromCsv } = await import('../../fire/click-id-sources.js');
    const file = context.resolvePath(options.fromCsv);
    const read = await readClickIdsFromCsv({ file, display: options.fromCsv === '-' ? 'stdin' : options.fromCsv, stdin: context.io.stdin }, options.column);
    const source = options.fromCsv === '-' ? 'stdin' : options.fromCsv;
    if (read.emptyRows > 0) context.output.warn(`${read.emptyRows} row${read.emptyRows === 1 ? '' : 's'} of ${source} had no ${read.column} (line ${read.emptyLines.join(', ')}${read.emptyRows > read.emptyLines.length ? '…' : ''}); skipped`);
    if (read.ids.length === 0) throw new UsageError(`no click ids in column ${read.column} of ${source}`);
    context.output.info(`${read.ids.length} click id${read.ids.length === 1 ? '' : 's'} from ${source} (${read.headerless ? 'one column, no header' : `column ${read.column}`})`);
    return read.ids;
  }
  return [];
}

/** The action: firePostbacks with progress on a TTY, -v exchanges, the report and the exit code. */
async function fireAction(context: CliContext, template: string | undefined, options: FireCommandOptions): Promise<void> {
  const { firePostbacks } = await import('../../fire/run.js');
  const { LintFailedError } = await import('../../template/lint.js');
  const { fireJsonChunks, renderDryRun, renderExchange, renderFireReport, renderPostbackLine } = await import('../../report/fire.js');
  const { renderLintFindings } = await import('../../report/lint.js');
  const { ProgressBar } = await import('../progress.js');
  const { InterruptWatch } = await import('../interrupt.js');
  const { ItemLines } = await import('../item-lines.js');
  const output = context.output;
  const color = output.stderrColor;
  if (template !== undefined && options.base !== undefined) throw new UsageError('give either a URL template or --preset with --base, not both');
  if (options.repeat < 2 && (options.repeatDelay !== undefined || options.expectRepeat !== undefined)) {
    throw new UsageError(`${options.repeatDelay !== undefined ? '--repeat-delay' : '--expect-repeat'} goes with --repeat 2 or more (the duplicate test)`, { hint: 'tpb fire … --repeat 2 --expect-repeat refused' });
  }
  if (options.clickIdParam !== undefined && options.as === undefined) throw new UsageError('--click-id-param goes with --as', { hint: 'tpb fire URL --as auto --click-id-param exid --click-id abc' });
  if (options.base !== undefined && options.preset === undefined) throw new UsageError('--base goes with --preset', { hint: `one of ${PRESET_NAMES.join(', ')}` });
  const clickIds = await clickIdsFor(context, options);
  const verbose = context.globals.verbose && !context.globals.quiet;
  const interrupts = new InterruptWatch();
  let bar: InstanceType<typeof ProgressBar> | undefined;
  const clearProgress = () => bar?.clear();
  // One line per postback on stdout at any count (not with --json, --dry-run or -q); -v adds the exchanges on stderr.
  const listing = !context.globals.json && !options.dryRun && !context.globals.quiet;
  const lines = new ItemLines((line) => {
    clearProgress();
    output.data(line);
  }, options.maxLines);
  const timedMs = options.duration !== undefined ? options.duration + (options.warmup ?? 0) : undefined;
  let started = performance.now();

  let result;
  try {
    result = await firePostbacks(
      {
        ...(template !== undefined ? { template } : {}),
        ...(options.preset ? { preset: options.preset } : {}),
        ...(options.base !== undefined ? { base: options.base } : {}),
        clickIds,
        // The lines are printed as postbacks finish; the result keeps every postback only for --json.
        keepPostbacks: context.globals.json ? 'all' : 'examples',
        // Ids captured from the tracker's own redirects are its ids: no format warning for them.
        ...(options.fromDb ? { clickIdsIssuedByTracker: true } : {}),
        repeat: options.repeat,
        ...(options.repeatDelay !== undefined ? { repeatDelayMs: options.repeatDelay } : {}),
        ...(options.expectRepeat !== undefined ? { expectRepeat: options.expectRepeat } : {}),
        vars: options.var ?? [],
        ...(options.payout !== undefined ? { payout: options.payout } : {}),
        ...(options.revenue !== undefined ? { revenue: options.revenue } : {}),
        ...(options.txid !== undefined ? { txid: options.txid } : {}),
        ...(options.status !== undefined ? { status: options.status } : {}),
        ...(options.event !== undefined ? { event: options.event } : {}),
        ...(options.currency !== undefined ? { currency: options.currency } : {}),
        ...(options.method ? { method: options.method } : {}),
        ...(options.data !== undefined ? { data: options.data } : {}),
        headers: options.header ?? [],
        concurrency: options.concurrency,
        ...(options.duration !== undefined ? { durationMs: options.duration } : {}),
        ...(options.warmup !== undefined ? { warmupMs: options.warmup } : {}),
        ...(options.rate !== undefined ? { ratePerSecond: options.rate } : {}),
        thresholds: loadThresholds(options),
        timeoutMs: options.timeout,
        retryPolicy: { retries: options.retries, baseDelayMs: options.retryDelay, maxDelayMs: Math.max(10_000, options.retryDelay), maxRetryAfterMs: 60_000 },
        expectations: { ...(options.expectStatus ? { status: options.expectStatus } : {}), ...(options.expectBody ? { body: options.expectBody } : {}) },
        lint: options.lint,
        ...(options.as !== undefined ? { as: options.as } : {}),
        ...(options.clickIdParam !== undefined ? { clickIdParam: options.clickIdParam } : {}),
        secrets: options.secret ?? [],
        redactor: context.redactor,
        dryRun: options.dryRun ?? false,
        // Opened after the template, ids and lint were checked: a usage error (exit 2) writes nothing.
        ...(options.dryRun ? {} : { openStore: () => context.openStore() }),
        signal: interrupts.signal,
        now: context.io.now,
      },
      {
        onStart: ({ total, runId }) => {
          started = performance.now();
          if (output.canShowProgress && !verbose && (timedMs !== undefined || total >= 20)) bar = new ProgressBar(output, { label: 'postbacks', ...(timedMs === undefined ? { total } : {}) });
          output.verbose(`run ${runId}: ${timedMs === undefined ? `${total} postback${total === 1 ? '' : 's'}` : `postbacks for ${options.duration! / 1000} s`}`);
        },
        onRetry: (request, attempt, next) => {
          output.verbose(color.dim(`#${request.seq} attempt ${attempt.attempt} ${attempt.status ?? attempt.failure}; attempt ${next} in ${attempt.waitMs} ms`));
        },
        onPostback: (outcome, p) => {
          if (verbose) context.io.stderr.write(renderExchange(outcome, color));
          if (listing) lines.add(outcome.seq, renderPostbackLine(outcome, output.stdoutColor, options.repeat), outcome.verdict.verdict !== 'pass');
          if (!bar) return;
          const counters: Array<[string, number]> = [['passed', p.passed], ['failed', p.failed], ['unreachable', p.errors]];
          if (timedMs === undefined) return bar.update({ done: p.done, total: p.total, counters });
          // A timed run's bar moves with the clock.
          const elapsed = performance.now() - started;
          bar.update({ done: p.done, counters, fraction: Math.min(1, elapsed / timedMs), etaMs: Math.max(0, timedMs - elapsed) });
        },
        onSkipped: (skipped) => {
          for (const { seq } of skipped) lines.skip(seq);
        },
      },
    );
  } catch (error) {
    if (error instanceof LintFailedError) context.io.stderr.write(renderLintFindings(error.findings, color));
    throw error;
  } finally {
    interrupts.dispose();
    clearProgress();
  }
  lines.finish();

  if (result.lint.length > 0 && !context.globals.json) context.io.stderr.write(renderLintFindings(result.lint, color));
  // In pieces: 30,000 postbacks are ~14 MB of JSON, never one string.
  if (context.globals.json) output.jsonDocumentChunks(fireJsonChunks(result));
  else if (result.dryRun) output.data(renderDryRun(result, output.stdoutColor));
  else {
    if (lines.folded > 0) output.data(output.stdoutColor.dim(`… ${lines.folded} more postback${lines.folded === 1 ? '' : 's'} not listed (--max-lines ${options.maxLines}${lines.foldedBad > 0 ? `; ${lines.foldedBad} of them did not pass` : ''}; --json lists all)`));
    if (listing && result.summary.sent > 0) output.data('');
    output.data(renderFireReport(result, output.stdoutColor, { reasons: !listing || lines.folded > 0 }));
  }
  if (result.interrupted) {
    throw interrupts.error(`${result.summary.sent} of ${result.planned} postbacks were sent, and stored`);
  }

  const s = result.summary;
  // A rejected postback is a tracking bug (exit 1) even when others were unreachable; exit 3 only when every failure was the network's.
  // With --max-error-rate the threshold decides how many failed or unanswered postbacks are too many.
  const tolerated = options.maxErrorRate !== undefined && s.errors < s.sent;
  const unreachable = () => {
    const first = result.postbacks.find((p) => p.verdict.verdict === 'error');
    return new NetworkError(`${s.errors} of ${s.sent} postback${s.sent === 1 ? '' : 's'} got no answer after ${options.retries + 1} attempt${options.retries === 0 ? '' : 's'} (${first?.verdict.reason ?? 'network error'})`, {
      ...(first ? { url: first.url } : {}),
      hint: 'check the URL and that the tracker is up; raise --timeout or --retries for a slow tracker',
    });
  };
  if (s.sent > 0 && s.errors === s.sent) throw unreachable();
  if (s.thresholds?.failed) throw new CheckFailed(`threshold${s.thresholds.reasons.length === 1 ? '' : 's'} broken: ${s.thresholds.reasons.join('; ')}`);
  if (s.failed > 0 && !tolerated) {
    const copies = s.duplicates?.failed ?? 0;
    const accepted = s.duplicates?.expect === 'refused' ? s.duplicates.accepted : 0;
    const which =
      copies === 0
        ? ''
        : copies === s.failed
          ? ` (${copies === 1 ? 'a duplicate copy' : 'all duplicate copies'}${accepted === copies ? ': the tracker accepted the same conversion twice' : ''})`
          : ` (${copies} of them duplicate copies${accepted > 0 ? `, ${accepted} accepted twice` : ''})`;
    throw new CheckFailed(`${s.failed} of ${s.sent} postback${s.sent === 1 ? '' : 's'} did not get the expected answer${which}${s.errors > 0 ? ` (and ${s.errors} got no answer)` : ''}`);
  }
  if (s.errors > 0 && !tolerated) throw unreachable();
}
