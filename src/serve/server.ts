import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PRESETS, type PresetName } from '../presets/catalog.js';
import type { ExportKind } from '../presets/exports.js';
import type { Store } from '../store/db.js';
import { SqliteMockLedger } from '../store/mock.js';
import { Redactor } from '../text/redact.js';
import { parseAmount } from './amounts.js';
import { generateClickId, generateConversionId } from './click-ids.js';
import { writeExport } from './exports.js';
import { OutboundPostbacks, type OutboundLogEntry, type OutboundOptions, type OutboundStats } from './forward.js';
import { FaultPlan, type LatencyRange } from './faults.js';
import { MemoryLedger, type LedgerCounts, type MockClick, type MockConversion, type MockLedger, type PostbackOutcome } from './ledger.js';
import { DEFAULT_KEITARO_POSTBACK_KEY, mockPreset, type MockPreset } from './presets/index.js';
import type { HttpAnswer, MockRequest, PostbackFields, PostbackVerdict } from './presets/types.js';
import { randomStreams, type Random } from './random.js';
import type { RequestLogEntry } from './request-log.js';
import { recordedInstant } from './timestamps.js';

export const DEFAULT_LANDING = 'https://landing.example/offer';
export const DEFAULT_MAX_STORED = 100_000;
/** A request's headers must arrive within this (slow-header clients are dropped). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A whole request (headers and body) must arrive within this. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Form bodies of POST postbacks are read up to this size; larger is 413. */
const MAX_BODY_BYTES = 64 * 1024;

export interface MockTrackerOptions {
  preset?: PresetName;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Where clicks are redirected, with the click id added. Never fetched. */
  landing?: string;
  /** Added to every click and postback: a fixed ms, or uniform in a range. */
  latency?: number | LatencyRange;
  /** Share of click and postback requests answered 503 (0..1). */
  failRate?: number;
  /** Share of click and postback requests whose connection is dropped without an answer (0..1). */
  resetRate?: number;
  /** Makes faults and generated ids repeatable. */
  seed?: number;
  /** Persist clicks and postbacks in this store (mock_clicks, mock_conversions); memory otherwise. */
  store?: Store;
  /** Called once per request served, after it finished (secrets redacted). */
  log?: (entry: RequestLogEntry) => void;
  /** In memory, at most this many clicks and this many postbacks are kept; the oldest are forgotten. */
  maxStoredRequests?: number;
  /** Keitaro's postback key (the first path segment of its postback URL). */
  postbackKey?: string;
  /** Query parameter names to redact in logs, beyond the default token names. */
  secrets?: readonly string[];
  /**
   * A redactor for the request log (the secret names above are added to it). Not the CLI's: the
   * mock's own postback key is printed in its routes on purpose.
   */
  redactor?: Redactor;
  /** Headers must arrive within this many ms (default 10 s). */
  headersTimeoutMs?: number;
  /** The whole request must arrive within this many ms (default 30 s). */
  requestTimeoutMs?: number;
  /** Clock, for tests. */
  now?: () => Date;
  /** How long close() lets in-flight requests finish before dropping their connections (ms). */
  closeGraceMs?: number;
  /** Fire an outbound postback for each recorded conversion (src/serve/forward.ts). */
  forwardPostbacks?: OutboundOptions;
  /** Called once per outbound postback, when delivered or given up. */
  forwardLog?: (entry: OutboundLogEntry) => void;
}

export interface MockTrackerRoutes {
  /** A click URL (offer 1001, affiliate 2002 where the tracker has them). */
  click: string;
  /** A postback URL template with tpb fire's macros: {click_id}, {payout}, {txid}, {event}, {status}. */
  postback: string;
  /** What `tpb fire --preset <name> --base` takes (Keitaro's includes the postback key). */
  postbackBase: string;
  clicksExport: string;
  conversionsExport: string;
}

export interface MockTrackerStats {
  requests: number;
  clicks: number;
  postbacks: Record<PostbackOutcome, number>;
  exports: number;
  notFound: number;
  faults: { failed: number; reset: number };
  byStatus: Record<string, number>;
  /** What the ledger holds now (with --db: everything this preset ever recorded there). */
  stored: LedgerCounts;
  /** Outbound postbacks (--forward-postbacks), when configured. */
  outbound: OutboundStats | null;
}

