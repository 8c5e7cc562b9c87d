import fs from 'node:fs';
import path from 'node:path';
import { CommanderError, type Command, type Option } from 'commander';
import { UsageError } from '../errors.js';

/**
 * tpb.config.json: values that become option defaults. Top-level keys are global options (`db`,
 * `color`, `quiet`, `verbose`, `json`) or command names (`"ingest"`, `"db export"`) holding that
 * command's options, by long name in kebab-case or camelCase. Command-line flags and environment
 * variables win over the file; unknown keys are warned about; a bad value is an error (exit 2).
 *
 * {
 *   "db": "./data/tpb.db",
 *   "ingest": { "timezone": "America/New_York" },
 *   "fire": { "retries": 3, "secret": ["sig"] },
 *   "reconcile": { "window": "90d", "max-unmatched-rate": 0.02 }
 * }
 */
export const CONFIG_FILE_NAME = 'tpb.config.json';

export interface LoadedConfig {
  file: string;
  values: Record<string, unknown>;
}

export function findConfigFile(explicit: string | undefined, cwd: string): string | undefined {
  if (explicit !== undefined) return path.resolve(cwd, explicit);
  const candidate = path.join(cwd, CONFIG_FILE_NAME);
  return fs.existsSync(candidate) ? candidate : undefined;
}

export function loadConfig(file: string, explicit: boolean): LoadedConfig | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the config file ${file}: ${(error as Error).message}`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new UsageError(`${file}: expected a JSON object of option defaults`);
  }
  return { file, values: values as Record<string, unknown> };
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_m, letter: string) => letter.toUpperCase());
}

function optionKeys(option: Option): string[] {
  const long = option.long?.replace(/^--/, '') ?? '';
  const keys = new Set([option.attributeName(), long, camel(long)]);
  if (option.negate) {
    // --no-color is set with "color": false
    keys.add(option.attributeName());
  }
  return [...keys].filter((key) => key.length > 0);
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/** Turn a config value into what the option's parser would have produced from argv. */
function convert(option: Option, raw: unknown, where: string): unknown {
  const takesValue = option.required || option.optional;
  if (!takesValue) {
    if (typeof raw !== 'boolean') throw new UsageError(`${where}: expected true or false`);
    return raw;
  }
  const items = Array.isArray(raw) ? raw : [raw];
  let value: unknown = Array.isArray(raw) ? undefined : option.defaultValue;
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      throw new UsageError(`${where}: expected a string, number or boolean (or a list of them)`);
    }
    const text = String(item);
    if (option.argChoices && !option.argChoices.includes(text)) {
      throw new UsageError(`${where}: "${text}" is not one of ${option.argChoices.join(', ')}`);
    }
    if (option.parseArg) {
      try {
        value = option.parseArg(text, value);
      } catch (error) {
        const message = error instanceof CommanderError ? error.message : (error as Error).message;
        throw new UsageError(`${where}: "${text}" is invalid: ${message}`);
      }
    } else {
      value = option.variadic ? [...((value as string[] | undefined) ?? []), text] : text;
    }
  }
  return value;
}

function applyOptions(
  command: Command,
  values: Record<string, unknown>,
  file: string,
  prefix: string,
  skip: ReadonlySet<string>,
  warn: (message: string) => void,
): void {
  const byKey = new Map<string, Option>();
  for (const option of command.options) for (const key of optionKeys(option)) byKey.set(key, option);
  for (const [key, raw] of Object.entries(values)) {
    if (skip.has(key)) continue;
    const option = byKey.get(key);
    if (!option) {
      warn(`${file}: unknown key "${prefix}${key}" (ignored)`);
      continue;
    }
    const name = option.attributeName();
    const source = command.getOptionValueSource(name);
    if (source === 'cli' || source === 'env') continue;
    command.setOptionValueWithSource(name, convert(option, raw, `${file}: "${prefix}${key}"`), 'config');
  }
}

/** Apply a loaded config to the root program (global keys) and to the command about to run. */
export function applyConfig(
  config: LoadedConfig,
  program: Command,
  action: Command,
  warn: (message: string) => void,
): void {
  const commandNames = new Set<string>();
  const walk = (command: Command) => {
    for (const sub of command.commands) {
      commandNames.add(commandPath(sub));
      walk(sub);
    }
  };
  walk(program);
  const globalValues: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config.values)) {
    if (key === 'config') {
      warn(`${config.file}: "config" cannot be set in a config file (ignored)`);
    } else if (key === '$schema') {
      // editors' hint, allowed
    } else if (commandNames.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      // a command's section; applied below when that command runs
    } else {
      globalValues[key] = value;
    }
  }
  applyOptions(program, globalValues, config.file, '', new Set(), warn);
  const path = commandPath(action);
  const section = config.values[path];
  if (section && typeof section === 'object' && !Array.isArray(section)) {
    applyOptions(action, section as Record<string, unknown>, config.file, `${path}.`, new Set(), warn);
  }
}
