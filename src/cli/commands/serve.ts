import { InvalidArgumentError, Option, type Command } from 'commander';
import type { MockTracker, MockTrackerStats } from '../../serve/server.js';
import type { NdjsonRequestLog, RequestLogEntry } from '../../serve/request-log.js';
import type { OutboundLogEntry } from '../../serve/forward.js';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { collectList, parseHttpUrl, parseInteger, parseRatio } from '../parsers.js';
import { PRESET_NAMES, type PresetName } from '../../presets/catalog.js';

// Kept here (not imported from src/serve) so `tpb --help` loads nothing of the server.
const ROUTES_HELP = `
Routes per preset (click → 302 to --landing with the id in the parameter shown; see README for answers):
  generic     /click?offer_id=&aff_id=            click_id        /postback?click_id=&payout=&txid=&event=&status=
              200 JSON, 400 missing id, 404 unknown click, 409 duplicate (click_id+event+txid)
  tune        /aff_c?offer_id=&aff_id=            transaction_id  /aff_lsr?offer_id=&transaction_id=&amount=&adv_sub=
              always 200: success=true; | success=false; err_msg=Invalid Trans. ID #…; | Duplicate conversion.
  everflow    /<aff>/<offer>/ and /clk (JSON)     transaction_id  /?nid=&transaction_id=&amount=&order_id=&event_id=
  voluum      /<campaign uuid>*                   cid             /postback?cid=&payout=&txid=&et=   (dedupe cid+txid)
  keitaro     /<campaign alias>*                  subid           /<postback key>/postback?subid=&tid=&status=&payout=
  binom       /click.php?key=                     cnv_id          /click.php?cnv_id=&payout=&cnv_status=
  cake        /?a=&c=*                            r               /p.ashx?o=&e=&f=pb&r=&t=&ap=  (200, body SUCCESS*)
  affise      /click?pid=&offer_id=               clickid (24)    /postback?clickid=&action_id=&goal=&sum=  (always 200)
  redtrack    /<24-hex campaign id>*              clickid         /postback?clickid=&sum=&type=
  prosper202  /tracking202/redirect/dl.php?t202id=  subid (number)
              /tracking202/static/gpb.php?subid=&amount=  (202 / 404 JSON)
Where trackers.md found nothing (marked *, and the answers of everflow, voluum, keitaro, binom,
redtrack) tpb chose: 200 recorded, 400 missing id, 404 unknown click, 409 duplicate.
Exports: /export/clicks.csv and /export/conversions.csv in the preset's headers, delimiter and dates.
Faults (--latency, --fail-rate, --reset-rate) hit click and postback routes, never the exports.`;

function latencyParser(value: string): string {
  // Validated here, parsed again by the server module when it loads (keeps this file light).
  if (!/^\d+(\.\d+)?(ms|s)?(-\d+(\.\d+)?(ms|s)?)?$/i.test(value.trim())) {
    throw new InvalidArgumentError('expected milliseconds or a range, such as 200, 50-500 or 100ms-2s.');
  }
  return value.trim();
}

export interface ServeOptions {
  preset: PresetName;
  host: string;
  port: number;
  landing: string;
  latency?: string;
  failRate?: number;
  resetRate?: number;
  seed?: number;
  log?: string;
  secret?: string[];
  maxStored: number;
  postbackKey?: string;
  forwardPostbacks?: string;
  forwardRetries?: number;
  forwardDelay?: string;
  forwardLog?: string;
}

export function registerServe(program: Command, context: CliContext): void {
  const command = program
    .command('serve')
    .description('run an embedded mock tracker (clicks, postbacks, exports) for testing without a staging tracker')
    .addOption(new Option('--preset <name>', 'whose URLs, answers and exports to imitate').choices(PRESET_NAMES).default('generic'))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on; 0 picks a free one (printed)', parseInteger({ min: 0, max: 65535 }), 0)
    .option('--landing <url>', 'where clicks are redirected, with the click id added (never fetched)', parseHttpUrl, 'https://landing.example/offer')
    .option('--latency <ms|min-max>', 'delay every click and postback answer, e.g. 200 or 50-500', latencyParser)
    .option('--fail-rate <0..1>', 'answer this share of clicks and postbacks with 503', parseRatio)
    .option('--reset-rate <0..1>', 'drop this share of connections without an answer', parseRatio)
    .option('--seed <n>', 'repeatable faults and click ids', parseInteger({ min: 0, max: 2 ** 32 - 1 }))
    .option('--log <file>', 'also append each request to this file as NDJSON')
    .option('--secret <name>', 'query parameter whose value is redacted in logs (repeatable; token, key, … always are)', collectList)
    .option('--max-stored <n>', 'in memory, keep at most this many clicks and postbacks (oldest forgotten)', parseInteger({ min: 1 }), 100_000)
    .option('--postback-key <key>', 'keitaro: the postback key in its postback path (default a1b2c3d)')
    .option('--forward-postbacks <template>', 'fire an outbound postback for each recorded conversion, e.g. "http://127.0.0.1:9000/pb?clickid={click_id}&payout={payout}"')
    .option('--forward-retries <n>', 'retries of an outbound postback on no answer, 429 or 5xx (default 2)', parseInteger({ min: 0, max: 20 }))
    .option('--forward-delay <ms|min-max>', 'wait this long after the conversion before the outbound postback', latencyParser)
    .option('--forward-log <file>', 'append each outbound postback (delivered or given up) to this file as NDJSON')
    .addHelpText(
      'after',
      '\nIn memory by default; with --db (or TPB_DB, or "db" in the config file) clicks and postbacks are\nkept in mock_clicks / mock_conversions and survive a restart. Stops cleanly on Ctrl-C / SIGTERM.\n' +
        ROUTES_HELP,
    )
    .action((options: ServeOptions) => runServe(options, context));
  addExamples(command, [
    ['tpb serve', 'generic mock tracker on a free port; prints its URLs'],
    ['tpb serve --preset tune --port 8080', 'TUNE-style aff_c / aff_lsr on port 8080'],
    ['tpb serve --preset voluum --fail-rate 0.2 --latency 50-300 --seed 7', 'a flaky tracker, the same flakiness every run'],
    ['tpb serve --preset keitaro --db mock.db --log requests.ndjson', 'persist, and log every request as NDJSON'],
    ['tpb serve --forward-postbacks "http://127.0.0.1:9000/pb?clickid={click_id}&payout={payout}&txid={txid}"', 'a tracker that tells the traffic source (tpb catch --port 9000)'],
  ]);
}

