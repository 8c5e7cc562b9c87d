import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

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
    const cwd = tempDir();
    const result = await runBin(['db', 'info', '--json'], { cwd });
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout) as { file: string; schema_version: number; counts: Array<{ table: string; rows: number }> };
    expect(info.file).toBe(path.join(cwd, 'tpb.db'));
    expect(info.schema_version).toBeGreaterThan(0);
    expect(info.counts.map((count) => count.table)).toEqual(
      expect.arrayContaining(['imports', 'clicks', 'conversions', 'rejects', 'runs', 'postbacks']),
    );
  });

  it('honours TPB_DB and --db, --db winning', async () => {
    const cwd = tempDir();
    await runBin(['db', 'info'], { cwd, env: { TPB_DB: 'from-env.db' } });
    expect(fs.existsSync(path.join(cwd, 'from-env.db'))).toBe(true);
    await runBin(['db', 'info', '--db', 'from-flag.db'], { cwd, env: { TPB_DB: 'from-env.db' } });
    expect(fs.existsSync(path.join(cwd, 'from-flag.db'))).toBe(true);
  });
});

describe('db commands', () => {
  it('refuses to reset without --yes (exit 2), resets with it', async () => {
    const cwd = tempDir();
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
    const cwd = tempDir();
    const csv = await runCli(['db', 'export', 'conversions'], { cwd });
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toContain('click_id');
    const json = await runCli(['db', 'export', 'imports', '--format', 'json'], { cwd });
    expect(JSON.parse(json.stdout)).toEqual([]);
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
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'tpb.config.json'), JSON.stringify({ db: 'configured.db', shoe: 1, 'db export': { format: 'json' } }));
    const result = await runCli(['db', 'export', 'imports'], { cwd });
    expect(result.code).toBe(0);
    expect(fs.existsSync(path.join(cwd, 'configured.db'))).toBe(true);
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
