import type { Finding, FindingSink, ReconcileReport } from '../../reconcile/types.js';
import type { ThresholdResult } from '../../reconcile/thresholds.js';
import { toJson } from '../../text/sanitize.js';

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
 * Findings as the document indents them (`    {` … `    }`, joined by `,\n`): one stringify of the
 * chunk wrapped at the findings' depth, instead of one per finding re-indented line by line.
 */
function findingsText(findings: readonly Finding[]): string {
  const text = toJson({ findings }, 2);
  return text.slice('{\n  "findings": [\n'.length, text.length - '\n  ]\n}'.length);
}

/**
 * The same text as toJson(document, 2) + "\n", in pieces: the document without its findings, then
 * the findings a few hundred at a time, so a report of 100,000s of findings is never one string
 * in memory.
 */
export function* renderReconcileJsonChunks(report: ReconcileReport, verdict?: ThresholdResult): Generator<string> {
  const document = reconcileJsonDocument(report, verdict);
  const empty = toJson({ ...document, findings: [] }, 2);
  const marker = '\n  "findings": []';
  const at = empty.indexOf(marker);
  if (at < 0 || report.findings.length === 0) {
    yield `${empty}\n`;
    return;
  }
  yield `${empty.slice(0, at)}\n  "findings": [\n`;
  const findings = report.findings;
  for (let start = 0; start < findings.length; start += FINDINGS_PER_CHUNK) {
    yield findingsText(findings.slice(start, start + FINDINGS_PER_CHUNK)) + (start + FINDINGS_PER_CHUNK < findings.length ? ',\n' : '');
  }
  yield `\n  ]${empty.slice(at + marker.length)}\n`;
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
  private pending: Finding[] = [];

  constructor(
    private readonly write: (chunk: string) => void,
    private readonly verdictOf: (report: ReconcileReport) => ThresholdResult | undefined,
  ) {}

  begin(report: ReconcileReport): void {
    const marker = '\n  "findings": []';
    const text = toJson({ ...reconcileJsonDocument(report, this.verdictOf(report)), findings: [] }, 2);
    const at = text.indexOf(marker);
    this.write(`${text.slice(0, at)}\n  "findings": [`);
    this.tail = text.slice(at + marker.length);
  }

  finding(finding: Finding): void {
    this.pending.push(finding);
    if (this.pending.length >= FINDINGS_PER_CHUNK) this.flush();
  }

  /** After reconcile returned: the findings' end and the rest of the document. */
  end(): void {
    this.flush();
    this.write(this.count === 0 ? ']' + this.tail + '\n' : `\n  ]${this.tail}\n`);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.write(`${this.count === 0 ? '\n' : ',\n'}${findingsText(this.pending)}`);
    this.count += this.pending.length;
    this.pending = [];
  }
}