function describeStats(stats: MockTrackerStats): string {
  const p = stats.postbacks;
  const parts = [
    `${stats.requests} requests`,
    `${stats.clicks} clicks`,
    `postbacks: ${p.recorded} recorded, ${p.duplicate} duplicate, ${p.unknown_click} unknown click, ${p.rejected} rejected`,
  ];
  if (stats.faults.failed + stats.faults.reset > 0) parts.push(`faults: ${stats.faults.failed} answered 503, ${stats.faults.reset} dropped`);
  if (stats.stored.evictedClicks + stats.stored.evictedConversions > 0) {
    parts.push(`forgotten to bound memory: ${stats.stored.evictedClicks} clicks, ${stats.stored.evictedConversions} postbacks`);
  }
  const o = stats.outbound;
  if (o) parts.push(`outbound postbacks: ${o.delivered} delivered, ${o.failed} given up${o.pending > 0 ? `, ${o.pending} still under way` : ''} (${o.attempts} attempts)`);
  return parts.join('; ');
}

/** Values the preset's postback requires beyond the click id (the mock accepts these). */
const REQUIRED_VARS: Partial<Record<MockTracker['preset'], string>> = { everflow: ' --var nid=1', cake: ' --var offer_id=1001' };

function banner(tracker: MockTracker, title: string, persistence: string): string {
  const rows: Array<[string, string]> = [
    ['click', tracker.routes.click],
    ['postback', tracker.routes.postback],
    ['fire --base', tracker.routes.postbackBase],
    ['clicks.csv', tracker.routes.clicksExport],
    ['conversions', tracker.routes.conversionsExport],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  // The postback template names every macro the route reads ({event}, {status}…), so firing it
  // as-is needs a value for each; the preset's own template drops the optional ones.
  const quote = (text: string) => `"${text}"`;
  return [
    `mock ${title} tracker (--preset ${tracker.preset}) on ${tracker.url}, ${persistence}`,
    ...rows.map(([name, url]) => `  ${name.padEnd(width)}  ${url}`),
    `Try: tpb click ${quote(tracker.routes.click)} --preset ${tracker.preset}`,
    `     tpb fire --preset ${tracker.preset} --base ${quote(tracker.routes.postbackBase)} --from-db --last 1 --payout 1.50${REQUIRED_VARS[tracker.preset] ?? ''}`,
  ].join('\n');
}

/** Wait for SIGINT or SIGTERM; a second signal stops waiting for in-flight requests. */
function untilSignal(onSecond: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined;
    const handler = (signal: NodeJS.Signals) => {
      if (received === undefined) {
        received = signal;
        resolve(signal);
      } else {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
        onSecond();
      }
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

async function runServe(options: ServeOptions, context: CliContext): Promise<void> {
  const [{ startMockTracker }, { parseLatency }, requestLog, { PRESETS }, { UsageError, NetworkError }] =
    await Promise.all([
      import('../../serve/server.js'),
      import('../../serve/faults.js'),
      import('../../serve/request-log.js'),
      import('../../presets/catalog.js'),
      import('../../errors.js'),
    ]);
  const forward = await import('../../serve/forward.js');
  const output = context.output;
  let latency;
  try {
    latency = options.latency === undefined ? undefined : parseLatency(options.latency);
  } catch (error) {
    throw new UsageError(`--latency ${options.latency}: ${(error as Error).message}`);
  }
  let forwardDelay;
  try {
    forwardDelay = options.forwardDelay === undefined ? undefined : parseLatency(options.forwardDelay);
  } catch (error) {
    throw new UsageError(`--forward-delay ${options.forwardDelay}: ${(error as Error).message}`);
  }
  if (options.forwardPostbacks !== undefined) forward.validateOutboundTemplate(options.forwardPostbacks);
  else if (options.forwardRetries !== undefined || options.forwardDelay !== undefined || options.forwardLog !== undefined) {
    throw new UsageError('--forward-retries, --forward-delay and --forward-log need --forward-postbacks <template>');
  }
  let forwardLog: NdjsonRequestLog | undefined;
  if (options.forwardLog !== undefined) {
    const file = context.resolvePath(options.forwardLog);
    try {
      forwardLog = await requestLog.NdjsonRequestLog.open(file);
    } catch (error) {
      throw new UsageError(`--forward-log ${file}: ${(error as Error).message}`, { hint: 'check that the directory exists and is writable' });
    }
  }
  // In memory unless a database was asked for (flag, TPB_DB or config file): the default ./tpb.db is not.
  const persist = context.program.getOptionValueSource('db') !== 'default';
  // Each request writes synchronously: while another process (tpb ingest) holds the write lock the
  // server waits at most 5 s, then answers 500, rather than freezing for the default minute.
  const store = persist ? context.openStore({ busyTimeoutMs: 5_000 }) : undefined;
  let log: NdjsonRequestLog | undefined;
  if (options.log !== undefined) {
    const file = context.resolvePath(options.log);
    try {
      log = await requestLog.NdjsonRequestLog.open(file);
    } catch (error) {
      throw new UsageError(`--log ${file}: ${(error as Error).message}`, { hint: 'check that the directory exists and is writable' });
    }
  }
  let logFailureReported = false;
  const quiet = context.globals.quiet;
  let tracker: MockTracker;
  try {
    tracker = await startMockTracker({
      preset: options.preset,
      host: options.host,
      port: options.port,
      landing: options.landing,
      ...(latency === undefined ? {} : { latency }),
      ...(options.failRate === undefined ? {} : { failRate: options.failRate }),
      ...(options.resetRate === undefined ? {} : { resetRate: options.resetRate }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(store === undefined ? {} : { store }),
      ...(options.secret === undefined ? {} : { secrets: options.secret }),
      ...(options.postbackKey === undefined ? {} : { postbackKey: options.postbackKey }),
      maxStoredRequests: options.maxStored,
      ...(options.forwardPostbacks === undefined
        ? {}
        : {
            forwardPostbacks: {
              template: options.forwardPostbacks,
              ...(options.forwardRetries === undefined ? {} : { retries: options.forwardRetries }),
              ...(forwardDelay === undefined ? {} : { delay: forwardDelay }),
            },
            forwardLog: (entry: OutboundLogEntry) => {
              if (!quiet) output.info(forward.formatOutboundLine(entry));
              // The NDJSON writer takes any entry; the outbound log has its own shape.
              forwardLog?.write(entry as unknown as RequestLogEntry);
            },
          }),
      log: (entry) => {
        if (!quiet) output.info(requestLog.formatRequestLine(entry));
        if (log) {
          log.write(entry);
          if (log.error && !logFailureReported) {
            logFailureReported = true;
            output.warn(`cannot write the request log ${log.file}: ${log.error.message}; requests are no longer logged there`);
          }
        }
      },
    });
  } catch (error) {
    await log?.close();
    await forwardLog?.close();
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${options.host}:${options.port}`;
    if (code === 'EADDRINUSE') throw new NetworkError(`cannot listen on ${where}: the port is in use`, { hint: '--port 0 picks a free port' });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') {
      throw new NetworkError(`cannot listen on ${where} (${code})`, { hint: 'check --host and --port' });
    }
    throw error;
  }

  const persistence = persist ? `recording into ${context.dbPath}` : 'in memory (pass --db <file> to keep what it records)';
  if (output.json) {
    output.jsonDocument({
      url: tracker.url,
      port: tracker.port,
      preset: tracker.preset,
      routes: {
        click: tracker.routes.click,
        postback: tracker.routes.postback,
        postback_base: tracker.routes.postbackBase,
        clicks_export: tracker.routes.clicksExport,
        conversions_export: tracker.routes.conversionsExport,
      },
      db: persist ? context.dbPath : null,
      notes: tracker.notes,
    });
  } else {
    output.data(banner(tracker, PRESETS[tracker.preset].title, persistence));
  }
  if (options.forwardPostbacks !== undefined) {
    const { Redactor } = await import('../../text/redact.js');
    output.info(`Outbound postbacks for each recorded conversion: ${new Redactor(options.secret ?? []).url(options.forwardPostbacks)}`);
  }
  output.info('Press Ctrl-C to stop.');

  const signal = await untilSignal(() => {
    output.info('second signal: dropping the connections still open');
    void tracker.closeNow();
  });
  output.info(`${signal}: stopping (letting requests in flight finish)…`);
  await tracker.close();
  await log?.close();
  await forwardLog?.close();
  output.info(`stopped: ${describeStats(tracker.stats())}`);
}
