import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { bodyParams } from '../http/body-params.js';
import { HttpClient } from '../http/client.js';
import { FaultPlan, type FaultDecision, type LatencyRange } from '../http/faults.js';
import { randomStreams, type Random } from '../http/random.js';
import { CaughtWriter, type CaughtRow } from '../store/catch.js';
import type { Store } from '../store/db.js';
import { finishRun, startRun } from '../store/runs.js';
import { REDACTED, Redactor } from '../text/redact.js';
import { readPostbackFields, firstValues } from './fields.js';
import { forwardRequest, type ForwardedAnswer } from './forward.js';
import { DEFAULT_ANSWER, RuleBook, type CatchAnswer, type CatchRule } from './rules.js';
import type { CatchStats, CaughtRequest } from './types.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_KEEP = 10_000;
/** A forwarded request's body is buffered whole up to this size. */
const MAX_FORWARD_BODY_BYTES = 1024 * 1024;
/** Request credentials beyond the redactor's default names. */
const CREDENTIAL_HEADERS = ['cookie', 'proxy-authorization', 'x-auth-token'];

export interface CatchOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The answer to every request no rule answers (defaults: 200, "OK", text/plain). */
  answer?: Partial<CatchAnswer>;
  /** Whether `answer` was given explicitly (with --forward, an explicit answer wins over the upstream's). */
  answerExplicit?: boolean;
  rules?: readonly CatchRule[];
  /** Share of requests answered 503 (0..1), before any rule. */
  failRate?: number;
  /** Share of requests whose connection is dropped without an answer (0..1). */
  resetRate?: number;
  /** Makes faults and delays repeatable. */
  seed?: number;
  /**
   * At most this many injected faults in a row for the same click id: the next request for it is
   * answered whatever the draw (a flaky traffic source, never a dead one for a conversion). With
   * concurrent senders the order of arrival, and so which request gets which draw, varies from run
   * to run; a cap below the sender's retries makes the outcome the same every run (tpb demo --chain).
   */
  maxFaultsInARow?: number;
  /** Bodies are kept up to this many bytes (the rest is counted, not kept). */
  maxBodyBytes?: number;
  /** Pass each request on to this base URL (its path, then the received path and query). */
  forward?: string;
  forwardTimeoutMs?: number;
  /** Parameter names that carry the click id (default: the known names). */
  clickIdParams?: readonly string[];
  /** Parameter and header names to redact beyond the defaults. */
  secrets?: readonly string[];
  redactor?: Redactor;
  /** Record into caught_requests (and tpb:catch conversions) under a new `catch` run. */
  store?: Store;
  /** Redacted description of what was started, stored with the run. */
  runOptions?: unknown;
  /** How many requests are kept in memory for requests() and --json (the oldest are forgotten). */
  keep?: number;
  /** Called once per request, after it was answered (or dropped). */
  onRequest?: (request: CaughtRequest) => void;
  now?: () => Date;
  /** How long close() lets in-flight requests finish (ms). */
  closeGraceMs?: number;
}

export interface Catcher {
  readonly url: string;
  readonly port: number;
  /** The `catch` run the requests are stored under, when a store was given. */
  readonly runId: number | null;
  stats(): CatchStats;
  /** Wait for requests being handled and write every pending row (rows are written in batches). */
  settle(): Promise<void>;
  /** The requests kept in memory, in order of arrival. */
  requests(): readonly CaughtRequest[];
  /**
   * The first request (already caught, or arriving within `timeoutMs`) that `test` accepts, after
   * `fromSeq`; undefined on timeout or close.
   */
  waitFor(test: (request: CaughtRequest) => boolean, timeoutMs: number, fromSeq?: number): Promise<CaughtRequest | undefined>;
  /** Stop accepting, let in-flight requests finish, store the rest. Idempotent. */
  close(): Promise<void>;
}

