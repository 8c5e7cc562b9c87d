import { HttpClient, HttpFailure } from '../http/client.js';
import { type LatencyRange } from '../http/faults.js';
import { sendWithRetries, type RetryPolicy } from '../http/retry.js';
import type { PresetName } from '../presets/catalog.js';
import type { MockClick, MockConversion } from '../store/mock-types.js';
import { expandTemplate, findMacros } from '../template/macros.js';
import type { Redactor } from '../text/redact.js';
import { formatMicros } from '../units/micros.js';
import { UsageError } from '../errors.js';
import { sanitizeForDisplay } from '../text/sanitize.js';

/**
 * Outbound postbacks (`tpb serve --forward-postbacks <template>`): for each conversion the mock
 * tracker records, it fires a postback to the traffic source (or the affiliate's own tracker), as
 * real trackers do, with a delay, retries and its own log. The template uses tpb's macros, filled
 * from the click and the conversion.
 */
export const OUTBOUND_MACROS = [
  'click_id', 'conversion_id', 'txid', 'event', 'status', 'payout', 'revenue', 'currency', 'offer_id', 'affiliate_id',
  'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'ip', 'user_agent', 'timestamp', 'unix', 'click_timestamp', 'preset',
] as const;

/**
 * How the mock tracker delivers: trackers.md records no outbound delay or retry schedule for the
 * presets (only Kochava's "realtime–10 min, 0–10 retries"), so every preset uses tpb's choice: at
 * once, 2 retries on a network error, 429 or 5xx, exponential backoff from 500 ms.
 */
export const DEFAULT_OUTBOUND_RETRIES = 2;
export const DEFAULT_OUTBOUND_POLICY: RetryPolicy = { retries: DEFAULT_OUTBOUND_RETRIES, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 };

export interface OutboundOptions {
  template: string;
  retries?: number;
  /** Wait this long (or uniform in the range) after the conversion before the first attempt. */
  delay?: LatencyRange;
  timeoutMs?: number;
  /** Base delay of the backoff between attempts (ms); tests make it small. */
  backoffMs?: number;
}

/** One outbound postback, when it is done (delivered or given up). One NDJSON line of --forward-log. */
export interface OutboundLogEntry {
  /** When the conversion was recorded (UTC ISO, ms). */
  recorded_at: string;
  /** When the last attempt ended. */
  finished_at: string;
  click_id: string | null;
  conversion_id: string | null;
  txid: string | null;
  /** Secrets redacted. */
  url: string;
  outcome: 'delivered' | 'failed';
  /** Status of the last attempt, null when it got no answer. */
  status: number | null;
  attempts: number;
  /** Last failure (no answer) or the status that was not 2xx. */
  error: string | null;
  /** From the conversion to the end of delivery. */
  lag_ms: number;
}

export interface OutboundStats {
  queued: number;
  delivered: number;
  failed: number;
  attempts: number;
  pending: number;
}

