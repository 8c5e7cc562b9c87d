import { Readable } from 'node:stream';
import { runClicks } from '../click/run.js';
import { firePostbacks, type FireRunResult } from '../fire/run.js';
import { HttpClient } from '../http/client.js';
import { ingestFile, type IngestResult } from '../ingest/ingest.js';
import { lintTemplate, type LintFinding } from '../template/lint.js';
import { PRESETS, type PresetName } from '../presets/catalog.js';
import { reconcile } from '../reconcile/reconcile.js';
import type { ReconcileReport } from '../reconcile/types.js';
import { startMockTracker, type MockTracker } from '../serve/server.js';
import type { Store } from '../store/db.js';
import { RuntimeError } from '../errors.js';

/**
 * `tpb demo`: the whole postback loop against the embedded mock tracker, through the same
 * functions the commands use (runClicks, firePostbacks, lintTemplate, ingestFile, reconcile).
 * It injects known problems — duplicates, unknown ids, a mangled id, an unreplaced macro — and
 * checks that reconcile finds exactly those. It never prints: each step is reported through
 * `onStep` so the CLI can narrate it.
 */

export interface DemoPlan {
  clicks: number;
  /** Clicks that convert: a postback is fired for each. */
  converted: number;
  /** Of the converted, how many are fired a second time (a retrying advertiser server). */
  duplicates: number;
  /** Ids the tracker never issued. */
  unknown: number;
}

export const DEFAULT_PLAN: DemoPlan = { clicks: 300, converted: 120, duplicates: 10, unknown: 5 };

export interface DemoStep {
  /** 1-based. */
  number: number;
  total: number;
  title: string;
  /** One line, before the step: what it does, for someone who has never seen postback tracking. */
  does: string;
  /** One or more lines, after: what the result shows. */
  shows: string[];
  /** Whether the step turned out as the demo intended. */
  ok: boolean;
}

export interface DemoExpectation {
  name: string;
  expected: number;
  actual: number;
}

export interface DemoResult {
  preset: PresetName;
  trackerUrl: string;
  plan: DemoPlan;
  steps: DemoStep[];
  lint: LintFinding[];
  imports: IngestResult[];
  /** The advertiser's conversions (what tpb fired) against the tracker's clicks. */
  report: ReconcileReport;
  /** The advertiser's conversions against the tracker's own conversion export. */
  comparison: ReconcileReport;
  /** What reconcile must find, given what the demo injected. */
  expectations: DemoExpectation[];
  ok: boolean;
}

export interface DemoOptions {
  preset?: PresetName;
  store: Store;
  plan?: DemoPlan;
  seed?: number;
  onStep?: (step: DemoStep) => void;
  /** Called before a step runs, with its "does" line. */
  onStepStart?: (step: Pick<DemoStep, 'number' | 'total' | 'title' | 'does'>) => void;
}

const TOTAL_STEPS = 6;

/** How each tracker spells an approved conversion, where it is not "approved" (trackers.md). */
const APPROVED_STATUS: Partial<Record<PresetName, string>> = { keitaro: 'sale', affise: '1' };

/**
 * Ids the tracker never issued but that look like its own (a stale id, a test id from another
 * account): issued ids of clicks that did not convert, reversed, so reconcile finds no click and
 * no encoding or shape that explains it.
 */
