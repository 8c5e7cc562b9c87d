import { describe, expect, it } from 'vitest';
import { formatEta, renderProgressLine } from '../../src/report/progress.js';
import { ProgressBar } from '../../src/cli/progress.js';
import { Output } from '../../src/cli/output.js';
import { Readable } from 'node:stream';

function output(isTTY: boolean, quiet = false): { output: Output; written: () => string } {
  let text = '';
  const io = {
    stdout: { write: () => true, isTTY: false },
    stderr: { write: (chunk: string) => ((text += chunk), true), isTTY, columns: 120 },
    stdin: Readable.from([]),
    env: {},
    cwd: '/',
    now: () => new Date(),
  };
  return { output: new Output(io, { json: false, color: false, quiet, verbose: false }), written: () => text };
}

describe('the one progress line', () => {
  it('shows a bar, percent, counts, counters, rate and the ETA from the rate', () => {
    const line = renderProgressLine({ label: 'clicks', done: 2500, total: 10000, counters: [['captured', 2490], ['failed', 10]], elapsedMs: 1000, columns: 120 });
    expect(line).toMatch(/^clicks \[█+░+\]  25%  2,500\/10,000 · captured 2,490 · failed 10 · 2,500\/s · ETA 3s$/);
  });

  it('shows bytes in MB with a rate of rows and an ETA from the fraction', () => {
    const line = renderProgressLine({ label: 'rows.csv', done: 25e6, total: 100e6, bytes: true, counters: [['rows', 1000]], rate: 500, rateUnit: 'rows', elapsedMs: 2000, columns: 120 });
    expect(line).toMatch(/^rows\.csv \[█+░+\]  25%  25\.0\/100\.0 MB · rows 1,000 · 500 rows\/s · ETA 6s$/);
  });

  it('without a total: no bar, the elapsed time instead of an ETA', () => {
    expect(renderProgressLine({ label: 'reading conversions', done: 1_200_000, rateUnit: 'rows', elapsedMs: 4000 })).toBe('reading conversions · 1,200,000 · 300,000 rows/s · 4s');
  });

  it('a timed run gives its own fraction and ETA', () => {
    const line = renderProgressLine({ label: 'clicks', done: 900, fraction: 0.5, etaMs: 30_000, elapsedMs: 30_000, columns: 120 });
    expect(line).toMatch(/^clicks \[█{15}░{15}\]  50%  900 · 30\/s · ETA 30s$/);
  });

  it('fits the terminal', () => {
    const line = renderProgressLine({ label: 'x'.repeat(200), done: 1, total: 2, elapsedMs: 10, columns: 60 });
    expect(line.length).toBeLessThanOrEqual(59);
  });

  it('formats ETAs', () => {
    expect([formatEta(400), formatEta(59_000), formatEta(65_000), formatEta(7_380_000)]).toEqual(['1s', '59s', '1m05s', '2h03m']);
  });
});

describe('ProgressBar', () => {
  it('draws on a TTY, throttled, the finished line always, and clears', () => {
    const { output: out, written } = output(true);
    const bar = new ProgressBar(out, { label: 'postbacks', total: 3 });
    bar.update({ done: 1 });
    bar.update({ done: 2 }); // within 100 ms of the first: skipped
    bar.update({ done: 3 });
    bar.clear();
    const draws = written().split('\r\u001b[2K').filter(Boolean);
    expect(draws).toHaveLength(2);
    expect(draws[0]).toMatch(/^postbacks \[█+░+\]  33%  1\/3/);
    expect(draws[1]).toMatch(/^postbacks \[█+\] 100%  3\/3 · [\d,]+\/s · \d+s$/);
    expect(written().endsWith('\r\u001b[2K')).toBe(true);
  });

  it('draws nothing when stderr is not a terminal, or with --quiet', () => {
    for (const [tty, quiet] of [[false, false], [true, true]] as const) {
      const { output: out, written } = output(tty, quiet);
      const bar = new ProgressBar(out, { label: 'clicks', total: 3 });
      bar.update({ done: 3 });
      bar.status('matching…');
      bar.clear();
      expect(bar.enabled).toBe(false);
      expect(written()).toBe('');
    }
  });
});