export interface MockTracker {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  readonly preset: PresetName;
  readonly routes: MockTrackerRoutes;
  /** What the preset does, for help and banners (one line each). */
  readonly notes: readonly string[];
  stats(): MockTrackerStats;
  /** Resolves when every outbound postback queued so far is delivered or given up. */
  drainOutbound(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish (up to closeGraceMs), then resolves. Idempotent. */
  close(): Promise<void>;
  /** Like close(), but drops the connections still open at once. */
  closeNow(): Promise<void>;
}

function hostForUrl(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return host.includes(':') ? `[${host}]` : host;
}

function segmentsOf(pathname: string): string[] {
  return pathname
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

function clientIp(req: http.IncomingMessage): string | null {
  // tpb click --ip sends X-Forwarded-For; a tracker behind a proxy reads the first address.
  const forwarded = req.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  if (first) return first;
  return req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? null;
}

function readBody(req: http.IncomingMessage): Promise<string | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too_large' : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** POST bodies (form or flat JSON) add parameters the query does not have. */
function mergeBody(params: URLSearchParams, body: string, contentType: string | undefined): void {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (body.trim() === '') return;
  let extra: Array<[string, string]> = [];
  if (type === 'application/json') {
    try {
      const value = JSON.parse(body) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        extra = Object.entries(value as Record<string, unknown>)
          .filter(([, v]) => v !== null && ['string', 'number', 'boolean'].includes(typeof v))
          .map(([k, v]) => [k, String(v)]);
      }
    } catch {
      // Not JSON after all: the query alone counts.
    }
  } else if (type === 'application/x-www-form-urlencoded' || type === '') {
    extra = [...new URLSearchParams(body)];
  }
  for (const [name, value] of extra) if (!params.has(name)) params.set(name, value);
}

class MockTrackerServer implements MockTracker {
  readonly preset: PresetName;
  readonly notes: readonly string[];
  url = '';
  port = 0;
  routes: MockTrackerRoutes = { click: '', postback: '', postbackBase: '', clicksExport: '', conversionsExport: '' };

  private readonly behaviour: MockPreset;
  private readonly ledger: MockLedger;
  private readonly faults: FaultPlan;
  private readonly ids: Random;
  private readonly redactor: Redactor;
  private readonly landing: URL;
  private readonly landingParam: string;
  /** The landing URL cut where the click id goes, when it can simply be spliced in. */
  private readonly landingSplice: { before: string; after: string } | undefined;
  private readonly now: () => Date;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly pendingDelays = new Map<NodeJS.Timeout, () => void>();
  private closing: Promise<void> | undefined;
  private readonly outbound: OutboundPostbacks | undefined;
  private readonly counters = {
    requests: 0,
    clicks: 0,
    postbacks: { recorded: 0, duplicate: 0, unknown_click: 0, rejected: 0 } as Record<PostbackOutcome, number>,
    exports: 0,
    notFound: 0,
    faults: { failed: 0, reset: 0 },
    byStatus: {} as Record<string, number>,
  };

  constructor(private readonly options: MockTrackerOptions) {
    this.preset = options.preset ?? 'generic';
    const postbackKey = options.postbackKey ?? DEFAULT_KEITARO_POSTBACK_KEY;
    this.behaviour = mockPreset(this.preset, { postbackKey });
    this.notes = this.behaviour.notes;
    const capacity = options.maxStoredRequests ?? DEFAULT_MAX_STORED;
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('maxStoredRequests must be a positive integer');
    this.ledger = options.store ? new SqliteMockLedger(options.store, this.preset) : new MemoryLedger(this.preset, capacity);
    const streams = randomStreams(options.seed);
    this.faults = new FaultPlan(streams.faults, {
      ...(options.latency === undefined ? {} : { latency: options.latency }),
      ...(options.failRate === undefined ? {} : { failRate: options.failRate }),
      ...(options.resetRate === undefined ? {} : { resetRate: options.resetRate }),
    });
    this.ids = streams.ids;
    this.redactor = options.redactor ?? new Redactor();
    this.redactor.addNames(options.secrets ?? []);
    // The Keitaro postback key is a credential that sits in the path.
    if (this.preset === 'keitaro') this.redactor.addValue(postbackKey);
    this.landing = new URL(options.landing ?? DEFAULT_LANDING);
    this.landingParam = PRESETS[this.preset].clickIdParam;
    if (!this.landing.searchParams.has(this.landingParam)) {
      const hash = this.landing.hash;
      const base = this.landing.href.slice(0, this.landing.href.length - hash.length);
      const separator = this.landing.search === '' ? (base.endsWith('?') ? '' : '?') : '&';
      this.landingSplice = { before: `${base}${separator}${encodeURIComponent(this.landingParam)}=`, after: hash };
    }
    this.now = options.now ?? (() => new Date());
    if (options.forwardPostbacks) this.outbound = new OutboundPostbacks(options.forwardPostbacks, this.preset, this.redactor, options.forwardLog, streams.ids.next);
    // A client that sends its headers slowly (or not at all) must not hold a socket for long:
    // 1,100 such clients used to lock everyone else out. Headers within headersTimeoutMs, the whole
    // request within requestTimeoutMs, checked every second; an idle keep-alive socket closes after 5 s.
    const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    this.server = http.createServer({
      keepAliveTimeout: 5_000,
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    }, (req, res) => {
      this.serve(req, res).catch((error: unknown) => this.fail(res, error));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // A client that sends garbage gets a 400 from node; nothing to log or crash about.
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      else socket.destroy();
    });
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.port = address.port;
    this.url = `http://${hostForUrl(address)}:${address.port}`;
    this.routes = {
      click: this.url + this.behaviour.clickExample,
      postback: this.url + this.behaviour.postbackTemplate,
      postbackBase: this.url + (this.behaviour.postbackBasePath ?? ''),
      clicksExport: `${this.url}/export/clicks.csv`,
      conversionsExport: `${this.url}/export/conversions.csv`,
    };
  }

