import { UsageError } from '../errors.js';
import { HttpClient, DEFAULT_INTERRUPT_GRACE_MS, DEFAULT_TIMEOUT_MS, type HttpMethod, type HttpRequest } from '../http/client.js';
import { DEFAULT_RETRY_POLICY, sendWithRetries, sleepUnlessAborted, type AttemptRecord, type RetryHooks, type RetryPolicy } from '../http/retry.js';
import { hasErrors, LintFailedError, lintClickId, lintTemplate, type LintFinding } from '../template/lint.js';
import { PRESETS, type PresetName } from '../presets/catalog.js';
import type { Store } from '../store/db.js';
import { PostbackWriter } from '../store/postbacks.js';
import { finishRun, startRun } from '../store/runs.js';
import { REDACTED, Redactor } from '../text/redact.js';
import { LoadRecorder, type LoadSummary } from '../stats/load.js';
import { evaluateLoadThresholds, hasLoadThresholds, type LoadThresholdResult, type LoadThresholds } from '../stats/thresholds.js';
import { runSchedule, type LoadSlot, type LoadTiming } from '../http/schedule.js';
import { KNOWN_CLICK_ID_PARAMS } from '../presets/click-id-params.js';
import { queryParams } from '../template/query.js';
import { decimalToMicros } from '../units/micros.js';
import { keitaroPostbackKey, presetPostbackTemplate } from './preset-url.js';
import { encodeQueryValue, expandTemplate, expandValue, FIRE_MACROS, generatedMacroValues, MACRO_PATTERN, UnresolvedMacroError, type TemplateEncoding } from '../template/macros.js';
import { judgeResponse, networkVerdict, type Expectations, type Verdict } from './verdict.js';
import { lintSenderRun, playSender, type PlayedSender } from './sender.js';
import { DEFAULT_REPEAT_DELAY_MS, judgeCopy, type CopyTreatment, type RepeatExpectation } from './duplicates.js';

/** One postback, resolved and ready to send (secrets still in it: redact before showing). */
export interface PostbackRequest {
  /** 1-based position in the run. */
  seq: number;
  /** Which copy of the postback this is (1, the default: the first; 2..N the duplicate test's copies). */
  copy?: number;
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string;
  clickId: string | null;
  txid: string | null;
  event: string | null;
  status: string | null;
  payout: string | null;
  revenue: string | null;
  currency: string | null;
}

export interface FireJudging {
  expectations?: Expectations;
  preset?: PresetName;
  retryPolicy?: RetryPolicy;
  redactor?: Redactor;
  /** Bytes of the answer kept for the verdict and the excerpt. */
  excerptChars?: number;
  /** Per-attempt timeout (overrides the client's). */
  timeoutMs?: number;
  retryHooks?: RetryHooks;
  /** How copies 2..N of the duplicate test are judged (default refused). */
  expectRepeat?: RepeatExpectation;
}

export interface FireOutcome {
  seq: number;
  /** Which copy of the postback (1: the first; 2..N: the duplicate test's copies). */
  copy: number;
  method: HttpMethod;
  /** Redacted. */
  url: string;
  /** Redacted. */
  requestHeaders: Record<string, string>;
  /** Redacted. */
  requestBody?: string;
  clickId: string | null;
  txid: string | null;
  event: string | null;
  status: string | null;
  payout: string | null;
  /** HTTP status of the last answer, if any came. */
  httpStatus?: number;
  responseHeaders?: Record<string, string>;
  /** The answer's body, cut and redacted (not sanitised: do that before a terminal). */
  bodyExcerpt?: string;
  bodyTruncated?: boolean;
  latencyMs: number;
  attempts: AttemptRecord[];
  verdict: Verdict;
  /** Copies 2..N: how the tracker treated the duplicate, as far as its answer tells (absent: no answer). */
  duplicate?: CopyTreatment;
  sentAt: string;
}

export const DEFAULT_EXCERPT_CHARS = 500;

/**
 * Teach the redactor the values of secret fields of a request body (JSON keys at any depth, or
 * form fields, named like secrets), so an answer that echoes them is redacted too.
 */
export function addBodySecretValues(body: string, redactor: Redactor): void {
  redactor.learnBody(body);
}

/**
 * Redactions of texts that repeat from postback to postback (the tracker's answer body, its header
 * values, the verdict's reason): a run of 30,000 postbacks to one endpoint redacts
 * `success=true;` once, not 30,000 times. Exact: the redactor's answer for a text changes only
 * when it learns a secret, and then the memo starts over.
 */
export class RedactionMemo {
  private readonly texts = new Map<string, string>();
  private readonly bodies = new Map<string, string>();
  private version: number;

  constructor(readonly redactor: Redactor) {
    this.version = redactor.version;
  }

  private fresh(): void {
    if (this.version !== this.redactor.version) {
      this.texts.clear();
      this.bodies.clear();
      this.version = this.redactor.version;
    }
  }

  text(text: string): string {
    if (text === '') return text;
    this.fresh();
    let out = this.texts.get(text);
    if (out === undefined) {
      out = this.redactor.text(text);
      // Long or endless variety (dates, ids) must not grow it without bound.
      if (text.length <= 512) {
        if (this.texts.size >= 1024) this.texts.clear();
        this.texts.set(text, out);
      }
    }
    return out;
  }

  body(text: string): string {
    if (text === '') return text;
    this.fresh();
    let out = this.bodies.get(text);
    if (out === undefined) {
      out = this.redactor.body(text);
      if (text.length <= 4096) {
        if (this.bodies.size >= 256) this.bodies.clear();
        this.bodies.set(text, out);
      }
    }
    return out;
  }

  headers(headers: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name in headers) out[name] = this.redactor.isSecretName(name) ? REDACTED : this.text(headers[name]!);
    return out;
  }
}

const memos = new WeakMap<Redactor, RedactionMemo>();

/** The memo of a redactor (one per redactor, kept as long as it is). */
export function redactionMemo(redactor: Redactor): RedactionMemo {
  let memo = memos.get(redactor);
  if (memo === undefined) {
    memo = new RedactionMemo(redactor);
    memos.set(redactor, memo);
  }
  return memo;
}

