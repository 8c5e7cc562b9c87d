#!/usr/bin/env node
// npm run bench: every part in bench/parts/ (sorted by name) measures tpb side by side with its
// baseline in this one run, and this prints one table of the figures and ratios.
// Usage: npm run bench [-- <part-name-substring or keyword>...] [--flags the parts read, e.g. --big]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.join(here, '.data'); // generated inputs, reused between runs (git-ignored)
fs.mkdirSync(dataDir, { recursive: true });

const args = process.argv.slice(2);
const flags = args.filter((arg) => arg.startsWith('--'));
const only = args.filter((arg) => !arg.startsWith('--'));
const parts = [];
for (const file of fs.readdirSync(path.join(here, 'parts')).filter((name) => name.endsWith('.mjs')).sort()) {
  const part = await import(pathToFileURL(path.join(here, 'parts', file)).href);
  // a part runs when no names are given, or when a name is in its file name or its keywords
  if (only.length === 0 || only.some((name) => file.includes(name) || (part.keywords ?? []).includes(name))) parts.push([file, part]);
}

const context = {
  repoRoot: path.resolve(here, '..'),
  bin: path.resolve(here, '..', 'bin', 'tpb.js'),
  dataDir,
  flags,
  log: (message) => process.stderr.write(`  ${message}\n`),
};

console.error(`tpb bench on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
const rows = [];
for (const [file, part] of parts) {
  console.error(`\n▶ ${part.title ?? file}`);
  const started = Date.now();
  const partRows = await part.run(context);
  console.error(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  rows.push(...partRows);
}

// One table: what was measured, tpb's figure, the baseline's, the ratio and the target.
const header = ['benchmark', 'tpb', 'baseline', 'ratio', 'target', 'ok'];
const table = rows.map((row) => [row.benchmark, row.tpb, row.baseline, row.ratio, row.target, row.ok === undefined ? '' : row.ok ? 'yes' : 'NO']);
const widths = header.map((name, i) => Math.max(name.length, ...table.map((row) => String(row[i]).length)));
const line = (cells) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join('  ').trimEnd();
console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}`);
for (const row of table) console.log(line(row));
fs.writeFileSync(path.join(dataDir, 'results.json'), `${JSON.stringify({ when: new Date().toISOString(), rows }, null, 2)}\n`);
