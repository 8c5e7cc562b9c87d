import { UsageError } from '../errors.js';
import type { Redactor } from '../text/redact.js';
import type { Scenario } from './scenario.js';

/**
 * Scenario values use two kinds of placeholder:
 * - `${NAME}`: an environment variable, resolved before anything runs (a missing one is exit 2)
 *   and treated as a secret: its value is redacted everywhere (unless it is only the tracker's
 *   base URL);
 * - `{name}`: a scenario var, a data-row column, a capture from an earlier step, or `{tracker}`;
 *   names tpb does not know are left for the command's own macros (`{uuid}`, `{i}`…), which fail
 *   loudly if nothing resolves them.
 */
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `${NAME}` → `{env.NAME}`: a fire macro, so tpb fire resolves it and encodes the value once. */
export function envAsMacros(text: string): string {
  return text.replace(ENV_REF, (_match, name: string) => `{env.${name}}`);
}
const SCOPE_REF = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) strings(item, out);
  return out;
}

/** Every `${NAME}` the scenario uses, with the first step (or top-level key) that uses it. */
export function environmentReferences(scenario: Scenario): Map<string, string> {
  const refs = new Map<string, string>();
  const scan = (where: string, value: unknown) => {
    for (const text of strings(value)) for (const match of text.matchAll(ENV_REF)) if (!refs.has(match[1]!)) refs.set(match[1]!, where);
  };
  scan('tracker', scenario.tracker);
  scan('vars', scenario.vars);
  for (const step of scenario.steps) scan(`step "${step.name}"`, step.action);
  return refs;
}

/**
 * Resolve the environment variables a scenario needs, registering each value with the redactor.
 * Throws a UsageError naming every missing variable.
 */
export function resolveEnvironment(scenario: Scenario, env: Record<string, string | undefined>, redactor: Redactor): Map<string, string> {
  const values = new Map<string, string>();
  const missing: string[] = [];
  // A variable used only as the tracker's base URL is not a secret (hiding it would hide which
  // tracker was tested); every other one is, wherever its value shows up.
  const outsideTracker = new Set<string>();
  for (const text of strings([scenario.vars, scenario.steps.map((step) => step.action)])) {
    for (const match of text.matchAll(ENV_REF)) outsideTracker.add(match[1]!);
  }
  for (const [name, where] of environmentReferences(scenario)) {
    const value = env[name];
    if (value === undefined) missing.push(`${name} (used by ${where})`);
    else {
      values.set(name, value);
      if (outsideTracker.has(name)) redactor.addValue(value);
    }
  }
  if (missing.length > 0) {
    throw new UsageError(`${scenario.file}: environment variable${missing.length > 1 ? 's' : ''} not set: ${missing.join(', ')}`, {
      hint: 'export them before running tpb check (in CI, from the secret store)',
    });
  }
  return values;
}

export interface InterpolationScope {
  env: ReadonlyMap<string, string>;
  /** Scenario vars, then data-row columns, then captures (later ones win). */
  values: Readonly<Record<string, string>>;
}

/**
 * Substitute `${ENV}` and known `{name}`s. In URL context values are percent-encoded once, except
 * `{tracker}`, which is a base URL; unknown `{names}` are left for the command's own macros.
 */
export function interpolate(text: string, scope: InterpolationScope, context: 'url' | 'text'): string {
  const encode = (name: string, value: string) => (context === 'url' && name !== 'tracker' ? encodeURIComponent(value) : value);
  return text
    .replace(ENV_REF, (_match, name: string) => encode(name, scope.env.get(name) ?? ''))
    .replace(SCOPE_REF, (match, name: string) => {
      const value = scope.values[name];
      return value === undefined ? match : encode(name, value);
    });
}
