import { UsageError } from '../errors.js';
import type { PresetName } from '../presets/catalog.js';
import { PRESETS } from '../presets/catalog.js';
import { KNOWN_CLICK_ID_PARAMS } from '../presets/click-id-params.js';
import { describeDetection, detectDialect, isBracePlaceholder, lookupMacro, tokenize, DIALECT_SYNTAXES, type MacroToken } from '../template/dialect.js';
import { findDialect, type Dialect, type MacroRole } from '../template/dialects/index.js';
import { analyzePostback, clickIdCarriers, hasErrors, isPlaceholderValue, LintFailedError, lintClickId, PARAM_ROLES, type LintFinding } from '../template/lint.js';

/**
 * `tpb fire <url> --as <platform>`: play the platform that sends the URL. Its macros are turned
 * into tpb's (`{external_id}` → the click ids, `{revenue}` → --payout, `{sub_id_2}` → --var
 * sub_id_2=…), documentation placeholders are filled by what their parameter means
 * (`cid=REPLACE` → the click id, `payout=OPTIONAL` → --payout, or dropped), and the result is an
 * ordinary tpb template, expanded and encoded once like every other.
 *
 * Encoding: tpb percent-encodes every value once (RFC 3986 unreserved characters kept). Of the
 * documented dialects, Prosper202 does the same (PHP rawurlencode); Keitaro says it encodes by
 * default without saying how; the others do not document it. tpb does not imitate an undocumented
 * or double encoding: a value reaches the receiver exactly as given.
 */

export interface SenderValues {
  payout?: string;
  revenue?: string;
  txid?: string;
  status?: string;
  event?: string;
  currency?: string;
}

export interface SenderFill {
  /** As written in the URL (`{external_id}`, `cid=REPLACE`). */
  macro: string;
  param: string | null;
  meaning: string | null;
  /** What filled it: `--click-id`, `--payout`, `--var sub_id_2`, `generated {unix}`, `dropped (optional)`. */
  filledBy: string;
  /** The value of the first postback, when it is not generated per postback. */
  value: string | null;
}

export interface PlayedSender {
  dialect: { id: string; title: string; chosen: 'sender' | 'detected'; detection: string | null } | null;
  /** The URL written in tpb's macros. */
  template: string;
  /** Values of the internal macros the translation introduced. */
  vars: Array<[string, string]>;
  fills: SenderFill[];
  /** Parameters whose documentation placeholder fire filled or dropped (lint does not stop on them). */
  filledPlaceholders: string[];
}

const ROLE_FLAG: Partial<Record<MacroRole, keyof SenderValues>> = { payout: 'payout', revenue: 'revenue', txid: 'txid', status: 'status', event: 'event', currency: 'currency' };

