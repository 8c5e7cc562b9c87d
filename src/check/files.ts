import fs from 'node:fs';
import path from 'node:path';

/**
 * `tpb check a.yaml b.yaml scenarios/ 'checks/**\/*.yaml'`: the scenario files the arguments name,
 * in order, each once. A directory stands for its *.yaml and *.yml files (sorted); an argument with
 * `*` or `?` is a glob the shell did not expand (quoted, or on Windows): `*` and `?` match within
 * one path segment, `**` any number of segments. Node 20 has no fs.glob, hence this small one.
 */

export interface ScenarioFiles {
  files: string[];
  /** Arguments that named nothing usable: "no file matches …", "… has no .yaml files". */
  problems: string[];
}

const SCENARIO_FILE = /\.ya?ml$/i;

export function isGlob(argument: string): boolean {
  return /[*?]/.test(argument);
}

function segmentPattern(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** The files matching a glob (absolute paths, sorted), without following symlinked directories. */
export function expandGlob(pattern: string, cwd: string): string[] {
  const absolute = path.resolve(cwd, pattern);
  const { root } = path.parse(absolute);
  const segments = absolute.slice(root.length).split(/[\\/]+/).filter(Boolean);
  const found = new Set<string>();
  const walk = (dir: string, index: number) => {
    if (index === segments.length) {
      if (fs.existsSync(dir) && fs.statSync(dir).isFile()) found.add(dir);
      return;
    }
    const segment = segments[index]!;
    if (segment === '**') {
      walk(dir, index + 1);
      for (const entry of entries(dir)) if (entry.isDirectory() && !entry.name.startsWith('.')) walk(path.join(dir, entry.name), index);
      return;
    }
    if (!isGlob(segment)) {
      walk(path.join(dir, segment), index + 1);
      return;
    }
    const matcher = segmentPattern(segment);
    for (const entry of entries(dir)) {
      // Like a shell, * does not match hidden files.
      if (entry.name.startsWith('.') && !segment.startsWith('.')) continue;
      if (matcher.test(entry.name)) walk(path.join(dir, entry.name), index + 1);
    }
  };
  walk(root, 0);
  return [...found].sort();
}

function entries(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

export function scenarioFiles(argumentsGiven: readonly string[], cwd: string): ScenarioFiles {
  const files: string[] = [];
  const problems: string[] = [];
  const add = (file: string) => {
    if (!files.includes(file)) files.push(file);
  };
  for (const argument of argumentsGiven) {
    const absolute = path.resolve(cwd, argument);
    if (isGlob(argument) && !fs.existsSync(absolute)) {
      const matched = expandGlob(argument, cwd);
      if (matched.length === 0) problems.push(`${argument}: no file matches`);
      matched.forEach(add);
      continue;
    }
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(absolute);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) {
      const inside = entries(absolute)
        .filter((entry) => entry.isFile() && SCENARIO_FILE.test(entry.name) && !entry.name.startsWith('.'))
        .map((entry) => path.join(absolute, entry.name))
        .sort();
      if (inside.length === 0) problems.push(`${absolute}: the directory has no .yaml or .yml files`);
      inside.forEach(add);
    } else {
      // A missing file is reported by the scenario loader, with the others.
      add(absolute);
    }
  }
  return { files, problems };
}
