import path from 'node:path';
import { loadRules, startCatcher, type Catcher, type CatchAnswer, type CaughtRequest } from '../catch/index.js';
import { parseLatency } from '../http/faults.js';
import type { Store } from '../store/db.js';
import type { Redactor } from '../text/redact.js';
import { MoneyError, parseMoney } from '../units/money.js';
import type { CatchSection, ExpectPostbackStep } from './catch-scenario.js';
import { interpolate, type InterpolationScope } from './interpolate.js';

/** Parameters whose values are amounts: "2.5" and "2.50" are the same payout. */
const AMOUNT_PARAMS = new Set(['payout', 'amount', 'sum', 'revenue', 'sale_amount', 'commission', 'ap']);

/** Start the scenario's receiver (`catch:`); its URL becomes `{catch_url}`. */
export async function startScenarioCatcher(section: CatchSection, scenarioFile: string, store: Store, redactor: Redactor, scope: InterpolationScope): Promise<Catcher> {
  const text = (value: string) => interpolate(value, scope, 'text');
  const answer: Partial<CatchAnswer> = {};
  if (section.status !== undefined) answer.status = section.status;
  if (section.body !== undefined) answer.body = text(section.body);
  if (section.contentType !== undefined) answer.contentType = section.contentType;
  if (section.delay !== undefined) answer.delay = parseLatency(section.delay);
  return startCatcher({
    host: section.host ?? '127.0.0.1',
    port: section.port ?? 0,
    answer,
    answerExplicit: section.status !== undefined || section.body !== undefined,
    rules: section.rules === undefined ? [] : loadRules(path.resolve(path.dirname(scenarioFile), text(section.rules))),
    ...(section.failRate === undefined ? {} : { failRate: section.failRate }),
    ...(section.resetRate === undefined ? {} : { resetRate: section.resetRate }),
    ...(section.seed === undefined ? {} : { seed: section.seed }),
    ...(section.forward === undefined ? {} : { forward: text(section.forward) }),
    ...(section.clickIdParams.length > 0 ? { clickIdParams: section.clickIdParams } : {}),
    redactor,
    store,
    runOptions: { scenario: scenarioFile },
  });
}

function regexOf(text: string): RegExp | undefined {
  const match = /^\/(.*)\/([a-z]*)$/s.exec(text);
  return match ? new RegExp(match[1]!, match[2]!.replace(/[gy]/g, '')) : undefined;
}

function amount(text: string): number | null | undefined {
  try {
    return parseMoney(text);
  } catch (error) {
    if (error instanceof MoneyError) return undefined;
    throw error;
  }
}

/** Whether a parameter's value is what was expected: exact, "*" present, "" absent or empty, /regex/, amounts as money. */
export function valueHolds(name: string, expected: string, actual: string | undefined): boolean {
  if (expected === '*') return actual !== undefined;
  if (expected === '') return actual === undefined || actual === '';
  if (actual === undefined) return false;
  const regex = regexOf(expected);
  if (regex) return regex.test(actual);
  if (actual === expected) return true;
  if (AMOUNT_PARAMS.has(name.toLowerCase())) {
    const a = amount(actual);
    const b = amount(expected);
    return a !== undefined && a !== null && a === b;
  }
  return false;
}

function paramValue(request: CaughtRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  return request.params.find(([key]) => key.toLowerCase() === lower)?.[1];
}

function pathHolds(expected: string, actual: string): boolean {
  const regex = regexOf(expected) ?? (expected.includes('*') ? new RegExp(`^${expected.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`) : undefined);
  return regex ? regex.test(actual) : actual === expected;
}

export interface ExpectPostbackOutcome {
  status: 'passed' | 'failed';
  reason: string;
  expected: string;
  actual?: string;
  details: string[];
}

const describeRequest = (r: CaughtRequest) => `#${r.seq} ${r.method} ${r.path}${r.query_raw ? `?${r.query_raw}` : ''} → ${r.answer.status ?? 'dropped'}`;

/**
 * Wait up to `within` for a postback that matches (click id, method, path, `match:`) and holds
 * every `params:` expectation. Each request satisfies one step only (`used`), so a repeated step
 * (data rows, retries expected twice) needs a request of its own.
 */
export async function expectPostback(catcher: Catcher, step: ExpectPostbackStep, scope: InterpolationScope, used: Set<number>): Promise<ExpectPostbackOutcome> {
  const text = (value: string) => interpolate(value, scope, 'text');
  const clickId = step.clickId !== undefined ? text(step.clickId) : scope.values.click_id;
  const match = Object.entries(step.match).map(([name, value]) => [name, text(value)] as const);
  const params = Object.entries(step.params).map(([name, value]) => [name, text(value)] as const);
  const selects = (r: CaughtRequest) =>
    !used.has(r.seq) &&
    (clickId === undefined || r.fields.clickId === clickId) &&
    (step.method === undefined || r.method === step.method) &&
    (step.path === undefined || pathHolds(step.path, r.path)) &&
    match.every(([name, value]) => valueHolds(name, value, paramValue(r, name)));
  const holds = (r: CaughtRequest) => params.every(([name, value]) => valueHolds(name, value, paramValue(r, name)));
  const selector = [clickId !== undefined ? `click id ${clickId}` : '', step.method ?? '', step.path !== undefined ? `at ${step.path}` : '', ...match.map(([n, v]) => `${n}=${v}`)].filter(Boolean).join(' ') || 'any request';
  const expected = `a postback with ${selector} within ${step.withinMs} ms${params.length ? `, with ${params.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(', ')}` : ''}`;
  const started = performance.now();
  const found = await catcher.waitFor((r) => selects(r) && holds(r), step.withinMs);
  const waited = Math.round(performance.now() - started);
  if (found) {
    used.add(found.seq);
    return { status: 'passed', reason: `arrived: ${describeRequest(found)} (${waited} ms)`, expected, details: [describeRequest(found)] };
  }
  const all = catcher.requests();
  const nearMisses = all.filter(selects);
  if (nearMisses.length > 0) {
    const last = nearMisses[nearMisses.length - 1]!;
    const wrong = params.filter(([name, value]) => !valueHolds(name, value, paramValue(last, name))).map(([name, value]) => {
      const actual = paramValue(last, name);
      return `${name} was ${actual === undefined ? 'absent' : JSON.stringify(actual)}, expected ${JSON.stringify(value)}`;
    });
    return {
      status: 'failed',
      reason: `the postback for ${selector} arrived but ${wrong.join('; ')}`,
      expected,
      actual: describeRequest(last),
      details: nearMisses.slice(-5).map(describeRequest),
    };
  }
  const others = all.filter((r) => !used.has(r.seq)).slice(-5);
  return {
    status: 'failed',
    reason: `no postback with ${selector} arrived at ${catcher.url} within ${step.withinMs} ms (${all.length} request${all.length === 1 ? '' : 's'} caught${all.length > 0 ? ', none matching' : ''}${used.size > 0 ? `; ${used.size} already matched by earlier steps` : ''})`,
    expected,
    actual: others.length ? `other requests: ${others.map(describeRequest).join('; ')}` : 'nothing arrived',
    details: others.map(describeRequest),
  };
}
