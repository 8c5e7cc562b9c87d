import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runClicks } from '../click/run.js';
import { firePostbacks, fireTemplate, type FireOutcome } from '../fire/run.js';
import { parseStatusExpectation, type Expectations } from '../fire/verdict.js';
import type { RepeatExpectation } from '../fire/duplicates.js';
import { DEFAULT_RETRY_POLICY } from '../http/retry.js';
import { HttpClient } from '../http/client.js';
import { ingestFile } from '../ingest/ingest.js';
import { reconcile } from '../reconcile/reconcile.js';
import { evaluateThresholds, parseFailOn } from '../reconcile/thresholds.js';
import { parseDurationMs } from '../units/duration.js';
import { InputError, UsageError, TpbError } from '../errors.js';
import type { Store } from '../store/db.js';
import { Redactor } from '../text/redact.js';
import { envAsMacros, interpolate, resolveEnvironment, type InterpolationScope } from './interpolate.js';
import type { ClickStep, FireStep, IngestStep, LoadSpec, ReconcileStep, Scenario, Step, WaitStep } from './scenario.js';
import type { Catcher } from '../catch/index.js';
import type { LoadThresholdResult, LoadThresholds } from '../stats/thresholds.js';

/** The run options of a step's load keys (none: the step sends once, as before). */
function loadOptions(load: LoadSpec) {
  const thresholds: LoadThresholds = {
    ...(load.maxP95 !== undefined ? { maxP95: load.maxP95 } : {}),
    ...(load.maxP99 !== undefined ? { maxP99: load.maxP99 } : {}),
    ...(load.maxErrorRate !== undefined ? { maxErrorRate: load.maxErrorRate } : {}),
    ...(load.minRate !== undefined ? { minRate: load.minRate } : {}),
  };
  return {
    ...(load.durationMs !== undefined ? { durationMs: load.durationMs } : {}),
    ...(load.warmupMs !== undefined ? { warmupMs: load.warmupMs } : {}),
    ...(load.rate !== undefined ? { ratePerSecond: load.rate } : {}),
    thresholds,
  };
}

/** "p99 12.3 ms, 950/s" for a step's line, and the broken thresholds' reasons. */
function loadLine(summary: { latencyMs: { p95: number; p99: number }; load: { rate: number }; thresholds: LoadThresholdResult | null }): string {
  const held = summary.thresholds ? `; ${summary.thresholds.verdicts.filter((v) => !v.failed).length}/${summary.thresholds.verdicts.length} thresholds held` : '';
  return `p95 ${summary.latencyMs.p95} ms, p99 ${summary.latencyMs.p99} ms, ${summary.load.rate}/s${held}`;
}

export type StepStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface StepResult {
  /** Index of the step in the scenario. */
  index: number;
  name: string;
  kind: Step['action']['kind'];
  status: StepStatus;
  /** One line: why it failed, errored or was skipped; what it did when it passed. */
  reason: string;
  expected?: string;
  actual?: string;
  duration_ms: number;
  /** Redacted details for the JUnit system-out (requests sent, answers). */
  details: string[];
  /** Values this step captured ({click_id}…). */
  captured?: Record<string, string>;
  /** For status error: the tracker could not be reached, or the scenario itself is wrong. */
  errorType?: 'network' | 'scenario';
}

export interface ScenarioRun {
  /** 1-based data row number, or null without --data. */
  row: number | null;
  label: string;
  steps: StepResult[];
  duration_ms: number;
  /**
   * What this run stored: the ids of its click and fire runs and of the imports its ingest steps
   * loaded — what its reconcile steps look at (unless `scope: database`).
   */
  stored: { runs: number[]; imports: number[] };
}

export interface CheckSummary {
  runs: number;
  steps: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  duration_ms: number;
}

export interface CheckResult {
  version: 1;
  scenario: string;
  file: string;
  runs: ScenarioRun[];
  summary: CheckSummary;
  /** A mistake in the scenario found while running (a bad value in a data row…): exit 2. */
  error: { message: string; hint: string | null } | null;
}

export interface DataRow {
  /** 1-based row number among the data rows. */
  row: number;
  values: Record<string, string>;
}

