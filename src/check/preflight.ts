import fs from 'node:fs';
import path from 'node:path';
import { editDistance } from '../text/edit-distance.js';
import { lintFireRun, fireTemplate } from '../fire/run.js';
import { parseStatusExpectation } from '../fire/verdict.js';
import { loadRules } from '../catch/index.js';
import { CLICK_MACROS, FIRE_MACROS, suggestMacro } from '../template/macros.js';
import { LintFailedError } from '../template/lint.js';
import { decimalToMicros } from '../units/micros.js';
import { TpbError } from '../errors.js';
import { envAsMacros, interpolate } from './interpolate.js';
import type { DataRow } from './run.js';
import type { Scenario, Step } from './scenario.js';

/**
 * Everything about a scenario that can be known before the first request (issue 10 item 5): every
 * `${ENV}` is set, every `{name}` is a var, a data column or a capture of an earlier step (or a
 * macro of the step's own command), every fire template lints clean, every file exists, and every
 * data row's values that do not depend on a capture are valid. All the problems are collected, so
 * one run reports all of them; `tpb check` sends nothing when there is one.
 */

export interface PreflightProblem {
  file: string;
  line: number;
  /** The step concerned (0-based index and name), or null for the scenario's top-level keys. */
  step: { index: number; name: string } | null;
  /** The key path, as in parse errors: `steps[2].fire.url`, `catch.rules`. */
  path: string;
  message: string;
  /** The 1-based data row whose value is wrong, when it is a row's value. */
  row?: number;
}

