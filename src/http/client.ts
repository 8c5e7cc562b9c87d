import type { Agent } from 'undici';
import { H1Pool, type H1Exchange, type H1Response } from './h1.js';

/**
 * The one HTTP client of click, fire and check: one keep-alive pool per origin (at most
 * `connections` sockets each) — tpb's own for http (h1.ts), undici's for https —, no automatic redirects, a timeout on the whole exchange and
 * bodies read only up to a limit. It never throws for an HTTP status; a request that got no answer
 * ends in an HttpFailure naming its cause.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface HttpRequest {
  method?: HttpMethod;
  /** Absolute http(s) URL, sent byte for byte (see toRequestTarget). */
  url: string;
  /** Not changed once sent: the header block written for an object is kept for it. */
  headers?: Readonly<Record<string, string>>;
  body?: string;
  /** Overrides the client's timeout for this request, in ms. */
  timeoutMs?: number;
  /** Overrides the client's body limit for this request, in bytes. */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", " (set-cookie kept as the first). */
  headers: Record<string, string>;
  /** Body decoded as UTF-8, at most maxBodyBytes of it. */
  body: string;
  /** True when the body was longer than the limit and was cut. */
  truncated: boolean;
  /** Milliseconds from sending to the end of the (bounded) body. */
  latencyMs: number;
}

/** `interrupted`: the run was stopped (SIGINT/SIGTERM) before the answer came; the tracker may have received the request. */
export type HttpFailureCause = 'timeout' | 'refused' | 'reset' | 'dns' | 'tls' | 'invalid_request' | 'network' | 'interrupted';

