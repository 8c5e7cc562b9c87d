import { HttpFailure, type HttpClient, type HttpFailureCause } from '../http/client.js';
import { captureClickId, type CaptureOptions, type CaptureSource, type ClickFailureCause } from './capture.js';

export interface ClickRequest {
  /** Absolute URL, already expanded and encoded. */
  url: string;
  headers?: Readonly<Record<string, string>>;
}

export interface ClickSendOptions extends Omit<CaptureOptions, 'requestUrl'> {
  /** Redirect hops to follow after the first answer (0: capture from the first answer only). */
  follow?: number;
  /** The whole click (every hop), in ms; default: the client's timeout. */
  timeoutMs?: number;
  /** Keep each hop's content type, body start and failure (for -v); off for speed otherwise. */
  trace?: boolean;
}

export interface ClickHop {
  url: string;
  status?: number;
  location?: string;
  latencyMs: number;
  /** With `trace`: the answer's content type and the start of its body. */
  contentType?: string;
  body?: string;
  bodyTruncated?: boolean;
  /** With `trace`, for a hop that got no answer: why. */
  failure?: string;
}

/** Characters of an answer's body a traced hop keeps (for -v). */
export const TRACE_BODY_CHARS = 500;

export interface ClickOutcome {
  ok: boolean;
  /** The URL of the first request. */
  url: string;
  clickId?: string;
  /** The parameter or JSON path it came from. */
  param?: string;
  from?: CaptureSource;
  /** Status of the last answer received. */
  status?: number;
  /** Location (or meta refresh target) of the last answer that had one. */
  location?: string;
  hops: ClickHop[];
  /** Total time of every hop. */
  latencyMs: number;
  cause?: ClickFailureCause;
  detail?: string;
  /** For cause 'network': what went wrong (timeout, refused, reset…). */
  networkCause?: HttpFailureCause;
}

/**
 * One click: request the tracking link without following redirects and capture the click id from
 * the answer; with `follow`, keep requesting the next hop (bounded, loops detected) until an answer
 * yields an id. Never throws for network or HTTP outcomes: they are the outcome's cause.
 */
export async function sendClick(client: HttpClient, request: ClickRequest, options: ClickSendOptions = {}): Promise<ClickOutcome> {
  const follow = options.follow ?? 0;
  const hops: ClickHop[] = [];
  // Only a followed chain can loop.
  const visited = follow > 0 ? new Set<string>() : undefined;
  let url = request.url;
  let latencyMs = 0;
  let location: string | undefined;
  let status: number | undefined;
  // One options object for every hop (this runs per click; spreads per hop add up).
  const captureOptions: CaptureOptions = { requestUrl: url, params: options.params, jsonPath: options.jsonPath };
  // Built field by field (this runs per click): optional fields absent, not undefined.
  const outcome = (fields: Partial<ClickOutcome> & { ok: boolean }): ClickOutcome => {
    const result: ClickOutcome = { ok: fields.ok, url: request.url, hops, latencyMs };
    if (status !== undefined) result.status = status;
    if (location !== undefined) result.location = location;
    for (const key in fields) (result as unknown as Record<string, unknown>)[key] = (fields as Record<string, unknown>)[key];
    return result;
  };

  // --timeout bounds the whole click: later hops get what is left of it.
  const deadline = performance.now() + (options.timeoutMs ?? client.timeoutMs);
  for (let hop = 0; ; hop += 1) {
    visited?.add(url);
    let response;
    try {
      const left = Math.round(deadline - performance.now());
      if (left <= 0) throw new HttpFailure('timeout', `no click id within ${options.timeoutMs ?? client.timeoutMs} ms`, 0);
      response = await client.send({ url, method: 'GET', headers: request.headers, timeoutMs: left });
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      latencyMs += error.latencyMs;
      hops.push({ url, latencyMs: error.latencyMs, ...(options.trace ? { failure: `${error.kind}: ${error.message}` } : {}) });
      return outcome({ ok: false, cause: 'network', networkCause: error.kind, detail: `${error.kind}: ${error.message}${hop > 0 ? ` (hop ${hop + 1}: ${url})` : ''}` });
    }
    latencyMs += response.latencyMs;
    status = response.status;
    captureOptions.requestUrl = url;
    const capture = captureClickId(response, captureOptions);
    if (capture.next !== undefined) location = capture.next;
    const hopRecord: ClickHop = { url, status: response.status, latencyMs: response.latencyMs };
    if (capture.next !== undefined) hopRecord.location = capture.next;
    if (options.trace) {
      if (response.headers['content-type'] !== undefined) hopRecord.contentType = response.headers['content-type'];
      hopRecord.body = response.body.slice(0, TRACE_BODY_CHARS);
      hopRecord.bodyTruncated = response.truncated || response.body.length > TRACE_BODY_CHARS;
    }
    hops.push(hopRecord);
    if (capture.ok) return outcome({ ok: true, clickId: capture.clickId, param: capture.param, from: capture.from });

    const next = capture.next;
    if (next === undefined || follow === 0) {
      return outcome({ ok: false, cause: capture.cause, detail: capture.detail });
    }
    if (visited?.has(next)) {
      return outcome({ ok: false, cause: 'redirect_loop', detail: `redirect loop: hop ${hop + 1} points back to ${next}` });
    }
    if (hop >= follow) {
      return outcome({ ok: false, cause: 'too_many_redirects', detail: `no click id in ${hop + 1} answers (--follow ${follow}); last: ${capture.detail}` });
    }
    if (!/^https?:/i.test(next)) {
      return outcome({ ok: false, cause: capture.cause, detail: `${capture.detail}; the next hop is not http(s): ${next.slice(0, 100)}` });
    }
    url = next;
  }
}
