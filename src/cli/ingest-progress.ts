import type { Output } from './output.js';
import type { IngestProgress } from '../ingest/ingest.js';
import { ProgressBar } from './progress.js';

/**
 * The ingest progress bar: the one ProgressBar (stderr, TTY only) with bytes against the size when
 * known, rows, rejected rows, rows/s and the ETA.
 */
export class IngestProgressBar {
  private bar: ProgressBar | undefined;
  private file = '';
  private readonly started = performance.now();

  constructor(private readonly output: Output) {}

  update(progress: IngestProgress): void {
    if (!this.output.canShowProgress) return;
    if (!this.bar || progress.file !== this.file) {
      this.file = progress.file;
      this.bar = new ProgressBar(this.output, { label: this.output.safe(progress.file), bytes: true, rateUnit: 'rows' });
    }
    const seconds = Math.max(0.001, (performance.now() - this.started) / 1000);
    this.bar.update({
      done: progress.bytesRead,
      ...(progress.totalBytes ? { total: progress.totalBytes } : {}),
      counters: progress.rejected > 0 ? [['rows', progress.rows], ['rejected', progress.rejected]] : [['rows', progress.rows]],
      rate: progress.rows / seconds,
    });
  }

  /** Erase the bar so the summary starts on a clean line. */
  clear(): void {
    this.bar?.clear();
  }
}