function hostForUrl(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return host.includes(':') ? `[${host}]` : host;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function pairsOf(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

function delayFrom(random: Random, range: LatencyRange): number {
  return range.minMs + Math.round((range.maxMs - range.minMs) * random.next());
}

class CatchServer implements Catcher {
  url = '';
  port = 0;
  runId: number | null = null;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly redactor: Redactor;
  private readonly faults: FaultPlan;
  private readonly delays: Random;
  private readonly rules: RuleBook;
  private readonly answer: CatchAnswer;
  private readonly maxBody: number;
  private readonly keep: number;
  private readonly kept: CaughtRequest[] = [];
  private readonly waiters = new Set<{ test: (r: CaughtRequest) => boolean; fromSeq: number; resolve: (r: CaughtRequest | undefined) => void; timer: NodeJS.Timeout }>();
  private readonly now: () => Date;
  private writer: CaughtWriter | undefined;
  private client: HttpClient | undefined;
  private seq = 0;
  private inFlight = 0;
  private closing: Promise<void> | undefined;
  private readonly counters: CatchStats = { requests: 0, with_click_id: 0, by_status: {}, faults: { failed: 0, reset: 0 }, rules: {}, forwarded: { ok: 0, failed: 0 }, forgotten: 0 };

  constructor(private readonly options: CatchOptions) {
    this.redactor = options.redactor ?? new Redactor(options.secrets ?? []);
    for (const name of [...CREDENTIAL_HEADERS, ...(options.secrets ?? [])]) this.redactor.addName(name);
    const streams = randomStreams(options.seed);
    this.faults = new FaultPlan(streams.faults, { failRate: options.failRate ?? 0, resetRate: options.resetRate ?? 0 });
    this.delays = streams.ids;
    this.rules = new RuleBook(options.rules ?? []);
    this.answer = { ...DEFAULT_ANSWER, ...(options.answer ?? {}) };
    this.maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.keep = options.keep ?? DEFAULT_KEEP;
    this.now = options.now ?? (() => new Date());
    if (options.forward) this.client = new HttpClient({ connections: 32, timeoutMs: options.forwardTimeoutMs ?? 10_000, maxBodyBytes: 64 * 1024 });
    this.server = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
      this.inFlight += 1;
      this.serve(req, res)
        .catch((error: unknown) => {
          if (!res.headersSent && !res.destroyed) {
            res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
            res.end(`internal error: ${(error as Error)?.message ?? String(error)}\n`);
          } else res.destroy();
        })
        .finally(() => {
          this.inFlight -= 1;
        });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.port = address.port;
    this.url = `http://${hostForUrl(address)}:${address.port}`;
    if (this.options.store) {
      this.runId = startRun(this.options.store, 'catch', this.url, this.options.runOptions ?? {}, this.now());
      this.writer = new CaughtWriter(this.options.store);
    }
  }

  stats(): CatchStats {
    const c = this.counters;
    return { ...c, by_status: { ...c.by_status }, faults: { ...c.faults }, rules: { ...c.rules }, forwarded: { ...c.forwarded } };
  }

  requests(): readonly CaughtRequest[] {
    return this.kept;
  }

  waitFor(test: (request: CaughtRequest) => boolean, timeoutMs: number, fromSeq = 0): Promise<CaughtRequest | undefined> {
    const found = this.kept.find((request) => request.seq > fromSeq && test(request));
    if (found || this.closing) return Promise.resolve(found);
    return new Promise((resolve) => {
      const waiter = {
        test,
        fromSeq,
        resolve: (request: CaughtRequest | undefined) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve(request);
        },
        timer: setTimeout(() => waiter.resolve(undefined), timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const grace = setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
      }, this.options.closeGraceMs ?? 3_000);
      this.server.close(() => {
        clearTimeout(grace);
        void this.finish().then(resolve);
      });
      this.server.closeIdleConnections();
    });
    return this.closing;
  }

  /** Faults in a row per click id (only with maxFaultsInARow). */
  private readonly faultStreak = new Map<string, number>();

  private capFaults(clickId: string | null, decision: FaultDecision): FaultDecision {
    const cap = this.options.maxFaultsInARow;
    if (cap === undefined || clickId === null) return decision;
    const streak = this.faultStreak.get(clickId) ?? 0;
    if (decision.fault === 'none' || streak >= cap) {
      this.faultStreak.delete(clickId);
      return decision.fault === 'none' ? decision : { delayMs: decision.delayMs, fault: 'none' };
    }
    this.faultStreak.set(clickId, streak + 1);
    return decision;
  }

  /**
   * Wait for the requests being handled and write every pending row now (rows are written in
   * batches): what has been answered is then in the database, for a reconcile run right after.
   */
  async settle(): Promise<void> {
    for (let i = 0; i < 100 && this.inFlight > 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    this.writer?.flush();
  }

  private async finish(): Promise<void> {
    // Requests whose handler is still forwarding finish (their sockets are gone) before the last flush.
    for (let i = 0; i < 100 && this.inFlight > 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    for (const waiter of this.waiters) waiter.resolve(undefined);
    await this.client?.close();
    this.writer?.flush();
    if (this.options.store && this.runId !== null) finishRun(this.options.store, this.runId, this.stats(), this.now());
  }

  private readBody(req: http.IncomingMessage, limit: number): Promise<{ body: string; bytes: number; truncated: boolean }> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (kept < limit) {
          const part = kept + chunk.length > limit ? chunk.subarray(0, limit - kept) : chunk;
          chunks.push(part);
          kept += part.length;
        }
      });
      const done = () => resolve({ body: kept === 0 ? '' : Buffer.concat(chunks, kept).toString('utf8'), bytes, truncated: bytes > kept });
      req.on('end', done);
      req.on('error', done);
      req.on('aborted', done);
    });
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const arrived = this.now();
    const seq = (this.seq += 1);
    const method = req.method ?? 'GET';
    const rawTarget = req.url ?? '/';
    const q = rawTarget.indexOf('?');
    const rawPath = q >= 0 ? rawTarget.slice(0, q) : rawTarget;
    const queryRaw = q >= 0 ? rawTarget.slice(q + 1).replace(/#.*$/, '') : null;
    const query: Array<[string, string]> = queryRaw ? [...new URLSearchParams(queryRaw)] : [];
    const forwarding = this.options.forward !== undefined;
    const { body, bytes, truncated } = await this.readBody(req, forwarding ? Math.max(this.maxBody, MAX_FORWARD_BODY_BYTES) : this.maxBody);
    const headers = pairsOf(req.rawHeaders);
    const params = [...query, ...bodyParams(body, req.headers['content-type'])];
    const fields = readPostbackFields(params, this.options.clickIdParams ? { clickIdParams: this.options.clickIdParams } : {});
    const path = decodePath(rawPath);

    let status: number | null = null;
    let fault: 'fail' | 'reset' | null = null;
    let rule: CatchRule | undefined;
    let forwarded: ForwardedAnswer | undefined;
    const drawn = this.faults.decide();
    const decision = this.capFaults(fields.clickId ?? null, drawn);
    if (decision.fault === 'reset') {
      fault = 'reset';
      this.counters.faults.reset += 1;
      req.socket.destroy();
    } else if (decision.fault === 'fail') {
      fault = 'fail';
      this.counters.faults.failed += 1;
      status = this.send(res, { status: 503, body: 'service unavailable (injected by tpb catch --fail-rate)\n', contentType: 'text/plain; charset=utf-8', headers: {} });
    } else {
      rule = this.rules.pick({ method, path, params: firstValues(params) });
      if (rule) this.counters.rules[rule.name] = (this.counters.rules[rule.name] ?? 0) + 1;
      if (forwarding) {
        forwarded = await forwardRequest(this.client!, { base: this.options.forward!, method, rawTarget, headers, body, timeoutMs: this.options.forwardTimeoutMs ?? 10_000 }, this.redactor);
        if (forwarded.record.status === null) this.counters.forwarded.failed += 1;
        else this.counters.forwarded.ok += 1;
      }
      let answer: CatchAnswer = { ...this.answer, ...(rule?.answer ?? {}) };
      if (forwarding && !rule && !this.options.answerExplicit) {
        // A tap: the sender gets what the upstream answered, or 502 when it could not be reached.
        const upstream = forwarded?.response;
        answer = upstream
          ? { status: upstream.status, body: upstream.body, contentType: upstream.contentType ?? 'text/plain; charset=utf-8', headers: {} }
          : { status: 502, body: `tpb catch could not forward: ${forwarded?.record.error ?? 'unknown'}\n`, contentType: 'text/plain; charset=utf-8', headers: {} };
      }
      const delay = answer.delay ? delayFrom(this.delays, answer.delay) : 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (answer.drop) req.socket.destroy();
      else status = this.send(res, answer, method === 'HEAD');
    }
    if (status !== null) this.counters.by_status[status] = (this.counters.by_status[status] ?? 0) + 1;
    else this.counters.by_status.dropped = (this.counters.by_status.dropped ?? 0) + 1;
    await this.whenFinished(res);
    this.record({
      seq,
      received_at: arrived.toISOString(),
      method,
      path: this.redactor.text(path),
      query_raw: queryRaw === null ? null : this.redactor.url(`?${queryRaw}`).slice(1),
      query: this.redactPairs(query),
      headers: headers.map(([name, value]) => [name, this.redactor.header(name, value)]),
      body: this.redactBody(truncated && body.length > this.maxBody ? body.slice(0, this.maxBody) : body, req.headers['content-type']),
      body_bytes: bytes,
      body_truncated: bytes > this.maxBody,
      remote_addr: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? null,
      params: this.redactPairs(params),
      fields: { ...fields, clickId: fields.clickId === null ? null : this.redactor.text(fields.clickId) },
      answer: { status, fault, rule: rule?.name ?? null, latency_ms: Math.round((performance.now() - started) * 10) / 10 },
      forward: forwarded?.record ?? null,
    });
  }

  private whenFinished(res: http.ServerResponse): Promise<void> {
    if (res.writableFinished || res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      res.once('finish', resolve);
      res.once('close', resolve);
    });
  }

  private send(res: http.ServerResponse, answer: CatchAnswer, head = false): number | null {
    if (res.headersSent || res.destroyed) return null;
    res.writeHead(answer.status, { ...answer.headers, 'Content-Type': answer.contentType, 'Content-Length': Buffer.byteLength(answer.body) });
    res.end(head ? undefined : answer.body);
    return answer.status;
  }

  private redactPairs(pairs: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
    return pairs.map(([name, value]) => [name, this.redactor.isSecretName(name) && value !== '' ? REDACTED : this.redactor.text(value)]);
  }

  private redactBody(body: string, contentType: string | undefined): string {
    if (body === '') return body;
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    let out = body;
    if (type === 'application/x-www-form-urlencoded' || (type === '' && /^[^=&\s]+=/.test(body))) out = this.redactor.url(`?${body}`).slice(1);
    else if (type === 'application/json' || type.endsWith('+json')) {
      out = body.replace(/"([^"\\]{1,100})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g, (whole, name: string, colon: string, value: string) =>
        this.redactor.isSecretName(name) && value !== '' ? `"${name}"${colon}"${REDACTED}"` : whole,
      );
    }
    return this.redactor.text(out);
  }

  private record(request: CaughtRequest): void {
    this.counters.requests += 1;
    if (request.fields.clickId !== null) this.counters.with_click_id += 1;
    this.kept.push(request);
    if (this.kept.length > this.keep) {
      this.kept.shift();
      this.counters.forgotten += 1;
    }
    if (this.writer && this.runId !== null) this.writer.add(toRow(this.runId, request));
    this.options.onRequest?.(request);
    for (const waiter of this.waiters) {
      if (request.seq > waiter.fromSeq && waiter.test(request)) waiter.resolve(request);
    }
  }
}

