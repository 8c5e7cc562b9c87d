import { startCatcher, loadRules, waitForStop, NdjsonLog, type Catcher, type CatchAnswer } from '../catch/index.js';
import { CheckFailed, InputError, NetworkError, UsageError } from '../errors.js';
import { parseLatency } from '../http/faults.js';
import { getCaught, listCaught } from '../store/catch.js';
import { caughtJson, describeCatchStats, describeStop, formatCaughtLine, formatCaughtRequest, formatStoredRequest, renderCatchBanner, renderCaughtList, storedJson } from '../report/catch.js';
import type { CliContext } from './context.js';

/** The options of `tpb catch`, as commander parses them (src/cli/commands/catch.ts). */
export interface CatchCommandOptions {
  host: string;
  port: number;
  status?: number;
  body?: string;
  contentType?: string;
  delay?: string;
  rules?: string;
  failRate?: number;
  resetRate?: number;
  seed?: number;
  maxBody: number;
  forward?: string;
  forwardTimeout: number;
  clickIdParam?: string[];
  secret?: string[];
  log?: string;
  count?: number;
  until?: number;
  expect?: number;
  keep: number;
}

/** Resolves with the first SIGINT/SIGTERM; `release` removes the handlers. */
function signalPromise(onSecond: () => void): { signal: Promise<string>; release: () => void } {
  let received = false;
  let resolveSignal: (signal: string) => void = () => {};
  const signal = new Promise<string>((resolve) => (resolveSignal = resolve));
  const handler = (name: NodeJS.Signals) => {
    if (!received) {
      received = true;
      resolveSignal(name);
    } else onSecond();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal,
    release: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

export async function runCatch(options: CatchCommandOptions, context: CliContext): Promise<void> {
  const output = context.output;
  const answer: Partial<CatchAnswer> = {};
  if (options.status !== undefined) answer.status = options.status;
  if (options.body !== undefined) answer.body = options.body;
  if (options.contentType !== undefined) answer.contentType = options.contentType;
  if (options.delay !== undefined) {
    try {
      answer.delay = parseLatency(options.delay);
    } catch (error) {
      throw new UsageError(`--delay ${options.delay}: ${(error as Error).message}`);
    }
  }
  const rules = options.rules === undefined ? [] : loadRules(context.resolvePath(options.rules));
  // The run's one redactor: what catch learns is a secret is redacted in every line the CLI prints too.
  const redactor = context.redactor;
  redactor.addNames(options.secret ?? []);
  let log: NdjsonLog | undefined;
  if (options.log !== undefined) {
    const file = context.resolvePath(options.log);
    try {
      log = await NdjsonLog.open(file);
    } catch (error) {
      throw new InputError(`cannot open the log: ${(error as Error).message}`, { file, hint: 'check that the directory exists and is writable' });
    }
  }
  const store = context.openStore({ busyTimeoutMs: 5_000 });
  const quiet = context.globals.quiet;
  const verbose = context.globals.verbose;
  const color = output.json ? output.stderrColor : output.stdoutColor;
  const print = (text: string) => (output.json ? output.info(text) : output.data(text));
  let logFailureReported = false;
  let catcher: Catcher;
  try {
    catcher = await startCatcher({
      host: options.host,
      port: options.port,
      answer,
      answerExplicit: options.status !== undefined || options.body !== undefined,
      rules,
      ...(options.failRate === undefined ? {} : { failRate: options.failRate }),
      ...(options.resetRate === undefined ? {} : { resetRate: options.resetRate }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      maxBodyBytes: options.maxBody,
      ...(options.forward === undefined ? {} : { forward: options.forward, forwardTimeoutMs: options.forwardTimeout }),
      ...(options.clickIdParam === undefined ? {} : { clickIdParams: options.clickIdParam }),
      redactor,
      secrets: options.secret ?? [],
      store,
      keep: options.keep,
      runOptions: {
        status: options.status ?? null,
        rules: options.rules ?? null,
        fail_rate: options.failRate ?? null,
        reset_rate: options.resetRate ?? null,
        seed: options.seed ?? null,
        forward: options.forward === undefined ? null : redactor.url(options.forward),
        count: options.count ?? null,
        until_ms: options.until ?? null,
        expect: options.expect ?? null,
      },
      onRequest: (request) => {
        if (!quiet) print(verbose ? `${formatCaughtRequest(request)}\n` : formatCaughtLine(request, color));
        if (log) {
          log.write(caughtJson(request));
          if (log.error && !logFailureReported) {
            logFailureReported = true;
            output.warn(`cannot write the log ${log.file}: ${log.error.message}; requests are no longer logged there`);
          }
        }
      },
    });
  } catch (error) {
    await log?.close();
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${options.host}:${options.port}`;
    if (code === 'EADDRINUSE') throw new NetworkError(`cannot listen on ${where}: the port is in use`, { hint: '--port 0 picks a free port' });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') throw new NetworkError(`cannot listen on ${where} (${code})`, { hint: 'check --host and --port' });
    throw error;
  }
  const persistence = `recording into ${context.dbPath} (run ${catcher.runId})`;
  // The banner is where scripts find the URL: on stderr with --json, so stdout stays one document.
  const banner = renderCatchBanner(catcher.url, persistence, options.forward === undefined ? undefined : redactor.url(options.forward));
  if (output.json) output.info(banner);
  else output.data(banner);
  const stops = [options.count !== undefined ? `after ${options.count} requests` : '', options.until !== undefined ? `after ${options.until / 1000}s` : '', options.expect !== undefined && options.count === undefined ? `once ${options.expect} arrived` : ''].filter(Boolean);
  output.info(`${stops.length > 0 ? `Stops ${stops.join(' or ')}, or on Ctrl-C.` : 'Press Ctrl-C to stop.'}`);

  const signals = signalPromise(() => {
    output.info('second signal: dropping the connections still open');
  });
  let outcome;
  try {
    outcome = await waitForStop(catcher, { ...(options.count === undefined ? {} : { count: options.count }), ...(options.until === undefined ? {} : { untilMs: options.until }), ...(options.expect === undefined ? {} : { expect: options.expect }) }, signals.signal);
  } finally {
    signals.release();
    await catcher.close();
    await log?.close();
  }
  const stats = catcher.stats();
  output.info(`${describeStop(outcome, options.expect)}: ${describeCatchStats(stats)}`);
  if (output.json) {
    output.jsonDocument({
      version: 1,
      url: catcher.url,
      run_id: catcher.runId,
      db: context.dbPath,
      stopped: { reason: outcome.reason, signal: outcome.signal ?? null },
      expect: options.expect ?? null,
      expectation_met: outcome.expectationMet,
      stats,
      requests: catcher.requests().map(caughtJson),
    });
  }
  if (!outcome.expectationMet) {
    throw new CheckFailed(`expected at least ${options.expect} requests, ${outcome.requests} arrived`, { hint: 'is the sender pointed at this URL? does it retry after the faults catch injected?' });
  }
}

export function runCatchList(options: { run?: number; clickId?: string; limit: number }, context: CliContext): void {
  const store = context.openExistingStore();
  const rows = listCaught(store, { ...(options.run === undefined ? {} : { runId: options.run }), ...(options.clickId === undefined ? {} : { clickId: options.clickId }), limit: options.limit });
  const output = context.output;
  if (output.json) {
    output.jsonDocument({ version: 1, requests: rows.map(storedJson) });
    return;
  }
  if (rows.length === 0) {
    output.info('no caught requests stored (run tpb catch first, with the same --db)');
    return;
  }
  output.data(renderCaughtList(rows));
}

export function runCatchShow(id: string, context: CliContext): void {
  if (!/^\d+$/.test(id.trim())) throw new UsageError(`"${id}" is not a request id (a number from tpb catch list)`);
  const store = context.openExistingStore();
  const row = getCaught(store, Number(id));
  if (!row) throw new InputError(`no caught request with id ${id} in ${context.dbPath}`, { hint: 'tpb catch list shows the stored ones' });
  if (context.output.json) context.output.jsonDocument({ version: 1, request: storedJson(row) });
  else context.output.data(formatStoredRequest(row));
}
