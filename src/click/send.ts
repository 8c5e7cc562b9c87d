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
  timeoutMs?: number;
}

export interface ClickHop {
  url: string;
  status?: number;
  location?: string;
  latencyMs: number;
}

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
  const outcome = (fields: Partial<ClickOutcome> & { ok: boolean }): ClickOutcome => ({
    url: request.url,
    hops,
    latencyMs,
    ...(status !== undefined ? { status } : {}),
    ...(location !== undefined ? { location } : {}),
    ...fields,
  });

  for (let hop = 0; ; hop += 1) {
    visited?.add(url);
    let response;
    try {
      response = await client.send({ url, method: 'GET', headers: request.headers, timeoutMs: options.timeoutMs });
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      latencyMs += error.latencyMs;
      hops.push({ url, latencyMs: error.latencyMs });
      return outcome({ ok: false, cause: 'network', networkCause: error.kind, detail: `${error.kind}: ${error.message}${hop > 0 ? ` (hop ${hop + 1}: ${url})` : ''}` });
    }
    latencyMs += response.latencyMs;
    status = response.status;
    captureOptions.requestUrl = url;
    const capture = captureClickId(response, captureOptions);
    if (capture.next !== undefined) location = capture.next;
    hops.push({ url, status: response.status, ...(capture.next !== undefined ? { location: capture.next } : {}), latencyMs: response.latencyMs });
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
