import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { collectList, durationParser, parseHeader, parseHttpUrl, parseInteger, parseKeyValue } from '../parsers.js';
import { PRESET_NAMES, type PresetName } from '../../presets/catalog.js';
import { CheckFailed, NetworkError } from '../../errors.js';
import type { ClickRunEvents } from '../../click/run.js';
import { addLoadOptions, loadThresholds, type LoadCommandOptions } from '../load-options.js';
import { MAX_TIMEOUT_MS } from '../../units/duration.js';

interface ClickCommandOptions extends LoadCommandOptions {
  count?: number;
  concurrency: number;
  param?: Array<[string, string]>;
  header?: Array<[string, string]>;
  userAgent?: string;
  ip?: string;
  clickIdParam?: string[];
  clickIdJson?: string;
  follow?: number | true;
  timeout: number;
  preset?: PresetName;
  secret?: string[];
  printIds?: boolean;
  retries: number;
  retryDelay: number;
  maxLines?: number;
}

export const DEFAULT_FOLLOW_HOPS = 10;

export function registerClick(program: Command, context: CliContext): void {
  const command = program
    .command('click')
    .description('send clicks to a tracking link and capture the click id of each (from the redirect, a meta refresh or a JSON answer)')
    .argument('<url>', 'tracking link; may use {i}, {uuid}, {rand}', parseHttpUrl)
    .option('-n, --count <n>', 'clicks to send (default 1; with --duration, the most to send)', parseInteger({ min: 1 }))
    .option('-c, --concurrency <n>', 'clicks in flight at once (and connections per host)', parseInteger({ min: 1, max: 1000 }), 10);
  addLoadOptions(command, 'clicks')
    .option('--param <key=value>', 'add a query parameter (repeatable; values may use {i}, {uuid}, {rand})', parseKeyValue)
    .option('-H, --header <header>', 'add a request header "Name: value" (repeatable)', parseHeader)
    .option('--user-agent <string>', 'User-Agent (default: a current desktop Chrome, since trackers filter bots)')
    .option('--ip <address>', 'X-Forwarded-For of each click: an address, a template like 203.0.113.{i}, or random (documentation ranges)')
    .option('--click-id-param <name>', 'parameter that carries the click id (repeatable; default: the known names)', collectList)
    .option('--click-id-json <path>', 'read the click id from a JSON answer at this dotted path (Everflow /clk: transaction_id)')
    .addOption(new Option('--follow [hops]', `follow redirects, capturing from any hop (default ${DEFAULT_FOLLOW_HOPS} hops; put it after the URL or write --follow=N)`).argParser(parseInteger({ min: 1, max: 50 })))
    .addOption(new Option('--timeout <duration>', 'give up on a click after this long').argParser(durationParser('s', MAX_TIMEOUT_MS)).default(10_000, '10s'))
    .option('--retries <n>', 'retry a click that got a network error, 429 or 5xx (a retried click may count twice at the tracker)', parseInteger({ min: 0, max: 10 }), 0)
    .addOption(new Option('--retry-delay <duration>', 'first backoff delay, doubled each retry, with jitter').argParser(durationParser('ms')).default(250, '250ms'))
    .option('--max-lines <n>', 'list at most N clicks on stdout, then count the rest (default: every click)', parseInteger({ min: 0 }))
    .addOption(new Option('--preset <name>', "tracker preset: looks for its click-id parameter first").choices(PRESET_NAMES))
    .option('--secret <name>', 'query parameter or header to redact in output and the database (repeatable)', collectList)
    .option('--print-ids', 'print only the captured click ids, one per line (for pipes)');
  command.action(async (url: string, options: ClickCommandOptions) => {
      await clickAction(context, url, options);
    });
  addExamples(command, [
    ['tpb click "https://t.example.com/aff_c?offer_id=1&aff_id=2"', 'one click, show the click id'],
    ['tpb click "$LINK" -n 500 -c 20 --ip random', '500 clicks, each from its own address'],
    ['tpb click "$LINK" --param sub1=run-{i} --follow', 'follow the chain until an id appears'],
    ['tpb click "https://e.example.com/clk?oid=1&affid=2" --click-id-json transaction_id', 'Everflow JSON click'],
    ['tpb click "$LINK" -n 10 --print-ids | xargs -n1 tpb fire "$PB" --click-id', 'ids for a pipe'],
    ['tpb click "$LINK" -d 1m --warmup 10s --rate 2000 -c 200 --max-p99 250 --max-error-rate 0.001', 'load test: 2,000 clicks/s for a minute, CI gate on p99 and errors'],
  ]);
}

