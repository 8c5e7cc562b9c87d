/**
 * Delimiter detection: exports use `,` (most), `;` (Keitaro, and every spreadsheet in a locale with
 * a decimal comma), tab, or `|`. The right one splits the header and the first records into the
 * same, largest number of fields; delimiters inside quotes do not count.
 */

export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITER_CANDIDATES)[number];

const SAMPLE_RECORDS = 50;

/** Count each candidate outside quotes, per record, for the first records of `sample`. */
function countPerRecord(sample: string): Array<Record<string, number>> {
  const records: Array<Record<string, number>> = [];
  let counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let inQuotes = false;
  let empty = true;
  for (let i = 0; i < sample.length && records.length < SAMPLE_RECORDS; i += 1) {
    const ch = sample[i]!;
    if (ch === '"') {
      inQuotes = !inQuotes;
      empty = false;
    } else if (!inQuotes && (ch === '\n' || ch === '\r')) {
      if (!empty) records.push(counts);
      counts = { ',': 0, ';': 0, '\t': 0, '|': 0 };
      empty = true;
    } else {
      if (!inQuotes && ch in counts) counts[ch]! += 1;
      empty = false;
    }
  }
  // The last record only if the sample ended it (a cut-off record would skew the counts).
  return records.length === 0 && !empty ? [counts] : records;
}

/**
 * Pick the delimiter of a CSV sample (its beginning, header first). A candidate is consistent when
 * most records after the header have as many delimiters as the header; among consistent candidates
 * the one giving the most columns wins. A one-column file gets `,`.
 */
export function detectDelimiter(sample: string): Delimiter {
  const records = countPerRecord(sample);
  const header = records[0];
  if (!header) return ',';
  const body = records.slice(1);
  let best: Delimiter = ',';
  let bestScore = -1;
  for (const candidate of DELIMITER_CANDIDATES) {
    const columns = header[candidate]!;
    if (columns === 0) continue;
    const agreeing = body.filter((record) => record[candidate] === columns).length;
    const consistency = body.length === 0 ? 1 : agreeing / body.length;
    // Consistency first (a comma inside unquoted values breaks it), then the number of columns.
    const score = (consistency >= 0.8 ? 1_000_000 : 0) + consistency * 1000 + columns;
    if (score > bestScore) {
      bestScore = score;
      best = candidate;
    }
  }
  return best;
}

/** How a delimiter is shown to people. */
export function describeDelimiter(delimiter: string): string {
  if (delimiter === '\t') return 'tab';
  if (delimiter === ',') return 'comma';
  if (delimiter === ';') return 'semicolon';
  if (delimiter === '|') return 'pipe';
  return JSON.stringify(delimiter);
}

/** `--delimiter` values: the character, or a name (`tab`, `\t`, `comma`, `semicolon`, `pipe`). */
export function parseDelimiterOption(value: string): string | undefined {
  const named: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|', ',': ',', ';': ';', '|': '|', '\t': '\t' };
  const lower = value.toLowerCase();
  if (lower in named) return named[lower];
  if (value.length === 1 && value !== '"' && value !== '\n' && value !== '\r') return value;
  return undefined;
}