/** Check a template before the server starts: every macro must be one the mock can fill. */
export function validateOutboundTemplate(template: string): void {
  if (!/^https?:\/\/[^/?#\s]+/i.test(template)) throw new UsageError(`--forward-postbacks ${template}: expected an http:// or https:// URL template`);
  const unknown = findMacros(template).filter((name) => !(OUTBOUND_MACROS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new UsageError(`--forward-postbacks: unknown macro${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `{${name}}`).join(', ')}`, {
      hint: `the mock tracker fills ${OUTBOUND_MACROS.map((name) => `{${name}}`).join(' ')}`,
    });
  }
}

export function outboundValues(conversion: MockConversion, click: MockClick | undefined, preset: PresetName, now: Date): Record<string, string> {
  const text = (value: string | number | null | undefined) => (value === null || value === undefined ? '' : String(value));
  return {
    click_id: text(conversion.click_id),
    conversion_id: text(conversion.conversion_id),
    txid: text(conversion.txid),
    event: text(conversion.event),
    status: text(conversion.status),
    payout: conversion.payout_micros === null ? '' : formatMicros(conversion.payout_micros),
    revenue: conversion.revenue_micros === null ? '' : formatMicros(conversion.revenue_micros),
    currency: text(conversion.currency),
    offer_id: text(conversion.offer_id),
    affiliate_id: text(conversion.affiliate_id),
    sub1: text(conversion.sub1),
    sub2: text(conversion.sub2),
    sub3: text(conversion.sub3),
    sub4: text(conversion.sub4),
    sub5: text(conversion.sub5),
    ip: text(conversion.ip),
    user_agent: text(conversion.user_agent),
    timestamp: now.toISOString(),
    unix: String(Math.floor(now.getTime() / 1000)),
    click_timestamp: text(click?.occurred_at),
    preset,
  };
}

/** Delivers outbound postbacks in the background; close() waits for the ones under way. */
export class OutboundPostbacks {
  private readonly client: HttpClient;
  private readonly policy: RetryPolicy;
  private readonly pendingWork = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly counters = { queued: 0, delivered: 0, failed: 0, attempts: 0 };
  private stopping = false;

  constructor(
    private readonly options: OutboundOptions,
    private readonly preset: PresetName,
    private readonly redactor: Redactor,
    private readonly log: ((entry: OutboundLogEntry) => void) | undefined,
    private readonly random: () => number = Math.random,
  ) {
    validateOutboundTemplate(options.template);
    this.client = new HttpClient({ connections: 16, timeoutMs: options.timeoutMs ?? 10_000, maxBodyBytes: 8 * 1024 });
    this.policy = { ...DEFAULT_OUTBOUND_POLICY, retries: options.retries ?? DEFAULT_OUTBOUND_RETRIES, baseDelayMs: options.backoffMs ?? DEFAULT_OUTBOUND_POLICY.baseDelayMs };
  }

  /** A conversion was recorded: deliver its postback (after the delay). */
  enqueue(conversion: MockConversion, click: MockClick | undefined, recordedAt: Date): void {
    if (this.stopping) return;
    this.counters.queued += 1;
    const url = expandTemplate(this.options.template, outboundValues(conversion, click, this.preset, recordedAt), { where: '--forward-postbacks' });
    const work = this.deliver(url, conversion, recordedAt).finally(() => this.pendingWork.delete(work));
    this.pendingWork.add(work);
  }

  stats(): OutboundStats {
    return { ...this.counters, pending: this.pendingWork.size };
  }

  /** Resolves when every queued postback is delivered or given up. */
  async drain(): Promise<void> {
    while (this.pendingWork.size > 0) await Promise.all([...this.pendingWork]);
  }

  /** Wait for deliveries under way up to `graceMs`, then give up the rest and close the client. */
  async close(graceMs: number): Promise<void> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    if (timer) clearTimeout(timer);
    for (const t of this.timers) clearTimeout(t);
    await this.client.close().catch(() => {});
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async deliver(url: string, conversion: MockConversion, recordedAt: Date): Promise<void> {
    const delay = this.options.delay;
    if (delay && delay.maxMs > 0) await this.wait(delay.minMs + Math.round((delay.maxMs - delay.minMs) * this.random()));
    let status: number | null = null;
    let error: string | null = null;
    let attempts = 0;
    try {
      const exchange = await sendWithRetries(this.client, { url }, this.policy, { sleep: (ms) => this.wait(ms), random: this.random });
      attempts = exchange.attempts.length;
      status = exchange.response?.status ?? null;
      if (exchange.failure) error = `${exchange.failure.kind}: ${exchange.failure.message}`;
      else if (status !== null && (status < 200 || status > 299)) error = `HTTP ${status}`;
    } catch (failure) {
      if (!(failure instanceof HttpFailure)) throw failure;
      attempts = Math.max(1, attempts);
      error = `${failure.kind}: ${failure.message}`;
    }
    this.counters.attempts += attempts;
    const delivered = error === null;
    if (delivered) this.counters.delivered += 1;
    else this.counters.failed += 1;
    const finished = new Date();
    this.log?.({
      recorded_at: recordedAt.toISOString(),
      finished_at: finished.toISOString(),
      click_id: conversion.click_id === null ? null : this.redactor.text(conversion.click_id),
      conversion_id: conversion.conversion_id,
      txid: conversion.txid,
      url: this.redactor.url(url),
      outcome: delivered ? 'delivered' : 'failed',
      status,
      attempts,
      error: error === null ? null : this.redactor.text(error),
      lag_ms: finished.getTime() - recordedAt.getTime(),
    });
  }
}

/** `12:00:01.123 ⇢ GET http://…/pb?clickid=… → 200 delivered (1 attempt, 12 ms after the conversion)`, safe for a terminal. */
export function formatOutboundLine(entry: OutboundLogEntry): string {
  const time = entry.finished_at.slice(11, 23);
  const answer = entry.status === null ? 'no answer' : String(entry.status);
  const line = `${time} ⇢ postback out ${entry.url} → ${answer} ${entry.outcome} (${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}, ${entry.lag_ms} ms after the conversion)${entry.error && entry.outcome === 'failed' ? `: ${entry.error}` : ''}`;
  return sanitizeForDisplay(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
}