// toISOString per postback costs about a microsecond: the date and time to the second are made
// once a second, the milliseconds appended (the same text toISOString gives).
let isoSecond = -1;
let isoPrefix = '';
function isoNow(): string {
  const ms = Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
  }
  const millis = ms - second * 1000;
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** Send one postback (with retries) and judge the answer. Never throws for network or HTTP outcomes. */
export async function firePostback(client: HttpClient, request: PostbackRequest, judging: FireJudging = {}): Promise<FireOutcome> {
  const redactor = judging.redactor ?? new Redactor();
  const memo = redactionMemo(redactor);
  const sentAt = isoNow();
  const httpRequest: HttpRequest = { method: request.method, url: request.url, headers: request.headers };
  if (request.body !== undefined) httpRequest.body = request.body;
  if (judging.timeoutMs !== undefined) httpRequest.timeoutMs = judging.timeoutMs;
  const exchange = await sendWithRetries(client, httpRequest, judging.retryPolicy ?? DEFAULT_RETRY_POLICY, judging.retryHooks);
  const limit = judging.excerptChars ?? DEFAULT_EXCERPT_CHARS;
  const response = exchange.response;
  const copy = request.copy ?? 1;
  let verdict: Verdict;
  let treated: CopyTreatment | undefined;
  if (response) {
    const answer = { status: response.status, body: response.body, headers: response.headers, url: request.url };
    if (copy > 1) {
      // Copies 2..N are the same conversion again: judged as a duplicate, not by the success rule.
      const copyVerdict = judgeCopy(answer, { ...(judging.expectations ? { expectations: judging.expectations } : {}), ...(judging.preset ? { preset: judging.preset } : {}), expect: judging.expectRepeat ?? 'refused' });
      const { treated: how, ...judged } = copyVerdict;
      treated = how;
      verdict = judged as Verdict;
    } else verdict = judgeResponse(answer, judging.expectations, judging.preset);
  } else verdict = networkVerdict(exchange.failure!);
  verdict.reason = memo.text(verdict.reason);
  const outcome: FireOutcome = {
    seq: request.seq,
    copy,
    method: request.method,
    url: redactor.url(request.url),
    requestHeaders: memo.headers(request.headers),
    clickId: request.clickId,
    txid: request.txid,
    event: request.event,
    status: request.status,
    payout: request.payout,
    latencyMs: Math.round(exchange.latencyMs * 100) / 100,
    // An attempt's failure can quote the URL (an unparseable one, with its token).
    attempts: exchange.attempts.length === 1 && exchange.attempts[0]!.failure === undefined ? exchange.attempts : exchange.attempts.map((attempt) => (attempt.failure === undefined ? attempt : { ...attempt, failure: redactor.text(attempt.failure) })),
    verdict,
    sentAt,
  };
  if (request.body !== undefined) outcome.requestBody = redactor.requestBody(request.body);
  if (response) {
    const body = memo.body(response.body);
    outcome.httpStatus = response.status;
    outcome.responseHeaders = memo.headers(response.headers);
    outcome.bodyExcerpt = body.length > limit ? body.slice(0, limit) : body;
    outcome.bodyTruncated = response.truncated || body.length > limit;
  }
  if (treated !== undefined) outcome.duplicate = treated;
  return outcome;
}

export interface FireRunOptions {
  /** URL template with {macros}; or give preset + base. */
  template?: string;
  preset?: PresetName;
  /** Tracker base URL for the preset's template. */
  base?: string;
  /** Click ids to fire for; empty fires once without {click_id}. */
  clickIds: readonly string[];
  /**
   * The click ids were issued by the tracker itself (captured from its redirects by `tpb click`,
   * read back with `--from-db`): they are its ids by definition, so the preset's id-format check
   * is skipped for them (Keitaro-compatible trackers issue UUIDs, not Keitaro's usual shape).
   */
  clickIdsIssuedByTracker?: boolean;
  /**
   * The duplicate test: send each postback this many times (default 1). Copy r+1 of every
   * postback is sent `repeatDelayMs` after copy r was answered (all first copies, the delay, all
   * second copies…), only for postbacks whose first copy passed; copies are judged by `expectRepeat`.
   */
  repeat?: number;
  /** Between one copy's answers and the next copy (default 1 s; 0 allowed). */
  repeatDelayMs?: number;
  /** How copies 2..N are judged (default refused: a working tracker counts a conversion once). */
  expectRepeat?: RepeatExpectation;
  vars?: ReadonlyArray<readonly [string, string]>;
  payout?: string;
  revenue?: string;
  txid?: string;
  status?: string;
  event?: string;
  currency?: string;
  method?: HttpMethod;
  /** Body template: JSON when it starts with { or [, else form-encoded. */
  data?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  concurrency?: number;
  /** Fire for this long (ms, the warm-up not included), round and round the postbacks (each again, like repeat). */
  durationMs?: number;
  /** Postbacks fired in this first period (ms) are stored but left out of the summary. */
  warmupMs?: number;
  /** A constant arrival rate: postback i is due at i / rate s, and its latency counts from then. */
  ratePerSecond?: number;
  /** Limits on the run as a whole; the summary says which were broken. */
  thresholds?: LoadThresholds;
  timeoutMs?: number;
  retryPolicy?: RetryPolicy;
  expectations?: Expectations;
  /** Lint the template and ids before sending (default true); errors stop the run. */
  lint?: boolean;
  /** Play this sender (`--as`): a dialect id or 'auto'; the template is the URL as that platform's macros write it. */
  as?: string;
  /** With `as`: the parameter the click ids go into, when neither the preset nor the sender's dictionary tells. */
  clickIdParam?: string;
  /** Extra secret names (query params, headers, JSON keys) to redact. */
  secrets?: readonly string[];
  /** The run's redactor (the CLI's, or check's): secrets learnt here are added to it. */
  redactor?: Redactor;
  /** Resolve and return the requests, send nothing, store nothing. */
  dryRun?: boolean;
  store?: Store;
  /** Opens the store once the options were checked (so a usage error writes nothing); with store, unused. */
  openStore?: () => Store;
  client?: HttpClient;
  /**
   * Stop sending when aborted (SIGINT/SIGTERM): no new postback, no further retry. Postbacks in
   * flight get `interruptGraceMs` (default 2 s), then end as `interrupted` errors; all are stored.
   */
  signal?: AbortSignal;
  interruptGraceMs?: number;
  now?: () => Date;
  retryHooks?: RetryHooks;
  /**
   * Which postbacks the result lists (the summary counts all of them): all (default), examples
   * (the first that did not pass of each verdict and HTTP status: what the CLI's text output and a
   * timed check step quote, their lines having been printed as they finished; bounded however long
   * the run), or none. Every postback is stored either way.
   */
  keepPostbacks?: 'all' | 'examples' | 'none';
}

