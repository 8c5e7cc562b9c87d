import fs from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node as YamlNode, type YAMLMap } from 'yaml';
import { InputError } from '../errors.js';
import { isPresetName, PRESET_NAMES, type PresetName } from '../presets/catalog.js';
import { formatDuration, MAX_TIMEOUT_MS, MAX_WAIT_MS, parseDurationMs } from '../units/duration.js';
import { readCatchSection, readExpectPostback, type CatchSection, type ExpectPostbackStep } from './catch-scenario.js';
import { REPEAT_EXPECTATIONS, type RepeatExpectation } from '../fire/duplicates.js';

/**
 * Scenario files for `tpb check`: YAML or JSON (JSON is read by the YAML parser too, so both get
 * line numbers in errors). Validation collects every problem with its file, line and key path
 * before anything runs.
 */

export interface ExpectSpec {
  /** Accepted statuses: codes and classes such as "2xx". */
  status?: string[];
  /** A regular expression the body must match. */
  body?: string;
  /** Apply the preset's success rule (default: true when the scenario or step names a preset). */
  preset?: boolean;
}

/**
 * A click or fire step as a load test (all optional): how many, how fast, for how long, and the
 * thresholds the run as a whole must hold — the keys of the CLI's flags (max_p95 = --max-p95…).
 */
export interface LoadSpec {
  count?: number;
  concurrency?: number;
  rate?: number;
  durationMs?: number;
  warmupMs?: number;
  maxP95?: number;
  maxP99?: number;
  maxErrorRate?: number;
  minRate?: number;
}

export const LOAD_KEYS = ['count', 'concurrency', 'rate', 'duration', 'warmup', 'max_p95', 'max_p99', 'max_error_rate', 'min_rate'] as const;

export interface ClickStep {
  kind: 'click';
  load: LoadSpec;
  url: string;
  params: Array<[string, string]>;
  headers: Array<[string, string]>;
  /** Name the captured click id is stored under (default click_id). */
  capture: string;
  clickIdParams: string[];
  clickIdJson?: string;
  follow?: number;
  timeoutMs?: number;
  userAgent?: string;
  ip?: string;
}

export interface FireStep {
  kind: 'fire';
  load: LoadSpec;
  /** URL template; absent means the preset's postback template on the tracker. */
  url?: string;
  preset?: PresetName;
  method: string;
  data?: string;
  headers: Array<[string, string]>;
  expect: ExpectSpec;
  retries?: number;
  /** The duplicate test: copies of the postback (copy 2 after the first was answered), judged by expectRepeat. */
  repeat: number;
  repeatDelayMs?: number;
  expectRepeat?: RepeatExpectation;
  timeoutMs?: number;
  /** Values for {payout}, {txid}, {event}, {status}… of this postback. */
  values: Record<string, string>;
}

function readLoad(reader: ScenarioReader, e: Map<string, YamlNode>, where: string, withCount: boolean): LoadSpec {
  const spec: LoadSpec = {};
  const set = <K extends keyof LoadSpec>(key: K, value: LoadSpec[K] | undefined) => {
    if (value !== undefined) spec[key] = value;
  };
  if (withCount) set('count', reader.integer(e.get('count'), `${where}.count`, 1));
  set('concurrency', reader.integer(e.get('concurrency'), `${where}.concurrency`, 1));
  set('rate', reader.number(e.get('rate'), `${where}.rate`, 0.001, 1e7));
  set('durationMs', reader.duration(e.get('duration'), `${where}.duration`));
  set('warmupMs', reader.duration(e.get('warmup'), `${where}.warmup`));
  set('maxP95', reader.number(e.get('max_p95'), `${where}.max_p95`, 0, 1e9));
  set('maxP99', reader.number(e.get('max_p99'), `${where}.max_p99`, 0, 1e9));
  set('maxErrorRate', reader.number(e.get('max_error_rate'), `${where}.max_error_rate`, 0, 1));
  set('minRate', reader.number(e.get('min_rate'), `${where}.min_rate`, 0, 1e9));
  return spec;
}