export interface CheckOptions {
  scenario: Scenario;
  /** --var overrides (win over the scenario's vars and data rows). */
  vars?: Readonly<Record<string, string>>;
  /** One run per row; absent = one run. */
  data?: readonly DataRow[];
  env: Readonly<Record<string, string | undefined>>;
  store: Store;
  /** Redactor for everything reported; env values used by the scenario are added to it. */
  redactor?: Redactor;
  /** Called as each step finishes (the CLI prints a line). */
  onStep?: (run: ScenarioRun, step: StepResult) => void;
  onRunStart?: (run: ScenarioRun) => void;
  now?: () => Date;
  /** SIGINT/SIGTERM: stop sending, skip the steps left, and return what ran. */
  signal?: AbortSignal;
}

const FIRE_VALUE_MACROS = new Set(['payout', 'revenue', 'txid', 'status', 'event', 'currency']);


/**
 * Query parameters, form fields, JSON keys and headers whose value comes from the environment are
 * secrets by name too, so their value is redacted at any length wherever that name appears (the
 * values themselves are secrets wherever they appear: resolveEnvironment).
 */
export function secretNamesOf(url: string | undefined, headers: ReadonlyArray<readonly [string, string]>, data?: string): string[] {
  const names: string[] = [];
  const pairs = (query: string) => {
    for (const pair of query.split('&')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(eq + 1).includes('${')) names.push(pair.slice(0, eq).trim());
    }
  };
  pairs(url?.split('?')[1]?.split('#')[0] ?? '');
  for (const [name, value] of headers) if (value.includes('${')) names.push(name);
  if (data !== undefined) {
    if (/^\s*[[{]/.test(data)) {
      for (const match of data.matchAll(/"([^"\\]+)"\s*:\s*"[^"]*\$\{/g)) names.push(match[1]!);
    } else pairs(data);
  }
  return names;
}

function describeExpectation(step: FireStep, preset: string | undefined): string {
  const parts: string[] = [];
  if (step.expect.status) parts.push(`status ${step.expect.status.join(' or ')}`);
  if (step.expect.body !== undefined) parts.push(`body matching /${step.expect.body}/`);
  if (parts.length === 0) parts.push(preset && step.expect.preset !== false ? `${preset}'s success answer` : 'a 2xx answer');
  return parts.join(', ');
}

/** The duplicate test's copies of a passed step: "; 1 duplicate copy refused (HTTP 409 …)", with a caveat the answer carries. */
function describeCopies(outcomes: readonly FireOutcome[]): string {
  const copies = outcomes.filter((outcome) => outcome.copy > 1);
  if (copies.length === 0) return '';
  const first = copies[0]!;
  const how = first.duplicate === 'refused' ? 'refused' : first.duplicate === 'accepted' ? 'accepted' : first.duplicate === 'unclear' ? 'answered like a success' : 'answered';
  const caveat = copies.find((outcome) => outcome.verdict.caveat)?.verdict.caveat;
  return `; ${copies.length} duplicate cop${copies.length === 1 ? 'y' : 'ies'} ${how} (${describeAnswer(first)})${first.duplicate === 'unclear' && caveat ? `: ${caveat}` : ''}`;
}

function describeRepeatExpectation(expect: RepeatExpectation, preset: string | undefined): string {
  if (expect === 'accepted') return `the duplicate counted again (${preset ? `${preset}'s success answer` : 'a 2xx answer'})`;
  if (expect === 'any') return 'any answer to the duplicate';
  return `the duplicate refused (HTTP 409, ${preset ? `${preset}'s duplicate answer, a refusal by its success rule` : 'a refusal'}, or an answer saying duplicate)`;
}

function describeAnswer(outcome: FireOutcome): string {
  if (outcome.httpStatus === undefined) return outcome.verdict.reason;
  const body = (outcome.bodyExcerpt ?? '').replace(/\s+/g, ' ').trim();
  return `HTTP ${outcome.httpStatus}${body ? ` ${JSON.stringify(body.length > 200 ? `${body.slice(0, 200)}…` : body)}` : ''}`;
}

class ScenarioRunner {
  private readonly redactor: Redactor;
  private readonly client = new HttpClient({ connections: 8 });
  private env = new Map<string, string>();
  private scenarioError: { message: string; hint: string | null } | undefined;
  /** The scenario's receiver (`catch:`), and the requests expect_postback steps have used. */
  private catcher: Catcher | undefined;
  private readonly usedPostbacks = new Set<number>();
  /** The data row being run: what it has stored so far (its reconcile steps' scope). */
  private current: ScenarioRun | undefined;

  constructor(private readonly options: CheckOptions) {
    this.redactor = options.redactor ?? new Redactor();
  }

  async run(): Promise<CheckResult> {
    const { scenario } = this.options;
    this.env = resolveEnvironment(scenario, this.options.env, this.redactor);
    const started = performance.now();
    const rows: Array<DataRow | null> = this.options.data && this.options.data.length > 0 ? [...this.options.data] : [null];
    const runs: ScenarioRun[] = [];
    try {
      // Loaded only for scenarios that catch postbacks.
      if (scenario.catch) this.catcher = await (await import('./catch-step.js')).startScenarioCatcher(scenario.catch, scenario.file, this.options.store, this.redactor, { env: this.env, values: { ...scenario.vars, ...(this.options.vars ?? {}) } });
      for (const row of rows) {
        runs.push(await this.runOnce(row));
        if (this.scenarioError) break;
      }
    } finally {
      await this.client.close();
      await this.catcher?.close();
    }
    const all = runs.flatMap((run) => run.steps);
    const count = (status: StepStatus) => all.filter((step) => step.status === status).length;
    return {
      version: 1,
      scenario: scenario.name,
      file: scenario.file,
      runs,
      summary: {
        runs: runs.length,
        steps: all.length,
        passed: count('passed'),
        failed: count('failed'),
        errors: count('error'),
        skipped: count('skipped'),
        duration_ms: Math.round(performance.now() - started),
      },
      error: this.scenarioError ?? null,
    };
  }

  private async runOnce(row: DataRow | null): Promise<ScenarioRun> {
    const { scenario } = this.options;
    const run: ScenarioRun = { row: row?.row ?? null, label: row ? `row ${row.row}` : 'run', steps: [], duration_ms: 0, stored: { runs: [], imports: [] } };
    this.current = run;
    this.options.onRunStart?.(run);
    const started = performance.now();
    const interpolateVars = (values: Record<string, string>) =>
      Object.fromEntries(Object.entries(values).map(([key, value]) => [key, interpolate(value, { env: this.env, values: {} }, 'text')]));
    const values: Record<string, string> = {
      ...interpolateVars(scenario.vars),
      ...(row?.values ?? {}),
      ...(this.options.vars ?? {}),
    };
    if (scenario.tracker !== undefined) values.tracker = interpolate(scenario.tracker, { env: this.env, values }, 'text').replace(/\/+$/, '');
    if (this.catcher) values.catch_url = this.catcher.url;
    const done = new Map<number, StepResult>();
    let stopped: string | undefined;
    for (const [index, step] of scenario.steps.entries()) {
      let result = done.get(index);
      if (!result) {
        if (stopped === undefined && this.options.signal?.aborted) stopped = 'interrupted';
        if (stopped !== undefined) {
          result = this.result(index, step, 'skipped', `skipped: ${stopped}`, 0);
        } else {
          try {
            if (step.action.kind === 'wait' && step.action.until !== undefined) {
              const targetIndex = scenario.steps.findIndex((candidate) => candidate.name === (step.action as WaitStep).until);
              const [waitResult, targetResult] = await this.waitUntil(index, step, step.action, targetIndex, values);
              result = waitResult;
              if (targetResult) done.set(targetIndex, targetResult);
            } else {
              result = await this.execute(index, step, values);
            }
          } catch (error) {
            // A mistake in the scenario (or a data row): the step is an error, the rest is skipped,
            // and the run ends with exit 2 after the report (and JUnit file) is written.
            if (!(error instanceof UsageError)) throw error;
            const message = `${error.message}${row ? ` (data row ${row.row})` : ''}`;
            this.scenarioError = { message, hint: error.hint ?? null };
            result = this.result(index, step, 'error', message, 0, { errorType: 'scenario' });
            stopped = 'the scenario has an error';
          }
        }
      }
      if (result.captured) Object.assign(values, result.captured);
      run.steps.push(result);
      this.options.onStep?.(run, result);
      if ((result.status === 'failed' || result.status === 'error') && !step.continueOnFailure && stopped === undefined) {
        stopped = `"${step.name}" ${result.status === 'error' ? 'could not run' : 'failed'}`;
      }
    }
    run.duration_ms = Math.round(performance.now() - started);
    return run;
  }

  private result(index: number, step: Step, status: StepStatus, reason: string, duration_ms: number, extra: Partial<StepResult> = {}): StepResult {
    return {
      index,
      name: step.name,
      kind: step.action.kind,
      status,
      reason: this.redactor.text(reason),
      duration_ms: Math.round(duration_ms),
      details: [],
      ...extra,
    };
  }

  /** Run one step; user mistakes found before sending (bad templates…) propagate as exit 2. */
  private async execute(index: number, step: Step, values: Record<string, string>): Promise<StepResult> {
    const started = performance.now();
    const scope: InterpolationScope = { env: this.env, values };
    const elapsed = () => performance.now() - started;
    try {
      switch (step.action.kind) {
        case 'click':
          return await this.click(index, step, step.action, scope, elapsed);
        case 'fire':
          return await this.fire(index, step, step.action, values, elapsed);
        case 'wait':
          await abortableSleep(step.action.duration_ms ?? 0, this.options.signal);
          return this.result(index, step, 'passed', `waited ${step.action.duration_ms ?? 0} ms`, elapsed());
        case 'ingest':
          return await this.ingest(index, step, step.action, scope, elapsed);
        case 'reconcile':
          return this.reconcileStep(index, step, step.action, elapsed);
        case 'expect_postback': {
          const { expectPostback } = await import('./catch-step.js');
          const waiting = expectPostback(this.catcher!, step.action, scope, this.usedPostbacks);
          // SIGINT/SIGTERM ends the wait at once (the receiver is closed when the check ends).
          const signal = this.options.signal;
          const outcome = signal
            ? await Promise.race([waiting, new Promise<undefined>((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', () => resolve(undefined), { once: true })))])
            : await waiting;
          if (!outcome) return this.result(index, step, 'skipped', 'skipped: interrupted while waiting for the postback', elapsed());
          return this.result(index, step, outcome.status, outcome.reason, elapsed(), { expected: outcome.expected, ...(outcome.actual === undefined ? {} : { actual: this.redactor.text(outcome.actual) }), details: outcome.details.map((line) => this.redactor.text(line)) });
        }
      }
    } catch (error) {
      if (error instanceof TpbError && error.exitCode === 2) {
        throw new UsageError(`${this.options.scenario.file}:${step.line}: step "${step.name}": ${error.message}`, error.hint === undefined ? {} : { hint: error.hint });
      }
      throw error;
    }
  }

  private async click(index: number, step: Step, action: ClickStep, scope: InterpolationScope, elapsed: () => number): Promise<StepResult> {
    for (const name of secretNamesOf(action.url, action.headers)) this.redactor.addName(name);
    const url = interpolate(action.url, scope, 'url');
    const text = (value: string) => interpolate(value, scope, 'text');
    const preset = this.options.scenario.preset;
    const load = action.load;
    const concurrency = load.concurrency ?? 1;
    const many = Object.keys(load).length > 0;
    let firstId: { id: string; param?: string } | undefined;
    const result = await runClicks({
      url,
      ...(load.count !== undefined || load.durationMs === undefined ? { count: load.count ?? 1 } : {}),
      concurrency,
      ...loadOptions(load),
      // Big runs keep one failed click per cause (the reason quotes the first); the first captured id is taken as it comes.
      keepClicks: many ? 'examples' : 'all',
      params: action.params.map(([name, value]) => [name, text(value)] as const),
      headers: action.headers.map(([name, value]) => [name, text(value)] as const),
      ...(action.userAgent !== undefined ? { userAgent: text(action.userAgent) } : {}),
      ...(action.ip !== undefined ? { ip: text(action.ip) } : {}),
      ...(action.clickIdParams.length > 0 ? { clickIdParams: action.clickIdParams } : {}),
      ...(action.clickIdJson !== undefined ? { clickIdJson: action.clickIdJson } : {}),
      ...(action.follow !== undefined ? { follow: action.follow } : {}),
      ...(action.timeoutMs !== undefined ? { timeoutMs: action.timeoutMs } : {}),
      ...(preset ? { preset } : {}),
      store: this.options.store,
      redactor: this.redactor,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      // The scenario's client has 8 connections; a wider step gets its own.
      ...(concurrency <= 8 ? { client: this.client } : {}),
    }, {
      onClick: (click) => {
        if (!firstId && click.ok && click.clickId !== undefined) firstId = { id: click.clickId, ...(click.param !== undefined ? { param: click.param } : {}) };
      },
    });
    if (result.runId !== undefined) this.current?.stored.runs.push(result.runId);
    if (many) {
      const s = result.summary;
      const line = `${s.sent} clicks, ${s.captured} ids captured, ${loadLine(s)}`;
      const captured = firstId ? { captured: { [action.capture]: firstId.id } } : {};
      if (s.thresholds?.failed) return this.result(index, step, 'failed', s.thresholds.reasons.join('; '), elapsed(), { ...captured, expected: 'the run within its thresholds', actual: line });
      const failedOk = load.maxErrorRate !== undefined;
      if (s.sent > 0 && s.failures.network === s.sent) return this.result(index, step, 'error', `no click got an answer (${Object.keys(s.networkFailures).join(', ')})`, elapsed(), { errorType: 'network' as const, actual: line });
      if ((s.failed > 0 && !failedOk) || !firstId) {
        const example = result.clicks.find((c) => !c.ok);
        return this.result(index, step, 'failed', `${s.failed} of ${s.sent} clicks yielded no click id${example ? `: ${example.cause ?? ''} ${example.detail ?? ''}`.trimEnd() : ''}`, elapsed(), { ...captured, expected: 'a click id from every click', actual: line });
      }
      return this.result(index, step, 'passed', `${line}; ${action.capture}=${firstId.id}`, elapsed(), captured);
    }
    const click = result.clicks[0]!;
    const details = [`GET ${click.url}`, `→ ${click.status ?? 'no answer'}${click.location ? ` Location: ${click.location}` : ''}`];
    if (click.ok && click.clickId !== undefined) {
      return this.result(index, step, 'passed', `captured ${action.capture}=${click.clickId}${click.param ? ` from ${click.param}` : ''}`, elapsed(), {
        details,
        captured: { [action.capture]: click.clickId },
      });
    }
    const reason = `no click id: ${click.cause ?? 'unknown'}${click.detail ? ` (${click.detail})` : ''}`;
    return this.result(index, step, click.cause === 'network' ? 'error' : 'failed', reason, elapsed(), {
      ...(click.cause === 'network' ? { errorType: 'network' as const } : {}),
      details,
      expected: 'a redirect carrying a click id',
      actual: click.status === undefined ? (click.detail ?? 'no answer') : `HTTP ${click.status}${click.location ? ` to ${click.location}` : ''}`,
    });
  }

  private async fire(index: number, step: Step, action: FireStep, values: Record<string, string>, elapsed: () => number): Promise<StepResult> {
    const scenario = this.options.scenario;
    const preset = action.preset ?? scenario.preset;
    const tracker = values.tracker;
    // Captures and vars become fire's own macros, so fire encodes each value exactly once.
    const vars: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(values)) {
      if (name === 'click_id' || name === 'tracker' || FIRE_VALUE_MACROS.has(name)) continue;
      vars.push([name, value]);
    }
    for (const [name, value] of this.env) vars.push([`env.${name}`, value]);
    const stepValue = (name: string) => {
      const raw = action.values[name] ?? values[name];
      return raw === undefined ? undefined : interpolate(raw, { env: this.env, values }, 'text');
    };
    for (const [name, value] of Object.entries(action.values)) {
      if (!FIRE_VALUE_MACROS.has(name)) vars.push([name, interpolate(value, { env: this.env, values }, 'text')]);
    }
    // {tracker} and {catch_url} are base URLs: inserted as they are, not encoded as a value.
    const rawTemplate = action.url === undefined ? undefined : envAsMacros(action.url.replace(/\{tracker\}/g, tracker ?? '{tracker}').replace(/^\{catch_url\}/, values.catch_url ?? '{catch_url}'));
    const usePresetRule = preset !== undefined && action.expect.preset !== false;
    const valueOptions = Object.fromEntries(
      [...FIRE_VALUE_MACROS].flatMap((name) => {
        const value = stepValue(name);
        return value === undefined ? [] : [[name, value]];
      }),
    ) as Partial<Record<'payout' | 'revenue' | 'txid' | 'status' | 'event' | 'currency', string>>;
    // Without the preset rule the template still comes from the preset when no url is given.
    const template = fireTemplate({ ...(rawTemplate !== undefined ? { template: rawTemplate } : {}), ...(preset ? { preset } : {}), ...(tracker ? { base: tracker } : {}), vars, ...valueOptions });
    const expectations: Expectations = {};
    if (action.expect.status) {
      const statuses = action.expect.status.map((status) => interpolate(status, { env: this.env, values }, 'text')).join(',');
      try {
        expectations.status = parseStatusExpectation(statuses);
      } catch (error) {
        throw new UsageError(`expect.status: ${(error as Error).message}`);
      }
    }
    // {captures} in the body pattern match literally: `body: "{click_id}"` means "the answer names the id".
    if (action.expect.body !== undefined) {
      const escaped: Record<string, string> = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')]));
      expectations.body = new RegExp(interpolate(action.expect.body, { env: new Map(), values: escaped }, 'text'));
    }
    const clickId = values.click_id;
    // Parameters and headers filled from the environment are secrets by name too, so even a short
    // value (too short to redact wherever it appears) never shows in a URL.
    const secrets = secretNamesOf(action.url, action.headers, action.data);
    for (const name of secrets) this.redactor.addName(name);
    const result = await firePostbacks({
      template,
      ...(usePresetRule ? { preset } : {}),
      clickIds: clickId !== undefined && /\{click_id\}/.test(template + (action.data ?? '')) ? [clickId] : [],
      repeat: action.repeat,
      ...(action.repeatDelayMs !== undefined ? { repeatDelayMs: action.repeatDelayMs } : {}),
      ...(action.expectRepeat !== undefined ? { expectRepeat: action.expectRepeat } : {}),
      vars,
      ...valueOptions,
      method: action.method as 'GET',
      ...(action.data !== undefined ? { data: envAsMacros(action.data) } : {}),
      headers: action.headers.map(([name, value]) => [name, envAsMacros(value)] as const),
      concurrency: action.load.concurrency ?? 1,
      ...loadOptions(action.load),
      ...(action.timeoutMs !== undefined ? { timeoutMs: action.timeoutMs } : {}),
      retryPolicy: { ...DEFAULT_RETRY_POLICY, retries: action.retries ?? 0 },
      expectations,
      secrets,
      redactor: this.redactor,
      store: this.options.store,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      ...((action.load.concurrency ?? 1) <= 8 ? { client: this.client } : {}),
      // A timed load step can send millions: its verdict needs only the counts and a failed example.
      ...(action.load.durationMs !== undefined ? { keepPostbacks: 'examples' as const } : {}),
    });
    if (result.runId !== undefined) this.current?.stored.runs.push(result.runId);
    const thresholds = result.summary.thresholds;
    if (thresholds?.failed) {
      return this.result(index, step, 'failed', thresholds.reasons.join('; '), elapsed(), { expected: 'the run within its thresholds', actual: `${result.summary.sent} postbacks, ${result.summary.passed} passed, ${loadLine(result.summary)}` });
    }
    if (action.load.durationMs !== undefined || (action.load.maxErrorRate !== undefined && result.summary.errors < result.summary.sent)) {
      // A load step: the thresholds (checked above) are the verdict; list only a sample of the exchanges.
      const s = result.summary;
      if (action.load.maxErrorRate === undefined && s.passed < s.sent) {
        const bad = result.postbacks.find((outcome) => outcome.verdict.verdict !== 'pass')!;
        return this.result(index, step, bad.verdict.verdict === 'error' ? 'error' : 'failed', `${s.sent - s.passed} of ${s.sent} postbacks: ${bad.verdict.reason}`, elapsed(), { ...(bad.verdict.verdict === 'error' ? { errorType: 'network' as const } : {}), expected: describeExpectation(action, preset), actual: this.redactor.text(describeAnswer(bad)) });
      }
      return this.result(index, step, 'passed', `${s.sent} postbacks, ${s.passed} passed, ${loadLine(s)}`, elapsed());
    }
    const details = result.postbacks.flatMap((outcome) => [
      `${outcome.method} ${this.redactor.url(outcome.url)}`,
      `→ ${this.redactor.text(describeAnswer(outcome))} (${outcome.attempts.length} attempt${outcome.attempts.length === 1 ? '' : 's'}, ${Math.round(outcome.latencyMs)} ms): ${outcome.verdict.verdict}, ${outcome.verdict.reason}`,
    ]);
    const expected = describeExpectation(action, preset);
    const bad = result.postbacks.find((outcome) => outcome.verdict.verdict !== 'pass');
    if (!bad) {
      const firsts = result.postbacks.filter((outcome) => outcome.copy === 1);
      const first = firsts[0];
      const suspect = result.postbacks.find((outcome) => outcome.verdict.suspect)?.verdict.suspect;
      const copies = describeCopies(result.postbacks);
      return this.result(index, step, 'passed', `${firsts.length} postback${firsts.length === 1 ? '' : 's'} ${first ? describeAnswer(first) : ''}${copies}${suspect ? ` (suspect: ${suspect})` : ''}`.trim(), elapsed(), { details, expected });
    }
    const which = action.repeat > 1 ? (bad.copy > 1 ? `copy ${bad.copy} of ${action.repeat}: ` : `postback ${bad.seq} (copy 1 of ${action.repeat}): `) : '';
    return this.result(index, step, bad.verdict.verdict === 'error' ? 'error' : 'failed', `${which}${bad.verdict.reason}`, elapsed(), {
      ...(bad.verdict.verdict === 'error' ? { errorType: 'network' as const } : {}),
      details,
      expected: bad.copy > 1 ? describeRepeatExpectation(action.expectRepeat ?? 'refused', preset) : expected,
      actual: this.redactor.text(describeAnswer(bad)),
    });
  }

  private async waitUntil(index: number, step: Step, action: WaitStep, targetIndex: number, values: Record<string, string>): Promise<[StepResult, StepResult | undefined]> {
    const started = performance.now();
    const target = this.options.scenario.steps[targetIndex]!;
    const deadline = started + action.timeoutMs;
    let attempts = 0;
    let last: StepResult | undefined;
    for (;;) {
      attempts += 1;
      last = await this.execute(targetIndex, target, values);
      if (last.status === 'passed') {
        const waited = performance.now() - started;
        return [this.result(index, step, 'passed', `"${target.name}" passed after ${attempts} attempt${attempts === 1 ? '' : 's'} (${Math.round(waited)} ms)`, waited), last];
      }
      if (performance.now() + action.intervalMs > deadline) break;
      if (this.options.signal?.aborted) break;
      await abortableSleep(action.intervalMs, this.options.signal);
    }
    const waited = performance.now() - started;
    const failed = this.result(index, step, 'failed', `"${target.name}" did not pass within ${action.timeoutMs} ms (${attempts} attempts): ${last.reason}`, waited, {
      expected: `"${target.name}" to pass within ${action.timeoutMs} ms`,
      actual: last.actual ?? last.reason,
      details: last.details,
    });
    return [failed, { ...last, status: last.status, reason: `${last.reason} (polled ${attempts} times by "${step.name}")` }];
  }

  private async ingest(index: number, step: Step, action: IngestStep, scope: InterpolationScope, elapsed: () => number): Promise<StepResult> {
    const file = path.resolve(path.dirname(this.options.scenario.file), interpolate(action.file, scope, 'text'));
    const result = await ingestFile(this.options.store, {
      file,
      kind: action.dataKind,
      ...(action.preset ? { preset: action.preset } : {}),
      ...(action.source ? { source: action.source } : {}),
      ...(action.timezone ? { timezone: action.timezone } : {}),
    });
    if (!this.current?.stored.imports.includes(result.importId)) this.current?.stored.imports.push(result.importId);
    const summary = `${result.status}: ${result.rows} rows, ${result.rejected} rejected from ${path.basename(file)}`;
    if (result.rejected > 0) {
      return this.result(index, step, 'failed', summary, elapsed(), { expected: 'no rejected rows', actual: `${result.rejected} rejected` });
    }
    return this.result(index, step, 'passed', summary, elapsed());
  }

  private reconcileStep(index: number, step: Step, action: ReconcileStep, elapsed: () => number): StepResult {
    const { categories, unknown } = parseFailOn(action.failOn);
    if (unknown.length > 0) throw new UsageError(`fail_on: unknown categor${unknown.length === 1 ? 'y' : 'ies'} ${unknown.join(', ')}`);
    const stored = this.current?.stored ?? { runs: [], imports: [] };
    const reconcileOrExplain = (options: Parameters<typeof reconcile>[1]) => {
      try {
        return reconcile(this.options.store, options);
      } catch (error) {
        if (!(error instanceof InputError) || action.scope === 'database') throw error;
        throw new InputError(`nothing to reconcile in this run: ${error.message}`, {
          hint: "a reconcile step looks only at what this run's click and fire steps sent and its ingest steps loaded: ingest the tracker's conversion export in an earlier step, or add scope: database",
        });
      }
    };
    const report = reconcileOrExplain({
      // What this run (data row) produced and loaded, unless the step asks for the whole database.
      ...(action.scope === 'database' ? {} : { rows: { runIds: stored.runs, importIds: stored.imports } }),
      ...(action.clicksSource ? { clicksSource: [action.clicksSource] } : {}),
      ...(action.conversionsSource ? { conversionsSource: [action.conversionsSource] } : {}),
      ...(action.window ? { windowMs: parseDurationMs(action.window) } : {}),
      ...(action.dedupeKey ? { dedupeKey: action.dedupeKey } : {}),
      limit: 0,
    });
    const max: Record<string, number> = {};
    if (action.maxUnmatched !== undefined) max.unmatched = action.maxUnmatched;
    if (action.maxDuplicates !== undefined) max.duplicate_extra = action.maxDuplicates;
    const verdict = evaluateThresholds(report, {
      failOn: categories,
      max,
      ...(action.maxUnmatchedRate !== undefined ? { maxUnmatchedRate: action.maxUnmatchedRate } : {}),
    });
    const s = report.summary;
    const line = `${s.conversions} conversions, ${s.matched} matched, ${s.unmatched} unmatched, ${s.duplicate_extra} duplicate`;
    if (s.conversions === 0) return this.result(index, step, 'failed', 'no conversions to reconcile', elapsed(), { expected: 'conversions in the database', actual: 'none' });
    if (verdict.failed) return this.result(index, step, 'failed', verdict.reasons.join('; '), elapsed(), { expected: 'findings within the thresholds', actual: line });
    return this.result(index, step, 'passed', line, elapsed());
  }
}

/** A wait that ends early when the signal aborts. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return sleep(ms, undefined, { signal }).catch(() => undefined);
}

/** Run a scenario (once, or once per data row) and return every step's result. Never prints. */
export function runScenario(options: CheckOptions): Promise<CheckResult> {
  return new ScenarioRunner(options).run();
}

/**
 * Exit code of a check run: 2 for a scenario mistake; 1 when a check failed (even if other steps
 * could not reach the tracker: a failed expectation is a tracking bug); 3 only when every problem
 * was a tracker that could not be reached.
 */
export function checkExitCode(result: CheckResult): 0 | 1 | 2 | 3 {
  if (result.error) return 2;
  if (result.summary.failed > 0) return 1;
  if (result.summary.errors > 0) return 3;
  return 0;
}
