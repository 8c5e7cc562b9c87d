/** A stream the CLI writes to. process.stdout fits; tests pass a capturing object. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}
