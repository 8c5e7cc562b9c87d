import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RuntimeError, UsageError } from '../../errors.js';
import { usedParams } from './params.js';
import type { ClickHouseRunner } from './runner.js';

interface ChdbSession {
  queryBind(query: string, args: object, format?: string): string;
  cleanup(): void;
}
interface ChdbModule {
  Session: new (path?: string) => ChdbSession;
}

/**
 * Load chDB (an optional dependency: ~550 MB, only this engine needs it). Missing, it is a usage
 * error that says how to get it (exit 2), not a stack trace.
 */
export async function loadChdb(): Promise<ChdbModule> {
  try {
    const module = (await import('chdb')) as unknown as ChdbModule & { default?: ChdbModule };
    const chdb = module.Session ? module : module.default;
    if (!chdb?.Session) throw new Error('the chdb package has no Session');
    return chdb;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new UsageError('--engine chdb needs the chdb package (embedded ClickHouse), which is not installed', {
        hint: 'npm install chdb (about 550 MB; tpb loads it only for --engine chdb), or use --engine sqlite',
        cause: error,
      });
    }
    throw new UsageError(`--engine chdb: the chdb package did not load: ${(error as Error).message}`, {
      hint: 'reinstall it: npm install chdb — or use --engine sqlite',
      cause: error,
    });
  }
}

function parseRows<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) if (line.length > 0) rows.push(JSON.parse(line) as T);
  return rows;
}

/**
 * Spill thresholds: a GROUP BY over every click's id hash, or a sort, past 1.5 GB goes to disk; a
 * hash join past 2 GB splits into buckets on disk (grace hash; 'auto' threw "Limit for JOIN
 * exceeded" on the classifying LEFT JOIN instead of switching). Below them nothing changes.
 * Checked by running 10M x 2M with a tenth of each threshold and max_memory_usage = 800 MB: every
 * statement finished, the report byte-identical. Two insert threads: the single sqlite() stream
 * is read on one core while the other compresses and writes the MergeTree parts.
 */
const SESSION_SETTINGS = `SET max_bytes_before_external_group_by = 1500000000, max_bytes_before_external_sort = 1500000000,
  join_algorithm = 'grace_hash', max_bytes_in_join = 2000000000, max_insert_threads = 2`;

/** Session directories are `tpb-chdb-<pid>-*` in the temp directory ($TMPDIR). */
const SESSION_PREFIX = 'tpb-chdb-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the session directories of tpb processes that are gone. A reconcile stopped by Ctrl-C or
 * killed while chDB runs (the thread is inside ClickHouse, so no exit handler runs) leaves its
 * scratch tables behind: gigabytes at 10^8 clicks.
 */
export function sweepStaleSessions(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = /^tpb-chdb-(\d+)-/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || alive(pid)) continue;
    try {
      fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // another process's, or already gone: not ours to insist on
    }
  }
  return removed;
}

/**
 * ClickHouse in this process: one private session whose scratch tables live in a directory of
 * its own in $TMPDIR, removed when the runner closes or the process exits (and, if the process was
 * killed, by the next chdb run).
 */
export function chdbRunner(chdb: ChdbModule, options: { diskScratch?: boolean } = {}): ClickHouseRunner {
  const tmp = os.tmpdir();
  sweepStaleSessions(tmp);
  const dir = fs.mkdtempSync(path.join(tmp, `${SESSION_PREFIX}${process.pid}-`));
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  let session: ChdbSession;
  try {
    session = new chdb.Session(dir);
  } catch (error) {
    removeDir();
    throw error;
  }
  // Bounded memory at 10^8 clicks: grouping, sorting and joining past these sizes spill to the
  // session's directory instead of growing (the big scratch tables are on disk already).
  session.queryBind(SESSION_SETTINGS, {}, 'CSV');
  // The scratch tables are written once and read: background merges of their parts only cost the
  // single read stream a core and the disk a second and third copy (10 GB of merged parts part-way
  // through reading 100M clicks, the old parts kept for minutes).
  session.queryBind('SYSTEM STOP MERGES', {}, 'CSV');
  let open = true;
  const run = (sql: string, params: Readonly<Record<string, unknown>>, format: string): string => {
    try {
      return session.queryBind(sql, usedParams(sql, params), format);
    } catch (error) {
      throw new RuntimeError(`chDB: ${(error as Error).message.split('\n')[0]}`, { cause: error, hint: `the statement: ${sql.split('\n')[0]}…` });
    }
  };
  return {
    name: 'chdb',
    scratchTable: 'TABLE',
    ...(options.diskScratch === false ? {} : { diskScratch: true }),
    rows: <T>(sql: string, params: Readonly<Record<string, unknown>> = {}) => parseRows<T>(run(sql, params, 'JSONEachRow')),
    exec: (sql, params = {}) => {
      run(sql, params, 'CSV');
    },
    insertStrings: (table, values) => {
      const chunk = 50_000;
      for (let i = 0; i < values.length; i += chunk) {
        run(`INSERT INTO ${table} SELECT arrayJoin({values:Array(String)})`, { values: values.slice(i, i + chunk) }, 'CSV');
      }
    },
    close: () => {
      if (open) {
        session.cleanup();
        removeDir();
        process.off('exit', removeDir);
      }
      open = false;
    },
  };
}
