import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, FIXTURES, runBin, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = (name: string) => path.join(FIXTURES, 'ingest', name);

function counts(db: string): { imports: number; clicks: number; conversions: number; rejects: number } {
  const handle = new Database(db, { readonly: true });
  try {
    const one = (table: string) => (handle.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { imports: one('imports'), clicks: one('clicks'), conversions: one('conversions'), rejects: one('rejects') };
  } finally {
    handle.close();
  }
}

/** A click export of `rows` rows (about 150 bytes each). */
function bigExport(file: string, rows: number, seed = 0): void {
  const fd = fs.openSync(file, 'w');
  let chunk = 'click_id,occurred_at,offer_id,ip,user_agent\n';
  for (let i = 0; i < rows; i += 1) {
    chunk += `id-${seed}-${i},2026-11-29 06:${String(i % 60).padStart(2, '0')}:16,${1000 + (i % 40)},203.0.113.${i % 250},"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

describe('tpb ingest through the built binary', () => {
  it('imports, says which mapping it used on stderr, and prints the summary on stdout', async () => {
    const cwd = tempDir();
    const result = await runBin(['ingest', fixture('presets/tune-conversions.csv'), '--kind', 'conversions'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('preset tune (detected: 11 of its 11 headers); comma-separated, UTF-8');
    expect(result.stdout).toMatch(/tune-conversions\.csv: 3 conversions imported as import 1 \(source tune\), 0 rejected, in [\d.]+ s \([\d,]+ rows\/s\)/);
    expect(result.stdout).not.toContain('\u001b[');
    expect(counts(path.join(cwd, 'tpb.db')).conversions).toBe(3);
  });

  it('--json prints one document with the mapping, counts and first rejects', async () => {
    const cwd = tempDir();
    const result = await runBin(['--json', 'ingest', fixture('bad-rows.csv'), '-k', 'conversions', '--source', 'adv'], { cwd });
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      version: number;
      files: Array<{ status: string; rows: number; rejected: number; source: string; mapping: { source: string; columns: Array<{ field: string; header: string }> }; first_rejects: Array<{ line: number; reason: string }> }>;
      totals: { rows: number; rejected: number };
    };
    expect(doc.version).toBe(1);
    expect(doc.files[0]).toMatchObject({ status: 'imported', rows: 3, rejected: 6, source: 'adv' });
    expect(doc.files[0]!.mapping.source).toBe('aliases');
    expect(doc.files[0]!.mapping.columns.map((column) => column.field)).toEqual(['click_id', 'occurred_at', 'payout', 'status']);
    expect(doc.files[0]!.first_rejects.map((reject) => reject.line)).toEqual([3, 4, 5, 6, 7, 10]);
    expect(doc.totals).toMatchObject({ rows: 3, rejected: 6 });
    expect(result.stderr).toContain('headers recognised from every preset');
  });

  it('lists rejected rows with line numbers; --strict makes them exit 1 (the good rows stay in)', async () => {
    const cwd = tempDir();
    const lenient = await runBin(['ingest', fixture('bad-rows.csv'), '-k', 'conversions'], { cwd });
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('line 3: expected 4 fields, found 2');
    expect(lenient.stdout).toContain('line 10: unterminated quote');
    const strictCwd = tempDir();
    const strict = await runBin(['ingest', fixture('bad-rows.csv'), '-k', 'conversions', '--strict'], { cwd: strictCwd });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/failed: 6 rows rejected under --strict/);
    expect(counts(path.join(strictCwd, 'tpb.db'))).toMatchObject({ conversions: 3, rejects: 6 });
  });

  it.each([
    ['binary.csv', /error: .*binary\.csv: not a CSV file: it contains NUL bytes/],
    ['empty.csv', /error: .*empty\.csv: not a CSV file: it is empty/],
    ['workbook.csv', /not a CSV file: it is a ZIP archive[\s\S]*hint: save the sheet as CSV/],
    ['no-click-id.csv', /no column can be the click id \(the file's headers are: "date", "amount", "status"\)[\s\S]*hint: pass --map click_id=<header>/],
  ])('%s: exit 2, nothing written', async (name, message) => {
    const cwd = tempDir();
    const result = await runBin(['ingest', fixture(name), '-k', 'conversions'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(counts(path.join(cwd, 'tpb.db'))).toEqual({ imports: 0, clicks: 0, conversions: 0, rejects: 0 });
  });

  it('a missing file among several: exit 2 before anything is written', async () => {
    const cwd = tempDir();
    const result = await runBin(['ingest', fixture('quoted.csv'), 'nope.csv', '-k', 'clicks'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nope\.csv: no such file/);
    expect(fs.existsSync(path.join(cwd, 'tpb.db'))).toBe(false);
  });

  it.each([
    [['ingest', 'x.csv'], /required option '-k, --kind <kind>' not specified/],
    [['ingest', 'x.csv', '-k', 'leads'], /argument 'leads' is invalid/],
    [['ingest', 'x.csv', '-k', 'clicks', '--preset', 'hasoffers'], /argument 'hasoffers' is invalid/],
    [['ingest', 'x.csv', '-k', 'clicks', '--timezone', 'Mars/Base'], /expected an IANA time zone/],
    [['ingest', 'x.csv', '-k', 'clicks', '--delimiter', '::'], /expected one character/],
    [['ingest', 'x.csv', '-k', 'clicks', '--map', 'click_id'], /expected key=value/],
  ])('usage errors exit 2: %j', async (args, message) => {
    const result = await runCli(args, { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('--map with an unknown field is exit 2 listing the fields', async () => {
    const result = await runCli(['ingest', fixture('quoted.csv'), '-k', 'clicks', '--map', 'payout=sub1'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"payout" is not a click field[\s\S]*hint: fields: click_id, occurred_at/);
  });

  it('reads stdin', async () => {
    const cwd = tempDir();
    const result = await runBin(['ingest', '-', '-k', 'clicks', '--source', 'piped'], { cwd, stdin: fs.readFileSync(fixture('clicks.csv.gz')) });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/stdin: 2 clicks imported/);
    expect(result.stderr).toContain('gzip');
  });

  it('says when the content was imported already; --force replaces it', async () => {
    const cwd = tempDir();
    await runBin(['ingest', fixture('quoted.csv'), '-k', 'clicks'], { cwd });
    const again = await runBin(['ingest', fixture('quoted.csv'), '-k', 'clicks'], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already imported as import 1 \(source csv, same content, 3 rows\); nothing written — --force replaces it/);
    const forced = await runBin(['ingest', fixture('quoted.csv'), '-k', 'clicks', '--force'], { cwd });
    expect(forced.stdout).toMatch(/replaced import 1 \(3 rows\): 3 clicks imported as import 2/);
    expect(counts(path.join(cwd, 'tpb.db'))).toMatchObject({ imports: 1, clicks: 3 });
  });

  it('the worker thread path gives the same rows and the same errors as the inline one', async () => {
    const cwd = tempDir();
    const env = { TPB_INGEST_THREADS: 'worker' };
    const ok = await runBin(['--json', 'ingest', fixture('bad-rows.csv'), '-k', 'conversions'], { cwd, env });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ files: [{ rows: 3, rejected: 6 }] });
    const piped = await runBin(['ingest', '-', '-k', 'clicks'], { cwd, env, stdin: fs.readFileSync(fixture('utf16le-bom.csv')) });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/stdin: 2 clicks imported/);
    const bad = await runBin(['ingest', fixture('truncated.csv.gz'), '-k', 'clicks'], { cwd, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/truncated\.csv\.gz: not a CSV file: not a valid gzip stream/);
    const noId = await runBin(['ingest', fixture('no-click-id.csv'), '-k', 'clicks'], { cwd, env });
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/no-click-id\.csv:2|no-click-id\.csv:1/);
  });

  it('takes option defaults from tpb.config.json; -v lists the column mapping; a Windows-1252 file is read with a warning', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'tpb.config.json'), JSON.stringify({ ingest: { timezone: '+02:00', source: 'from-config' } }));
    const result = await runCli(['-v', '--json', 'ingest', fixture('naive-times.csv'), '-k', 'clicks'], { cwd });
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { files: Array<{ source: string }> };
    expect(doc.files[0]!.source).toBe('from-config');
    expect(result.stderr).toContain('occurred_at → occurred_at');
    const db = new Database(path.join(cwd, 'tpb.db'), { readonly: true });
    expect(db.prepare("SELECT occurred_at FROM clicks WHERE click_id = 'ny-summer'").get()).toEqual({ occurred_at: '2026-07-15T10:00:00.000Z' });
    db.close();

    const latin = await runCli(['ingest', fixture('windows-1252.csv'), '-k', 'clicks', '--source', 'latin'], { cwd });
    expect(latin.code).toBe(0);
    expect(latin.stderr).toMatch(/warning: .*windows-1252\.csv: not valid UTF-8: read as Windows-1252/);
  });

  it('a gzip file damaged midway: exit 2 and nothing written, after rows were already parsed (both paths)', async () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'damaged.csv');
    bigExport(file, 40_000);
    const gz = zlib.gzipSync(fs.readFileSync(file));
    fs.writeFileSync(`${file}.gz`, gz.subarray(0, Math.floor(gz.length * 0.6)));
    for (const threads of ['worker', 'inline']) {
      const result = await runBin(['ingest', `${file}.gz`, '-k', 'clicks'], { cwd, env: { TPB_INGEST_THREADS: threads } });
      expect(result.code, threads).toBe(2);
      expect(result.stderr).toMatch(/damaged\.csv\.gz: cannot be read to the end: not a valid gzip stream/);
      expect(counts(path.join(cwd, 'tpb.db'))).toEqual({ imports: 0, clicks: 0, conversions: 0, rejects: 0 });
    }
  });

  it('draws a progress bar only when stderr is a terminal', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'rows.csv');
    bigExport(file, 30_000);
    const tty = await runCli(['ingest', file, '-k', 'clicks'], { cwd: dir, stderrIsTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/\r\u001b\[2Krows\.csv \[[█░]+\] +\d+%  [\d.]+\/[\d.]+ MB · rows [\d,]+ · [\d,]+ rows\/s · (ETA )?\d+s/);
    const pipe = await runCli(['ingest', file, '-k', 'clicks', '--source', 'again'], { cwd: dir });
    expect(pipe.stderr).not.toContain('rows/s');
  });
});

describe('crash safety and concurrency (real child processes)', () => {
  it('SIGKILL mid-ingest leaves the database as it was before that file', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'tpb.db');
    const before = await runBin(['--db', db, 'ingest', fixture('quoted.csv'), '-k', 'clicks'], { cwd: dir });
    expect(before.code).toBe(0);
    const big = path.join(dir, 'big.csv');
    bigExport(big, 250_000);

    const child = spawn(process.execPath, [BIN, '--db', db, 'ingest', big, '-k', 'clicks'], { cwd: dir, env: cleanEnv({ TPB_INGEST_THREADS: 'worker' }), stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    // Kill once the import has written a few MB of uncommitted pages to the WAL.
    let walBytes = 0;
    const started = Date.now();
    while (Date.now() - started < 20_000) {
      walBytes = fs.existsSync(`${db}-wal`) ? fs.statSync(`${db}-wal`).size : 0;
      if (walBytes > 4 * 1024 * 1024) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill('SIGKILL');
    const { signal } = await exited;
    expect(signal).toBe('SIGKILL');
    expect(walBytes).toBeGreaterThan(4 * 1024 * 1024);

    // The database opens, passes an integrity check and holds exactly what it held before.
    const handle = new Database(db);
    expect(handle.pragma('integrity_check', { simple: true })).toBe('ok');
    handle.close();
    expect(counts(db)).toEqual({ imports: 1, clicks: 3, conversions: 0, rejects: 0 });
    const info = await runBin(['--db', db, '--json', 'db', 'info'], { cwd: dir });
    expect(info.code).toBe(0);
    // And the same file can be ingested afterwards.
    const retry = await runBin(['--db', db, '--json', 'ingest', big, '-k', 'clicks'], { cwd: dir });
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ files: [{ status: 'imported', rows: 250_000 }] });
  }, 60_000);

  it('two ingests into the same database at once both succeed', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'tpb.db');
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    bigExport(a, 60_000, 1);
    bigExport(b, 50_000, 2);
    const [first, second] = await Promise.all([
      runBin(['--db', db, '--json', 'ingest', a, '-k', 'clicks', '--source', 'a'], { cwd: dir }),
      runBin(['--db', db, '--json', 'ingest', b, '-k', 'clicks', '--source', 'b'], { cwd: dir }),
    ]);
    expect(first.stderr).not.toMatch(/error/);
    expect(second.stderr).not.toMatch(/error/);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(counts(db)).toMatchObject({ imports: 2, clicks: 110_000 });
  }, 60_000);
});

describe('several files, one failing', () => {
  it('stops before writing anything when one of them is not a CSV at all', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'a.csv'), 'click_id,occurred_at\na1,2026-01-01 00:00:00\n');
    fs.writeFileSync(path.join(cwd, 'empty.csv'), '');
    const result = await runBin(['ingest', 'a.csv', 'empty.csv', '-k', 'clicks'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/empty\.csv: not a CSV file: it is empty/);
    expect(result.stderr).toMatch(/nothing was imported/);
    expect(fs.existsSync(path.join(cwd, 'tpb.db'))).toBe(false);
  });

  it('says which files went in before the bad one and which were not attempted (exit 2)', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'a.csv'), 'click_id,occurred_at\na1,2026-01-01 00:00:00\n');
    // A damaged gzip passes the up-front sniff (gzip is checked as it is read), so it fails midway.
    fs.writeFileSync(path.join(cwd, 'bin.csv'), Buffer.concat([zlib.gzipSync('click_id\nx\n'.repeat(1000)).subarray(0, 40)]));
    fs.writeFileSync(path.join(cwd, 'c.csv'), 'click_id\nc1\n');
    const result = await runBin(['ingest', 'a.csv', 'bin.csv', 'c.csv', '-k', 'clicks', '--json'], { cwd });
    expect(result.code).toBe(2);
    const doc = JSON.parse(result.stdout) as { files: Array<{ file: string; rows: number }>; failed: { file: string } };
    expect(doc.files.map((file) => [file.file, file.rows])).toEqual([['a.csv', 1]]);
    expect(doc.failed.file).toBe('bin.csv');
    expect(result.stderr).toMatch(/bin\.csv: .*gzip/);
    expect(result.stderr).toMatch(/nothing of bin\.csv was written; a\.csv \(import 1\) was imported before it, c\.csv not attempted/);
  });
});
