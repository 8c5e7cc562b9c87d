/**
 * The per-item lines of click and fire (one per click or postback) on stdout, in the order the
 * items were numbered although they finish out of order (a small buffer, bounded by the
 * concurrency), at any count. `--max-lines N` folds the rest: they are counted, and the command
 * says how many it did not list.
 */
export class ItemLines {
  private readonly pending = new Map<number, string>();
  private next = 1;
  private written = 0;
  folded = 0;
  /** Folded items that did not pass (worth saying: --json or the database has them). */
  foldedBad = 0;
  private readonly badPending = new Set<number>();
  private readonly skipped = new Set<number>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly maxLines: number | undefined,
  ) {}

  /** The line of item `index` (1-based, each index once). */
  add(index: number, line: string, bad = false): void {
    this.pending.set(index, line);
    if (bad) this.badPending.add(index);
    this.drain();
  }

  /** Item `index` will have no line (it was not sent): the lines after it need not wait for it. */
  skip(index: number): void {
    this.pending.set(index, '');
    this.skipped.add(index);
    this.drain();
  }

  /** Items never numbered in a row (an interrupted run): write what is left, in order. */
  finish(): void {
    const rest = [...this.pending.keys()].sort((a, b) => a - b);
    for (const index of rest) this.emit(index);
    this.pending.clear();
  }

  private drain(): void {
    while (this.pending.has(this.next)) {
      this.emit(this.next);
      this.next += 1;
    }
  }

  private emit(index: number): void {
    const line = this.pending.get(index)!;
    this.pending.delete(index);
    if (this.skipped.delete(index)) return;
    const bad = this.badPending.delete(index);
    if (this.maxLines !== undefined && this.written >= this.maxLines) {
      this.folded += 1;
      if (bad) this.foldedBad += 1;
      return;
    }
    this.written += 1;
    this.write(line);
  }
}