function toRow(runId: number, r: CaughtRequest): CaughtRow {
  const f = r.fields;
  return {
    runId,
    seq: r.seq,
    receivedAt: r.received_at,
    method: r.method,
    path: r.path,
    queryRaw: r.query_raw,
    query: r.query,
    headers: r.headers,
    body: r.body === '' ? null : r.body,
    bodyBytes: r.body_bytes,
    bodyTruncated: r.body_truncated,
    remoteAddr: r.remote_addr,
    clickId: f.clickId,
    clickIdParam: f.clickIdParam,
    httpStatus: r.answer.status,
    fault: r.answer.fault,
    rule: r.answer.rule,
    latencyMs: r.answer.latency_ms,
    forward: r.forward ? { url: r.forward.url, status: r.forward.status, body: r.forward.body, error: r.forward.error, latencyMs: r.forward.latency_ms } : null,
    // Only what the receiver accepted (2xx) is a conversion: a 503'd or dropped attempt was not taken.
    conversion: f.clickId === null || r.answer.status === null || r.answer.status < 200 || r.answer.status > 299 ? null : { clickId: f.clickId, txid: f.txid, event: f.event, status: f.status, payoutMicros: f.payoutMicros, revenueMicros: f.revenueMicros, currency: f.currency },
  };
}

/**
 * Start a receiver (tpb catch, check's catch:, demo --chain, tests). It accepts any method and
 * path, answers per the default answer, rules and faults, optionally forwards, records each
 * request; nothing here prints or touches the process.
 */
export async function startCatcher(options: CatchOptions = {}): Promise<Catcher> {
  const catcher = new CatchServer(options);
  await catcher.listen();
  return catcher;
}
