import type { Finding, FindingSink, ReconcileReport } from '../../reconcile/types.js';
import type { ThresholdResult } from '../../reconcile/thresholds.js';
import { jsonAroundArray, toJson } from '../../text/sanitize.js';

/** The report document, with the threshold verdict when thresholds were given. */
export function reconcileJsonDocument(report: ReconcileReport, verdict?: ThresholdResult): ReconcileReport & { thresholds?: { failed: boolean; reasons: string[] } } {
  return verdict ? { ...report, thresholds: { failed: verdict.failed, reasons: verdict.reasons } } : report;
}

export function renderReconcileJson(report: ReconcileReport, verdict?: ThresholdResult): string {
  return [...renderReconcileJsonChunks(report, verdict)].join('');
}

/** Findings per chunk: a few hundred KB of text at a time. */
const FINDINGS_PER_CHUNK = 500;

/**
 * The same text as toJson(document, 2) + "\n", in pieces: the document without its findings, then
 * the findings a few hundred at a time, so a report of 100,000s of findings is never one string
 * in memory (ReconcileJsonStream fed the report's findings).
 */
export function* renderReconcileJsonChunks(report: ReconcileReport, verdict?: ThresholdResult): Generator<string> {
  const out: string[] = [];
  const stream = new ReconcileJsonStream((chunk) => out.push(chunk), () => verdict);
  stream.begin(report);
  yield* out.splice(0);
  for (const finding of report.findings) {
    stream.finding(finding);
    if (out.length > 0) yield* out.splice(0);
  }
  stream.end();
  yield* out.splice(0);
}

/**
 * The same document written as reconcile finds the findings (`ReconcileOptions.findingSink`):
 * everything but the findings at `begin`, then the findings a few hundred at a time, then the
 * rest at `end`. Memory stays flat however many findings there are. `verdictOf` gets the report
 * at `begin` (thresholds need only the summary and groups).
 */
export class ReconcileJsonStream implements FindingSink {
  private tail = '';
  private count = 0;
  private pending: string[] = [];
  private begun = false;
  private ended = false;

  constructor(
    private readonly write: (chunk: string) => void,
    private readonly verdictOf: (report: ReconcileReport) => ThresholdResult | undefined,
  ) {}

  begin(report: ReconcileReport): void {
    const { head, tail } = jsonAroundArray(reconcileJsonDocument(report, this.verdictOf(report)), 'findings');
    this.write(head);
    this.tail = tail;
    this.begun = true;
  }

  finding(finding: Finding): void {
    this.pending.push(`${this.count === 0 ? '\n' : ',\n'}    ${toJson(finding, 2).replaceAll('\n', '\n    ')}`);
    this.count += 1;
    if (this.pending.length >= FINDINGS_PER_CHUNK) this.flush();
  }

  /** After reconcile returned: the findings' end and the rest of the document. */
  end(): void {
    this.flush();
    this.ended = true;
    this.write(this.count === 0 ? ']' + this.tail + '\n' : `\n  ]${this.tail}\n`);
  }

  /**
   * Reconcile failed after `begin` (a database or ClickHouse error while the findings were being
   * read): end the document anyway, with the findings written so far, `"findings_complete": false`
   * and the error, so a reader gets JSON that parses and says what happened (the summary at the top
   * counts every finding; the list stops early). Nothing when the document was not begun or is done.
   */
  abort(error: Record<string, unknown>): void {
    if (!this.begun || this.ended) return;
    this.ended = true;
    this.flush();
    const rest = this.tail.replace(/\n?\}\s*$/, '');
    this.write(`${this.count === 0 ? ']' : '\n  ]'}${rest},\n  "findings_complete": false,\n  "error": ${toJson(error, 2).replaceAll('\n', '\n  ')}\n}\n`);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.write(this.pending.join(''));
    this.pending = [];
  }
}