  stats(): MockTrackerStats {
    const c = this.counters;
    return {
      requests: c.requests,
      clicks: c.clicks,
      postbacks: { ...c.postbacks },
      exports: c.exports,
      notFound: c.notFound,
      faults: { ...c.faults },
      byStatus: { ...c.byStatus },
      stored: this.ledger.counts(),
      outbound: this.outbound?.stats() ?? null,
    };
  }

  drainOutbound(): Promise<void> {
    return this.outbound?.drain() ?? Promise.resolve();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const grace = setTimeout(() => this.dropConnections(), this.options.closeGraceMs ?? 5_000);
      this.server.close(() => {
        clearTimeout(grace);
        // Outbound postbacks under way finish (within the grace) before the ledger closes.
        void (this.outbound?.close(this.options.closeGraceMs ?? 5_000) ?? Promise.resolve()).then(() => {
          this.ledger.close();
          resolve();
        });
      });
      this.server.closeIdleConnections();
    });
    return this.closing;
  }

  closeNow(): Promise<void> {
    const closing = this.close();
    this.dropConnections();
    return closing;
  }

  private dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.endDelays();
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const arrived = this.now();
    this.counters.requests += 1;
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const entry: RequestLogEntry = {
      time: arrived.toISOString(),
      method,
      path: this.redactor.url(rawUrl),
      route: 'unknown',
      status: null,
      latency_ms: 0,
    };
    // Log once, when the answer is written or the connection is gone.
    let logged = false;
    const finish = () => {
      if (logged) return;
      logged = true;
      entry.latency_ms = Math.round((performance.now() - started) * 10) / 10;
      if (res.headersSent && entry.fault !== 'reset') {
        entry.status = res.statusCode;
        this.counters.byStatus[res.statusCode] = (this.counters.byStatus[res.statusCode] ?? 0) + 1;
      }
      this.options.log?.(entry);
    };
    res.on('finish', finish);
    res.on('close', finish);
    if (this.closing) res.setHeader('Connection', 'close');

    let url: URL;
    try {
      url = new URL(rawUrl, 'http://mock.invalid');
    } catch {
      this.send(res, { status: 400, contentType: 'text/plain; charset=utf-8', body: 'bad request target\n' });
      return;
    }
    const pathname = url.pathname;

    if (pathname.startsWith('/export/')) {
      entry.route = 'export';
      await this.serveExport(req, res, pathname);
      return;
    }

    const request: MockRequest = {
      method,
      path: pathname,
      segments: segmentsOf(pathname),
      params: url.searchParams,
      ip: clientIp(req),
      userAgent: req.headers['user-agent'] ?? null,
    };
    const match = this.behaviour.match(request);
    if (!match) {
      this.counters.notFound += 1;
      req.resume();
      this.send(res, {
        status: 404,
        contentType: 'text/plain; charset=utf-8',
        body: `not found: ${pathname} is not a route of the ${this.preset} mock tracker; clicks: ${this.behaviour.clickExample.split('?')[0]}, postbacks: ${this.behaviour.postbackTemplate.split('?')[0]}\n`,
      });
      return;
    }
    entry.route = match.kind === 'click' ? 'click' : 'postback';
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      req.resume();
      this.send(res, { status: 405, contentType: 'text/plain; charset=utf-8', body: 'method not allowed\n' }, { Allow: 'GET, HEAD, POST' });
      return;
    }
    if (match.kind === 'wrong_method') {
      req.resume();
      this.send(res, { status: 405, contentType: 'text/plain; charset=utf-8', body: `method not allowed: use ${match.allowed}\n` }, { Allow: match.allowed });
      return;
    }

    // Faults first: a failed or dropped request never reached the tracker's logic.
    const decision = this.faults.decide();
    if (decision.delayMs > 0) await this.delay(decision.delayMs);
    if (res.destroyed) return;
    if (decision.fault === 'reset') {
      entry.fault = 'reset';
      this.counters.faults.reset += 1;
      req.socket.destroy();
      return;
    }
    if (decision.fault === 'fail') {
      entry.fault = 'fail';
      this.counters.faults.failed += 1;
      req.resume();
      this.send(res, { status: 503, contentType: 'text/plain; charset=utf-8', body: 'service unavailable (injected by tpb serve --fail-rate)\n' }, { 'Retry-After': '1' });
      return;
    }

    if (method === 'POST') {
      const body = await readBody(req);
      if (body === 'too_large') {
        this.send(res, { status: 413, contentType: 'text/plain; charset=utf-8', body: `body over ${MAX_BODY_BYTES} bytes\n` });
        return;
      }
      mergeBody(request.params, body, req.headers['content-type']);
    } else {
      req.resume();
    }

    if (match.kind === 'click') entry.click_id = this.serveClick(res, request, match.answer, arrived);
    else this.servePostback(res, request, arrived, entry);
  }

  private serveClick(res: http.ServerResponse, request: MockRequest, answer: 'redirect' | 'json', now: Date): string {
    const fields = this.behaviour.readClick(request);
    let sequence = this.ledger.nextClickSequence();
    let clickId = generateClickId(this.preset, this.ids, sequence, now);
    // Ids are random (or sequential): make sure this one is new.
    for (let attempt = 0; this.ledger.findClick(clickId) && attempt < 1000; attempt += 1) {
      sequence += 1;
      clickId = generateClickId(this.preset, this.ids, sequence, now);
    }
    const click: MockClick = {
      click_id: clickId,
      occurred_at: recordedInstant(now),
      ...fields,
      ip: request.ip,
      user_agent: request.userAgent,
    };
    this.ledger.addClick(click);
    this.counters.clicks += 1;
    if (answer === 'json') {
      this.send(res, { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(this.behaviour.clickJson?.(clickId, fields) ?? { click_id: clickId }) });
      return clickId;
    }
    const location = this.landingFor(clickId);
    this.send(
      res,
      { status: 302, contentType: 'text/html; charset=utf-8', body: `<a href="${location.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">Found</a>\n` },
      { Location: location, 'Cache-Control': 'no-store' },
    );
    return clickId;
  }

  /** The landing URL with the click id added (string splicing: this runs on every click). */
  private landingFor(clickId: string): string {
    if (this.landingSplice === undefined) {
      const location = new URL(this.landing);
      location.searchParams.set(this.landingParam, clickId);
      return location.href;
    }
    return this.landingSplice.before + encodeURIComponent(clickId) + this.landingSplice.after;
  }

  private servePostback(res: http.ServerResponse, request: MockRequest, now: Date, entry: RequestLogEntry): void {
    const fields = this.behaviour.readPostback(request);
    const { verdict, row } = this.judge(fields, now, request);
    const answer = this.behaviour.answer(verdict, request);
    // The stored reason is in the tracker's words, like a real tracker's postback log.
    row.reason = answer.message ?? null;
    this.ledger.addConversion(row);
    if (this.outbound && verdict.outcome === 'recorded') this.outbound.enqueue(row, this.ledger.findClick(row.click_id!), now);
    this.counters.postbacks[verdict.outcome] += 1;
    entry.outcome = verdict.outcome;
    if (fields.clickId) entry.click_id = this.redactor.text(fields.clickId);
    if (answer.message) entry.message = answer.message;
    this.send(res, answer);
  }

  /** Apply the tracker's rules: id present, amount readable, click known, not a duplicate. */
  private judge(fields: PostbackFields, now: Date, request: MockRequest): { verdict: PostbackVerdict; row: MockConversion } {
    const row: MockConversion = {
      click_id: fields.clickId ?? null,
      occurred_at: recordedInstant(now),
      conversion_id: null,
      txid: fields.txid,
      event: fields.event,
      status: fields.status,
      payout_micros: null,
      revenue_micros: null,
      currency: fields.currency,
      offer_id: null,
      affiliate_id: null,
      sub1: null,
      sub2: null,
      sub3: null,
      sub4: null,
      sub5: null,
      ip: request.ip,
      user_agent: request.userAgent,
      outcome: 'rejected',
      reason: null,
      dedupe_key: null,
    };
    const verdict = this.verdictFor(fields, row);
    row.outcome = verdict.outcome;
    return { verdict, row };
  }

  private verdictFor(fields: PostbackFields, row: MockConversion): PostbackVerdict {
    const now = new Date(row.occurred_at);
    const clickId = fields.clickId;
    if (clickId === undefined || clickId === '') return { outcome: 'rejected', problem: { kind: 'missing_click_id' } };
    if (fields.invalid) return { outcome: 'rejected', problem: { kind: 'invalid', detail: fields.invalid } };
    const decimalComma = this.behaviour.decimalComma ?? false;
    const payout = parseAmount(fields.payout, { decimalComma });
    const revenue = parseAmount(fields.revenue, { decimalComma });
    if (payout === null) return { outcome: 'rejected', problem: { kind: 'invalid', detail: `payout "${fields.payout}" is not an amount` } };
    if (revenue === null) return { outcome: 'rejected', problem: { kind: 'invalid', detail: `revenue "${fields.revenue}" is not an amount` } };
    row.payout_micros = payout ?? null;
    row.revenue_micros = revenue ?? null;
    const click = this.ledger.findClick(clickId);
    if (!click) {
      return { outcome: 'unknown_click', problem: { kind: 'unknown_click', clickId } };
    }
    Object.assign(row, {
      offer_id: click.offer_id,
      affiliate_id: click.affiliate_id,
      sub1: click.sub1,
      sub2: click.sub2,
      sub3: click.sub3,
      sub4: click.sub4,
      sub5: click.sub5,
      ip: click.ip,
      user_agent: click.user_agent,
    });
    const dedupeKey = this.behaviour.dedupeKey(fields, clickId, click);
    row.dedupe_key = dedupeKey;
    if (this.ledger.hasRecorded(dedupeKey)) {
      return { outcome: 'duplicate', problem: { kind: 'duplicate', clickId } };
    }
    row.conversion_id = generateConversionId(this.preset, this.ids, this.ledger.nextConversionSequence(), now);
    return { outcome: 'recorded', clickId, conversionId: row.conversion_id };
  }

  private async serveExport(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> {
    req.resume();
    const kind: ExportKind | undefined =
      pathname === '/export/clicks.csv' ? 'clicks' : pathname === '/export/conversions.csv' ? 'conversions' : undefined;
    if (!kind) {
      this.counters.notFound += 1;
      this.send(res, { status: 404, contentType: 'text/plain; charset=utf-8', body: 'not found: exports are /export/clicks.csv and /export/conversions.csv\n' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.send(res, { status: 405, contentType: 'text/plain; charset=utf-8', body: 'method not allowed\n' }, { Allow: 'GET, HEAD' });
      return;
    }
    this.counters.exports += 1;
    const headers = {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${this.preset}-${kind}.csv"`,
      'Cache-Control': 'no-store',
    };
    if (req.method === 'HEAD') {
      res.writeHead(200, headers);
      res.end();
      return;
    }
    await writeExport(this.ledger, kind, res, () => res.writeHead(200, headers));
    res.end();
  }

  private send(res: http.ServerResponse, answer: HttpAnswer, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const body = answer.body;
    res.writeHead(answer.status, {
      'Content-Type': answer.contentType,
      'Content-Length': Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  }

  /** Injected latency. Closing ends the waits early (their connections are gone by then). */
  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingDelays.delete(timer);
        resolve();
      }, ms);
      this.pendingDelays.set(timer, resolve);
    });
  }

  private endDelays(): void {
    for (const [timer, resolve] of this.pendingDelays) {
      clearTimeout(timer);
      resolve();
    }
    this.pendingDelays.clear();
  }

  private fail(res: http.ServerResponse, error: unknown): void {
    // A bug or a database error: answer 500 so the client sees it, and keep serving.
    if (!res.headersSent && !res.destroyed) {
      this.send(res, { status: 500, contentType: 'text/plain; charset=utf-8', body: `internal error: ${(error as Error)?.message ?? String(error)}\n` });
    } else {
      res.destroy();
    }
  }
}

/**
 * Start the embedded mock tracker. Used by `tpb serve`, `tpb demo` and the tests, in-process:
 * nothing here prints or touches the process; the `log` callback receives one entry per request.
 */
export async function startMockTracker(options: MockTrackerOptions = {}): Promise<MockTracker> {
  const tracker = new MockTrackerServer(options);
  await tracker.listen();
  return tracker;
}
