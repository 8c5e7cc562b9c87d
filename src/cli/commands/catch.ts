import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import type { CatchCommandOptions } from '../catch-command.js';
import { collectList, durationParser, parseHttpUrl, parseInteger, parseRatio } from '../parsers.js';

/** `64k`, `1m`, `4096`: a byte size. */
function parseSize(value: string): number {
  const match = /^(\d+)\s*([kKmM]i?[bB]?|[bB])?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected bytes, such as 4096, 64k or 1m.');
  const unit = (match[2] ?? '').toLowerCase()[0];
  const bytes = Number(match[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1);
  if (bytes > 64 * 1024 * 1024) throw new InvalidArgumentError('at most 64m.');
  return bytes;
}

function delayParser(value: string): string {
  // Checked here, parsed by the kernel's parseLatency when the command runs (keeps --help light).
  if (!/^\d+(\.\d+)?(ms|s)?(-\d+(\.\d+)?(ms|s)?)?$/i.test(value.trim())) throw new InvalidArgumentError('expected milliseconds or a range, such as 200, 50-500 or 100ms-2s.');
  return value.trim();
}

function statusParser(value: string): number {
  const status = parseInteger({ min: 100, max: 599 })(value);
  return status;
}


const RULES_HELP = `
Rules (--rules rules.yaml): a list; the first rule that matches answers, the others are skipped.
  - name: fail twice, then accept       # shown in the log and the summary
    match: { method: GET, path: /postback, query: { clickid: "*" } }
    status: 503                         # also: body, content_type, headers, delay, drop: true
    times: 2                            # answers its first 2 matches only
  path: exact, glob (* matches anything) or /regex/; query values: exact, "*" present,
  "" absent or empty, /regex/. Faults (--fail-rate, --reset-rate) come before the rules.

Each request is printed as it arrives (one line; -v the whole request; -q none), appended to
--log as NDJSON and stored in the database (caught_requests); one answered 2xx that carries a click id (the
known names: transaction_id, click_id, clickid, cid, subid, …, or --click-id-param) is also a
conversion of source tpb:catch, so "tpb reconcile --compare <tracker export> tpb:catch" shows
which postbacks the tracker says it sent but never arrived. Secrets (token, key, authorization…,
and --secret) are redacted before anything is printed or stored.
With --forward, each request is passed on (path and query appended to the URL; hop-by-hop headers
dropped) and answered with the upstream's answer unless a rule or --status/--body answers it.
Stops on --count, --until, Ctrl-C / SIGTERM; exit 1 when fewer than --expect requests arrived.`;

export function registerCatch(program: Command, context: CliContext): void {
  const command = program
    .command('catch')
    .description('receive postbacks: record every request to any path, answer as told, forward, verify what a tracker sends out')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on; 0 picks a free one (printed)', parseInteger({ min: 0, max: 65535 }), 0)
    .option('--status <code>', 'status of every answer (default 200)', statusParser)
    .option('--body <text>', 'body of every answer (default "OK")')
    .option('--content-type <type>', 'content type of every answer (default text/plain; charset=utf-8)')
    .option('--delay <ms|min-max>', 'wait before answering, e.g. 200 or 50-500', delayParser)
    .option('--rules <file>', 'per-request answers from a YAML or JSON file (see below)')
    .option('--fail-rate <0..1>', 'answer this share of requests 503, before any rule', parseRatio)
    .option('--reset-rate <0..1>', 'drop this share of connections without an answer', parseRatio)
    .option('--seed <n>', 'repeatable faults and delays', parseInteger({ min: 0, max: 2 ** 32 - 1 }))
    .option('--max-body <bytes>', 'keep at most this much of each body (64k default; the rest is counted)', parseSize, 64 * 1024)
    .option('--forward <url>', 'pass each request on to this URL and record its answer', parseHttpUrl)
    .option('--forward-timeout <duration>', 'how long to wait for the forwarded answer', durationParser('s'), 10_000)
    .option('--click-id-param <name>', 'parameter that carries the click id (repeatable; default: the known names)', collectList)
    .option('--secret <name>', 'parameter or header whose value is redacted (repeatable; token, key, authorization… always are)', collectList)
    .option('--log <file>', 'also append each request to this file as NDJSON')
    .option('--count <n>', 'stop after this many requests', parseInteger({ min: 1 }))
    .option('--until <duration>', 'stop after this long, e.g. 30s or 5m', durationParser('s'))
    .option('--expect <n>', 'exit 1 unless at least this many requests arrived (stops when they have, without --count)', parseInteger({ min: 1 }))
    .option('--keep <n>', 'requests kept in memory for --json (all are stored)', parseInteger({ min: 1 }), 10_000)
    .addHelpText('after', RULES_HELP)
    .action(async (options: CatchCommandOptions) => {
      const { runCatch } = await import('../catch-command.js');
      await runCatch(options, context);
    });
  addExamples(command, [
    ['tpb catch', 'listen on a free port; print each postback as it arrives'],
    ['tpb catch --port 9000 --status 200 --body "success=true;" --content-type "text/html; charset=UTF-8"', "answer like TUNE's PHP"],
    ['tpb catch --fail-rate 0.3 --seed 7 --expect 10 --until 60s', "does the sender retry? exit 1 unless 10 arrive within a minute"],
    ['tpb catch --rules rules.yaml --log caught.ndjson', 'per-path answers; every request also as NDJSON'],
    ['tpb catch --forward https://tracker.example --json --count 5', 'a tap in front of a real endpoint; the 5 requests as JSON'],
    ['tpb catch list --limit 20', 'the last 20 stored requests'],
    ['tpb catch show 42', 'stored request 42, headers and body'],
  ]);

  const list = command
    .command('list')
    .description('the stored caught requests, newest first')
    .option('--run <id>', 'only this catch run', parseInteger({ min: 1 }))
    .option('--click-id <id>', 'only requests with this click id')
    .option('--limit <n>', 'at most this many (0 = all)', parseInteger({ min: 0 }), 50)
    .action(async (options: { run?: number; clickId?: string; limit: number }) => {
      const { runCatchList } = await import('../catch-command.js');
      runCatchList(options, context);
    });
  addExamples(list, [
    ['tpb catch list', 'the last 50'],
    ['tpb catch list --click-id abc123 --json', 'every request that carried click id abc123, as JSON'],
  ]);
  const show = command
    .command('show <id>')
    .description('one stored request: request line, headers, body, answer, forwarded answer')
    .action(async (id: string) => {
      const { runCatchShow } = await import('../catch-command.js');
      runCatchShow(id, context);
    });
  addExamples(show, [['tpb catch show 42', 'request 42 as it arrived (secrets redacted)']]);
}
