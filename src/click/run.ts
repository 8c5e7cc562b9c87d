import net from 'node:net';
import { UsageError } from '../errors.js';
import { HttpClient, DEFAULT_INTERRUPT_GRACE_MS, DEFAULT_TIMEOUT_MS } from '../http/client.js';
import { backoffDelay, isRetryableStatus, sleepUnlessAborted, type RetryPolicy } from '../http/retry.js';
import { PRESETS, type PresetName } from '../presets/catalog.js';
import { startRun, finishRun } from '../store/runs.js';
import { SimulatedClickWriter } from '../store/clicks.js';
import type { Store } from '../store/db.js';
import { Redactor } from '../text/redact.js';
import { CLICK_MACROS, appendQuery, expandTemplate, expandValue, generatedMacroValues, MACRO_PATTERN, UnresolvedMacroError } from '../template/macros.js';
import { KNOWN_CLICK_ID_PARAMS } from '../presets/click-id-params.js';
import { queryParams } from '../template/query.js';
import type { ClickFailureCause } from './capture.js';
import { sendClick, type ClickOutcome } from './send.js';
import { LoadRecorder, type LoadSummary } from '../stats/load.js';
import { evaluateLoadThresholds, hasLoadThresholds, type LoadThresholdResult, type LoadThresholds } from '../stats/thresholds.js';
import { runSchedule, type LoadSlot } from '../http/schedule.js';
import { RepeatCounter } from '../stats/repeats.js';

/** A current desktop browser: trackers filter obvious bots, and curl's agent is one. */
export const DEFAULT_USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export interface ClickRunOptions {
  /** Tracking link; may use {i}, {uuid}, {rand}. */
  url: string;
  /** Clicks to send (the warm-up's not counted); with durationMs, the most to send. */
  count?: number;
  /** Send for this long (ms, the warm-up not included); with count, whichever ends first. */
  durationMs?: number;
  /** Clicks sent in this first period (ms) are stored but left out of the summary. */
  warmupMs?: number;
  concurrency: number;
  /** A constant arrival rate: click i is due at i / rate s, and its latency counts from then. */
  ratePerSecond?: number;
  /** Limits on the run as a whole; the result says which were broken. */
  thresholds?: LoadThresholds;
  /** Extra query parameters; values may use {i}, {uuid}, {rand}. */
  params?: ReadonlyArray<readonly [string, string]>;
  headers?: ReadonlyArray<readonly [string, string]>;
  userAgent?: string;
  /** X-Forwarded-For: an address, a template such as `203.0.113.{i}`, or `random`. */
  ip?: string;
  /** Parameter names that carry the click id (default: the preset's, then the known names). */
  clickIdParams?: readonly string[];
  /** Dotted path of the click id in a JSON answer. */
  clickIdJson?: string;
  /** Redirect hops to follow (0 = none). */
  follow?: number;
  timeoutMs?: number;
  preset?: PresetName;
  /** When given, the run and every click are stored (source tpb:click). */
  store?: Store;
  /** Opens the store once the options were checked (so a usage error writes nothing); with store, unused. */
  openStore?: () => Store;
  /** Redacts secrets in stored and returned URLs (default: the default secret names). */
  redactor?: Redactor;
  /** An existing client to use (and not close); otherwise one sized to the concurrency. */
  client?: HttpClient;
  /** Keep each click's exchanges (requests and answers, redacted) for -v. */
  trace?: boolean;
  /**
   * Which clicks the result keeps (the summary counts all of them): all (default), examples (the
   * first failed click of each cause: what a report quotes, in bounded memory however long the
   * run), or none. Every click is stored either way.
   */
  keepClicks?: 'all' | 'examples' | 'none';
  /** Retries of a click that got a network error, 429 or 5xx (default none: a retried click can count twice). */
  retryPolicy?: RetryPolicy;
  /**
   * Stop sending new clicks when aborted (SIGINT/SIGTERM). Clicks in flight get `interruptGraceMs`
   * (default 2 s) to finish; then they end as `interrupted` network failures. Everything sent is
   * stored and counted either way.
   */
  signal?: AbortSignal;
  interruptGraceMs?: number;
  now?: () => Date;
}

