import type { Readable } from 'node:stream';

import type { OutStream } from '../text/stream.js';

export type { OutStream } from '../text/stream.js';

/**
 * Everything a command may touch of the process, so tests can run commands in-process and capture
 * what they print. Core code never sees this: it takes options and returns results.
 */
export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  stdin: Readable;
  env: Record<string, string | undefined>;
  cwd: string;
  now: () => Date;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
  };
}
