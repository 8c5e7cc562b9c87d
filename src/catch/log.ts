import fs from 'node:fs';

/** Appends one JSON object per line to a file (--log); a write failure is kept, not thrown, and reported once by the caller. */
export class NdjsonLog {
  private failure: Error | undefined;

  private constructor(
    readonly file: string,
    private readonly stream: fs.WriteStream,
  ) {
    stream.on('error', (error) => {
      this.failure = error;
    });
  }

  /** Opens (appending to) `file`; rejects when it cannot be opened, before anything starts. */
  static async open(file: string): Promise<NdjsonLog> {
    const stream = fs.createWriteStream(file, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return new NdjsonLog(file, stream);
  }

  get error(): Error | undefined {
    return this.failure;
  }

  write(value: unknown): void {
    if (this.failure === undefined) this.stream.write(`${JSON.stringify(value)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stream.closed) resolve();
      else this.stream.end(() => resolve());
    });
  }
}