/** A request that got no usable answer. */
export class HttpFailure extends Error {
  constructor(
    readonly kind: HttpFailureCause,
    message: string,
    readonly latencyMs: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

export interface HttpClientOptions {
  /** Sockets per origin (keep-alive, reused). */
  connections?: number;
  /** Whole-exchange timeout in ms (connect, headers and body). */
  timeoutMs?: number;
  /** Bodies are read up to this many bytes; the rest is discarded and the socket closed. */
  maxBodyBytes?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** How long requests in flight may take to answer after SIGINT/SIGTERM before interrupt() ends them. */
export const DEFAULT_INTERRUPT_GRACE_MS = 2_000;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

// Bytes allowed verbatim in an HTTP request target; the rest is percent-encoded.
const TARGET_UNSAFE = /[^!#$&'()*+,\-./0-9:;=?@A-Z[\]_a-z~%]/gu;

/**
 * The path and query of a URL exactly as written, with only the characters HTTP cannot carry
 * (space, quotes, non-ASCII…) percent-encoded; `%XX` escapes already there are kept, a lone `%`
 * is encoded. WHATWG URL parsing is avoided on purpose: it would re-encode or normalise what the
 * user wrote, and tpb promises every value is encoded exactly once.
 */
const TARGET_NEEDS_WORK = /[^!#$&'()*+,\-./0-9:;=?@A-Z[\]_a-z~]/u;

export function toRequestTarget(pathAndQuery: string): string {
  if (!TARGET_NEEDS_WORK.test(pathAndQuery)) return pathAndQuery;
  const encoded = pathAndQuery.replace(TARGET_UNSAFE, (char) => encodeURIComponent(char));
  return encoded.replace(/%(?![0-9A-Fa-f]{2})/g, '%25');
}

export interface SplitUrl {
  /** `http://host:port` */
  origin: string;
  /** Path and query, without the fragment; at least `/`. */
  target: string;
}

/** Split an absolute http(s) URL into origin and request target without re-encoding the target. */
export function splitUrl(url: string): SplitUrl {
  const match = /^(https?):\/\/([^/?#]*)([^#]*)/i.exec(url);
  if (!match) throw new HttpFailure('invalid_request', `not an http(s) URL: ${url}`, 0);
  const authority = match[2]!;
  // Validate the host part with the URL parser (userinfo is not sent as a header by tpb).
  let origin: string;
  try {
    origin = new URL(`${match[1]!.toLowerCase()}://${authority}`).origin;
  } catch {
    throw new HttpFailure('invalid_request', `invalid host in URL: ${url}`, 0);
  }
  if (origin === 'null') throw new HttpFailure('invalid_request', `invalid host in URL: ${url}`, 0);
  let rest = match[3] ?? '';
  if (rest === '' || rest.startsWith('?')) rest = `/${rest}`;
  return { origin, target: toRequestTarget(rest) };
}

/** undici's header object (lower-case names) with repeated headers joined; reused when none repeat. */
function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) delete raw[name];
    else if (Array.isArray(value)) raw[name] = name === 'set-cookie' ? value[0] ?? '' : value.join(', ');
  }
  return raw as Record<string, string>;
}

function classify(error: unknown, timedOut: boolean, timeoutMs: number, latencyMs: number): HttpFailure {
  if (error instanceof HttpFailure) return error;
  const err = error as { code?: string; message?: string; name?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  const message = err.message ?? String(error);
  if (timedOut || err.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return new HttpFailure('timeout', `no answer within ${timeoutMs} ms`, latencyMs, code);
  }
  if (code === 'ECONNREFUSED') return new HttpFailure('refused', 'connection refused', latencyMs, code);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return new HttpFailure('dns', `host not found (${code})`, latencyMs, code);
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' || code === 'TPB_CLOSED' || err.name === 'SocketError') {
    return new HttpFailure('reset', 'connection closed before a complete answer', latencyMs, code);
  }
  if (typeof code === 'string' && (code.startsWith('ERR_TLS') || code.startsWith('CERT_') || code.includes('SSL') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')) {
    return new HttpFailure('tls', `TLS error: ${message}`, latencyMs, code);
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'TPB_INVALID_REQUEST') return new HttpFailure('invalid_request', message, latencyMs, code);
  if (code === 'TPB_BAD_RESPONSE' || code === 'TPB_HEADERS_TOO_LARGE') return new HttpFailure('network', `invalid answer: ${message}`, latencyMs, code);
  return new HttpFailure('network', message + (code ? ` (${code})` : ''), latencyMs, code);
}

interface BuiltRequest {
  head: string;
  body: Buffer | undefined;
  closeAfter: boolean;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const invalid = (message: string) => Object.assign(new Error(message), { code: 'TPB_INVALID_REQUEST' });

/**
 * The request line and headers of an http/1.1 request, as undici writes them: `host` (the user's
 * own Host header wins), `connection: keep-alive` (close for HEAD, whose answers some servers
 * follow with a body anyway), the headers as given, and content-length when there is a body or
 * the method expects one. Header names and values are checked as undici checks them: no CR/LF
 * can smuggle a header in.
 */
export function buildRequest(method: string, target: string, hostLine: string, headers: Readonly<Record<string, string>> | undefined, bodyText: string | undefined): BuiltRequest {
  const block = headers === undefined ? NO_HEADERS : headerBlock(headers);
  const closeAfter = method === 'HEAD' || block.close;
  const body = bodyText === undefined || bodyText === '' ? undefined : Buffer.from(bodyText, 'utf8');
  const length = body?.length ?? 0;
  if (block.contentLength !== undefined && block.contentLength !== String(length)) throw invalid(`content-length ${block.contentLength} does not match the body (${length} bytes)`);
  const connection = block.connection ?? (method === 'HEAD' ? 'connection: close\r\n' : 'connection: keep-alive\r\n');
  const contentLength = length > 0 || method === 'POST' || method === 'PUT' || method === 'PATCH' ? `content-length: ${length}\r\n` : '';
  return { head: `${method} ${target} HTTP/1.1\r\n${block.host ?? hostLine}${connection}${block.lines}${contentLength}\r\n`, body, closeAfter };
}

interface HeaderBlock {
  lines: string;
  host: string | undefined;
  connection: string | undefined;
  close: boolean;
  contentLength: string | undefined;
}

const NO_HEADERS: HeaderBlock = { lines: '', host: undefined, connection: undefined, close: false, contentLength: undefined };
/** Header objects are not changed once sent (click sends one object for every click): built once each. */
const headerBlocks = new WeakMap<object, HeaderBlock>();

function headerBlock(headers: Readonly<Record<string, string>>): HeaderBlock {
  // No headers (fire's usual request): nothing to build or remember.
  let empty = true;
  for (const _key in headers) {
    empty = false;
    break;
  }
  if (empty) return NO_HEADERS;
  let block = headerBlocks.get(headers);
  if (block !== undefined) return block;
  block = { lines: '', host: undefined, connection: undefined, close: false, contentLength: undefined };
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined) continue;
    const name = key.toLowerCase();
    if (!HEADER_NAME.test(name)) throw invalid(`invalid header name ${JSON.stringify(key)}`);
    if (BAD_HEADER_VALUE.test(value)) throw invalid(`invalid ${key} header`);
    if (name === 'host') block.host = `host: ${value}\r\n`;
    else if (name === 'connection') {
      block.connection = `connection: ${value}\r\n`;
      if (hasCloseToken(value)) block.close = true;
    } else if (name === 'content-length') block.contentLength = value.trim();
    else if (name === 'transfer-encoding' || name === 'keep-alive' || name === 'upgrade' || name === 'expect') throw invalid(`invalid ${name} header`);
    else block.lines += `${key}: ${value}\r\n`;
  }
  headerBlocks.set(headers, block);
  return block;
}

function hasCloseToken(value: string): boolean {
  return value.split(',').some((token) => token.trim().toLowerCase() === 'close');
}

/**
 * Timeouts of http:// calls are checked by one sweep every SWEEP_MS rather than a timer per
 * request (a load run starts tens of thousands a second): a call ends at most SWEEP_MS after its
 * deadline. Below SWEEP_EXACT_BELOW_MS a call gets its own timer, so a short timeout stays exact.
 */
const SWEEP_MS = 10;
const SWEEP_EXACT_BELOW_MS = 200;

/** One http:// request in flight: what the pool sends and reads, its promise's ends and its deadline. */
class H1Call implements H1Exchange {
  readonly head: string;
  readonly body: Buffer | undefined;
  readonly closeAfter: boolean;
  readonly deadline: number;
  status?: number;
  conn?: H1Exchange['conn'];
  cancelled?: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  private settled = false;

  constructor(
    private readonly calls: Set<H1Call>,
    private readonly pool: H1Pool,
    built: BuiltRequest,
    readonly headRequest: boolean,
    readonly limit: number,
    private readonly started: number,
    private readonly timeoutMs: number,
    private readonly resolve: (response: HttpResponse) => void,
    private readonly reject: (failure: HttpFailure) => void,
  ) {
    this.head = built.head;
    this.body = built.body;
    this.closeAfter = built.closeAfter;
    this.deadline = started + timeoutMs;
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.calls.delete(this);
    return true;
  }

  onResponse(response: H1Response): void {
    if (!this.settle()) return;
    this.resolve({
      status: response.status,
      headers: response.headers,
      body: response.body.length === 0 ? '' : response.body.toString('utf8'),
      truncated: response.truncated,
      latencyMs: performance.now() - this.started,
    });
  }

  onError(error: Error): void {
    if (!this.settle()) return;
    this.reject(classify(error, false, this.timeoutMs, performance.now() - this.started));
  }

  /** Its deadline passed: a timeout, and the pool gives up on it (its connection is closed). */
  expire(): void {
    if (!this.settle()) return;
    this.reject(new HttpFailure('timeout', this.status === undefined ? `no answer within ${this.timeoutMs} ms` : `no complete answer within ${this.timeoutMs} ms`, performance.now() - this.started, 'TPB_TIMEOUT'));
    this.pool.cancel(this);
  }

  interrupt(): void {
    if (!this.settle()) return;
    this.reject(new HttpFailure('interrupted', 'interrupted before the answer came (the tracker may have received it)', performance.now() - this.started, 'TPB_INTERRUPTED'));
    this.pool.cancel(this);
  }
}

export class HttpClient {
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  private readonly connections: number;
  /** https: undici, loaded on first use (it costs ~0.2 s of start-up a plain-http run does not need). */
  private undici: Promise<Agent> | undefined;
  /** http: tpb's own keep-alive pools (h1.ts), one per origin. */
  private readonly pools = new Map<string, { pool: H1Pool; hostLine: string }>();
  private readonly origins = new Map<string, string>();
  /** Exchanges in flight, so interrupt() can end them. */
  private readonly inFlight = new Set<() => void>();
  /** http:// calls in flight: interrupt() ends them, the sweep times them out. */
  private readonly calls = new Set<H1Call>();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private interruptedAt: number | undefined;

  constructor(options: HttpClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.connections = Math.max(1, options.connections ?? 10);
  }

  private agent(): Promise<Agent> {
    this.undici ??= import('undici').then(
      ({ Agent }) =>
        new Agent({
          connections: this.connections,
          pipelining: 1,
          keepAliveTimeout: 10_000,
          connect: { timeout: this.timeoutMs },
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        }),
    );
    return this.undici;
  }

  /**
   * Send one request; resolves with the answer or rejects with an HttpFailure. The timeout covers
   * the whole exchange (waiting for a connection, connecting, the headers and the body): one timer
   * per request that ends it. Plain http goes through tpb's own pools (h1.ts); https through
   * undici's dispatch with a raw handler (no body stream, no AbortController per request).
   */
  send(request: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const limit = request.maxBodyBytes ?? this.maxBodyBytes;
    const started = performance.now();
    if (this.interruptedAt !== undefined) return Promise.reject(new HttpFailure('interrupted', 'not sent: the run was interrupted', 0, 'TPB_INTERRUPTED'));
    let split: SplitUrl;
    try {
      split = this.split(request.url);
    } catch (error) {
      return Promise.reject(classify(error, false, timeoutMs, 0));
    }
    if (split.origin.charCodeAt(4) === 58 /* "http:" */) return this.sendH1(split, request, timeoutMs, limit, started);
    return this.sendUndici(split, request, timeoutMs, limit, started);
  }

  private pool(origin: string): { pool: H1Pool; hostLine: string } {
    let entry = this.pools.get(origin);
    if (entry === undefined) {
      const url = new URL(origin);
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      entry = { pool: new H1Pool(host, url.port === '' ? 80 : Number(url.port), this.connections), hostLine: `host: ${url.host}\r\n` };
      this.pools.set(origin, entry);
    }
    return entry;
  }

  private sendH1(split: SplitUrl, request: HttpRequest, timeoutMs: number, limit: number, started: number): Promise<HttpResponse> {
    const { pool, hostLine } = this.pool(split.origin);
    const method = request.method ?? 'GET';
    let built: BuiltRequest;
    try {
      built = buildRequest(method, split.target, hostLine, request.headers, request.body);
    } catch (error) {
      return Promise.reject(classify(error, false, timeoutMs, 0));
    }
    return new Promise<HttpResponse>((resolve, reject) => {
      const call = new H1Call(this.calls, pool, built, method === 'HEAD', limit, started, timeoutMs, resolve, reject);
      this.calls.add(call);
      if (timeoutMs < SWEEP_EXACT_BELOW_MS) call.timer = setTimeout(() => call.expire(), timeoutMs);
      else this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS);
      pool.dispatch(call);
    });
  }

  /** Calls past their deadline end as timeouts; the sweep stops when nothing is in flight. */
  private sweep(): void {
    const now = performance.now();
    for (const call of this.calls) if (now >= call.deadline) call.expire();
    if (this.calls.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private sendUndici(split: SplitUrl, request: HttpRequest, timeoutMs: number, limit: number, started: number): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      let status = 0;
      let headers: Record<string, string> = {};
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      let controller: { abort(reason: Error): void } | undefined;
      // The deadline of this attempt. undici's own headers/body timeouts tick in about 1 s steps
      // (a 300 ms timeout waited 1 s), so a plain timer ends the exchange at the time asked for.
      const timer = setTimeout(() => {
        const waited = performance.now() - started;
        fail(new HttpFailure('timeout', status === 0 ? `no answer within ${timeoutMs} ms` : `no complete answer within ${timeoutMs} ms`, waited, 'TPB_TIMEOUT'));
        controller?.abort(new Error('timeout'));
      }, timeoutMs);
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(interrupt);
        reject(classify(error, false, timeoutMs, performance.now() - started));
      };
      const interrupt = () => {
        fail(new HttpFailure('interrupted', 'interrupted before the answer came (the tracker may have received it)', performance.now() - started, 'TPB_INTERRUPTED'));
        controller?.abort(new Error('interrupted'));
      };
      this.inFlight.add(interrupt);
      const succeed = (truncated: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(interrupt);
        resolve({
          status,
          headers,
          body: size === 0 ? '' : Buffer.concat(chunks, size).toString('utf8'),
          truncated,
          latencyMs: performance.now() - started,
        });
      };
      this.agent().then(
        (agent) => {
          if (settled) return;
          try {
            agent.dispatch(
              // undici's timeouts stay as a backstop, later than the timer above.
              { origin: split.origin, path: split.target, method: request.method ?? 'GET', headers: request.headers ?? {}, body: request.body ?? null, headersTimeout: timeoutMs + 1000, bodyTimeout: timeoutMs + 1000 },
              {
                onRequestStart(requestController) {
                  controller = requestController;
                  // The deadline passed while the request waited for a connection.
                  if (settled && status === 0) requestController.abort(new Error('timeout'));
                },
                onResponseStart(_controller, statusCode, responseHeaders) {
                  status = statusCode;
                  headers = flattenHeaders(responseHeaders as Record<string, string | string[] | undefined>);
                },
                onResponseData(controller, chunk) {
                  if (settled) return;
                  if (size + chunk.length > limit) {
                    // Enough: a tracker answering megabytes (or forever) must not hold us.
                    chunks.push(chunk.subarray(0, limit - size));
                    size = limit;
                    succeed(true);
                    controller.abort(new Error('body limit reached'));
                    return;
                  }
                  chunks.push(chunk);
                  size += chunk.length;
                },
                onResponseEnd() {
                  succeed(false);
                },
                onResponseError(_controller, error) {
                  fail(error);
                },
              },
            );
          } catch (error) {
            fail(error);
          }
        },
        (error: unknown) => fail(error),
      );
    });
  }

  /** splitUrl, with origins cached: validating a host with the URL parser costs more than the rest. */
  private split(url: string): SplitUrl {
    if (url === this.lastUrl) return this.lastSplit!;
    const split = this.splitUncached(url);
    this.lastUrl = url;
    this.lastSplit = split;
    return split;
  }

  private lastUrl: string | undefined;
  private lastSplit: SplitUrl | undefined;

  private splitUncached(url: string): SplitUrl {
    const match = /^(https?:\/\/[^/?#]*)([^#]*)/i.exec(url);
    const cached = match ? this.origins.get(match[1]!) : undefined;
    if (cached === undefined || !match) {
      const split = splitUrl(url);
      if (match && this.origins.size < 1000) this.origins.set(match[1]!, split.origin);
      return split;
    }
    let rest = match[2] ?? '';
    if (rest === '' || rest.startsWith('?')) rest = `/${rest}`;
    return { origin: cached, target: toRequestTarget(rest) };
  }

  /**
   * End every exchange in flight with an `interrupted` failure and refuse new ones: after SIGINT or
   * SIGTERM the run has waited as long as it will for answers. Returns how many were cut.
   */
  interrupt(): number {
    this.interruptedAt ??= performance.now();
    const pending = [...this.inFlight];
    for (const end of pending) end();
    const calls = [...this.calls];
    for (const call of calls) call.interrupt();
    return pending.length + calls.length;
  }

  /** Close every pooled connection (the busy ones once their answer is in). */
  async close(): Promise<void> {
    const closing: Array<Promise<void>> = [...this.pools.values()].map(({ pool }) => pool.close());
    this.pools.clear();
    if (this.undici) closing.push(this.undici.then((agent) => agent.close()));
    await Promise.all(closing);
  }
}
