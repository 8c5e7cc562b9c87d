import { Readable } from 'node:stream';
import type { Io } from '../../src/cli/io.js';
import { redactingStream, type Redactor } from '../../src/text/redact.js';

/** An Io whose stdout goes through the redactor (as the CLI's does) into `written`; stderr is dropped. */
export function capturingIo(redactor: Redactor): { io: Io; written: string[] } {
  const written: string[] = [];
  const io: Io = {
    stdout: redactingStream({ write: (chunk: string) => written.push(chunk), isTTY: false }, redactor),
    stderr: { write: () => true, isTTY: false },
    stdin: Readable.from([]),
    env: {},
    cwd: process.cwd(),
    now: () => new Date(),
  };
  return { io, written };
}
