/**
 * Finding the click id a tracker generated in its answer to a click: in the `Location` of a
 * redirect (absolute or relative to the request URL), in an HTML meta refresh (any case, any
 * quoting, attributes in any order), or in a JSON body (Everflow's `/clk`). Pure functions: the
 * network is sendClick's business.
 */

import { KNOWN_CLICK_ID_PARAMS } from '../presets/click-id-params.js';
import { queryParams, type QueryParam } from '../template/query.js';

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

export interface CaptureOptions {
  /** The URL that was requested: relative locations resolve against it. */
  requestUrl: string;
  /** Parameter names to look for, in order (default KNOWN_CLICK_ID_PARAMS). Case-insensitive. */
  params?: readonly string[];
  /** Dotted path of the click id in a JSON body (`transaction_id`, `data.click.id`). */
  jsonPath?: string;
}

export interface CaptureInput {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
}

export type CaptureSource = 'location' | 'meta_refresh' | 'json';

export type ClickFailureCause =
  | 'no_redirect'
  | 'no_param'
  | 'status'
  | 'bad_location'
  | 'redirect_loop'
  | 'too_many_redirects'
  | 'network';

export type Capture =
  | { ok: true; clickId: string; param: string; from: CaptureSource; next?: string }
  | { ok: false; cause: ClickFailureCause; detail: string; next?: string; paramsSeen?: string[] };

