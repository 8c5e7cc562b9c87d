import { KNOWN_CLICK_ID_PARAMS } from '../presets/click-id-params.js';
import { MoneyError, parseMoney } from '../units/money.js';

/**
 * What a caught postback says, read from its parameters (query first, then the body): the click
 * id and the conversion fields a traffic source or an affiliate's tracker receives. Names are the
 * ones real postbacks use (trackers.md): `payout`/`amount`/`sum`, `txid`/`tid`/`order_id`/
 * `action_id`, `status`/`cnv_status`, `event`/`et`/`goal`/`type`, `currency`.
 */
export const TXID_PARAMS = ['txid', 'tid', 'order_id', 'orderid', 'action_id', 'adv_sub', 'conversion_id', 'transaction'] as const;
export const PAYOUT_PARAMS = ['payout', 'amount', 'sum', 'commission', 'ap'] as const;
export const REVENUE_PARAMS = ['revenue', 'sale_amount'] as const;
export const STATUS_PARAMS = ['status', 'cnv_status', 'conversion_status', 'afstatus'] as const;
export const EVENT_PARAMS = ['event', 'et', 'goal', 'type', 'event_id', 'event_name'] as const;
export const CURRENCY_PARAMS = ['currency', 'cnv_currency', 'cur'] as const;

export interface PostbackFields {
  clickId: string | null;
  /** The parameter the click id was read from. */
  clickIdParam: string | null;
  txid: string | null;
  event: string | null;
  status: string | null;
  /** Exact micro-units; null when absent or not an amount (the raw text stays in the parameters). */
  payoutMicros: number | null;
  revenueMicros: number | null;
  currency: string | null;
}

export interface FieldOptions {
  /** Parameter names that carry the click id, tried in order; default: the known names. */
  clickIdParams?: readonly string[];
}

function firstOf(params: ReadonlyMap<string, string>, names: readonly string[], skip: string | null): [string, string] | undefined {
  for (const name of names) {
    if (name === skip) continue;
    const value = params.get(name);
    if (value !== undefined && value !== '') return [name, value];
  }
  return undefined;
}

function amount(text: string | undefined): number | null {
  if (text === undefined) return null;
  try {
    return parseMoney(text);
  } catch (error) {
    if (error instanceof MoneyError) return null;
    throw error;
  }
}

/** The first value of each name, names lower-cased: `Click_ID` and `click_id` are the same parameter. */
export function firstValues(params: ReadonlyArray<readonly [string, string]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of params) {
    const key = name.toLowerCase();
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}

/** Read the click id and conversion fields from a request's parameters. */
export function readPostbackFields(params: ReadonlyArray<readonly [string, string]>, options: FieldOptions = {}): PostbackFields {
  const values = firstValues(params);
  const idNames = (options.clickIdParams && options.clickIdParams.length > 0 ? options.clickIdParams : KNOWN_CLICK_ID_PARAMS).map((name) => name.toLowerCase());
  const id = firstOf(values, idNames, null);
  const clickIdParam = id?.[0] ?? null;
  return {
    clickId: id?.[1] ?? null,
    clickIdParam,
    txid: firstOf(values, TXID_PARAMS, clickIdParam)?.[1] ?? null,
    event: firstOf(values, EVENT_PARAMS, clickIdParam)?.[1] ?? null,
    status: firstOf(values, STATUS_PARAMS, clickIdParam)?.[1] ?? null,
    payoutMicros: amount(firstOf(values, PAYOUT_PARAMS, clickIdParam)?.[1]),
    revenueMicros: amount(firstOf(values, REVENUE_PARAMS, clickIdParam)?.[1]),
    currency: firstOf(values, CURRENCY_PARAMS, clickIdParam)?.[1] ?? null,
  };
}