export interface WaitStep {
  kind: 'wait';
  duration_ms?: number;
  /** Name of a later step to run repeatedly until it passes. */
  until?: string;
  timeoutMs: number;
  intervalMs: number;
}

export interface IngestStep {
  kind: 'ingest';
  file: string;
  dataKind: 'clicks' | 'conversions';
  preset?: PresetName;
  source?: string;
  timezone?: string;
}

export interface ReconcileStep {
  kind: 'reconcile';
  failOn: string[];
  maxUnmatched?: number;
  maxUnmatchedRate?: number;
  maxDuplicates?: number;
  window?: string;
  dedupeKey?: 'click_id' | 'click_id+event+txid';
  clicksSource?: string;
  conversionsSource?: string;
  /**
   * run (default): only what this run (data row) produced — its clicks, fires and the files its
   * ingest steps loaded; database: everything in the database (--db).
   */
  scope: 'run' | 'database';
}

export type StepAction = ClickStep | FireStep | WaitStep | IngestStep | ReconcileStep | ExpectPostbackStep;

export interface Step {
  name: string;
  line: number;
  continueOnFailure: boolean;
  action: StepAction;
}

export interface Scenario {
  file: string;
  name: string;
  tracker?: string;
  preset?: PresetName;
  vars: Record<string, string>;
  /** A receiver started for the scenario (`catch:`); its URL is {catch_url}. */
  catch?: CatchSection;
  steps: Step[];
}

export const STEP_KINDS = ['click', 'fire', 'wait', 'ingest', 'reconcile', 'expect_postback'] as const;

/** The known key nearest to a misspelt one (edit distance ≤ 2), for "did you mean". */
function closest(key: string, known: readonly string[]): string | undefined {
  const a = key.toLowerCase().replace(/-/g, '_');
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const row = Array.from({ length: name.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i += 1) {
      let previous = row[0]!;
      row[0] = i;
      for (let j = 1; j <= name.length; j += 1) {
        const current = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === name[j - 1] ? 0 : 1));
        previous = current;
      }
    }
    const distance = row[name.length]!;
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

interface Problem {
  line: number;
  path: string;
  message: string;
}

/** Walks the YAML document, reading typed values and recording problems with their line. */
class ScenarioReader {
  readonly problems: Problem[] = [];
  constructor(private readonly lines: LineCounter) {}

  lineOf(node: YamlNode | null | undefined): number {
    const offset = node?.range?.[0];
    return offset === undefined ? 1 : this.lines.linePos(offset).line;
  }

  problem(node: YamlNode | null | undefined, path: string, message: string): void {
    this.problems.push({ line: this.lineOf(node), path, message });
  }

  /** Entries of a mapping, with unknown keys reported. */
  map(node: unknown, path: string, known: readonly string[]): Map<string, YamlNode> | undefined {
    if (!isMap(node)) {
      this.problem(node as YamlNode, path, 'expected a mapping (key: value)');
      return undefined;
    }
    const entries = new Map<string, YamlNode>();
    for (const pair of (node as YAMLMap).items) {
      const keyNode = pair.key as YamlNode;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      if (!known.includes(key)) {
        const suggestion = closest(key, known);
        this.problem(keyNode, path ? `${path}.${key}` : key, `unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : `; expected one of ${known.join(', ')}`}`);
        continue;
      }
      entries.set(key, (pair.value ?? null) as YamlNode);
    }
    return entries;
  }

