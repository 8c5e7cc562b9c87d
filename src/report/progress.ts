/**
 * One line of a progress bar for long click and fire runs, drawn by the CLI on stderr (only on a
 * TTY). Pure: the caller decides when to draw and clears the line at the end.
 */
export interface ProgressLine {
  label: string;
  done: number;
  total: number;
  /** Extra counters shown after the bar, e.g. "captured 10 failed 2". */
  counters: ReadonlyArray<readonly [string, number]>;
  elapsedMs: number;
  /** Terminal width (default 80). */
  columns?: number;
}

export function renderProgressLine(line: ProgressLine): string {
  const ratio = line.total > 0 ? Math.min(1, line.done / line.total) : 0;
  const rate = line.elapsedMs > 0 ? Math.round((line.done / line.elapsedMs) * 1000) : 0;
  const counts = `${String(line.done).padStart(String(line.total).length)}/${line.total}`;
  const extra = line.counters.map(([name, value]) => `${name} ${value}`).join('  ');
  const tail = ` ${String(Math.floor(ratio * 100)).padStart(3)}%  ${extra}  ${rate}/s`;
  const columns = line.columns ?? 80;
  const barWidth = Math.max(10, Math.min(40, columns - line.label.length - counts.length - tail.length - 6));
  const filled = Math.round(ratio * barWidth);
  const text = `${line.label} ${counts} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${tail}`;
  return text.length > columns - 1 ? text.slice(0, columns - 1) : text;
}