interface Missing {
  macro: string;
  meaning: string | null;
  give: string;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** How `tpb fire --as` fills one macro of the URL. */
export interface MacroPlan {
  token: MacroToken;
  /** What fills it: the click ids, a value flag, a generated value, a --var under the macro's own name, or nothing (sent as written: lint reports it). */
  fill: 'click_id' | keyof SenderValues | 'timestamp' | 'unix' | 'var' | 'literal';
  meaning: string | null;
}

export interface SenderPlan {
  dialect: Dialect | undefined;
  detection: string | null;
  macros: MacroPlan[];
}

/** Which dialect plays the URL (`as`: an id or 'auto') and what fills each of its macros. */
export function planSender(template: string, as: string, preset?: PresetName, clickIdParam?: string): SenderPlan {
  const url = template.trim();
  const tokens = tokenize(url);
  let dialect: Dialect | undefined;
  let detection: string | null = null;
  if (as === 'auto') {
    const detected = detectDialect(tokens);
    dialect = detected.dialect ?? undefined;
    detection = describeDetection(detected);
  } else {
    dialect = findDialect(as);
    if (!dialect) throw new UsageError(`--as ${as}: no such platform`, { hint: 'one of the dialects in tpb fire --help, or auto' });
  }
  const carriers = new Set(dialect || clickIdParam !== undefined ? clickIdCarriers(url, dialect, preset, clickIdParam).map((token) => token.index) : []);
  const macros = tokens.map((token): MacroPlan => {
    const placeholder = token.syntax === 'bracket' || isBracePlaceholder(token);
    const literalSyntax = token.syntax === 'encoded' || token.syntax === 'mustache' || token.syntax === 'dollar';
    const known = dialect && DIALECT_SYNTAXES.includes(token.syntax) ? lookupMacro(dialect, token.syntax, token.name) : undefined;
    const meaning = known ? `${dialect!.title}: ${known.meaning}` : null;
    if (carriers.has(token.index) && !token.inHost) return { token, fill: 'click_id', meaning };
    if (placeholder || literalSyntax || token.syntax === 'double-hash' || (token.inHost && !known)) return { token, fill: 'literal', meaning };
    if (known?.role === 'click_id') return { token, fill: 'click_id', meaning };
    if (known && (known.role === 'timestamp' || known.role === 'unix')) return { token, fill: known.role, meaning };
    const flag = known ? ROLE_FLAG[known.role] : undefined;
    return { token, fill: flag ?? 'var', meaning };
  });
  return { dialect, detection, macros };
}

/** Play `as` (a dialect id or 'auto') for this URL; throws a UsageError (exit 2) naming every macro left without a value. */
export function playSender(
  template: string,
  as: string,
  input: { preset?: PresetName; clickIdParam?: string; clickIds: readonly string[]; values: SenderValues; vars: ReadonlyArray<readonly [string, string]> },
): PlayedSender {
  const url = template.trim();
  const plan = planSender(url, as, input.preset, input.clickIdParam);
  const dialect = plan.dialect;
  const vars = new Map(input.vars.map(([name, value]) => [name, value]));
  const varNamed = (name: string): string | undefined => vars.get(name) ?? [...vars].find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
  const fills: SenderFill[] = [];
  const missing: Missing[] = [];
  const internal: Array<[string, string]> = [];
  const firstId = input.clickIds[0] ?? null;
  const internalName = (value: string) => {
    const name = `__tpb_as_${internal.length + 1}`;
    internal.push([name, value]);
    return `{${name}}`;
  };
  const byRole = (role: MacroRole, token: Pick<MacroToken, 'raw' | 'param'>, meaning: string | null): string | undefined => {
    if (role === 'click_id') {
      fills.push({ macro: token.raw, param: token.param, meaning, filledBy: '--click-id', value: firstId });
      return '{click_id}';
    }
    if (role === 'timestamp' || role === 'unix') {
      fills.push({ macro: token.raw, param: token.param, meaning, filledBy: `generated {${role}}`, value: null });
      return `{${role}}`;
    }
    const flag = ROLE_FLAG[role];
    if (!flag) return undefined;
    const value = input.values[flag];
    if (value === undefined) {
      missing.push({ macro: token.raw, meaning, give: `--${flag} …` });
      return token.raw;
    }
    fills.push({ macro: token.raw, param: token.param, meaning, filledBy: `--${flag}`, value });
    return `{${flag}}`;
  };

  // 1. Macros: an explicit --var under the macro's name wins; then what the plan says.
  let out = '';
  let at = 0;
  for (const { token, fill, meaning } of plan.macros) {
    out += url.slice(at, token.index);
    at = token.end;
    if (fill === 'literal') {
      // Sent as written (lint reports it); kept out of tpb's own {macro} expansion, unencoded.
      const name = `__tpb_raw_${internal.length + 1}`;
      internal.push([name, token.raw]);
      out += `{${name}}`;
      continue;
    }
    const own = varNamed(token.name);
    if (own !== undefined) {
      fills.push({ macro: token.raw, param: token.param, meaning, filledBy: `--var ${token.name}`, value: own });
      out += internalName(own);
      continue;
    }
    if (fill === 'var') {
      missing.push({ macro: token.raw, meaning, give: `--var ${token.name}=…` });
      out += token.raw;
      continue;
    }
    out += byRole(fill === 'click_id' ? 'click_id' : fill, token, meaning) ?? token.raw;
  }
  out += url.slice(at);

  // 2. Documentation placeholders, by what their parameter means: cid=REPLACE, payout=OPTIONAL, cid={}.
  const filledPlaceholders: string[] = [];
  const queryStart = out.indexOf('?');
  if (queryStart >= 0) {
    const hash = out.indexOf('#', queryStart);
    const query = out.slice(queryStart + 1, hash >= 0 ? hash : undefined);
    const receiverParam = input.preset ? PRESETS[input.preset].clickIdParam : undefined;
    const kept: string[] = [];
    for (const pair of query.split('&')) {
      const eq = pair.indexOf('=');
      const name = decode(eq < 0 ? pair : pair.slice(0, eq));
      const written = eq < 0 ? '' : pair.slice(eq + 1);
      const rawName = /^\{(__tpb_raw_\d+)\}$/.exec(written)?.[1];
      const value = rawName ? (internal.find(([key]) => key === rawName)?.[1] ?? written) : written;
      const isPlaceholder =
        isPlaceholderValue(decode(value)) || value === '{}' || /^\[[A-Za-z_][\w -]*\]$/.test(value) || (/^\{[^{}]*\}$/.test(value) && isBracePlaceholder({ syntax: 'brace', name: value.slice(1, -1) }));
      if (!isPlaceholder) {
        kept.push(pair);
        continue;
      }
      const shown = `${name}=${value}`;
      const own = varNamed(name);
      if (own !== undefined) {
        fills.push({ macro: shown, param: name, meaning: 'a documentation placeholder', filledBy: `--var ${name}`, value: own });
        kept.push(`${pair.slice(0, eq)}=${internalName(own)}`);
        filledPlaceholders.push(name);
        continue;
      }
      const role: MacroRole | undefined = name === input.clickIdParam || name === receiverParam || (KNOWN_CLICK_ID_PARAMS as readonly string[]).includes(name) ? 'click_id' : PARAM_ROLES[name.toLowerCase()];
      const optional = /^OPTIONAL$/i.test(decode(value)) || value === '{}';
      if (role !== undefined && (role === 'click_id' || input.values[ROLE_FLAG[role] ?? 'payout'] !== undefined || role === 'timestamp' || role === 'unix')) {
        const filled = byRole(role, { raw: shown, param: name }, `placeholder for ${role === 'click_id' ? 'the click id' : role}`);
        kept.push(`${pair.slice(0, eq)}=${filled}`);
        filledPlaceholders.push(name);
        continue;
      }
      if (optional) {
        fills.push({ macro: shown, param: name, meaning: 'an optional documentation placeholder', filledBy: 'dropped (optional, no value given)', value: null });
        filledPlaceholders.push(name);
        continue;
      }
      missing.push({ macro: shown, meaning: 'a documentation placeholder', give: role && ROLE_FLAG[role] ? `--${ROLE_FLAG[role]} …` : `--var ${name}=…` });
      kept.push(pair);
    }
    out = `${out.slice(0, queryStart)}?${kept.join('&')}${hash >= 0 ? out.slice(hash) : ''}`;
  }

  if (missing.length > 0) {
    const list = missing.map((item) => `${item.macro}${item.meaning ? ` (${item.meaning})` : ''}`).join(', ');
    throw new UsageError(`${missing.length === 1 ? 'a macro has' : `${missing.length} macros have`} no value: ${list}`, {
      hint: `give ${[...new Set(missing.map((item) => item.give))].join(' ')}${dialect ? `, or check --as (playing ${dialect.title})` : ''}`,
    });
  }
  return {
    dialect: dialect ? { id: dialect.id, title: dialect.title, chosen: as === 'auto' ? 'detected' : 'sender', detection: plan.detection } : null,
    template: out,
    vars: internal,
    fills,
    filledPlaceholders,
  };
}

/**
 * Lint for `fire --as`: the URL as its sender fills it and the receiver reads it, except the
 * placeholders fire itself filled. Throws LintFailedError on errors; returns the warnings.
 */
export function lintSenderRun(original: string, played: PlayedSender, options: { preset?: PresetName; method?: string; clickIds: readonly string[]; clickIdsIssuedByTracker?: boolean }): LintFinding[] {
  const analysis = analyzePostback(original, {
    sender: played.dialect && played.dialect.chosen === 'sender' ? played.dialect.id : 'auto',
    ...(options.preset ? { preset: options.preset } : {}),
    ...(options.method ? { method: options.method } : {}),
  });
  const filled = new Set(played.filledPlaceholders);
  const findings = analysis.findings
    .map((item): LintFinding => ((item.code === 'placeholder-value' || item.code === 'placeholder') && item.param !== null && filled.has(item.param) ? { ...item, severity: 'warning', message: `${item.message} (filled by tpb fire --as; the real sender would send it as written)` } : item))
    .filter((item) => !(item.code === 'click-id-format' && item.param !== null && filled.has(item.param)));
  // An id the tracker issued itself (--from-db) is its own format by definition.
  for (const id of new Set(options.clickIds)) {
    for (const item of lintClickId(id, options.preset)) {
      if (options.clickIdsIssuedByTracker && item.code === 'click-id-format') continue;
      if (!findings.some((f) => f.code === item.code)) findings.push(item);
    }
  }
  if (hasErrors(findings)) throw new LintFailedError(findings, 'the postback');
  return findings;
}