export interface FireProgress {
  /** Postbacks planned, or 0 for a timed run. */
  total: number;
  done: number;
  passed: number;
  failed: number;
  errors: number;
}

export interface FireRunEvents {
  onStart?(info: { total: number; runId?: number; template: string; durationMs?: number; warmupMs?: number }): void;
  onRetry?(request: { seq: number; url: string }, attempt: AttemptRecord, nextAttempt: number): void;
  onPostback?(outcome: FireOutcome, progress: FireProgress): void;
  /** Copies not sent because the postback's first copy did not pass (nothing to duplicate); or the run was stopped. */
  onSkipped?(skipped: ReadonlyArray<{ seq: number; copy: number }>, progress: FireProgress): void;
}

export interface FireSummary {
  sent: number;
  passed: number;
  failed: number;
  /** No answer after every attempt. */
  errors: number;
  /** 2xx answers that were HTML pages. */
  suspect: number;
  /** Postbacks that needed more than one attempt. */
  retried: number;
  attempts: number;
  statuses: Record<string, number>;
  /** Failure reasons and how often (the top ones). */
  reasons: Array<{ verdict: string; reason: string; count: number }>;
  /** From the HDR histogram of the measured postbacks (retries included); from the scheduled time with a rate. */
  latencyMs: { p50: number; p90: number; p95: number; p99: number; p999: number; max: number; mean: number };
  durationMs: number;
  postbacksPerSecond: number;
  /** The run as a load test: model, rate held, behind schedule, histogram, per-second series. */
  load: LoadSummary;
  /** The --max-p95/--max-p99/--max-error-rate/--min-rate verdicts, when any were given. */
  thresholds: LoadThresholdResult | null;
  /** The duplicate test (--repeat 2 or more): copies 2..N counted apart; null without it. */
  duplicates: DuplicateSummary | null;
}

export interface DuplicateSummary {
  /** Copies of each postback (--repeat). */
  copies: number;
  delayMs: number;
  expect: RepeatExpectation;
  /** Copies 2..N planned (postbacks × (copies − 1)). */
  planned: number;
  sent: number;
  /** Not sent: the postback's first copy did not pass, so there was nothing to duplicate. */
  skipped: number;
  passed: number;
  failed: number;
  /** No answer after every attempt. */
  errors: number;
  /** How the tracker treated the copies it answered. */
  refused: number;
  accepted: number;
  /** The answer cannot tell (the tracker's duplicate answer is its success answer; an HTML page). */
  unclear: number;
  /** 5xx or 429 after retries. */
  trackerFailed: number;
}

export interface ResolvedPostback {
  seq: number;
  copy: number;
  method: HttpMethod;
  /** Redacted. */
  url: string;
  /** Redacted. */
  headers: Record<string, string>;
  /** Redacted. */
  body?: string;
  clickId: string | null;
}

export interface FireRunResult {
  runId?: number;
  /** The signal stopped the run (some postbacks may not have been sent). */
  interrupted: boolean;
  /** Postbacks the run was to send (ids × repeat). */
  planned: number;
  /** Copies of each postback (--repeat), the delay between them and how copies were judged. */
  repeat: { copies: number; delayMs: number; expect: RepeatExpectation };
  /** Redacted. */
  template: string;
  dryRun: boolean;
  /** Warnings from lint (errors stop the run before this). */
  lint: LintFinding[];
  summary: FireSummary;
  /** The postbacks `keepPostbacks` kept (all by default), by seq. */
  postbacks: FireOutcome[];
  /** What the answers could not tell (a preset's caveats: Affise's always-200…), once each. */
  caveats: string[];
  /** With dryRun: what would be sent. */
  resolved: ResolvedPostback[];
  /** With `as`: the sender played, and what filled each of its macros. */
  sender?: Pick<PlayedSender, 'dialect' | 'fills'>;
}

/**
 * The postbacks of a run, made one at a time when each is due: `at(i)` is the request with seq
 * i + 1 (copy by copy: the first copies of every id, then the second copies…). A run of a million
 * ids from a CSV holds the ids, not a million resolved requests (~850 bytes each). Small plans
 * (a timed run going round a few ids again and again) keep the requests they made.
 */
export interface PostbackPlan {
  /** Requests in all: ids × copies. */
  readonly length: number;
  /** Requests per copy (the ids, or 1 without ids). */
  readonly perCopy: number;
  readonly method: HttpMethod;
  /** Request i (0-based; seq i + 1). A fresh object each call unless the plan is small. */
  at(i: number): PostbackRequest;
}

/** The postbacks of one phase of a run (one copy of each id): `at(k)` is its k-th, 0-based. */
interface Phase {
  readonly length: number;
  at(k: number): PostbackRequest;
}

/** Plans of at most this many requests keep every request once made. */
const KEPT_PLAN_REQUESTS = 4096;

/**
 * Plan every postback: check the options and expand the first request, so anything wrong with the
 * templates (an unresolved macro, {click_id} without ids) throws before anything is sent. Whether
 * a macro has a value does not depend on the id (every id gets the same names), so the first
 * request stands for all of them.
 */
