// The HTML reconcile report of the reconcile part's data (1,000,000 clicks × 200,000 conversions)
// with --limit 1000, against the JSON report of the same run: the extra time to write it, and its
// size. Targets (issue 14): under 2 MB, under 2 s more than the JSON report. Then the report is
// opened in headless Chromium (the suite's helper, test/browser/chromium.mjs): no console error,
// no request, its tables and charts there with the JSON report's numbers; a screenshot of its top
// is saved beside it (report-limit1000.png).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromiumMissing, launch, openReport } from '../../test/browser/chromium.mjs';
import { DATA_VERSION, generate, hasIngest, load } from './20-reconcile.mjs';

export const title = 'reconcile --format html: 1,000,000 clicks × 200,000 conversions, --limit 1000';

const RUNS = 5;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

const TIME = '/usr/bin/time';

/**
 * Wall time, and the child's CPU time (user + system: less sensitive to a loaded machine) when
 * /usr/bin/time is there to measure it (null otherwise), in ms.
 */
function timed(context, dbFile, args) {
  const command = [context.bin, '--db', dbFile, '-q', 'reconcile', ...args];
  const cpuFile = path.join(os.tmpdir(), `tpb-bench-report-html-${process.pid}.cpu`);
  const withTime = fs.existsSync(TIME);
  const started = process.hrtime.bigint();
  const result = withTime
    ? spawnSync(TIME, ['-o', cpuFile, '-f', '%U %S', process.execPath, ...command], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
    : spawnSync(process.execPath, command, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`tpb reconcile ${args.join(' ')} failed (exit ${result.status}): ${result.stderr}`);
  let cpuMs = null;
  if (withTime) {
    const [user, system] = fs.readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
    cpuMs = (user + system) * 1000;
    fs.rmSync(cpuFile, { force: true });
  }
  return { ms, cpuMs };
}

/**
 * Opens the report in headless Chromium: problems (console errors, page errors) and requests must
 * be none; the tables and charts must be there, and the numbers the JSON report's.
 */
export async function openInChromium(htmlFile, jsonFile, groupsFile) {
  const missing = chromiumMissing();
  if (missing) return { ok: false, text: missing };
  const json = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  const withGroups = JSON.parse(fs.readFileSync(groupsFile, 'utf8'));
  const browser = await launch();
  try {
    const started = Date.now();
    const { page, problems, requests } = await openReport(browser, htmlFile, { timeoutMs: 120_000 });
    const loadMs = Date.now() - started;
    const tables = await page.$$eval('table', (nodes) => nodes.length);
    const charts = await page.$$eval('svg[id^="chart-"]', (nodes) => nodes.map((node) => [node.id, node.querySelectorAll('g.col').length]));
    const conversions = await page.$eval('#cards .card[data-key="conversions"] .n', (node) => node.textContent);
    const findingRows = await page.$$eval('table[id^="findings-"]', (nodes) => Object.fromEntries(nodes.map((node) => [node.id.slice('findings-'.length), node.querySelectorAll('tbody tr').length])));
    const breakdowns = await page.$$eval('h3[data-by]', (nodes) =>
      nodes.map((node, i) => [
        node.getAttribute('data-by'),
        [...document.querySelectorAll(`#groups-${i} tbody tr`)].map((row) => [row.cells[0].textContent, Number(row.cells[1].textContent.replace(/,/g, ''))]),
      ]),
    );
    const screenshot = htmlFile.replace(/\.html$/, '.png');
    await page.screenshot({ path: screenshot, clip: { x: 0, y: 0, width: 1100, height: 2400 } });
    await page.close();
    const wrong = [];
    if (conversions !== json.summary.conversions.toLocaleString('en-US')) wrong.push(`conversions card ${conversions}, JSON ${json.summary.conversions}`);
    for (const [type, rows] of Object.entries(findingRows)) {
      const expected = json.findings.filter((finding) => finding.type === type).length;
      if (rows !== expected) wrong.push(`${type}: ${rows} rows, JSON ${expected} findings`);
    }
    // Each breakdown table: the first groups of the same breakdown in --json, in the same order.
    for (const [by, rows] of breakdowns) {
      const groups = withGroups.groups.filter((group) => group.by === by);
      const expected = groups.slice(0, rows.length).map((group) => [group.key ?? '(none)', group.conversions]);
      if (rows.length === 0 || JSON.stringify(rows) !== JSON.stringify(expected)) wrong.push(`by ${by}: the rows are not the JSON groups`);
      const total = groups.reduce((sum, group) => sum + group.conversions, 0);
      if (total !== json.summary.conversions) wrong.push(`by ${by}: the JSON groups add up to ${total}, not ${json.summary.conversions}`);
    }
    if (breakdowns.length === 0) wrong.push('no breakdown table');
    for (const [id, columns] of charts) if (columns === 0) wrong.push(`${id} has no data`);
    const said = [
      problems.length === 0 ? 'no console error' : `${problems.length} console error(s): ${problems.slice(0, 3).join('; ')}`,
      requests.length === 0 ? 'no outside request' : `${requests.length} request(s): ${requests.slice(0, 3).join(', ')}`,
      `${tables} tables`,
      `${charts.length} charts`,
      ...(wrong.length === 0 ? ['numbers as in --json'] : []),
      ...wrong,
    ];
    return {
      ok: problems.length === 0 && requests.length === 0 && wrong.length === 0 && charts.length >= 3,
      text: said.join(', '),
      log: `opens in Chromium in ${seconds(loadMs)}: ${said.join(', ')}; screenshot ${screenshot}`,
    };
  } finally {
    await browser.close();
  }
}

export async function run(context) {
  const dir = path.join(context.dataDir, `reconcile-v${DATA_VERSION}`);
  const files = generate(dir, context.log);
  const dbFile = path.join(dir, hasIngest(context.bin) ? 'ingested.db' : 'sql-loaded.db');
  if (!fs.existsSync(dbFile)) {
    const partial = `${dbFile}.partial`;
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(partial + suffix, { force: true });
    await load(context, files, partial);
    fs.renameSync(partial, dbFile);
  }
  const jsonFile = path.join(dir, 'report-limit1000.json');
  const htmlFile = path.join(dir, 'report-limit1000.html');
  const json = ['--format', 'json', '--limit', '1000', '--out', jsonFile];
  const html = ['--format', 'html', '--limit', '1000', '--out', htmlFile];
  timed(context, dbFile, json); // warm-up (page cache)
  const jsonRuns = [];
  const htmlRuns = [];
  for (let i = 0; i < RUNS; i += 1) {
    jsonRuns.push(timed(context, dbFile, json));
    htmlRuns.push(timed(context, dbFile, html));
  }
  const bytes = fs.statSync(htmlFile).size;
  const jsonMs = median(jsonRuns.map((run) => run.ms));
  const htmlMs = median(htmlRuns.map((run) => run.ms));
  const extra = htmlMs - jsonMs;
  const cpu = jsonRuns[0].cpuMs === null ? null : { json: median(jsonRuns.map((run) => run.cpuMs)), html: median(htmlRuns.map((run) => run.cpuMs)) };
  const cpuText = (runs) => (runs[0].cpuMs === null ? '' : ` (cpu ${runs.map((run) => seconds(run.cpuMs)).join(', ')})`);
  context.log(`json ${jsonRuns.map((run) => seconds(run.ms)).join(', ')}${cpuText(jsonRuns)}; html ${htmlRuns.map((run) => seconds(run.ms)).join(', ')}${cpuText(htmlRuns)}; html ${(bytes / 1024 / 1024).toFixed(2)} MiB at ${htmlFile}`);
  // The same breakdowns as JSON, to check the tables' numbers against (not timed).
  const groupsFile = path.join(os.tmpdir(), `tpb-bench-report-html-${process.pid}-groups.json`);
  timed(context, dbFile, ['--format', 'json', '--limit', '0', '--by', 'source,offer,affiliate', '--out', groupsFile]);
  let opened;
  try {
    opened = await openInChromium(htmlFile, jsonFile, groupsFile);
  } finally {
    fs.rmSync(groupsFile, { force: true });
  }
  context.log(opened.log ?? `not opened in Chromium: ${opened.text}`);
  return [
    {
      benchmark: 'reconcile --format html --limit 1000 (size)',
      tpb: `${(bytes / 1e6).toFixed(2)} MB`,
      baseline: '',
      ratio: '',
      target: '< 2 MB',
      ok: bytes < 2e6,
    },
    {
      benchmark: 'reconcile --format html --limit 1000 (time over --format json)',
      tpb: seconds(htmlMs),
      baseline: `${seconds(jsonMs)} json`,
      ratio: `+${seconds(extra)}`,
      target: '< +2 s',
      ok: extra < 2000,
    },
    ...(cpu
      ? [
          {
            benchmark: 'reconcile --format html --limit 1000 (cpu over --format json)',
            tpb: seconds(cpu.html),
            baseline: `${seconds(cpu.json)} json`,
            ratio: `+${seconds(cpu.html - cpu.json)}`,
            target: '',
          },
        ]
      : []),
    {
      benchmark: 'reconcile --format html --limit 1000 (opens in Chromium)',
      tpb: opened.text,
      baseline: '',
      ratio: '',
      target: 'no console error, no request',
      ok: opened.ok,
    },
  ];
}
