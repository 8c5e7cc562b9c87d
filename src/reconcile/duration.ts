const UNITS: ReadonlyArray<[suffix: string, ms: number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** "30d", "5h", "41d 3h", "2m 5s": the two largest non-zero units, as tpb's duration flags spell them. */
export function formatDuration(ms: number, parts = 2): string {
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0s';
  const out: string[] = [];
  for (const [suffix, size] of UNITS) {
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${suffix}`);
      rest %= size;
    } else if (out.length > 0) {
      break;
    }
    if (out.length === parts) break;
  }
  return `${ms < 0 ? '-' : ''}${out.join(' ')}`;
}

/** Exact spelling of a window for the report options ("30d", "1d 12h", "90m"). */
export function formatWindow(ms: number): string {
  return formatDuration(ms, 5);
}