export function planPostbacks(options: FireRunOptions, template: string, now: Date): PostbackPlan {
  const repeat = options.repeat ?? 1;
  const method: HttpMethod = options.method ?? (options.data !== undefined ? 'POST' : 'GET');
  const vars = new Map(options.vars ?? []);
  const ids: ReadonlyArray<string | undefined> = options.clickIds.length > 0 ? options.clickIds : [undefined];
  // A JSON body starts with [ or {" ({click_id} alone is a macro, not JSON).
  const dataEncoding: TemplateEncoding | undefined = options.data === undefined ? undefined : /^\s*(\[|\{\s*("|\}))/.test(options.data) ? 'json' : 'url';
  const headerTemplates = [...(options.headers ?? [])];
  const hasContentType = headerTemplates.some(([name]) => name.toLowerCase() === 'content-type');
  const usesClickId = [template, options.data ?? '', ...headerTemplates.map(([, value]) => value)].some((text) => /\{click_id\}/.test(text));
  if (usesClickId && options.clickIds.length === 0) {
    throw new UsageError('the template uses {click_id} but no click ids were given', { hint: 'give ids with --click-id <id>, --from-db or --from-csv <file>' });
  }
  const clickIdParam = options.preset ? PRESETS[options.preset].clickIdParam : undefined;
  // Every copy of the first postback is due before any copy 2 (the duplicate test sends copy r+1
  // after copy r was answered), so seq counts copy by copy: 1..n the first copies, n+1..2n the second…
  // The generated macros ({uuid}, {rand}, {i}…) are made per id only when some text uses one;
  // {timestamp} and {unix} are the run's start for every id.
  const texts = [template, options.data ?? '', ...headerTemplates.map(([, value]) => value), ...[...vars.values()], ...[options.payout, options.revenue, options.txid, options.status, options.event, options.currency].map((value) => value ?? '')];
  const perIdMacros = texts.some((text) => /\{(uuid|rand|i)\}/.test(text));
  const fixedGenerated = generatedMacroValues(1, now);
  // Without per-id macros the --var values and the generated ones are the same for every id: made once.
  const varEntries = [...vars];
  const prototypeNames = varEntries.some(([name]) => name in Object.prototype);
  const fixedBase = perIdMacros ? undefined : { ...Object.fromEntries(varEntries.map(([name, value]) => [name, expandValue(value, fixedGenerated)])), ...fixedGenerated };
  // The macro values of id k (0-based), and the option values made from them.
  const idValues = (idIndex: number) => {
    const clickId = ids[idIndex];
    const generated = perIdMacros ? generatedMacroValues(idIndex + 1, now) : fixedGenerated;
    let scope: Record<string, string> | undefined;
    const option = (value: string | undefined) => {
      if (value === undefined || !value.includes('{')) return value;
      scope ??= clickId !== undefined ? { ...generated, click_id: clickId } : generated;
      return expandValue(value, scope);
    };
    const payout = option(options.payout);
    const revenue = option(options.revenue);
    const txid = option(options.txid);
    const status = option(options.status);
    const event = option(options.event);
    const currency = option(options.currency);
    // Object.assign, not a spread followed by fields: V8 takes a slow path for `{ ...base, a, b }`
    // (about 1.5 µs a field here), and this runs per id.
    // A --var named like an Object.prototype member (`__proto__`, `constructor`) is an ordinary
    // macro, which Object.assign onto {} would drop: then a prototype-less object (slower to
    // fill and read — 30 ms over 30,000 ids — so only then).
    const values: Record<string, string | undefined> = Object.assign(prototypeNames ? (Object.create(null) as Record<string, string | undefined>) : {}, fixedBase ?? Object.assign(Object.fromEntries(varEntries.map(([name, value]) => [name, expandValue(value, generated)])), generated));
    values.click_id = clickId;
    values.payout = payout;
    values.revenue = revenue;
    values.txid = txid;
    values.status = status;
    values.event = event;
    values.currency = currency;
    return { clickId, values, payout, revenue, txid, status, event, currency };
  };
  const first = idValues(0);
  // --as keeps what the sender would send literally (placeholders, foreign syntaxes) as written.
  const raw = Object.keys(first.values).filter((name) => name.startsWith('__tpb_raw_'));
  const urlOptions = { where: 'the postback URL', ...(raw.length > 0 ? { raw } : {}) };
  // The URL template cut once into text and macros; a macro without a value goes the long way
  // (expandTemplate), which names it in its error.
  const urlParts: string[] = [];
  const urlMacros: string[] = [];
  let last = 0;
  for (const match of template.matchAll(MACRO_PATTERN)) {
    urlParts.push(template.slice(last, match.index));
    urlMacros.push(match[1]!);
    last = match.index + match[0].length;
  }
  urlParts.push(template.slice(last));
  const rawMacros = new Set(raw);
  const expandUrl = (values: Readonly<Record<string, string | undefined>>, seqText: string, repeatText: string): string => {
    let url = urlParts[0]!;
    for (let m = 0; m < urlMacros.length; m += 1) {
      const name = urlMacros[m]!;
      const value = name === 'seq' ? seqText : name === 'repeat' ? repeatText : Object.hasOwn(values, name) ? values[name] : undefined;
      if (value === undefined) return expandTemplate(template, { ...values, seq: seqText, repeat: repeatText }, urlOptions);
      url += (rawMacros.has(name) ? value : encodeQueryValue(value)) + urlParts[m + 1]!;
    }
    return url;
  };
  const needsScope = headerTemplates.length > 0 || options.data !== undefined;
  const perCopy = ids.length;
  const build = (index: number): PostbackRequest => {
    const idIndex = index % perCopy;
    const { clickId, values, payout, revenue, txid, status, event, currency } = idIndex === 0 ? first : idValues(idIndex);
    const seq = index + 1;
    const seqText = String(seq);
    const repeatText = String(Math.floor(index / perCopy) + 1);
    const url = expandUrl(values, seqText, repeatText);
    const perRequest = needsScope ? Object.assign({}, values, { seq: seqText, repeat: repeatText }) : values;
    const headers: Record<string, string> = {};
    for (const [name, value] of headerTemplates) headers[name.toLowerCase()] = expandTemplate(value, perRequest, { encoding: 'none', where: `header ${name}` });
    let body: string | undefined;
    if (options.data !== undefined) {
      body = expandTemplate(options.data, perRequest, { encoding: dataEncoding === 'json' ? 'json' : 'url', where: '--data' });
      if (!hasContentType) headers['content-type'] = dataEncoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
    }
    // An id written into the template itself still identifies the conversion.
    const storedId =
      clickId ??
      (() => {
        const params = queryParams(url);
        const names = clickIdParam ? [clickIdParam] : KNOWN_CLICK_ID_PARAMS;
        for (const name of names) {
          const hit = params.find((param) => param.name === name && param.value !== '');
          if (hit) return hit.value;
        }
        return null;
      })();
    const copy = Math.floor(index / perCopy) + 1;
    // Two literals rather than a spread for the body: this runs per postback.
    return body === undefined
      ? { seq, copy, method, url, headers, clickId: storedId, txid: txid ?? null, event: event ?? null, status: status ?? null, payout: payout ?? null, revenue: revenue ?? null, currency: currency ?? null }
      : { seq, copy, method, url, headers, body, clickId: storedId, txid: txid ?? null, event: event ?? null, status: status ?? null, payout: payout ?? null, revenue: revenue ?? null, currency: currency ?? null };
  };
  const length = perCopy * repeat;
  const kept: PostbackRequest[] | undefined = length <= KEPT_PLAN_REQUESTS ? [] : undefined;
  const firstRequest = build(0);
  if (kept) kept[0] = firstRequest;
  return {
    length,
    perCopy,
    method,
    at(i: number): PostbackRequest {
      if (i === 0) return firstRequest;
      if (kept === undefined) return build(i);
      return (kept[i] ??= build(i));
    },
  };
}

/** The sender played by --as, with the values of secret parameters redacted. */
function redactedSender(played: PlayedSender, redactor: Redactor): Pick<PlayedSender, 'dialect' | 'fills'> {
  return {
    dialect: played.dialect,
    fills: played.fills.map((fill) => ({ ...fill, value: fill.value === null ? null : fill.param !== null && redactor.isSecretName(fill.param) ? REDACTED : redactor.text(fill.value) })),
  };
}

/** The URL template of a run: the user's, or the preset's filled with --base. */
export function fireTemplate(options: Pick<FireRunOptions, 'template' | 'preset' | 'base' | 'vars' | 'payout' | 'revenue' | 'txid' | 'status' | 'event' | 'currency'>): string {
  if (options.template !== undefined) return options.template;
  if (options.preset === undefined || options.base === undefined) {
    throw new UsageError('give a postback URL template, or --preset with --base', { hint: 'tpb fire "https://t.example.com/postback?cid={click_id}" --click-id abc, or tpb fire --preset keitaro --base https://t.example.com/abc123 --click-id abc' });
  }
  const supplied = new Set<string>(['click_id', 'uuid', 'i', 'rand', 'timestamp', 'unix', 'seq', 'repeat', ...(options.vars ?? []).map(([name]) => name)]);
  for (const name of ['payout', 'revenue', 'txid', 'status', 'event', 'currency'] as const) if (options[name] !== undefined) supplied.add(name);
  return presetPostbackTemplate(options.preset, options.base, supplied);
}

interface DuplicatePlan {
  copies: number;
  delayMs: number;
  expect: RepeatExpectation;
  planned: number;
  skipped: number;
}

type Tallied = Pick<FireOutcome, 'httpStatus' | 'attempts' | 'verdict' | 'copy' | 'duplicate'>;

/** Distinct caveats a run keeps (Affise's always-200…): a handful in practice. */
const MAX_CAVEATS = 20;

/**
 * Counts a run's postbacks as they finish, keeping no per-postback object: a timed load run sends
 * millions, and an outcome is ~1 KB (URL, headers, body excerpt, attempts).
 */
export class FireTally {
  private readonly statuses: Record<string, number> = {};
  private readonly reasons = new Map<string, { verdict: string; reason: string; count: number }>();
  private readonly caveatSet = new Set<string>();
  private sent = 0;
  private passed = 0;
  private failed = 0;
  private errors = 0;
  private suspect = 0;
  private retried = 0;
  private attempts = 0;
  private readonly copies = { sent: 0, passed: 0, failed: 0, errors: 0, refused: 0, accepted: 0, unclear: 0, trackerFailed: 0 };

  add(outcome: Tallied): void {
    this.sent += 1;
    const key = outcome.httpStatus === undefined ? 'none' : String(outcome.httpStatus);
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    this.attempts += outcome.attempts.length;
    if (outcome.attempts.length > 1) this.retried += 1;
    if (outcome.verdict.suspect) this.suspect += 1;
    if (outcome.verdict.caveat && this.caveatSet.size < MAX_CAVEATS) this.caveatSet.add(outcome.verdict.caveat);
    if (outcome.verdict.verdict === 'pass') this.passed += 1;
    else {
      if (outcome.verdict.verdict === 'fail') this.failed += 1;
      else this.errors += 1;
      const reasonKey = `${outcome.verdict.verdict}\u0000${outcome.verdict.reason}`;
      const entry = this.reasons.get(reasonKey) ?? { verdict: outcome.verdict.verdict, reason: outcome.verdict.reason, count: 0 };
      entry.count += 1;
      // Reasons quote ids and answers: past a few thousand distinct ones, only those seen count on.
      if (entry.count > 1 || this.reasons.size < 5_000) this.reasons.set(reasonKey, entry);
    }
    if (outcome.copy >= 2) {
      const c = this.copies;
      c.sent += 1;
      if (outcome.verdict.verdict === 'pass') c.passed += 1;
      else if (outcome.verdict.verdict === 'fail') c.failed += 1;
      else c.errors += 1;
      if (outcome.duplicate === 'refused') c.refused += 1;
      else if (outcome.duplicate === 'accepted') c.accepted += 1;
      else if (outcome.duplicate === 'unclear') c.unclear += 1;
      else if (outcome.duplicate === 'failed') c.trackerFailed += 1;
    }
  }

  /** What the answers could not tell (preset caveats), once each. */
  caveats(): string[] {
    return [...this.caveatSet];
  }

  summary(load: LoadSummary, thresholds: LoadThresholds | undefined, duplicates?: DuplicatePlan): FireSummary {
    const l = load.latencyMs;
    return {
      sent: this.sent,
      passed: this.passed,
      failed: this.failed,
      errors: this.errors,
      suspect: this.suspect,
      retried: this.retried,
      attempts: this.attempts,
      statuses: { ...this.statuses },
      reasons: [...this.reasons.values()].sort((a, b) => b.count - a.count).slice(0, 10),
      latencyMs: { p50: l.p50, p90: l.p90, p95: l.p95, p99: l.p99, p999: l.p999, max: l.max, mean: l.mean },
      durationMs: load.durationMs,
      postbacksPerSecond: load.rate,
      load,
      thresholds: hasLoadThresholds(thresholds) ? evaluateLoadThresholds({ p95: l.p95, p99: l.p99, errorRate: load.errorRate, rate: load.rate }, thresholds!, 'postbacks') : null,
      duplicates: duplicates && duplicates.copies >= 2 ? { ...duplicates, ...this.copies } : null,
    };
  }
}

function summarize(outcomes: readonly FireOutcome[], load: LoadSummary, thresholds: LoadThresholds | undefined, duplicates?: DuplicatePlan): FireSummary {
  const tally = new FireTally();
  for (const outcome of outcomes) tally.add(outcome);
  return tally.summary(load, thresholds, duplicates);
}

/** Lint one click id; an id the tracker issued is not held to the preset's usual id format. */
export function clickIdFindings(id: string, options: Pick<FireRunOptions, 'preset' | 'clickIdsIssuedByTracker'>): LintFinding[] {
  const findings = lintClickId(id, options.preset);
  return options.clickIdsIssuedByTracker ? findings.filter((item) => item.code !== 'click-id-format') : findings;
}

/** Lint the template and the click ids; throws LintFailedError on errors, returns the warnings. */
export function lintFireRun(options: FireRunOptions, template: string): LintFinding[] {
  const knownMacros = [...FIRE_MACROS, ...(options.vars ?? []).map(([name]) => name)];
  // The click id may travel in the body or a header instead of the URL.
  const idElsewhere = [options.data ?? '', ...(options.headers ?? []).map(([, value]) => value)].some((text) => text.includes('{click_id}'));
  const findings = lintTemplate(template, { knownMacros, ...(options.preset ? { preset: options.preset } : {}), ...(options.method ? { method: options.method } : options.data !== undefined ? { method: 'POST' } : {}) }).filter(
    (item) => !(idElsewhere && item.code === 'no-click-id'),
  );
  // Click ids: one finding per kind of problem, with a count, not one per id.
  const byCode = new Map<string, { finding: LintFinding; count: number }>();
  for (const id of new Set(options.clickIds)) {
    for (const item of clickIdFindings(id, options)) {
      const entry = byCode.get(item.code);
      if (entry) entry.count += 1;
      else byCode.set(item.code, { finding: item, count: 1 });
    }
  }
  for (const { finding, count } of byCode.values()) {
    findings.push(count > 1 ? { ...finding, message: `${finding.message} (and ${count - 1} more id${count > 2 ? 's' : ''} like it)` } : finding);
  }
  if (hasErrors(findings)) throw new LintFailedError(findings, 'the postback');
  return findings;
}

/**
 * Fire postbacks for every click id (× repeat), at `concurrency`, with retries; judge each answer;
 * store every postback (and a tpb:fire conversion) when a store is given. Everything that can be
 * wrong with the options (unresolved macros, lint errors, bad payout) throws before anything is
 * sent; network and HTTP outcomes are verdicts, never exceptions.
 */
export async function firePostbacks(options: FireRunOptions, events: FireRunEvents = {}): Promise<FireRunResult> {
  const now = options.now ?? (() => new Date());
  const redactor = options.redactor ?? new Redactor();
  redactor.addNames(options.secrets ?? []);
  const original = fireTemplate(options);
  // --as: the URL is written in the sender's macros; play it into tpb's (exit 2 for a macro without a value).
  const played =
    options.as === undefined
      ? undefined
      : playSender(original, options.as, {
          ...(options.preset ? { preset: options.preset } : {}),
          ...(options.clickIdParam !== undefined ? { clickIdParam: options.clickIdParam } : {}),
          clickIds: options.clickIds,
          values: { ...(options.payout !== undefined ? { payout: options.payout } : {}), ...(options.revenue !== undefined ? { revenue: options.revenue } : {}), ...(options.txid !== undefined ? { txid: options.txid } : {}), ...(options.status !== undefined ? { status: options.status } : {}), ...(options.event !== undefined ? { event: options.event } : {}), ...(options.currency !== undefined ? { currency: options.currency } : {}) },
          vars: options.vars ?? [],
        });
  const template = played ? played.template : original;
  if (played) options = { ...options, vars: [...(options.vars ?? []), ...played.vars] };
  for (const [name, value] of [['--payout', options.payout], ['--revenue', options.revenue]] as const) {
    if (value !== undefined && !/\{/.test(value) && decimalToMicros(value) === undefined) {
      throw new UsageError(`${name} "${value}" is not a decimal amount`, { hint: `write it like 1.50 (a dot, no currency sign)` });
    }
  }
  const copies = options.repeat ?? 1;
  if (copies < 1) throw new UsageError('--repeat must be at least 1');
  const repeatDelayMs = options.repeatDelayMs ?? DEFAULT_REPEAT_DELAY_MS;
  if (!(repeatDelayMs >= 0)) throw new UsageError('--repeat-delay must not be negative');
  const expectRepeat: RepeatExpectation = options.expectRepeat ?? 'refused';
  if (copies > 1 && options.durationMs !== undefined) {
    throw new UsageError('--repeat goes with a counted run, not --duration', { hint: 'a timed run already fires each postback again and again; for the duplicate test drop --duration (copy 2 is sent --repeat-delay after the first copies were answered)' });
  }
  if (copies > 1 && options.warmupMs !== undefined) throw new UsageError('--repeat goes with a counted run, not --warmup', { hint: 'the warm-up would send first copies that are never judged; drop --warmup for the duplicate test' });
  if (options.durationMs !== undefined && !(options.durationMs > 0)) throw new UsageError('--duration must be more than 0');
  if (options.warmupMs !== undefined && !(options.warmupMs >= 0)) throw new UsageError('--warmup must not be negative');
  if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) throw new UsageError('--rate must be more than 0');
  const lintWarnings =
    options.lint === false ? [] : played ? lintSenderRun(original, played, { ...(options.preset ? { preset: options.preset } : {}), ...(options.method ? { method: options.method } : {}), clickIds: options.clickIds, ...(options.clickIdsIssuedByTracker ? { clickIdsIssuedByTracker: true } : {}) }) : lintFireRun(options, template);
  // The duplicate test sends the same conversion again: {seq} or {repeat} in it make each copy a new one.
  if (copies > 1 && options.lint !== false) {
    const texts: Array<[string, string | undefined]> = [['the URL', template], ['--data', options.data], ['--txid', options.txid], ['--event', options.event], ['--status', options.status], ...(options.headers ?? []).map(([name, value]): [string, string] => [`header ${name}`, value])];
    const varying = texts.filter(([, text]) => text !== undefined && /\{(seq|repeat)\}/.test(text)).map(([where]) => where);
    if (varying.length > 0) {
      lintWarnings.push({
        severity: 'warning',
        code: 'repeat-copies-differ',
        param: null,
        message: `with --repeat, {seq} or {repeat} in ${varying.join(', ')} make each copy a different postback: the tracker may rightly count it as a new conversion`,
        fix: 'for the duplicate test send the same conversion again: keep {seq} and {repeat} out of the txid and the URL',
      });
    }
  }
  const plan = planPostbacks(options, template, now());
  // Secret values found in the requests are redacted wherever they reappear (bodies, messages).
  // They come from the template, --var, -H and --data, the same for every request: the first one suffices.
  {
    const request = plan.at(0);
    redactor.learnUrl(request.url);
    redactor.learnHeaders(request.headers);
    if (request.body !== undefined) redactor.learnBody(request.body);
  }
  // Keitaro's postback key lives in the path; serve redacts it, so does fire (output and database).
  if (options.preset === 'keitaro') for (const key of keitaroPostbackKey(template)) redactor.addValue(key);
  const redactedTemplate = redactor.url(original);
  const repeatInfo = { copies, delayMs: repeatDelayMs, expect: expectRepeat };
  const perCopy = plan.perCopy;
  const duplicatePlan = (skipped: number): DuplicatePlan => ({ ...repeatInfo, planned: perCopy * (copies - 1), skipped });

  // What would be sent is shown only by a dry run: a real one does not redact every request for it.
  const resolved: ResolvedPostback[] = !options.dryRun ? [] : Array.from({ length: plan.length }, (_, i) => plan.at(i)).map((request) => ({
    seq: request.seq,
    copy: request.copy ?? 1,
    method: request.method,
    url: redactor.url(request.url),
    headers: redactor.headers(request.headers),
    ...(request.body !== undefined ? { body: redactor.requestBody(request.body) } : {}),
    clickId: request.clickId,
  }));
  if (options.dryRun) {
    const none = new LoadRecorder(0, false).summary({ targetRate: options.ratePerSecond, behindSchedule: 0, dropped: 0, maxLagMs: 0, measuredMs: 0, warmupMs: 0, warmupSent: 0 });
    return { interrupted: false, planned: plan.length, repeat: repeatInfo, template: redactedTemplate, dryRun: true, lint: lintWarnings, summary: summarize([], none, undefined, duplicatePlan(0)), postbacks: [], caveats: [], resolved, ...(played ? { sender: redactedSender(played, redactor) } : {}) };
  }

  const store = options.store ?? options.openStore?.();
  const concurrency = Math.max(1, options.concurrency ?? 10);
  const client = options.client ?? new HttpClient({ connections: concurrency, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  const runId = store
    ? startRun(store, 'fire', redactedTemplate, {
        preset: options.preset ?? null,
        method: plan.method,
        click_ids: options.clickIds.length,
        repeat: copies,
        ...(copies > 1 ? { repeat_delay_ms: repeatDelayMs, expect_repeat: expectRepeat } : {}),
        concurrency,
        rate: options.ratePerSecond ?? null,
        duration_ms: options.durationMs ?? null,
        warmup_ms: options.warmupMs ?? null,
        retries: (options.retryPolicy ?? DEFAULT_RETRY_POLICY).retries,
        timeout_ms: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        expect_status: options.expectations?.status?.text ?? null,
        expect_body: options.expectations?.body?.source ?? null,
      }, now())
    : undefined;
  const writer = store ? new PostbackWriter(store) : undefined;
  const timed = options.durationMs !== undefined;
  events.onStart?.({
    total: timed ? 0 : plan.length,
    template: redactedTemplate,
    ...(runId !== undefined ? { runId } : {}),
    ...(timed ? { durationMs: options.durationMs! } : {}),
    ...(options.warmupMs ? { warmupMs: options.warmupMs } : {}),
  });

  const outcomes: FireOutcome[] = [];
  const tally = new FireTally();
  const keep = options.keepPostbacks ?? 'all';
  // The first copies that passed: only their copies are sent (repeat).
  const firstPassed = new Set<number>();
  // keepPostbacks examples: the kinds (verdict and status) already kept, at most 2 × the statuses.
  const exampleKinds = new Set<string>();
  const progress: FireProgress = { total: timed ? 0 : plan.length, done: 0, passed: 0, failed: 0, errors: 0 };
  const recorder = new LoadRecorder(performance.now() + (options.warmupMs ?? 0), options.ratePerSecond !== undefined);
  const judging: FireJudging = {
    ...(options.expectations ? { expectations: options.expectations } : {}),
    ...(options.preset ? { preset: options.preset } : {}),
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    // A shared client (check's) has its own timeout: the run's still holds for each attempt.
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    redactor,
    expectRepeat,
  };
  const memo = redactionMemo(redactor);
  // Amounts repeat from postback to postback (--payout 1.25): converted once each.
  const microsOf = new Map<string, number | null>();
  const micros = (amount: string | null): number | null => {
    if (amount === null) return null;
    let value = microsOf.get(amount);
    if (value === undefined) {
      value = decimalToMicros(amount) ?? null;
      if (microsOf.size < 1000) microsOf.set(amount, value);
    }
    return value;
  };
  // The judging of a postback: the run's, with retry hooks that name it (built without spreads: per postback).
  const baseHooks: RetryHooks = Object.assign({}, options.retryHooks, options.signal ? { signal: options.signal } : {});
  const judgingFor = (request: PostbackRequest): FireJudging => {
    const hooks: RetryHooks = Object.assign({}, baseHooks);
    hooks.onRetry = (attempt, nextAttempt) => events.onRetry?.({ seq: request.seq, url: redactor.url(request.url) }, attempt, nextAttempt);
    const perPostback: FireJudging = Object.assign({}, judging);
    perPostback.retryHooks = hooks;
    return perPostback;
  };
  // Slot i of a phase fires the phase's postback i; a timed run or a warm-up goes round the list
  // again (seq stays unique).
  const sender = (phase: Phase) => async (slot: LoadSlot) => {
    const listed = phase.at((slot.index - 1) % phase.length);
    // (Copies 2..N keep their own seq: a phase's slots count from 1 again.)
    const request = copies > 1 || listed.seq === slot.index ? listed : Object.assign({}, listed, { seq: slot.index });
    const outcome = await firePostback(client, request, judgingFor(request));
    writer?.add({
      runId: runId!,
      seq: outcome.seq,
      copy: outcome.copy,
      method: outcome.method,
      url: outcome.url,
      clickId: outcome.clickId,
      txid: outcome.txid,
      event: outcome.event,
      status: outcome.status,
      payoutMicros: micros(request.payout),
      revenueMicros: micros(request.revenue),
      currency: request.currency,
      httpStatus: outcome.httpStatus ?? null,
      bodyExcerpt: outcome.bodyExcerpt ?? null,
      latencyMs: outcome.latencyMs,
      attempts: outcome.attempts.length,
      verdict: outcome.verdict.verdict,
      // The suspect note quotes the page's title: redacted with the rest (the reason already is).
      reason: outcome.verdict.suspect ? memo.text(outcome.verdict.reason ? `${outcome.verdict.reason}; suspect: ${outcome.verdict.suspect}` : `suspect: ${outcome.verdict.suspect}`) : outcome.verdict.reason || null,
      sentAt: outcome.sentAt,
    }, redactor);
    if (slot.warmup) return;
    recorder.record({ scheduledAt: slot.scheduledAt, sentAt: slot.sentAt, endedAt: performance.now(), serviceMs: outcome.latencyMs }, outcome.verdict.verdict === 'pass');
    tally.add(outcome);
    if (outcome.copy === 1 && outcome.verdict.verdict === 'pass' && copies > 1) firstPassed.add(outcome.seq);
    if (keep === 'all') outcomes.push(outcome);
    else if (keep === 'examples' && outcome.verdict.verdict !== 'pass') {
      const kind = `${outcome.verdict.verdict} ${outcome.httpStatus ?? 'none'}`;
      if (!exampleKinds.has(kind)) {
        exampleKinds.add(kind);
        outcomes.push(outcome);
      }
    }
    progress.done += 1;
    if (outcome.verdict.verdict === 'pass') progress.passed += 1;
    else if (outcome.verdict.verdict === 'fail') progress.failed += 1;
    else progress.errors += 1;
    events.onPostback?.(outcome, progress);
  };
  // After an interrupt, postbacks in flight get a short grace, then end as `interrupted` (and are stored).
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    graceTimer = setTimeout(() => client.interrupt(), options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  // One phase per copy: all first copies; then, --repeat-delay after their answers, the second
  // copies of the postbacks whose first copy passed; and so on. Each phase is an ordinary schedule.
  const timings: LoadTiming[] = [];
  let skipped = 0;
  try {
    for (let copy = 1; copy <= copies; copy += 1) {
      const offset = (copy - 1) * perCopy;
      let phase: Phase = { length: perCopy, at: (k) => plan.at(offset + k) };
      if (copy > 1) {
        // Copy `copy` of id k is sent only where copy 1 (seq k + 1) passed; the rest are skipped.
        const stopped = options.signal?.aborted === true;
        const sent: number[] = [];
        const left: Array<{ seq: number; copy: number }> = [];
        for (let k = 0; k < perCopy; k += 1) {
          if (!stopped && firstPassed.has(k + 1)) sent.push(offset + k);
          else left.push({ seq: offset + k + 1, copy });
        }
        if (left.length > 0) {
          if (!stopped) skipped += left.length;
          progress.total -= left.length;
          events.onSkipped?.(left, progress);
        }
        if (stopped) break;
        if (sent.length === 0) continue;
        phase = { length: sent.length, at: (k) => plan.at(sent[k]!) };
        if (repeatDelayMs > 0) await sleepUnlessAborted(repeatDelayMs, options.signal);
        if (options.signal?.aborted) {
          progress.total -= sent.length;
          events.onSkipped?.(sent.map((index) => ({ seq: index + 1, copy })), progress);
          break;
        }
      }
      timings.push(
        await runSchedule(
          {
            ...(timed ? { durationMs: options.durationMs! } : { count: phase.length }),
            ...(options.warmupMs !== undefined ? { warmupMs: options.warmupMs } : {}),
            ...(options.ratePerSecond !== undefined ? { ratePerSecond: options.ratePerSecond } : {}),
            concurrency,
            ...(options.signal ? { signal: options.signal } : {}),
          },
          sender(phase),
        ),
      );
      if (options.signal?.aborted) break;
    }
  } finally {
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    options.signal?.removeEventListener('abort', onAbort);
    writer?.close();
    if (!options.client) await client.close();
  }
  outcomes.sort((a, b) => a.seq - b.seq);
  // The phases' figures add up; the delays between them are not measured time.
  const first = timings[0]!;
  const load = recorder.summary({
    targetRate: options.ratePerSecond,
    behindSchedule: timings.reduce((sum, t) => sum + t.behindSchedule, 0),
    dropped: timings.reduce((sum, t) => sum + t.dropped, 0),
    maxLagMs: Math.max(...timings.map((t) => t.maxLagMs)),
    measuredMs: timings.reduce((sum, t) => sum + (t.measuredUntil - Math.min(t.measuredFrom, t.endedAt)), 0),
    warmupMs: Math.min(first.measuredFrom, first.endedAt) - first.startedAt,
    warmupSent: first.warmupSent,
  });
  const summary = tally.summary(load, options.thresholds, duplicatePlan(skipped));
  const interrupted = options.signal?.aborted === true;
  if (store && runId !== undefined) finishRun(store, runId, interrupted ? { ...summary, interrupted: true, planned: plan.length } : summary, now());
  return { ...(runId !== undefined ? { runId } : {}), interrupted, planned: plan.length, repeat: repeatInfo, template: redactedTemplate, dryRun: false, lint: lintWarnings, summary, postbacks: outcomes, caveats: tally.caveats(), resolved: [], ...(played ? { sender: redactedSender(played, redactor) } : {}) };
}


export { UnresolvedMacroError };
