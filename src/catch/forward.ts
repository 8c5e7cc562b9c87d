import { HttpFailure, type HttpClient, type HttpMethod } from '../http/client.js';
import type { Redactor } from '../text/redact.js';
import type { CaughtForward } from './types.js';

/** Headers that belong to one connection, not to the request (RFC 9110 §7.6.1), plus those the client recomputes. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect']);

const FORWARDABLE_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

/** Where a received request goes: the forward URL's path, then the received path and query. */
export function forwardTarget(base: string, rawTarget: string): string {
  const trimmed = base.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const target = rawTarget.startsWith('/') ? rawTarget : `/${rawTarget}`;
  return `${trimmed}${target}`;
}

export interface ForwardedAnswer {
  record: CaughtForward;
  /** The upstream answer, to pass back to the sender when no rule or explicit answer says otherwise. */
  response?: { status: number; contentType: string | undefined; body: string };
}

/**
 * Pass a request on as received (method, target, headers other than hop-by-hop ones, body) and
 * report what came back. Never throws for HTTP or network outcomes.
 */
export async function forwardRequest(
  client: HttpClient,
  request: { base: string; method: string; rawTarget: string; headers: ReadonlyArray<readonly [string, string]>; body: string; timeoutMs: number },
  redactor: Redactor,
): Promise<ForwardedAnswer> {
  const url = forwardTarget(request.base, request.rawTarget);
  const shown = redactor.url(url);
  if (!FORWARDABLE_METHODS.has(request.method)) {
    return { record: { url: shown, status: null, body: null, error: `method ${request.method} is not forwarded`, latency_ms: 0 } };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) {
    const key = name.toLowerCase();
    if (HOP_HEADERS.has(key)) continue;
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  try {
    const response = await client.send({
      method: request.method as HttpMethod,
      url,
      headers,
      ...(request.body !== '' && request.method !== 'GET' && request.method !== 'HEAD' ? { body: request.body } : {}),
      timeoutMs: request.timeoutMs,
    });
    const excerpt = response.body.length > 2000 ? `${response.body.slice(0, 2000)}…` : response.body;
    return {
      record: { url: shown, status: response.status, body: redactor.text(excerpt), error: null, latency_ms: Math.round(response.latencyMs * 10) / 10 },
      response: { status: response.status, contentType: response.headers['content-type'], body: response.body },
    };
  } catch (error) {
    if (!(error instanceof HttpFailure)) throw error;
    return { record: { url: shown, status: null, body: null, error: `${error.kind}: ${redactor.text(error.message)}`, latency_ms: Math.round(error.latencyMs * 10) / 10 } };
  }
}