export interface PreflightInput {
  scenario: Scenario;
  env: Readonly<Record<string, string | undefined>>;
  /** --var values. */
  vars?: Readonly<Record<string, string>>;
  data?: readonly DataRow[];
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const SCOPE_REF = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;
const FIRE_VALUE_KEYS = new Set(['payout', 'revenue', 'txid', 'status', 'event', 'currency']);
/** A stand-in for {catch_url} while the receiver is not started (its port is chosen then). */
const CATCH_STAND_IN = 'http://127.0.0.1:9';

/** A text of the scenario with where it is and which extra `{names}` its command resolves itself. */
interface Field {
  path: string;
  text: string;
  /** Names the step's own command fills ({uuid}, {i}… for click and fire). */
  own: readonly string[];
}

function stepFields(step: Step, where: string): Field[] {
  const a = step.action;
  const fields: Field[] = [];
  const add = (key: string, text: string | undefined, own: readonly string[] = []) => {
    if (text !== undefined) fields.push({ path: `${where}.${key}`, text, own });
  };
  switch (a.kind) {
    case 'click':
      add('url', a.url, CLICK_MACROS);
      for (const [name, value] of a.params) add(`params.${name}`, value, CLICK_MACROS);
      for (const [name, value] of a.headers) add(`headers.${name}`, value, CLICK_MACROS);
      add('user_agent', a.userAgent, CLICK_MACROS);
      add('ip', a.ip, CLICK_MACROS);
      break;
    case 'fire': {
      // {click_id} is fire's own macro, but its value comes from a capture (or a var): not "own" here.
      const own = [...FIRE_MACROS.filter((name) => name !== 'click_id'), ...Object.keys(a.values)];
      add('url', a.url, own);
      add('data', a.data, own);
      for (const [name, value] of a.headers) add(`headers.${name}`, value, own);
      for (const [name, value] of Object.entries(a.values)) add(FIRE_VALUE_KEYS.has(name) ? name : `vars.${name}`, value);
      add('expect.body', a.expect.body);
      for (const status of a.expect.status ?? []) add('expect.status', status);
      break;
    }
    case 'ingest':
      add('file', a.file);
      add('source', a.source);
      add('timezone', a.timezone);
      break;
    case 'expect_postback':
      add('click_id', a.clickId);
      add('path', a.path);
      for (const [name, value] of Object.entries(a.match)) add(`match.${name}`, value);
      for (const [name, value] of Object.entries(a.params)) add(`params.${name}`, value);
      break;
    case 'wait':
    case 'reconcile':
      break;
  }
  return fields;
}

/** `${NAME}` would read as `{NAME}` to the scope pattern. */
const withoutEnv = (text: string) => text.replace(ENV_REF, '');
const isEnvName = (name: string) => name.startsWith('env.');

export function preflightScenario(input: PreflightInput): PreflightProblem[] {
  const { scenario } = input;
  const problems: PreflightProblem[] = [];
  const top = (line: number, where: string, message: string) => problems.push({ file: scenario.file, line, step: null, path: where, message });
  const at = (index: number, where: string, message: string, row?: number) => {
    const step = scenario.steps[index]!;
    problems.push({ file: scenario.file, line: step.line, step: { index, name: step.name }, path: where, message, ...(row === undefined ? {} : { row }) });
  };

  // --- environment variables -------------------------------------------------------------------
  const env = new Map<string, string>();
  const missing = new Set<string>();
  const unset = (text: string) => [...text.matchAll(ENV_REF)].some((match) => missing.has(match[1]!));
  const missingEnv = (text: string | undefined, report: (name: string) => void) => {
    for (const match of (text ?? '').matchAll(ENV_REF)) {
      const value = input.env[match[1]!];
      if (value === undefined) {
        missing.add(match[1]!);
        report(match[1]!);
      }
      else env.set(match[1]!, value);
    }
  };
  const catchLine = scenario.catch?.line ?? 1;
  missingEnv(scenario.tracker, (name) => top(1, 'tracker', `environment variable not set: ${name}`));
  for (const [key, value] of Object.entries(scenario.vars)) missingEnv(value, (name) => top(1, `vars.${key}`, `environment variable not set: ${name}`));
  for (const key of ['body', 'rules', 'forward'] as const) missingEnv(scenario.catch?.[key], (name) => top(catchLine, `catch.${key}`, `environment variable not set: ${name}`));
  scenario.steps.forEach((step, index) => {
    for (const field of stepFields(step, `steps[${index}].${step.action.kind}`)) missingEnv(field.text, (name) => at(index, field.path, `environment variable not set: ${name}`));
  });

  // --- {names}: vars, data columns, --var, captures of earlier steps -------------------------------
  const base = new Set<string>([...Object.keys(scenario.vars), ...Object.keys(input.vars ?? {}), ...(input.data?.[0] ? Object.keys(input.data[0].values) : [])]);
  if (scenario.tracker !== undefined) base.add('tracker');
  if (scenario.catch) base.add('catch_url');
  for (const key of ['body', 'rules', 'forward'] as const) {
    const text = scenario.catch?.[key];
    for (const match of withoutEnv(text ?? '').matchAll(SCOPE_REF)) {
      if (!base.has(match[1]!) || match[1] === 'catch_url') top(catchLine, `catch.${key}`, `{${match[1]}} is not a var or a data column (the receiver starts before any step runs)`);
    }
  }
  // A step polled by `wait: until` runs when the wait does: it sees only what came before the wait.
  const runsAt = scenario.steps.map((_, index) => index);
  scenario.steps.forEach((step, index) => {
    if (step.action.kind === 'wait' && step.action.until !== undefined) {
      const target = scenario.steps.findIndex((candidate) => candidate.name === (step.action as { until?: string }).until);
      if (target > index) runsAt[target] = Math.min(runsAt[target]!, index);
    }
  });
  const capturedBefore = (position: number): Map<string, number> => {
    const names = new Map<string, number>();
    scenario.steps.slice(0, position).forEach((step, index) => {
      if (step.action.kind === 'click') names.set(step.action.capture, index);
    });
    return names;
  };
  const laterCapture = (name: string): number | undefined => {
    const index = scenario.steps.findIndex((step) => step.action.kind === 'click' && step.action.capture === name);
    return index < 0 ? undefined : index;
  };
  scenario.steps.forEach((step, index) => {
    const captured = capturedBefore(runsAt[index]!);
    const known = [...base, ...captured.keys()];
    for (const field of stepFields(step, `steps[${index}].${step.action.kind}`)) {
      const reported = new Set<string>();
      for (const match of withoutEnv(field.text).matchAll(SCOPE_REF)) {
        const name = match[1]!;
        if (reported.has(name) || base.has(name) || captured.has(name) || field.own.includes(name) || isEnvName(name)) continue;
        reported.add(name);
        const later = laterCapture(name);
        const suggestion = suggestMacro(name, [...known, ...field.own]) ?? closestName(name, [...known, ...field.own]);
        const why =
          later !== undefined
            ? `{${name}} is captured by step ${later + 1} "${scenario.steps[later]!.name}", which runs after this one`
            : `{${name}} is not a var, a data column or a capture of an earlier step${suggestion ? ` (did you mean {${suggestion}}?)` : ''}`;
        at(index, field.path, why);
      }
    }
  });

  // --- files ----------------------------------------------------------------------------------------
  const dir = path.dirname(scenario.file);
  const rows: Array<DataRow | null> = input.data && input.data.length > 0 ? [...input.data] : [null];
  const rowValues = (row: DataRow | null): Record<string, string> => {
    const values: Record<string, string> = {
      ...Object.fromEntries(Object.entries(scenario.vars).map(([key, value]) => [key, interpolate(value, { env, values: {} }, 'text')])),
      ...(row?.values ?? {}),
      ...(input.vars ?? {}),
    };
    if (scenario.tracker !== undefined) values.tracker = interpolate(scenario.tracker, { env, values }, 'text').replace(/\/+$/, '');
    return values;
  };
  const dependsOnRow = (text: string) => [...withoutEnv(text).matchAll(SCOPE_REF)].some((match) => input.data?.[0] !== undefined && match[1]! in input.data[0].values && !(match[1]! in (input.vars ?? {})));
  /** The text with what is known before sending filled in, or undefined when it needs a capture. */
  const resolved = (text: string, row: DataRow | null): string | undefined => {
    // A missing variable is reported once, above; what it would have filled cannot be checked.
    if (unset(text) || (text.includes('{tracker}') && unset(scenario.tracker ?? ''))) return undefined;
    const filled = interpolate(text, { env, values: rowValues(row) }, 'text');
    return /\{[A-Za-z_][A-Za-z0-9_.-]*\}/.test(filled) ? undefined : filled;
  };
  /** Each data row a text's value depends on (or one check when it depends on none). */
  const perRow = (text: string, check: (value: string, row: number | undefined) => void) => {
    const targets = dependsOnRow(text) ? rows : [rows[0]!];
    for (const row of targets) {
      const value = resolved(text, row);
      if (value !== undefined) check(value, dependsOnRow(text) && row ? row.row : undefined);
    }
  };
  const checkFile = (text: string, report: (message: string, row?: number) => void, what: string) =>
    perRow(text, (value, row) => {
      const file = path.resolve(dir, value);
      let stat: fs.Stats | undefined;
      try {
        stat = fs.statSync(file);
      } catch {
        stat = undefined;
      }
      if (!stat) report(`${what} ${file} does not exist (paths are relative to the scenario file)`, row);
      else if (stat.isDirectory()) report(`${what} ${file} is a directory`, row);
      else {
        try {
          fs.accessSync(file, fs.constants.R_OK);
        } catch {
          report(`${what} ${file} cannot be read`, row);
        }
      }
    });
  if (scenario.catch?.rules !== undefined) {
    checkFile(scenario.catch.rules, (message) => top(catchLine, 'catch.rules', message), 'the rules file');
    const value = resolved(scenario.catch.rules, rows[0]!);
    const file = value === undefined ? undefined : path.resolve(dir, value);
    if (file !== undefined && fs.existsSync(file) && fs.statSync(file).isFile()) {
      try {
        loadRules(file);
      } catch (error) {
        if (!(error instanceof TpbError)) throw error;
        top(catchLine, 'catch.rules', error.message);
      }
    }
  }
  if (scenario.tracker !== undefined) {
    const value = resolved(scenario.tracker, rows[0]!);
    if (value !== undefined && !/^https?:\/\/[^/?#\s]+/i.test(value)) top(1, 'tracker', `${JSON.stringify(value)} is not an http:// or https:// base URL`);
  }

  scenario.steps.forEach((step, index) => {
    const a = step.action;
    const where = `steps[${index}].${a.kind}`;
    if (a.kind === 'ingest') checkFile(a.file, (message, row) => at(index, `${where}.file`, message, row), 'the file');
    if (a.kind === 'click') {
      perRow(a.url.replace(/\{(i|uuid|rand)\}/g, '0'), (value, row) => {
        if (!/^https?:\/\/[^/?#\s]+/i.test(value)) at(index, `${where}.url`, `${JSON.stringify(value)} is not an http:// or https:// URL`, row);
      });
    }
    if (a.kind === 'reconcile' && a.scope === 'run' && a.conversionsSource === undefined) {
      const ingests = scenario.steps.slice(0, index).some((earlier) => earlier.action.kind === 'ingest' && earlier.action.dataKind === 'conversions');
      if (!ingests) at(index, where, 'nothing to reconcile: no earlier ingest step loads conversions, and a reconcile step looks only at what its own run produced (add an ingest step for the tracker\'s export, conversions_source: "tpb:fire", or scope: database)');
    }
    if (a.kind !== 'fire') return;
    // Values of a data row that fire would refuse, found before the first row sends anything.
    for (const key of ['payout', 'revenue'] as const) {
      const text = a.values[key] ?? (base.has(key) ? `{${key}}` : undefined);
      if (text === undefined) continue;
      perRow(text, (value, row) => {
        if (decimalToMicros(value) === undefined) at(index, `${where}.${key}`, `${JSON.stringify(value)} is not a decimal amount (write it like 1.50)`, row);
      });
    }
    if (a.expect.status) {
      const text = a.expect.status.join(',');
      perRow(text, (value, row) => {
        try {
          parseStatusExpectation(value);
        } catch (error) {
          at(index, `${where}.expect.status`, (error as Error).message, row);
        }
      });
    }
    // The template, linted as fire lints it (unknown macros were reported above).
    const preset = a.preset ?? scenario.preset;
    if (unset(a.url ?? '') || ((a.url === undefined || a.url.includes('{tracker}')) && unset(scenario.tracker ?? ''))) return;
    const values = rowValues(rows[0]!);
    const tracker = values.tracker;
    const names = [...new Set([...base, ...capturedBefore(runsAt[index]!).keys(), ...Object.keys(a.values).filter((key) => !FIRE_VALUE_KEYS.has(key))])].filter((name) => name !== 'click_id' && name !== 'tracker' && !FIRE_VALUE_KEYS.has(name));
    const vars: Array<[string, string]> = [...names.map((name) => [name, 'x'] as [string, string]), ...[...env.keys()].map((name) => [`env.${name}`, 'x'] as [string, string])];
    const valueOptions = Object.fromEntries([...FIRE_VALUE_KEYS].filter((key) => a.values[key] !== undefined || base.has(key)).map((key) => [key, '1']));
    try {
      const raw = a.url === undefined ? undefined : envAsMacros(a.url.replace(/\{tracker\}/g, tracker ?? '{tracker}').replace(/^\{catch_url\}/, CATCH_STAND_IN));
      const template = fireTemplate({ ...(raw !== undefined ? { template: raw } : {}), ...(preset ? { preset } : {}), ...(tracker ? { base: tracker } : {}), vars, ...valueOptions });
      // As the step runs: the preset's rules apply unless the step turns them off (expect.preset: false).
      const usePreset = preset !== undefined && a.expect.preset !== false;
      lintFireRun({ template, vars, clickIds: [], method: a.method as 'GET', ...(usePreset ? { preset } : {}), ...(a.data !== undefined ? { data: envAsMacros(a.data) } : {}), headers: a.headers.map(([name, value]) => [name, envAsMacros(value)] as const) }, template);
    } catch (error) {
      if (error instanceof LintFailedError) {
        for (const finding of error.findings.filter((item) => item.severity === 'error')) {
          // Unknown macros are reported above, by name and with their step.
          if (finding.code === 'unknown-macro' || finding.code === 'unresolved-macro') continue;
          at(index, `${where}.url`, `${finding.param ? `${finding.param}: ` : ''}${finding.message} (${finding.fix})`);
        }
      } else if (error instanceof TpbError && error.exitCode === 2) at(index, `${where}.url`, error.message);
      else throw error;
    }
  });
  return problems.sort((a, b) => a.line - b.line);
}

/** A known name at edit distance 1 or 2 of a misspelt one ({clikc_id} → {click_id}). */
function closestName(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of new Set(known)) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}


/** One line per problem: `file:line: steps[2] "postback": steps[2].fire.url: message (data row 3)`. */
export function describeProblem(problem: PreflightProblem): string {
  const step = problem.step ? `step ${problem.step.index + 1} "${problem.step.name}": ` : '';
  return `${problem.file}:${problem.line}: ${step}${problem.path}: ${problem.message}${problem.row === undefined ? '' : ` (data row ${problem.row})`}`;
}