  scalar(node: YamlNode | undefined, path: string): string | undefined {
    if (node === undefined) return undefined;
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
      this.problem(node, path, 'expected a text, number or boolean value');
      return undefined;
    }
    return String(node.value);
  }

  string(node: YamlNode | undefined, path: string, required = false, parent?: YamlNode): string | undefined {
    if (node === undefined) {
      if (required) this.problem(parent, path, 'is required');
      return undefined;
    }
    const value = this.scalar(node, path);
    if (value !== undefined && required && value.trim() === '') this.problem(node, path, 'must not be empty');
    return value;
  }

  integer(node: YamlNode | undefined, path: string, min: number, max?: number): number | undefined {
    const text = this.scalar(node, path);
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) < min) {
      this.problem(node, path, `expected a whole number ≥ ${min}`);
      return undefined;
    }
    if (max !== undefined && Number(text) > max) {
      this.problem(node, path, `at most ${max}`);
      return undefined;
    }
    return Number(text);
  }

  number(node: YamlNode | undefined, path: string, min: number, max: number): number | undefined {
    const text = this.scalar(node, path);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
      this.problem(node, path, `expected a number from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  boolean(node: YamlNode | undefined, path: string): boolean | undefined {
    if (node === undefined) return undefined;
    if (!isScalar(node) || typeof node.value !== 'boolean') {
      this.problem(node, path, 'expected true or false');
      return undefined;
    }
    return node.value;
  }

  /** A duration; with maxMs (it becomes a timer) a longer one is a problem. */
  duration(node: YamlNode | undefined, path: string, maxMs?: number): number | undefined {
    const text = this.scalar(node, path);
    if (text === undefined) return undefined;
    let ms: number;
    try {
      ms = parseDurationMs(text);
    } catch {
      this.problem(node, path, 'expected a duration such as 500ms, 10s, 2m');
      return undefined;
    }
    if (maxMs !== undefined && ms > maxMs) {
      this.problem(node, path, `${text} is too long: at most ${formatDuration(maxMs, 5)}`);
      return undefined;
    }
    return ms;
  }

  /** A mapping of names to scalar values. */
  record(node: YamlNode | undefined, path: string): Record<string, string> {
    if (node === undefined) return {};
    if (!isMap(node)) {
      this.problem(node, path, 'expected a mapping of names to values');
      return {};
    }
    const out: Record<string, string> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const value = this.scalar((pair.value ?? undefined) as YamlNode | undefined, `${path}.${key}`);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  /** One string or a list of them. */
  list(node: YamlNode | undefined, path: string): string[] {
    if (node === undefined) return [];
    if (isSeq(node)) {
      return node.items.flatMap((item, index) => {
        const value = this.scalar(item as YamlNode, `${path}[${index}]`);
        return value === undefined ? [] : [value];
      });
    }
    const value = this.scalar(node, path);
    return value === undefined ? [] : value.split(',').map((item) => item.trim()).filter(Boolean);
  }

  preset(node: YamlNode | undefined, path: string): PresetName | undefined {
    const value = this.scalar(node, path);
    if (value === undefined) return undefined;
    if (!isPresetName(value)) {
      this.problem(node, path, `unknown preset "${value}"; expected one of ${PRESET_NAMES.join(', ')}`);
      return undefined;
    }
    return value;
  }
}

function readExpect(reader: ScenarioReader, node: YamlNode | undefined, path: string): ExpectSpec {
  if (node === undefined) return {};
  const entries = reader.map(node, path, ['status', 'body', 'preset']);
  if (!entries) return {};
  const spec: ExpectSpec = {};
  const statusNode = entries.get('status');
  if (statusNode !== undefined) {
    const statuses = reader.list(statusNode, `${path}.status`);
    for (const status of statuses) {
      // `{expected_status}` from a data row is checked when the step runs.
      if (!/^[1-5](\d\d|xx)$/i.test(status) && !/^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(status)) reader.problem(statusNode, `${path}.status`, `"${status}" is not a status code (200) or class (2xx)`);
    }
    spec.status = statuses.map((status) => status.toLowerCase());
  }
  const body = reader.string(entries.get('body'), `${path}.body`);
  if (body !== undefined) {
    try {
      new RegExp(body);
      spec.body = body;
    } catch (error) {
      reader.problem(entries.get('body'), `${path}.body`, `not a valid regular expression: ${(error as Error).message}`);
    }
  }
  const preset = reader.boolean(entries.get('preset'), `${path}.preset`);
  if (preset !== undefined) spec.preset = preset;
  return spec;
}

function readRepeatExpectation(reader: ScenarioReader, node: YamlNode | undefined, path: string): RepeatExpectation | undefined {
  const value = reader.string(node, path);
  if (value === undefined) return undefined;
  if ((REPEAT_EXPECTATIONS as readonly string[]).includes(value)) return value as RepeatExpectation;
  reader.problem(node, path, `expected ${REPEAT_EXPECTATIONS.join(', ')}`);
  return undefined;
}

function readStep(reader: ScenarioReader, node: YamlNode, index: number): Step | undefined {
  const path = `steps[${index}]`;
  const entries = reader.map(node, path, ['name', ...STEP_KINDS, 'continue_on_failure']);
  if (!entries) return undefined;
  const kinds = STEP_KINDS.filter((kind) => entries.has(kind));
  if (kinds.length !== 1) {
    reader.problem(node, path, kinds.length === 0 ? `needs one of ${STEP_KINDS.join(', ')}` : `has both ${kinds.join(' and ')}; use one per step`);
    return undefined;
  }
  const kind = kinds[0]!;
  const body = entries.get(kind)!;
  const where = `${path}.${kind}`;
  const name = reader.string(entries.get('name'), `${path}.name`) ?? `${kind} ${index + 1}`;
  const continueOnFailure = reader.boolean(entries.get('continue_on_failure'), `${path}.continue_on_failure`) ?? false;
  let action: StepAction | undefined;
  switch (kind) {
    case 'click': {
      const e = reader.map(body, where, ['url', 'params', 'headers', 'capture', 'click_id_param', 'click_id_json', 'follow', 'timeout', 'user_agent', 'ip', ...LOAD_KEYS]);
      if (!e) return undefined;
      action = {
        kind,
        load: readLoad(reader, e, where, true),
        url: reader.string(e.get('url'), `${where}.url`, true, body) ?? '',
        params: Object.entries(reader.record(e.get('params'), `${where}.params`)),
        headers: Object.entries(reader.record(e.get('headers'), `${where}.headers`)),
        capture: reader.string(e.get('capture'), `${where}.capture`) ?? 'click_id',
        clickIdParams: reader.list(e.get('click_id_param'), `${where}.click_id_param`),
        clickIdJson: reader.string(e.get('click_id_json'), `${where}.click_id_json`),
        follow: reader.integer(e.get('follow'), `${where}.follow`, 0, MAX_FOLLOW),
        timeoutMs: reader.duration(e.get('timeout'), `${where}.timeout`, MAX_TIMEOUT_MS),
        userAgent: reader.string(e.get('user_agent'), `${where}.user_agent`),
        ip: reader.string(e.get('ip'), `${where}.ip`),
      };
      const capture = (action as ClickStep).capture;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(capture)) reader.problem(e.get('capture'), `${where}.capture`, 'must be a name of letters, digits and _');
      break;
    }
    case 'fire': {
      const e = reader.map(body, where, ['url', 'preset', 'method', 'data', 'headers', 'expect', 'retries', 'repeat', 'repeat_delay', 'expect_repeat', 'timeout', 'payout', 'revenue', 'txid', 'event', 'status', 'currency', 'vars', ...LOAD_KEYS.filter((key) => key !== 'count')]);
      if (!e) return undefined;
      const values: Record<string, string> = { ...reader.record(e.get('vars'), `${where}.vars`) };
      for (const key of ['payout', 'revenue', 'txid', 'event', 'status', 'currency']) {
        const value = reader.string(e.get(key), `${where}.${key}`);
        if (value !== undefined) values[key] = value;
      }
      const method = (reader.string(e.get('method'), `${where}.method`) ?? 'GET').toUpperCase();
      if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'].includes(method)) reader.problem(e.get('method'), `${where}.method`, `unsupported method "${method}"`);
      action = {
        kind,
        load: readLoad(reader, e, where, false),
        url: reader.string(e.get('url'), `${where}.url`),
        preset: reader.preset(e.get('preset'), `${where}.preset`),
        method,
        data: reader.string(e.get('data'), `${where}.data`),
        headers: Object.entries(reader.record(e.get('headers'), `${where}.headers`)),
        expect: readExpect(reader, e.get('expect'), `${where}.expect`),
        retries: reader.integer(e.get('retries'), `${where}.retries`, 0, MAX_RETRIES),
        repeat: reader.integer(e.get('repeat'), `${where}.repeat`, 1, MAX_REPEAT) ?? 1,
        repeatDelayMs: reader.duration(e.get('repeat_delay'), `${where}.repeat_delay`, MAX_WAIT_MS),
        expectRepeat: readRepeatExpectation(reader, e.get('expect_repeat'), `${where}.expect_repeat`),
        timeoutMs: reader.duration(e.get('timeout'), `${where}.timeout`, MAX_TIMEOUT_MS),
        values,
      };
      const fire = action as FireStep;
      if (fire.repeat < 2) {
        for (const key of ['repeat_delay', 'expect_repeat']) if (e.has(key)) reader.problem(e.get(key), `${where}.${key}`, 'goes with repeat: 2 or more (the duplicate test)');
      } else if (fire.load.durationMs !== undefined || fire.load.warmupMs !== undefined) {
        reader.problem(e.get('repeat'), `${where}.repeat`, 'the duplicate test goes with a counted step, not duration: or warmup:');
      }
      break;
    }
    case 'wait': {
      if (isScalar(body)) {
        action = { kind, duration_ms: reader.duration(body, where, MAX_WAIT_MS), timeoutMs: 0, intervalMs: 0 };
        break;
      }
      const e = reader.map(body, where, ['duration', 'until', 'timeout', 'interval']);
      if (!e) return undefined;
      const until = reader.string(e.get('until'), `${where}.until`);
      const duration_ms = reader.duration(e.get('duration'), `${where}.duration`, MAX_WAIT_MS);
      if (until === undefined && duration_ms === undefined) reader.problem(body, where, 'needs a duration or until: <later step name>');
      action = {
        kind,
        duration_ms,
        until,
        timeoutMs: reader.duration(e.get('timeout'), `${where}.timeout`, MAX_WAIT_MS) ?? 30_000,
        intervalMs: reader.duration(e.get('interval'), `${where}.interval`, MAX_WAIT_MS) ?? 1_000,
      };
      break;
    }
    case 'ingest': {
      const e = reader.map(body, where, ['file', 'kind', 'preset', 'source', 'timezone']);
      if (!e) return undefined;
      const dataKind = reader.string(e.get('kind'), `${where}.kind`, true, body);
      if (dataKind !== undefined && dataKind !== 'clicks' && dataKind !== 'conversions') reader.problem(e.get('kind'), `${where}.kind`, 'expected clicks or conversions');
      action = {
        kind,
        file: reader.string(e.get('file'), `${where}.file`, true, body) ?? '',
        dataKind: dataKind === 'clicks' ? 'clicks' : 'conversions',
        preset: reader.preset(e.get('preset'), `${where}.preset`),
        source: reader.string(e.get('source'), `${where}.source`),
        timezone: reader.string(e.get('timezone'), `${where}.timezone`),
      };
      break;
    }
    case 'reconcile': {
      const e = isScalar(body) && body.value === null ? new Map<string, YamlNode>() : reader.map(body, where, ['fail_on', 'max_unmatched', 'max_unmatched_rate', 'max_duplicates', 'window', 'dedupe_key', 'clicks_source', 'conversions_source', 'scope']);
      if (!e) return undefined;
      const dedupeKey = reader.string(e.get('dedupe_key'), `${where}.dedupe_key`);
      if (dedupeKey !== undefined && dedupeKey !== 'click_id' && dedupeKey !== 'click_id+event+txid') reader.problem(e.get('dedupe_key'), `${where}.dedupe_key`, 'expected click_id or click_id+event+txid');
      const window = reader.string(e.get('window'), `${where}.window`);
      if (window !== undefined) reader.duration(e.get('window'), `${where}.window`);
      const scope = reader.string(e.get('scope'), `${where}.scope`) ?? 'run';
      if (scope !== 'run' && scope !== 'database') reader.problem(e.get('scope'), `${where}.scope`, 'expected run (what this run produced and loaded) or database (everything in --db)');
      action = {
        kind,
        failOn: reader.list(e.get('fail_on'), `${where}.fail_on`),
        maxUnmatched: reader.integer(e.get('max_unmatched'), `${where}.max_unmatched`, 0),
        maxUnmatchedRate: reader.number(e.get('max_unmatched_rate'), `${where}.max_unmatched_rate`, 0, 1),
        maxDuplicates: reader.integer(e.get('max_duplicates'), `${where}.max_duplicates`, 0),
        window,
        dedupeKey: dedupeKey as ReconcileStep['dedupeKey'],
        clicksSource: reader.string(e.get('clicks_source'), `${where}.clicks_source`),
        conversionsSource: reader.string(e.get('conversions_source'), `${where}.conversions_source`),
        scope: scope === 'database' ? 'database' : 'run',
      };
      break;
    }
    case 'expect_postback':
      action = readExpectPostback(reader, body, where);
      if (!action) return undefined;
      break;
  }
  return { name, line: reader.lineOf(node), continueOnFailure, action: action! };
}

/** A scenario file larger than this is refused before it is parsed (a 50 MB one took 2.5 GB). */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
export const MAX_STEPS = 500;
export const MAX_REPEAT = 1000;
export const MAX_RETRIES = 10;
export const MAX_FOLLOW = 20;
/** YAML aliases (`*name`) in one scenario: a few reuse a block; thousands are an attack. */
export const MAX_ALIASES = 1000;
/** Problems listed in one error; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 20;

/** Parse and validate scenario text. Throws one InputError listing the problems (file:line: key: message). */
export function parseScenario(text: string, file: string): Scenario {
  if (Buffer.byteLength(text, 'utf8') > MAX_SCENARIO_BYTES) {
    throw new InputError(`the scenario is ${(Buffer.byteLength(text, 'utf8') / 1024 / 1024).toFixed(1)} MB: at most ${MAX_SCENARIO_BYTES / 1024 / 1024} MB`, { file, hint: 'split it, or drive many runs from one scenario with --data rows.csv' });
  }
  const lines = new LineCounter();
  const document = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const line = first.linePos?.[0]?.line ?? lines.linePos(first.pos[0]).line;
    throw new InputError(`not valid YAML or JSON: ${first.message.split('\n')[0]}`, { file, line });
  }
  let aliases = 0;
  visit(document, { Alias: () => (aliases += 1) });
  if (aliases > MAX_ALIASES) throw new InputError(`the scenario uses ${aliases} YAML aliases: at most ${MAX_ALIASES}`, { file });
  const reader = new ScenarioReader(lines);
  const root = reader.map(document.contents, '', ['name', 'tracker', 'preset', 'vars', 'catch', 'steps']);
  if (!root) throw toInputError(reader.problems, file);
  const name = reader.string(root.get('name'), 'name') ?? file;
  const tracker = reader.string(root.get('tracker'), 'tracker');
  if (tracker !== undefined && !/^https?:\/\/[^/?#\s]+/i.test(tracker) && !tracker.includes('${')) {
    reader.problem(root.get('tracker'), 'tracker', 'expected an http:// or https:// base URL');
  }
  const preset = reader.preset(root.get('preset'), 'preset');
  const vars = reader.record(root.get('vars'), 'vars');
  const catchNode = root.get('catch');
  const catchSection = catchNode === undefined ? undefined : readCatchSection(reader, catchNode);
  const stepsNode = root.get('steps');
  const steps: Step[] = [];
  if (stepsNode === undefined) reader.problem(document.contents as YamlNode, 'steps', 'is required: a list of click, fire, wait, ingest and reconcile steps');
  else if (!isSeq(stepsNode) || stepsNode.items.length === 0) reader.problem(stepsNode, 'steps', 'expected a non-empty list of steps');
  else if (stepsNode.items.length > MAX_STEPS) reader.problem(stepsNode, 'steps', `${stepsNode.items.length} steps: at most ${MAX_STEPS}`);
  else {
    stepsNode.items.forEach((item, index) => {
      const step = readStep(reader, item as YamlNode, index);
      if (step) steps.push(step);
    });
  }
  // Names identify test cases in JUnit reports and `wait: until` targets: they must be unique.
  const seen = new Map<string, number>();
  steps.forEach((step, index) => {
    if (seen.has(step.name)) reader.problems.push({ line: step.line, path: `steps[${index}].name`, message: `"${step.name}" is already the name of step ${seen.get(step.name)! + 1}; step names must be unique` });
    else seen.set(step.name, index);
  });
  steps.forEach((step, index) => {
    if (step.action.kind === 'wait' && step.action.until !== undefined) {
      const target = seen.get(step.action.until);
      if (target === undefined || target <= index) {
        reader.problems.push({ line: step.line, path: `steps[${index}].wait.until`, message: `"${step.action.until}" must name a later step` });
      }
    }
    if (step.action.kind === 'fire' && step.action.url === undefined && (step.action.preset ?? preset) === undefined) {
      reader.problems.push({ line: step.line, path: `steps[${index}].fire.url`, message: 'is required when neither the step nor the scenario names a preset' });
    }
    if (step.action.kind === 'expect_postback' && catchNode === undefined) {
      reader.problems.push({ line: step.line, path: `steps[${index}].expect_postback`, message: 'needs a catch: section (the receiver the postback is expected at)' });
    }
    if (step.action.kind === 'fire' && step.action.url === undefined && tracker === undefined) {
      reader.problems.push({ line: step.line, path: `steps[${index}].fire`, message: "a preset's postback URL needs the scenario's tracker (base URL)" });
    }
  });
  if (reader.problems.length > 0) throw toInputError(reader.problems, file);
  return { file, name, tracker, preset, vars, ...(catchSection ? { catch: catchSection } : {}), steps };
}

function toInputError(problems: Problem[], file: string): InputError {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  const first = sorted[0]!;
  const rest = sorted.slice(1, MAX_LISTED_PROBLEMS).map((problem) => `\n${file}:${problem.line}: ${problem.path}: ${problem.message}`);
  if (sorted.length > MAX_LISTED_PROBLEMS) rest.push(`\n… and ${sorted.length - MAX_LISTED_PROBLEMS} more problems`);
  return new InputError(`${first.path ? `${first.path}: ` : ''}${first.message}${rest.join('')}`, {
    file,
    line: first.line,
    hint: 'see "tpb check --help" or write a starter file with "tpb check --init"',
  });
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_SCENARIO_BYTES) {
      throw new InputError(`the scenario is ${(size / 1024 / 1024).toFixed(1)} MB: at most ${MAX_SCENARIO_BYTES / 1024 / 1024} MB`, { file, hint: 'split it, or drive many runs from one scenario with --data rows.csv' });
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read the scenario: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { file });
  }
  return parseScenario(text, file);
}
