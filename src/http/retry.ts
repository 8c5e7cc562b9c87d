import { HttpFailure, type HttpClient, type HttpRequest, type HttpResponse } from './client.js';

/**
 * Retries with exponential backoff and jitter: on network failures (no answer, reset, timeout),
 * on 429 (honouring Retry-After) and on 5xx. Never on other 4xx: the tracker understood the
 * request and refused it; sending it again changes nothing and can only duplicate.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = one attempt). */
  retries: number;
  /** First backoff delay in ms; doubles each retry. */
  baseDelayMs: number;
  /** Cap for one backoff delay in ms. */
  maxDelayMs: number;
  /** Cap for a server's Retry-After in ms (a tracker asking for an hour gets this instead). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 2, baseDelayMs: 250, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

/** Whether an answer with this status is worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Retry-After as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Delay before retry number `retry` (1-based): base·2^(retry−1), capped, with "equal jitter"
 * (half fixed, half random) so many clients retrying together spread out. A Retry-After from the
 * server wins when given (capped by maxRetryAfterMs).
 */
export function backoffDelay(retry: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

export interface AttemptRecord {
  attempt: number;
  status?: number;
  failure?: string;
  latencyMs: number;
  /** Delay waited before the next attempt, if there was one. */
  waitMs?: number;
}

export interface RetriedExchange {
  /** The last answer, when one came. */
  response?: HttpResponse;
  /** The last failure, when the last attempt got no answer. */
  failure?: HttpFailure;
  attempts: AttemptRecord[];
  /** Sum of the attempts' latencies (waits excluded). */
  latencyMs: number;
}

export interface RetryHooks {
  /** Called before waiting for a retry. */
  onRetry?: (record: AttemptRecord, nextAttempt: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Once aborted (SIGINT/SIGTERM), no further attempt is made and a backoff wait ends early. */
  signal?: AbortSignal;
}


/** A wait that ends early (its timer cleared) when the signal aborts. */
function abortableSleep(sleep: ((ms: number) => Promise<void>) | undefined, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
    if (sleep) void sleep(ms).then(done);
    else timer = setTimeout(done, ms);
  });
}

/** Wait `ms`, or less when the signal aborts first (SIGINT/SIGTERM): the timer is cleared. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return abortableSleep(undefined, ms, signal);
}

/** Send a request, retrying per the policy; never throws for HTTP or network outcomes. */
export async function sendWithRetries(client: HttpClient, request: HttpRequest, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<RetriedExchange> {
  const attempts: AttemptRecord[] = [];
  let latencyMs = 0;
  // Built field by field (this runs per postback): optional fields absent, not undefined.
  const done = (response: HttpResponse | undefined, failure: HttpFailure | undefined): RetriedExchange => {
    const exchange: RetriedExchange = { attempts, latencyMs };
    if (response) exchange.response = response;
    if (failure) exchange.failure = failure;
    return exchange;
  };
  for (let attempt = 1; ; attempt += 1) {
    let response: HttpResponse | undefined;
    let failure: HttpFailure | undefined;
    try {
      response = await client.send(request);
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      failure = error;
    }
    const record: AttemptRecord = { attempt, latencyMs: response?.latencyMs ?? failure?.latencyMs ?? 0 };
    if (response) record.status = response.status;
    if (failure) record.failure = `${failure.kind}: ${failure.message}`;
    attempts.push(record);
    latencyMs += record.latencyMs;
    // An invalid request will not become valid by waiting.
    const retryable = failure ? failure.kind !== 'invalid_request' && failure.kind !== 'interrupted' : isRetryableStatus(response!.status);
    if (!retryable || attempt > policy.retries || hooks.signal?.aborted) return done(response, failure);
    const retryAfter = response?.status === 429 || response?.status === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
    record.waitMs = backoffDelay(attempt, policy, retryAfter, hooks.random);
    hooks.onRetry?.(record, attempt + 1);
    await abortableSleep(hooks.sleep, record.waitMs, hooks.signal);
    if (hooks.signal?.aborted) {
      delete record.waitMs;
      return done(response, failure);
    }
  }
}
