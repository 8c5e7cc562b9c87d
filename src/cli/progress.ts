import type { Output } from './output.js';
import { renderProgressLine, type ProgressLine } from '../report/progress.js';

export interface ProgressBarOptions {
  /** Shown first on the line (a file name is sanitised by the caller: use output.safe). */
  label: string;
  /** Work in all, when known (updates may change it). */
  total?: number;
  /** done/total are bytes (shown in MB). */
  bytes?: boolean;
  /** What the rate counts ("rows" → "rows/s"). */
  rateUnit?: string;
  /** Redraw at most this often (default 100 ms). */
  intervalMs?: number;
  /** Draw even when not a TTY (never: for tests of the drawing itself). */
  force?: boolean;
}

/** What changed since the last update; everything but `done` is optional. */
export type ProgressUpdate = Partial<Omit<ProgressLine, 'elapsedMs' | 'columns'>> & { done: number };

/**
 * The one progress bar of every long command: stderr only, only when it is an interactive
 * terminal and not --quiet (Output.canShowProgress), redrawn at most ten times a second, erased by
 * clear() before the summary. When progress cannot be shown every call is a no-op, so callers
 * need no checks of their own.
 *
 *   const bar = new ProgressBar(output, { label: 'clicks', total: 500 });
 *   bar.update({ done: 20, counters: [['failed', 1]] });
 *   bar.clear();
 */
export class ProgressBar {
  readonly enabled: boolean;
  private readonly started = performance.now();
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly output: Output,
    private readonly options: ProgressBarOptions,
  ) {
    this.enabled = options.force === true || output.canShowProgress;
  }

  /** Redraw (throttled; a finished bar, done ≥ total, is always drawn). */
  update(update: ProgressUpdate): void {
    if (!this.enabled) return;
    const now = performance.now();
    const total = update.total ?? this.options.total;
    const finished = total !== undefined && total > 0 && update.done >= total;
    if (now - this.lastDraw < (this.options.intervalMs ?? 100) && !finished) return;
    this.lastDraw = now;
    const line = renderProgressLine({
      label: this.options.label,
      ...(total !== undefined ? { total } : {}),
      ...(this.options.bytes ? { bytes: true } : {}),
      ...(this.options.rateUnit !== undefined ? { rateUnit: this.options.rateUnit } : {}),
      ...update,
      elapsedMs: now - this.started,
      columns: this.output.io.stderr.columns ?? 80,
    });
    this.output.io.stderr.write(`\r\u001b[2K${line}`);
    this.drawn = true;
  }

  /** A status line without figures (a phase of a long command: "matching conversions…"). */
  status(text: string): void {
    if (!this.enabled) return;
    const columns = this.output.io.stderr.columns ?? 80;
    this.output.io.stderr.write(`\r\u001b[2K${text.length > columns - 1 ? text.slice(0, columns - 1) : text}`);
    this.drawn = true;
  }

  /** Erase the bar so the summary starts on a clean line. */
  clear(): void {
    if (this.drawn) this.output.io.stderr.write('\r\u001b[2K');
    this.drawn = false;
  }
}
