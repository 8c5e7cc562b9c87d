import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { Store } from '../../src/store/db.js';

/** A directory holding an empty, migrated tpb database at `name`. */
function withDatabase(name = 'tpb.db'): string {
  const cwd = tempDir();
  Store.open(path.join(cwd, name)).close();
  return cwd;
}

describe('the built binary', () => {
  it('prints help with examples and the exit codes, exit 0', async () => {
    const result = await runBin(['--help'], { cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: tpb');
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('Exit codes');
  });

  it('answers an unknown option with exit 2 and a hint on stderr', async () => {
    const result = await runBin(['db', 'info', '--nope'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/unknown option '--nope'/);
  });

  it('db info --json prints exactly one JSON document on stdout', async () => {
    const cwd = withDatabase();
    const result = await runBin(['db', 'info', '--json'], { cwd });
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout) as { file: string; schema_version: number; counts: Array<{ table: string; rows: number }> };
    expect(info.file).toBe(path.join(cwd, 'tpb.db'));
    expect(info.schema_version).toBeGreaterThan(0);
    expect(info.counts.map((count) => count.table)).toEqual(
      expect.arrayContaining(['imports', 'clicks', 'conversions', 'rejects', 'runs', 'postbacks']),
    );
  });

  it('honours TPB_DB and --db, --db winning; an empty TPB_DB is the default', async () => {
    const cwd = withDatabase('from-env.db');
    Store.open(path.join(cwd, 'from-flag.db')).close();
    const env = await runBin(['db', 'info', '--json'], { cwd, env: { TPB_DB: 'from-env.db' } });
    expect(JSON.parse(env.stdout).file).toBe(path.join(cwd, 'from-env.db'));
    const flag = await runBin(['db', 'info', '--json', '--db', 'from-flag.db'], { cwd, env: { TPB_DB: 'from-env.db' } });
    expect(JSON.parse(flag.stdout).file).toBe(path.join(cwd, 'from-flag.db'));
    const empty = await runBin(['db', 'info'], { cwd, env: { TPB_DB: '' } });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`no database at ${path.join(cwd, 'tpb.db')}`);
  });
});

describe('db commands', () => {
  it('refuses to reset without --yes (exit 2), resets with it', async () => {
    const cwd = withDatabase();
    const refused = await runCli(['db', 'reset'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const done = await runCli(['db', 'reset', '--yes', '--json'], { cwd });
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ reset: true });
  });

  it('rejects an unknown table with the list of tables', async () => {
    const result = await runCli(['db', 'export', 'users'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown table "users"/);
    expect(result.stderr).toMatch(/conversions/);
  });

  it('exports a table as CSV with its header, and JSON as an array', async () => {
    const cwd = withDatabase();
    const csv = await runCli(['db', 'export', 'conversions'], { cwd });
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toContain('click_id');
    const json = await runCli(['db', 'export', 'imports', '--format', 'json'], { cwd });
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('says there is no database instead of creating one (exit 2, nothing written)', async () => {
    const cwd = tempDir();
    for (const args of [['db', 'info'], ['db', 'export', 'clicks'], ['db', 'reset', '--yes']]) {
      const result = await runCli(args, { cwd });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/no database at .*tpb\.db/);
    }
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('names a database path it cannot open (exit 2)', async () => {
    const result = await runCli(['db', 'info', '--db', '/proc/version'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot open the database \/proc\/version|\/proc\/version is not a tpb database/);
  });

  it('strips escape sequences from an export written to a terminal, not from one piped to a file', async () => {
    const cwd = withDatabase();
    const store = Store.open(path.join(cwd, 'tpb.db'));
    store.db.prepare("INSERT INTO clicks (source, click_id) VALUES ('x', ?)").run('id\u001b[31mRED\u001b]0;title\u0007');
    store.close();
    const terminal = await runCli(['db', 'export', 'clicks'], { cwd, stdoutIsTTY: true });
    expect(terminal.stdout).toContain('idRED');
    expect(terminal.stdout).not.toContain('\u001b');
    const piped = await runCli(['db', 'export', 'clicks'], { cwd });
    expect(piped.stdout).toContain('id\u001b[31mRED');
  });

  it('says which path is not a database', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'notes.txt'), 'this is not sqlite, it is a long enough text file to have a header page'.repeat(20));
    const result = await runCli(['db', 'info', '--db', 'notes.txt'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/notes\.txt is not a tpb database/);
  });
});

describe('config file', () => {
  it('uses tpb.config.json values as defaults, argv winning, and warns about unknown keys', async () => {
    const cwd = withDatabase('configured.db');
    fs.writeFileSync(path.join(cwd, 'tpb.config.json'), JSON.stringify({ db: 'configured.db', shoe: 1, 'db export': { format: 'json' } }));
    const result = await runCli(['db', 'export', 'imports'], { cwd });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(result.stderr).toMatch(/unknown key "shoe"/);
    const argvWins = await runCli(['db', 'export', 'imports', '--format', 'csv'], { cwd });
    expect(argvWins.stdout.startsWith('id,kind,source')).toBe(true);
  });

  it('rejects a bad value with the file and key (exit 2)', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'custom.json'), JSON.stringify({ 'db export': { format: 'xml' } }));
    const result = await runCli(['db', 'export', 'imports', '--config', 'custom.json'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/custom\.json: "db export\.format": "xml" is not one of csv, json/);
  });

  it('reports a config file that is not JSON', async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'tpb.config.json'), '{ db: nope');
    const result = await runCli(['db', 'info'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/tpb\.config\.json: not valid JSON/);
  });
});

describe('--help', () => {
  it.each(['click', 'fire', 'lint', 'ingest', 'reconcile', 'serve', 'demo', 'check', 'db', 'db info', 'db export', 'db reset'])(
    'tpb %s --help has examples and exits 0',
    async (command) => {
      const result = await runCli([...command.split(' '), '--help'], { cwd: tempDir() });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Examples:\n {2}\$ tpb /);
    },
  );
});