/** Resolve a Location (or meta refresh target) against the URL that was requested. */
export function resolveLocation(location: string, requestUrl: string): string | undefined {
  // Fast paths for the common shapes (absolute, or absolute path without dot segments); the URL
  // parser for the rest. This runs once per click.
  // A plain host (name or IPv4, optional port): anything else (IPv6, odd characters) is checked by the parser.
  if (/^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?(?:[/?#][^\s]*)?$/i.test(location)) return location;
  if (location.startsWith('/') && !location.startsWith('//') && !/\/\.\.?(\/|$|\?)|[\s\\]/.test(location)) {
    const origin = /^https?:\/\/[^/?#]*/i.exec(requestUrl)?.[0];
    if (origin) return origin + location;
  }
  try {
    return new URL(location.trim(), requestUrl).href;
  } catch {
    return undefined;
  }
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>', '#39': "'", '#x27': "'", '#34': '"', '#x2f': '/', '#47': '/' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (whole, name: string) => HTML_ENTITIES[name.toLowerCase()] ?? whole);
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i').exec(tag);
  if (!match) return undefined;
  return decodeEntities(match[1] ?? match[2] ?? match[3] ?? '');
}

/**
 * The target of `<meta http-equiv="refresh" content="0;url=…">`: any case, single, double or no
 * quotes, attributes in any order, `url=` optional, the URL itself optionally quoted.
 */
export function metaRefreshTarget(html: string): string | undefined {
  for (const match of html.matchAll(/<meta\b[^>]*>/gi)) {
    const tag = match[0];
    if ((attribute(tag, 'http-equiv') ?? '').trim().toLowerCase() !== 'refresh') continue;
    const content = attribute(tag, 'content');
    if (content === undefined) continue;
    const target = /^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?(['"]?)(.*?)\1\s*$/is.exec(content)?.[2]?.trim();
    if (target) return target;
  }
  return undefined;
}

/** The value at a dotted path of a parsed JSON document, as text; undefined when absent or not a scalar. */
export function jsonValueAt(document: unknown, path: string): string | undefined {
  let current: unknown = document;
  for (const key of path.split('.').filter(Boolean)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Array.isArray(current) && /^\d+$/.test(key) ? current[Number(key)] : (current as Record<string, unknown>)[key];
  }
  if (typeof current === 'string') return current;
  if (typeof current === 'number' || typeof current === 'bigint') return String(current);
  return undefined;
}

const priorities = new WeakMap<readonly string[], Map<string, number>>();

function decoded(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * findParam(queryParams(url), names) in one pass that decodes only the parameter it returns: the
 * first parameter (case-insensitive) of the earliest name in `names` that has a value. Runs per click.
 */
function findParamInUrl(url: string, names: readonly string[]): QueryParam | undefined {
  let priority = priorities.get(names);
  if (priority === undefined) {
    priority = new Map();
    for (let i = names.length - 1; i >= 0; i -= 1) priority.set(names[i]!.toLowerCase(), i);
    priorities.set(names, priority);
  }
  const hash = url.indexOf('#');
  const end = hash >= 0 ? hash : url.length;
  const queryStart = url.indexOf('?');
  if (queryStart < 0 || queryStart > end) return undefined;
  let best = Infinity;
  let bestName = '';
  let bestValue = '';
  let start = queryStart + 1;
  while (start <= end) {
    let stop = url.indexOf('&', start);
    if (stop < 0 || stop > end) stop = end;
    const eq = url.indexOf('=', start);
    if (eq >= 0 && eq < stop - 1) {
      const name = decoded(url.slice(start, eq));
      const rank = priority.get(name.toLowerCase());
      if (rank !== undefined && rank < best) {
        best = rank;
        bestName = name;
        bestValue = url.slice(eq + 1, stop);
      }
    }
    start = stop + 1;
  }
  return best === Infinity ? undefined : { name: bestName, value: decoded(bestValue) };
}

function fromUrl(target: string, names: readonly string[], from: CaptureSource): Capture {
  const hit = findParamInUrl(target, names);
  if (hit) return { ok: true, clickId: hit.value, param: hit.name, from, next: target };
  const params = queryParams(target);
  const seen = [...new Set(params.map((param) => param.name))];
  return {
    ok: false,
    cause: 'no_param',
    detail: seen.length > 0 ? `${from === 'location' ? 'Location' : 'meta refresh'} has no ${names.length === 1 ? names[0] : 'click-id'} parameter (it has: ${seen.join(', ')})` : `${from === 'location' ? 'Location' : 'meta refresh'} has no query string`,
    next: target,
    paramsSeen: seen,
  };
}

function isJson(headers: Readonly<Record<string, string>>, body: string): boolean {
  return /[/+]json\b/i.test(headers['content-type'] ?? '') || /^\s*[{[]/.test(body);
}

/** Look for the click id in one answer. `next` is where the answer points to (for --follow). */
export function captureClickId(response: CaptureInput, options: CaptureOptions): Capture {
  const names = options.params && options.params.length > 0 ? options.params : KNOWN_CLICK_ID_PARAMS;

  if (REDIRECT_STATUSES.has(response.status)) {
    const location = response.headers.location;
    if (location === undefined || location.trim() === '') return { ok: false, cause: 'bad_location', detail: `HTTP ${response.status} without a Location header` };
    const target = resolveLocation(location, options.requestUrl);
    if (target === undefined) return { ok: false, cause: 'bad_location', detail: `HTTP ${response.status} with an unreadable Location: ${location.slice(0, 200)}` };
    return fromUrl(target, names, 'location');
  }

  if (response.status >= 200 && response.status <= 299) {
    if (options.jsonPath !== undefined || isJson(response.headers, response.body)) {
      let document: unknown;
      let parsed = true;
      try {
        document = JSON.parse(response.body);
      } catch {
        parsed = false;
      }
      if (parsed) {
        const paths = options.jsonPath !== undefined ? [options.jsonPath] : names;
        for (const path of paths) {
          const value = jsonValueAt(document, path);
          if (value !== undefined && value !== '') return { ok: true, clickId: value, param: path, from: 'json' };
        }
        const keys = document !== null && typeof document === 'object' && !Array.isArray(document) ? Object.keys(document) : [];
        return {
          ok: false,
          cause: 'no_param',
          detail: `JSON body has no ${options.jsonPath ?? 'click-id field'}${keys.length > 0 ? ` (it has: ${keys.slice(0, 20).join(', ')})` : ''}`,
          paramsSeen: keys,
        };
      }
      if (options.jsonPath !== undefined) return { ok: false, cause: 'no_param', detail: `HTTP ${response.status}: the body is not JSON, so --click-id-json ${options.jsonPath} cannot be read` };
    }
    const refresh = metaRefreshTarget(response.body);
    if (refresh !== undefined) {
      const target = resolveLocation(refresh, options.requestUrl);
      if (target === undefined) return { ok: false, cause: 'bad_location', detail: `meta refresh to an unreadable URL: ${refresh.slice(0, 200)}` };
      return fromUrl(target, names, 'meta_refresh');
    }
    return { ok: false, cause: 'no_redirect', detail: `HTTP ${response.status} with no redirect, meta refresh or JSON click id` };
  }

  return { ok: false, cause: 'status', detail: `HTTP ${response.status}` };
}
