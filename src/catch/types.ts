import type { PostbackFields } from './fields.js';

/**
 * One request tpb catch received, secrets redacted: the NDJSON line of --log, an element of
 * --json, and (minus `params`/`fields`, which are derived) a row of caught_requests.
 */
export interface CaughtRequest {
  /** 1-based order of arrival. */
  seq: number;
  /** Database id, when stored. */
  id?: number;
  /** Arrival, UTC ISO 8601 with milliseconds. */
  received_at: string;
  method: string;
  /** Decoded path. */
  path: string;
  /** The query as received (no leading ?), or null without one. */
  query_raw: string | null;
  /** Query parameters in order, repeats kept. */
  query: Array<[string, string]>;
  /** Headers in the order and spelling received. */
  headers: Array<[string, string]>;
  /** At most --max-body bytes of the body, as UTF-8. */
  body: string;
  body_bytes: number;
  body_truncated: boolean;
  remote_addr: string | null;
  /** Query, then body parameters (form or flat JSON). */
  params: Array<[string, string]>;
  fields: PostbackFields;
  answer: {
    /** What tpb catch answered; null when it dropped the connection. */
    status: number | null;
    fault: 'fail' | 'reset' | null;
    /** The rule that answered. */
    rule: string | null;
    /** From arrival to the last byte of the answer (or the drop), forwarding and delay included. */
    latency_ms: number;
  };
  forward: CaughtForward | null;
}

export interface CaughtForward {
  url: string;
  status: number | null;
  /** The start of the answer's body, redacted. */
  body: string | null;
  error: string | null;
  latency_ms: number;
}

export interface CatchStats {
  requests: number;
  /** Requests whose click id was recognised (stored as tpb:catch conversions). */
  with_click_id: number;
  by_status: Record<string, number>;
  faults: { failed: number; reset: number };
  /** Requests answered by each rule, by rule name. */
  rules: Record<string, number>;
  forwarded: { ok: number; failed: number };
  /** Requests kept in memory were fewer than received (the oldest forgotten). */
  forgotten: number;
}