/** The action: runClicks with progress on a TTY, one line per click on stdout, -v exchanges, the report and the exit code. */
async function clickAction(context: CliContext, url: string, options: ClickCommandOptions): Promise<void> {
  const { runClicks } = await import('../../click/run.js');
  const { clickJson, renderClickExchange, renderClickLine, renderClickReport } = await import('../../report/click.js');
  const { ProgressBar } = await import('../progress.js');
  const { InterruptWatch } = await import('../interrupt.js');
  const { ItemLines } = await import('../item-lines.js');
  const output = context.output;
  const color = output.stderrColor;
  const redactor = context.redactor;
  redactor.addNames(options.secret ?? []);
  const verbose = context.globals.verbose && !context.globals.quiet;
  const count = options.count ?? (options.duration === undefined ? 1 : undefined);
  const progress = output.canShowProgress && !verbose && (count === undefined || count >= 20);
  // One line per click on stdout at any count (not with --json, --print-ids or -q).
  const listing = !context.globals.json && !options.printIds && !context.globals.quiet;
  const interrupts = new InterruptWatch();

  const bar = progress ? new ProgressBar(output, { label: 'clicks', ...(count !== undefined ? { total: count } : {}) }) : undefined;
  // A timed run's bar moves with the clock (the count, if any, is only an upper bound).
  const timedMs = options.duration !== undefined ? options.duration + (options.warmup ?? 0) : undefined;
  let started = performance.now();
  const clearProgress = () => bar?.clear();
  const lines = new ItemLines((line) => {
    clearProgress();
    output.data(line);
  }, options.maxLines);
  const events: ClickRunEvents = {
    onStart: ({ runId }) => {
      started = performance.now();
      output.verbose(`run ${runId}: ${count !== undefined ? `${count} click${count === 1 ? '' : 's'}` : 'clicks'}${options.duration !== undefined ? ` for ${options.duration / 1000} s` : ''} to ${redactor.url(url)}`);
    },
    onClick: (click, p) => {
      if (verbose) context.io.stderr.write(renderClickExchange(click, color));
      if (listing) lines.add(click.index, renderClickLine(click, output.stdoutColor), !click.ok);
      if (!bar) return;
      const counters: Array<[string, number]> = [['captured', p.captured], ['failed', p.failed]];
      if (timedMs === undefined) return bar.update({ done: p.done, counters });
      const elapsed = performance.now() - started;
      const byTime = Math.min(1, elapsed / timedMs);
      const byCount = count !== undefined ? p.done / count : 0;
      bar.update({ done: p.done, total: 0, counters, fraction: Math.max(byTime, byCount), etaMs: byCount > byTime ? 0 : Math.max(0, timedMs - elapsed) });
    },
  };

  let result;
  try {
    result = await runClicks(
      {
        url,
        ...(count !== undefined ? { count } : {}),
        ...(options.duration !== undefined ? { durationMs: options.duration } : {}),
        ...(options.warmup !== undefined ? { warmupMs: options.warmup } : {}),
        concurrency: options.concurrency,
        ...(options.rate !== undefined ? { ratePerSecond: options.rate } : {}),
        thresholds: loadThresholds(options),
        params: options.param ?? [],
        headers: options.header ?? [],
        ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
        ...(options.ip !== undefined ? { ip: options.ip } : {}),
        ...(options.clickIdParam ? { clickIdParams: options.clickIdParam } : {}),
        ...(options.clickIdJson !== undefined ? { clickIdJson: options.clickIdJson } : {}),
        follow: options.follow === true ? DEFAULT_FOLLOW_HOPS : options.follow ?? 0,
        timeoutMs: options.timeout,
        ...(options.preset ? { preset: options.preset } : {}),
        ...(options.retries > 0 ? { retryPolicy: { retries: options.retries, baseDelayMs: options.retryDelay, maxDelayMs: Math.max(10_000, options.retryDelay), maxRetryAfterMs: 60_000 } } : {}),
        // Opened after the options were checked: a usage error (exit 2) writes nothing.
        openStore: () => context.openStore(),
        redactor,
        ...(verbose ? { trace: true } : {}),
        // The lines are printed as clicks finish; the report quotes one failed click per cause unless --json lists all.
        keepClicks: context.globals.json || options.printIds ? 'all' : 'examples',
        signal: interrupts.signal,
        now: context.io.now,
      },
      events,
    );
  } finally {
    interrupts.dispose();
    clearProgress();
  }
  lines.finish();

  if (context.globals.json) output.jsonDocument(clickJson(result));
  else if (options.printIds) {
    const ids = result.clicks.filter((click) => click.clickId !== undefined).map((click) => click.clickId!);
    if (ids.length > 0) output.data(ids.join('\n'));
    if (!context.globals.quiet) context.io.stderr.write(renderClickReport({ ...result, clicks: [] }, color));
  } else {
    if (lines.folded > 0) output.data(output.stdoutColor.dim(`… ${lines.folded} more click${lines.folded === 1 ? '' : 's'} not listed (--max-lines ${options.maxLines}${lines.foldedBad > 0 ? `; ${lines.foldedBad} of them failed` : ''}; --json lists all)`));
    if (listing && result.summary.sent > 0) output.data('');
    output.data(renderClickReport(result, output.stdoutColor));
  }
  if (result.interrupted) {
    throw interrupts.error(`${result.summary.sent}${count !== undefined ? ` of ${count}` : ''} clicks were sent, and stored`);
  }

  const s = result.summary;
  const network = s.failures.network ?? 0;
  if (s.sent > 0 && network === s.sent) {
    const kinds = Object.entries(s.networkFailures).map(([kind, n]) => `${kind} ×${n}`).join(', ');
    throw new NetworkError(`the tracker could not be reached: every click failed (${kinds})`, {
      url: redactor.url(url),
      hint: 'check the URL, that the tracker is up, and --timeout; --retries retries network errors, 429 and 5xx',
    });
  }
  if (s.thresholds?.failed) {
    throw new CheckFailed(`threshold${s.thresholds.reasons.length === 1 ? '' : 's'} broken: ${s.thresholds.reasons.join('; ')}`);
  }
  // With --max-error-rate the threshold decides how many failed clicks are too many.
  if (s.failed === 0 || options.maxErrorRate !== undefined) return;
  // Exit 3 only when every failure was the network's; a click that got an answer without an id is a tracking bug (exit 1).
  if (network === s.failed) {
    const kinds = Object.entries(s.networkFailures).map(([kind, n]) => `${kind} ×${n}`).join(', ');
    throw new NetworkError(`${s.failed === s.sent ? 'the tracker could not be reached: every click failed' : `${s.failed} of ${s.sent} clicks got no answer`} (${kinds})`, {
      url: redactor.url(url),
      hint: 'check the URL, that the tracker is up, and --timeout; --retries retries network errors, 429 and 5xx',
    });
  }
  const others = s.failed - network;
  throw new CheckFailed(`${others} of ${s.sent} click${s.sent === 1 ? '' : 's'} yielded no click id${network > 0 ? ` (and ${network} got no answer)` : ''}`, { hint: s.failures.no_param ? 'the redirect had no click-id parameter: name it with --click-id-param, or try --follow' : undefined });
}