/** One request of a click and its answer, redacted (not sanitised: do that before a terminal). */
export interface ClickExchange {
  url: string;
  requestHeaders: Record<string, string>;
  status?: number;
  location?: string;
  contentType?: string;
  body?: string;
  bodyTruncated?: boolean;
  failure?: string;
  latencyMs: number;
}

export interface ClickRecord extends Omit<ClickOutcome, 'url' | 'location' | 'hops'> {
  /** 1-based. */
  index: number;
  /** Redacted. */
  url: string;
  /** Redacted. */
  location?: string;
  hops: number;
  ip?: string;
  sentAt: string;
  /** Requests of the click's first hop (more than 1 when it was retried). */
  attempts: number;
  /** With trace: every request of the click and its answer. */
  exchanges?: ClickExchange[];
}

export interface ClickProgress {
  /** Clicks planned (the count), or 0 for a timed run without one. */
  total: number;
  done: number;
  captured: number;
  failed: number;
}

export interface ClickRunEvents {
  onStart?(info: { total: number; runId?: number; url: string; durationMs?: number; warmupMs?: number }): void;
  onClick?(click: ClickRecord, progress: ClickProgress): void;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface ClickSummary {
  sent: number;
  captured: number;
  failed: number;
  /** Failures by cause (no_redirect, no_param, status, network…); network ones also by kind. */
  failures: Partial<Record<ClickFailureCause, number>>;
  networkFailures: Record<string, number>;
  /** Answers by HTTP status of the last hop ("none" when no answer came). */
  statuses: Record<string, number>;
  /** Ids captured more than once: the tracker reused an id, or a click was counted twice. */
  duplicateIds: number;
  /** From the HDR histogram of the measured clicks; counted from the scheduled time with --rate. */
  latencyMs: LatencySummary;
  durationMs: number;
  requestsPerSecond: number;
  /** The run as a load test: model, rate held, behind schedule, histogram, per-second series. */
  load: LoadSummary;
  /** The --max-p95/--max-p99/--max-error-rate/--min-rate verdicts, when any were given. */
  thresholds: LoadThresholdResult | null;
}

export interface ClickRunResult {
  runId?: number;
  /** The signal stopped the run before every click was sent. */
  interrupted: boolean;
  /** Redacted. */
  url: string;
  summary: ClickSummary;
  /** Every click, or the first failed one of each cause, per keepClicks; by index. */
  clicks: ClickRecord[];
}

const DOC_RANGES = ['192.0.2.', '198.51.100.', '203.0.113.'];

/** An address from the documentation ranges (RFC 5737), for clicks that must not share an IP. */
export function randomDocumentationIp(random: () => number = Math.random): string {
  const prefix = DOC_RANGES[Math.floor(random() * DOC_RANGES.length)]!;
  return `${prefix}${1 + Math.floor(random() * 254)}`;
}

/** The X-Forwarded-For of click `index`; `{i}` wraps to 1–254 so `203.0.113.{i}` stays an address. */
export function clickIp(spec: string, index: number): string {
  if (spec === 'random') return randomDocumentationIp();
  const octet = String(((index - 1) % 254) + 1);
  return spec.replace(/\{i\}/g, octet).replace(/\{rand\}/g, () => String(1 + Math.floor(Math.random() * 254)));
}

const OFFER_PARAMS = ['offer_id', 'oid', 'offer', 'o'];
const AFFILIATE_PARAMS = ['aff_id', 'affid', 'affiliate_id', 'pid', 'a'];
const SUB_PARAMS = [
  ['sub1', 'aff_sub', 's1', 'c1'],
  ['sub2', 'aff_sub2', 's2', 'c2'],
  ['sub3', 'aff_sub3', 's3', 'c3'],
  ['sub4', 'aff_sub4', 's4', 'c4'],
  ['sub5', 'aff_sub5', 's5'],
];

function pick(params: ReadonlyMap<string, string>, names: readonly string[]): string | null {
  for (const name of names) {
    const value = params.get(name);
    if (value !== undefined && value !== '') return value;
  }
  return null;
}

/** Validate the options that cannot be checked by commander, before anything is sent. */
function validate(options: ClickRunOptions): void {
  if (!/^https?:\/\/[^/?#\s]+/i.test(options.url)) throw new UsageError(`not an http(s) URL: ${options.url}`);
  const probe = generatedMacroValues(1, new Date());
  const check = (template: string, where: string) => {
    const unknown = [...template.matchAll(MACRO_PATTERN)].map((m) => m[1]!).filter((name) => !(CLICK_MACROS as readonly string[]).includes(name));
    if (unknown.length > 0) throw new UnresolvedMacroError([...new Set(unknown)], where, CLICK_MACROS);
    expandTemplate(template, probe);
  };
  check(options.url, 'the click URL');
  for (const [name, value] of options.params ?? []) check(value, `--param ${name}`);
  if (options.ip !== undefined && options.ip !== 'random') {
    for (const index of [1, 300]) {
      const ip = clickIp(options.ip, index);
      if (net.isIP(ip) === 0) throw new UsageError(`--ip ${options.ip} gives "${ip}", which is not an IP address`, { hint: 'use an address, a template such as 203.0.113.{i}, or random' });
    }
  }
  if (options.count === undefined && options.durationMs === undefined) throw new UsageError('give --count or --duration');
  if (options.count !== undefined && (!Number.isInteger(options.count) || options.count < 1)) throw new UsageError('--count must be at least 1');
  if (options.durationMs !== undefined && !(options.durationMs > 0)) throw new UsageError('--duration must be more than 0');
  if (options.warmupMs !== undefined && !(options.warmupMs >= 0)) throw new UsageError('--warmup must not be negative');
  if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) throw new UsageError('--rate must be more than 0');
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new UsageError('--concurrency must be at least 1');
}

type Tallied = Pick<ClickRecord, 'ok' | 'clickId' | 'cause' | 'networkCause' | 'status'>;

/** Counts a run's clicks as they finish, keeping no per-click object (runs can be millions). */
export class ClickTally {
  private readonly failures: Partial<Record<ClickFailureCause, number>> = {};
  private readonly networkFailures: Record<string, number> = {};
  private readonly statuses: Record<string, number> = {};
  // Fingerprints, not the ids: a timed run can capture millions (see RepeatCounter).
  private readonly ids = new RepeatCounter();
  private count = 0;
  private captured = 0;
  private duplicateIds = 0;

  add(record: Tallied): void {
    this.count += 1;
    const status = record.status === undefined ? 'none' : String(record.status);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (record.ok && record.clickId !== undefined) {
      this.captured += 1;
      if (this.ids.add(record.clickId)) this.duplicateIds += 1;
    } else if (record.cause) {
      this.failures[record.cause] = (this.failures[record.cause] ?? 0) + 1;
      if (record.networkCause) this.networkFailures[record.networkCause] = (this.networkFailures[record.networkCause] ?? 0) + 1;
    }
  }

  summary(load: LoadSummary, thresholds: LoadThresholds | undefined): ClickSummary {
    const l = load.latencyMs;
    return {
      sent: this.count,
      captured: this.captured,
      failed: this.count - this.captured,
      failures: { ...this.failures },
      networkFailures: { ...this.networkFailures },
      statuses: { ...this.statuses },
      duplicateIds: this.duplicateIds,
      latencyMs: { p50: l.p50, p90: l.p90, p95: l.p95, p99: l.p99, p999: l.p999, max: l.max, mean: l.mean },
      durationMs: load.durationMs,
      requestsPerSecond: load.rate,
      load,
      thresholds: hasLoadThresholds(thresholds)
        ? evaluateLoadThresholds({ p95: l.p95, p99: l.p99, errorRate: load.errorRate, rate: load.rate }, thresholds!, 'clicks')
        : null,
    };
  }
}


/**
 * Send `count` clicks (or for `durationMs`) at `concurrency`, or at a constant arrival rate of
 * `ratePerSecond` (latency counted from each click's due time), capture each click
 * id, store every click when a store is given, and summarise. Option errors throw UsageError
 * before anything is sent; network and HTTP outcomes are per-click causes, never exceptions.
 */
export async function runClicks(options: ClickRunOptions, events: ClickRunEvents = {}): Promise<ClickRunResult> {
  validate(options);
  const store = options.store ?? options.openStore?.();
  const now = options.now ?? (() => new Date());
  const redactor = options.redactor ?? new Redactor();
  const keepClicks = options.keepClicks ?? 'all';
  const clickIdParams =
    options.clickIdParams && options.clickIdParams.length > 0
      ? options.clickIdParams
      : options.preset
        ? [PRESETS[options.preset].clickIdParam, ...KNOWN_CLICK_ID_PARAMS.filter((name) => name !== PRESETS[options.preset!].clickIdParam)]
        : KNOWN_CLICK_ID_PARAMS;
  const client = options.client ?? new HttpClient({ connections: options.concurrency, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  const baseHeaders: Record<string, string> = {
    'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
    accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'accept-language': 'en-US,en;q=0.9',
  };
  for (const [name, value] of options.headers ?? []) baseHeaders[name.toLowerCase()] = value;
  const userAgent = baseHeaders['user-agent'] ?? null;

  // Secret values in the link and headers are redacted wherever an answer echoes them.
  redactor.learnUrl(options.url);
  for (const [name, value] of options.params ?? []) if (redactor.isSecretName(name) && !value.includes('{')) redactor.addValue(value);
  redactor.learnHeaders(baseHeaders);

  const redactedUserAgent = userAgent === null ? null : redactor.text(userAgent);
  const startedAt = now();
  const redactedUrl = redactor.url(options.url);
  const runId = store
    ? startRun(store, 'click', redactedUrl, {
        count: options.count ?? null,
        duration_ms: options.durationMs ?? null,
        warmup_ms: options.warmupMs ?? null,
        concurrency: options.concurrency,
        rate: options.ratePerSecond ?? null,
        params: (options.params ?? []).map(([name, value]) => [name, redactor.isSecretName(name) ? 'REDACTED' : value]),
        headers: Object.keys(redactor.headers(baseHeaders)).length,
        ip: options.ip ?? null,
        follow: options.follow ?? 0,
        preset: options.preset ?? null,
      }, startedAt)
    : undefined;
  const writer = store ? new SimulatedClickWriter(store) : undefined;
  events.onStart?.({
    total: options.count ?? 0,
    url: redactedUrl,
    ...(runId !== undefined ? { runId } : {}),
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    ...(options.warmupMs ? { warmupMs: options.warmupMs } : {}),
  });

  const clicks: ClickRecord[] = [];
  const exampleCauses = new Set<ClickFailureCause>();
  const tally = new ClickTally();
  const progress: ClickProgress = { total: options.count ?? 0, done: 0, captured: 0, failed: 0 };
  const recorder = new LoadRecorder(performance.now() + (options.warmupMs ?? 0), options.ratePerSecond !== undefined);

  // Work done once, not per click: most runs have no macros and no secrets in the link.
  const params = options.params ?? [];
  const usesMacros = options.url.includes('{') || params.some(([, value]) => value.includes('{'));
  const fixedUrl = usesMacros ? undefined : appendQuery(options.url, params);
  const redactsRequest = (fixedUrl ?? options.url) !== redactor.url(fixedUrl ?? options.url) || params.some(([name]) => redactor.isSecretName(name)) || usesMacros;
  const fixedRedactedUrl = fixedUrl !== undefined && !redactsRequest ? fixedUrl : fixedUrl !== undefined ? redactor.url(fixedUrl) : undefined;
  const linkFields = (link: string) => {
    const linkParams = new Map(queryParams(link).map((param) => [param.name, param.value]));
    return { offerId: pick(linkParams, OFFER_PARAMS), affiliateId: pick(linkParams, AFFILIATE_PARAMS), subs: SUB_PARAMS.map((names) => pick(linkParams, names)) };
  };
  const fixedLinkFields = fixedUrl !== undefined ? linkFields(fixedUrl) : undefined;

  const retryPolicy = options.retryPolicy;
  const retries = retryPolicy?.retries ?? 0;
  const sendOptions = {
    follow: options.follow ?? 0,
    params: clickIdParams,
    ...(options.clickIdJson !== undefined ? { jsonPath: options.clickIdJson } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.trace ? { trace: true } : {}),
  };

  // toISOString per click costs; many clicks share a millisecond.
  let lastMs = -1;
  let lastIso = '';
  let lastSecond = Number.NaN;
  let lastPrefix = '';
  const sendOne = async (slot: LoadSlot) => {
    const index = slot.index;
    const sentDate = now();
    const ms = sentDate.getTime();
    if (ms !== lastMs) {
      lastMs = ms;
      // The date and time to the second made once a second, the milliseconds appended.
      const second = Math.floor(ms / 1000);
      if (second !== lastSecond) {
        lastSecond = second;
        lastPrefix = new Date(second * 1000).toISOString().slice(0, -4);
      }
      const millis = ms - second * 1000;
      lastIso = `${lastPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
    }
    const sentAt = lastIso;
    let url: string;
    if (fixedUrl !== undefined) url = fixedUrl;
    else {
      const generated = generatedMacroValues(index, sentDate);
      url = appendQuery(expandTemplate(options.url, generated), params.map(([name, value]) => [name, expandValue(value, generated)] as const));
    }
    const ip = options.ip !== undefined ? clickIp(options.ip, index) : undefined;
    const headers = ip !== undefined ? Object.assign({}, baseHeaders, { 'x-forwarded-for': ip }) : baseHeaders;
    let outcome: ClickOutcome;
    let attempts = 0;
    const traced: ClickOutcome['hops'] = [];
    for (;;) {
      attempts += 1;
      outcome = await sendClick(client, { url, headers }, sendOptions);
      if (options.trace) traced.push(...outcome.hops);
      const retryable =
        outcome.cause === 'network' ? outcome.networkCause !== 'invalid_request' && outcome.networkCause !== 'interrupted' : !outcome.ok && outcome.status !== undefined && isRetryableStatus(outcome.status);
      if (!retryable || attempts > retries || options.signal?.aborted) break;
      await sleepUnlessAborted(backoffDelay(attempts, retryPolicy!), options.signal);
      if (options.signal?.aborted) break;
    }
    if (options.trace) outcome = { ...outcome, hops: traced };
    // Built field by field: optional fields are absent, not undefined (JSON and tests see the same).
    const record: ClickRecord = { index, ok: outcome.ok, url: fixedRedactedUrl ?? redactor.url(url), hops: outcome.hops.length, attempts, latencyMs: Math.round(outcome.latencyMs * 100) / 100, sentAt };
    if (outcome.clickId !== undefined) {
      record.clickId = outcome.clickId;
      record.param = outcome.param!;
      record.from = outcome.from!;
    }
    if (outcome.status !== undefined) record.status = outcome.status;
    if (outcome.location !== undefined) record.location = redactor.url(outcome.location);
    if (outcome.cause !== undefined) {
      record.cause = outcome.cause;
      record.detail = redactor.text(outcome.detail ?? '');
    }
    if (outcome.networkCause !== undefined) record.networkCause = outcome.networkCause;
    if (ip !== undefined) record.ip = ip;
    if (options.trace) {
      const requestHeaders = redactor.headers(headers);
      record.exchanges = outcome.hops.map((hop) => ({
        url: redactor.url(hop.url),
        requestHeaders,
        ...(hop.status !== undefined ? { status: hop.status } : {}),
        ...(hop.location !== undefined ? { location: redactor.url(hop.location) } : {}),
        ...(hop.contentType !== undefined ? { contentType: redactor.text(hop.contentType) } : {}),
        ...(hop.body !== undefined ? { body: redactor.body(hop.body), bodyTruncated: hop.bodyTruncated ?? false } : {}),
        ...(hop.failure !== undefined ? { failure: redactor.text(hop.failure) } : {}),
        latencyMs: Math.round(hop.latencyMs * 100) / 100,
      }));
    }
    if (writer) {
      const fields = fixedLinkFields ?? linkFields(url);
      writer.add({
        runId: runId!,
        line: index,
        clickId: record.clickId ?? null,
        occurredAt: record.sentAt,
        offerId: fields.offerId,
        affiliateId: fields.affiliateId,
        subs: fields.subs,
        ip: ip ?? null,
        userAgent: redactedUserAgent,
        requestUrl: record.url,
        httpStatus: record.status ?? null,
        location: record.location ?? null,
        latencyMs: record.latencyMs,
        error: record.cause ? `${record.cause}: ${record.detail}` : null,
        // Every text of the row was redacted above by the run's redactor: the store's own (the CLI's) need not again.
      }, redactor);
    }
    if (slot.warmup) return;
    recorder.record({ scheduledAt: slot.scheduledAt, sentAt: slot.sentAt, endedAt: performance.now(), serviceMs: outcome.latencyMs }, record.ok);
    if (keepClicks === 'all') clicks.push(record);
    else if (keepClicks === 'examples' && !record.ok && !exampleCauses.has(record.cause!)) {
      exampleCauses.add(record.cause!);
      clicks.push(record);
    }
    tally.add(record);
    progress.done += 1;
    if (record.ok) progress.captured += 1;
    else progress.failed += 1;
    events.onClick?.(record, progress);
  };

  // After an interrupt, clicks in flight get a short grace, then end as `interrupted` (and are stored).
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    graceTimer = setTimeout(() => client.interrupt(), options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  let timing;
  try {
    timing = await runSchedule(
      {
        ...(options.count !== undefined ? { count: options.count } : {}),
        ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
        ...(options.warmupMs !== undefined ? { warmupMs: options.warmupMs } : {}),
        ...(options.ratePerSecond !== undefined ? { ratePerSecond: options.ratePerSecond } : {}),
        concurrency: options.concurrency,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      sendOne,
    );
  } finally {
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    options.signal?.removeEventListener('abort', onAbort);
    writer?.close();
    if (!options.client) await client.close();
  }
  clicks.sort((a, b) => a.index - b.index);
  const load = recorder.summary({
    targetRate: options.ratePerSecond,
    behindSchedule: timing.behindSchedule,
    dropped: timing.dropped,
    maxLagMs: timing.maxLagMs,
    measuredMs: timing.measuredUntil - Math.min(timing.measuredFrom, timing.endedAt),
    warmupMs: Math.min(timing.measuredFrom, timing.endedAt) - timing.startedAt,
    warmupSent: timing.warmupSent,
  });
  const summary = tally.summary(load, options.thresholds);
  const interrupted = options.signal?.aborted === true;
  if (store && runId !== undefined) finishRun(store, runId, interrupted ? { ...summary, interrupted: true } : summary, now());
  return { ...(runId !== undefined ? { runId } : {}), interrupted, url: redactedUrl, summary, clicks };
}
