import type { Output } from './output.js';
import type { IngestProgress } from '../ingest/ingest.js';

/**
 * The ingest progress bar on stderr: bytes (against the size when known), rows and rate, redrawn at
 * most ten times a second. Only drawn when Output says stderr is an interactive terminal.
 */
export class IngestProgressBar {
  private lastDraw = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(private readonly output: Output) {}

  update(progress: IngestProgress): void {
    if (!this.output.canShowProgress) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    const rate = Math.round(progress.rows / seconds).toLocaleString('en-US');
    const rows = progress.rows.toLocaleString('en-US');
    const rejected = progress.rejected > 0 ? ` · ${progress.rejected.toLocaleString('en-US')} rejected` : '';
    let bar = '';
    if (progress.totalBytes) {
      const fraction = Math.min(progress.bytesRead / progress.totalBytes, 1);
      const width = 24;
      const filled = Math.round(fraction * width);
      bar = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${mb(progress.bytesRead)}/${mb(progress.totalBytes)} MB`;
    } else {
      bar = `${mb(progress.bytesRead)} MB`;
    }
    const name = this.output.safe(progress.file);
    const line = `${name} ${bar} · ${rows} rows${rejected} · ${rate} rows/s`;
    const columns = this.output.io.stderr.columns ?? 100;
    this.output.io.stderr.write(`\r\u001b[2K${line.slice(0, Math.max(columns - 1, 20))}`);
    this.drawn = true;
  }

  /** Erase the bar so the summary starts on a clean line. */
  clear(): void {
    if (this.drawn) this.output.io.stderr.write('\r\u001b[2K');
    this.drawn = false;
  }
}