function strangerIds(issued: readonly string[], count: number): string[] {
  const known = new Set(issued);
  const out: string[] = [];
  for (let i = issued.length - 1; i >= 0 && out.length < count; i -= 1) {
    const reversed = [...issued[i]!].reverse().join('');
    if (!known.has(reversed) && reversed.toLowerCase() !== issued[i]!.toLowerCase() && !out.includes(reversed)) out.push(reversed);
  }
  return out;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const preset = options.preset ?? 'generic';
  const plan = options.plan ?? DEFAULT_PLAN;
  const info = PRESETS[preset];
  const steps: DemoStep[] = [];
  let number = 0;
  const step = async <T>(title: string, does: string, body: () => Promise<{ value: T; shows: string[]; ok: boolean }>): Promise<T> => {
    number += 1;
    options.onStepStart?.({ number, total: TOTAL_STEPS, title, does });
    const { value, shows, ok } = await body();
    const done: DemoStep = { number, total: TOTAL_STEPS, title, does, shows, ok };
    steps.push(done);
    options.onStep?.(done);
    return value;
  };

  const tracker: MockTracker = await startMockTracker({ preset, seed: options.seed ?? 20261129, maxStoredRequests: plan.clicks * 4 });
  const client = new HttpClient({ connections: 16, timeoutMs: 10_000, maxBodyBytes: 64 * 1024 * 1024 });
  try {
    // 1. Clicks: the tracker issues an id per click and passes it on the redirect.
    const clickIds = await step('click', `Send ${plan.clicks} visitors through the tracking link and capture the click id the tracker puts in each redirect (tpb click).`, async () => {
      const run = await runClicks({
        url: tracker.routes.click,
        count: plan.clicks,
        concurrency: 16,
        ip: '198.51.100.{i}',
        preset,
        store: options.store,
        client,
      });
      const ids = run.clicks.flatMap((click) => (click.ok && click.clickId !== undefined ? [click.clickId] : []));
      return {
        value: ids,
        ok: ids.length === plan.clicks,
        shows: [
          `${plural(run.summary.sent, 'click')}, ${plural(ids.length, 'click id')} captured from the ${info.clickIdParam}= parameter (p50 ${run.summary.latencyMs.p50} ms), e.g. ${ids[0] ?? '—'}.`,
          'Each id is the only link between this visit and a later sale: the advertiser must send it back exactly as received.',
        ],
      };
    });
    if (clickIds.length < plan.converted + 1) throw new RuntimeError(`the mock tracker issued only ${clickIds.length} click ids`);

    // 2. Lint: the classic mistake, caught before anything is sent.
    const brokenTemplate = `${tracker.routes.postbackBase}/postback?${info.clickIdParam}={clickid}&payout={payout}`;
    const lint = await step('lint', 'Check a postback URL template before using it: this one says {clickid} where tpb fills {click_id} (tpb lint).', async () => {
      const findings = lintTemplate(brokenTemplate, { preset });
      const errors = findings.filter((finding) => finding.severity === 'error');
      return {
        value: findings,
        ok: errors.length > 0,
        shows: [
          ...errors.slice(0, 2).map((finding) => `error ${finding.param ? `${finding.param}: ` : ''}${finding.message}`),
          'Caught before sending. Sent as is, the tracker would receive the literal text {clickid} and could not match it to any click.',
        ],
      };
    });

    // 3. Postbacks: conversions for some clicks, then the usual ways they go wrong.
    const converted = clickIds.slice(0, plan.converted);
    const retried = converted.slice(0, plan.duplicates);
    const unknown = strangerIds(clickIds.slice(plan.converted + 1), plan.unknown);
    const mangled = `${clickIds[plan.converted]!}%20`;
    const fireBase = { preset, template: tracker.routes.postback, payout: '2.50', txid: 'ord-{click_id}', event: 'sale', status: APPROVED_STATUS[preset] ?? 'approved', store: options.store, client, concurrency: 8, retryPolicy: { retries: 0, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 } } as const;
    await step('fire', `The advertiser's server reports ${plan.converted} sales by firing a postback with each click id; then it retries ${plan.duplicates} of them, and sends ${plan.unknown + 2} with broken ids (tpb fire).`, async () => {
      const good = await firePostbacks({ ...fireBase, clickIds: converted });
      const again = await firePostbacks({ ...fireBase, clickIds: retried });
      const strangers = await firePostbacks({ ...fireBase, clickIds: [...unknown, mangled], lint: false });
      // An advertiser template whose {clickid} nobody replaced: it reaches the tracker literally.
      const literal = await firePostbacks({ ...fireBase, clickIds: ['{clickid}'], lint: false });
      const passed = (result: FireRunResult) => result.summary.passed;
      const statuses = (...results: FireRunResult[]) =>
        Object.entries(
          results.reduce<Record<string, number>>((all, result) => {
            for (const [status, count] of Object.entries(result.summary.statuses)) all[status] = (all[status] ?? 0) + count;
            return all;
          }, {}),
        )
          .map(([status, count]) => `${count}× ${status}`)
          .join(', ');
      // What the tracker said, in its own words (TUNE's success=false; err_msg=…, Keitaro's log line…).
      const answerOf = (result: FireRunResult) => {
        const body = result.postbacks[0]?.bodyExcerpt?.replace(/\s+/g, ' ').trim();
        return body ? ` ("${body.length > 70 ? `${body.slice(0, 70)}…` : body}")` : '';
      };
      const recorded = tracker.stats().postbacks.recorded;
      const blind = passed(again) + passed(strangers) + passed(literal) > 0;
      return {
        value: undefined,
        ok: passed(good) === converted.length && recorded === converted.length,
        shows: [
          `${passed(good)} of ${converted.length} postbacks accepted (${statuses(good)}).`,
          `The ${retried.length} repeats were answered ${statuses(again)}${answerOf(again)}: ${info.title} counts each conversion once.`,
          `${strangers.summary.sent + literal.summary.sent} postbacks with ids the tracker does not know were answered ${statuses(strangers, literal)}: ${unknown.length} ids it never issued (stale or test ids), 1 id that reached it URL-encoded twice with a trailing space (${mangled}), and 1 literal {clickid}.`,
          `The tracker recorded ${recorded} conversions.${blind ? ` ${passed(again) + passed(strangers) + passed(literal)} of the postbacks it ignored were still answered with success by ${info.title}: its answers alone do not tell, only comparing the records does.` : ''}`,
        ],
      };
    });

    // 4 + 5. Exports: what the tracker recorded, loaded into SQLite.
    const downloads = await step('export', "Download the tracker's click and conversion reports, the files an engineer would export from its UI.", async () => {
      const files: Array<{ kind: 'clicks' | 'conversions'; url: string; body: string }> = [];
      for (const [kind, url] of [['clicks', tracker.routes.clicksExport], ['conversions', tracker.routes.conversionsExport]] as const) {
        const response = await client.send({ url });
        if (response.status !== 200 || response.truncated) throw new RuntimeError(`downloading ${url}: HTTP ${response.status}${response.truncated ? ' (cut)' : ''}`);
        files.push({ kind, url, body: response.body });
      }
      const lines = (text: string) => Math.max(0, text.split('\n').filter((line) => line.trim() !== '').length - 1);
      return {
        value: files,
        ok: lines(files[0]!.body) === plan.clicks && lines(files[1]!.body) === plan.converted,
        shows: [`clicks.csv: ${plural(lines(files[0]!.body), 'row')}; conversions.csv: ${plural(lines(files[1]!.body), 'row')} — only the ${plan.converted} conversions the tracker accepted.`],
      };
    });
    const imports = await step('ingest', `Load both exports into the local SQLite database, as tpb ingest --preset ${preset} would.`, async () => {
      const results: IngestResult[] = [];
      for (const file of downloads) {
        results.push(await ingestFile(options.store, { file: file.url, stream: Readable.from([Buffer.from(file.body)]), kind: file.kind, preset, threads: 'inline' }));
      }
      return {
        value: results,
        ok: results.every((result) => result.rejected === 0),
        shows: results.map((result) => `${result.kind}: ${plural(result.rows, 'row')} from ${result.source}'s export, ${result.rejected} rejected (${result.mappingDescription}).`),
      };
    });

    // 6. Reconcile: the advertiser's records (what was fired) against the tracker's.
    const source = imports[0]!.source;
    const [report, comparison] = await step('reconcile', "Match the advertiser's conversions (the postbacks it fired) to the tracker's clicks, and find which will not be paid and why (tpb reconcile).", async () => {
      const main = reconcile(options.store, { clicksSource: [source], conversionsSource: ['tpb:fire'] });
      const compare = reconcile(options.store, { compare: ['tpb:fire', source], clicksSource: [source] });
      const s = main.summary;
      return {
        value: [main, compare] as const,
        ok: true,
        shows: [
          `${s.matched} of ${s.conversions} conversions match a click; ${s.unmatched} do not, and ${s.duplicate_extra} are duplicates — ${s.payout_at_stake.total.toFixed(2)} in payouts at stake.`,
          `Compared with the tracker's own conversion report: ${compare.summary.missing_in_b} fired postbacks were never recorded.`,
        ],
      };
    });

    const unmatched = plan.unknown + 2;
    const expectations: DemoExpectation[] = [
      { name: 'clicks', expected: plan.clicks, actual: report.summary.clicks },
      { name: 'conversions', expected: plan.converted + plan.duplicates + unmatched, actual: report.summary.conversions },
      { name: 'matched', expected: plan.converted + plan.duplicates, actual: report.summary.matched },
      { name: 'unmatched', expected: unmatched, actual: report.summary.unmatched },
      { name: 'unmatched with no explanation (not found)', expected: plan.unknown, actual: report.summary.unmatched_by_hint.not_found },
      { name: 'duplicate_extra', expected: plan.duplicates, actual: report.summary.duplicate_extra },
      { name: 'unmatched with an encoding hint', expected: 1, actual: report.summary.unmatched_by_hint.encoding },
      { name: 'unmatched with a macro hint', expected: 1, actual: report.summary.unmatched_by_hint.macro },
      { name: 'missing_in_b (fired, not recorded)', expected: unmatched, actual: comparison.summary.missing_in_b },
    ];
    const ok = steps.every((s) => s.ok) && expectations.every((e) => e.expected === e.actual);
    return { preset, trackerUrl: tracker.url, plan, steps, lint, imports, report, comparison, expectations, ok };
  } finally {
    await client.close();
    await tracker.close();
  }
}
