import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PRESETS, PRESET_NAMES } from '../../src/presets/catalog.js';
import { SUCCESS_RULES } from '../../src/fire/success-rules.js';
import { DUPLICATE_RULES } from '../../src/fire/duplicates.js';
import { BIN, cleanEnv, runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Issue 10, item 3: every `tpb check --init --preset X` starter passes as written against
 * `tpb serve --preset X` — both built binaries, the serve on port 0 — and its duplicate step
 * asserts that tracker's duplicate answer through `repeat: 2`.
 */

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** The built `tpb serve --preset X --port 0`; resolves with its base URL once it listens. */
async function serve(preset: string, cwd: string): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'serve', '--preset', preset, '--port', '0'], { cwd, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tpb serve --preset ${preset} did not start: ${out}`)), 20_000);
    const check = (chunk: string) => {
      out += chunk;
      const url = / on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url && /Press Ctrl-C/.test(out)) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout.setEncoding('utf8').on('data', check);
    child.stderr.setEncoding('utf8').on('data', check);
    child.on('exit', () => reject(new Error(`tpb serve --preset ${preset} exited: ${out}`)));
  });
}

describe('tpb check --init starters pass against their own mock tracker', () => {
  it.each(PRESET_NAMES)('%s', async (preset) => {
    const cwd = tempDir();
    const init = await runBin(['check', '--init', '--preset', preset], { cwd });
    expect(init.code).toBe(0);
    const starter = fs.readFileSync(path.join(cwd, 'tpb-check.yaml'), 'utf8');
    // The command it prints to run next names every variable the starter reads.
    for (const name of new Set([...starter.split('\n').filter((line) => !line.trim().startsWith('#')).join('\n').matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((match) => match[1]!))) expect(init.stderr, name).toContain(`${name}=`);
    // Its own success rule and duplicate answer in the comments, not TUNE's.
    expect(starter.replace(/\n\s*#\s*/g, ' ')).toContain(SUCCESS_RULES[preset].description);
    expect(starter.replace(/\n\s*#\s*/g, ' ')).toContain(`${PRESETS[preset].title} answers a duplicate: ${DUPLICATE_RULES[preset].description}`);
    if (preset !== 'tune') expect(starter).not.toContain('success=true;');
    expect(starter).toMatch(/^\s+repeat: 2\b/m);
    expect(starter).toMatch(/^\s+expect_repeat: refused\b/m);

    const base = await serve(preset, cwd);
    const check = await runBin(['check', 'tpb-check.yaml', '--junit', 'report.xml'], { cwd, env: { TRACKER_URL: base, KEITARO_POSTBACK_KEY: 'a1b2c3d' } });
    expect([preset, check.code, check.stdout, check.stderr]).toEqual([preset, 0, expect.any(String), expect.any(String)]);
    expect(check.stdout).toMatch(/✓ click .*captured click_id=/);
    if (DUPLICATE_RULES[preset].sameAsSuccess) expect(check.stdout).toMatch(/✓ postback accepted, duplicate replayed .*1 duplicate copy answered like a success .*cannot tell/);
    else expect(check.stdout).toMatch(/✓ postback accepted, duplicate refused .*1 duplicate copy refused \(HTTP/);
    expect(check.stdout).toMatch(/: 2 passed of 2 steps/);
    expect(fs.readFileSync(path.join(cwd, 'report.xml'), 'utf8')).not.toContain('<failure');
  }, 60_000);
});
