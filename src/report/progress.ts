/**
 * The one progress line of every long command (ingest, click, fire, reconcile…), drawn by the CLI
 * on stderr and only on a TTY (src/cli/progress.ts draws it). Pure: what to show in, one line out.
 *
 *   clicks [██████████░░░░░░░░░░]  52%  26,000/50,000 · captured 25,990 · failed 10 · 9,812/s · ETA 2s
 *   rows.csv [████░░░░░░░░░░░░░░░░]  21%  12.0/57.3 MB · 180,000 rows · 61,220 rows/s · ETA 4s
 *   reading conversions · 1,200,000 rows · 310,554 rows/s · 3s
 */
export interface ProgressLine {
  label: string;
  /** Work done, in `unit`s (or bytes when `bytes` is set). */
  done: number;
  /** Work in all; absent or 0 when unknown (no bar, no ETA: elapsed time instead). */
  total?: number;
  /** done/total are byte counts, shown in MB. */
  bytes?: boolean;
  /** Extra counters shown after the figures, e.g. captured 10, failed 2 (zeros are shown). */
  counters?: ReadonlyArray<readonly [string, number]>;
  /** Items per second; default done / elapsed. */
  rate?: number;
  /** What the rate counts ("rows" gives "rows/s"); default none ("/s"). */
  rateUnit?: string;
  /** Fraction complete when it is not done/total (a timed run: elapsed / duration). */
  fraction?: number;
  /** Time left in ms when it is not (total − done) / rate (a timed run: duration − elapsed). */
  etaMs?: number;
  elapsedMs: number;
  /** Terminal width (default 80). */
  columns?: number;
}

const number = (n: number) => Math.round(n).toLocaleString('en-US');

/** 4s, 1m05s, 2h03m. */
export function formatEta(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function renderProgressLine(line: ProgressLine): string {
  const columns = line.columns ?? 80;
  const total = line.total !== undefined && line.total > 0 ? line.total : undefined;
  const fraction = line.fraction ?? (total !== undefined ? line.done / total : undefined);
  const rate = line.rate ?? (line.elapsedMs > 0 ? (line.done / line.elapsedMs) * 1000 : 0);
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  const figures = line.bytes
    ? total !== undefined
      ? `${mb(line.done)}/${mb(total)} MB`
      : `${mb(line.done)} MB`
    : total !== undefined
      ? `${number(line.done)}/${number(total)}`
      : number(line.done);
  const parts = [figures, ...(line.counters ?? []).map(([name, value]) => `${name} ${number(value)}`), `${number(rate)}${line.rateUnit ? ` ${line.rateUnit}` : ''}/s`];
  let eta: string;
  if (line.etaMs !== undefined) eta = `ETA ${formatEta(line.etaMs)}`;
  else if (fraction !== undefined && fraction >= 1) eta = formatEta(line.elapsedMs);
  else if (total !== undefined && rate > 0 && !line.bytes) eta = `ETA ${formatEta(((total - line.done) / rate) * 1000)}`;
  else if (total !== undefined && line.bytes && fraction !== undefined && fraction > 0) eta = `ETA ${formatEta((line.elapsedMs * (1 - fraction)) / fraction)}`;
  else eta = formatEta(line.elapsedMs);
  parts.push(eta);
  const tail = parts.join(' · ');
  if (fraction === undefined) return fit(`${line.label} · ${tail}`, columns);
  const ratio = Math.max(0, Math.min(1, fraction));
  const percent = `${String(Math.floor(ratio * 100)).padStart(3)}%`;
  const barWidth = Math.max(10, Math.min(30, columns - 1 - line.label.length - percent.length - tail.length - 6));
  const filled = Math.round(ratio * barWidth);
  return fit(`${line.label} [${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}] ${percent}  ${tail}`, columns);
}

function fit(text: string, columns: number): string {
  return text.length > columns - 1 ? text.slice(0, Math.max(columns - 1, 20)) : text;
}
