import { Readable } from 'node:stream';
import { startCatcher, parseRules, type Catcher } from '../catch/index.js';
import { runClicks } from '../click/run.js';
import { firePostbacks } from '../fire/run.js';
import { HttpClient } from '../http/client.js';
import { ingestFile } from '../ingest/ingest.js';
import { PRESETS, type PresetName } from '../presets/catalog.js';
import { reconcile } from '../reconcile/reconcile.js';
import type { ReconcileReport } from '../reconcile/types.js';
import type { OutboundLogEntry } from '../serve/forward.js';
import { startMockTracker, type MockTracker } from '../serve/server.js';
import type { Store } from '../store/db.js';
import { TPB_CATCH_SOURCE } from '../store/catch.js';
import { RuntimeError } from '../errors.js';
import { percentile } from '../stats/percentile.js';
import type { DemoStep } from './run.js';

/**
 * `tpb demo --chain`: the conversion's whole trip on one machine. tpb fire (the advertiser) →
 * tpb serve (the tracker, which fires an outbound postback for each conversion it records) →
 * tpb catch (the traffic source). Known losses are injected on each hop — ids the tracker never
 * issued (hop 1), and conversions whose outbound postback the traffic source refuses every time
 * (hop 2) — with a flaky traffic source the tracker's retries get through; then reconcile --compare
 * on each hop finds exactly those losses. Never prints; steps are reported through onStep.
 */

export interface ChainPlan {
  clicks: number;
  /** Conversions the advertiser reports (postbacks fired with issued ids). */
  converted: number;
  /** Postbacks with ids the tracker never issued: lost on hop 1. */
  unknown: number;
  /** Of the converted, how many the traffic source refuses every time: lost on hop 2. */
  refused: number;
  /** Share of the traffic source's answers that are 503 (the tracker retries). */
  flakiness: number;
}

export const DEFAULT_CHAIN_PLAN: ChainPlan = { clicks: 80, converted: 40, unknown: 3, refused: 2, flakiness: 0.2 };

export interface ChainHop {
  name: string;
  from: string;
  to: string;
  sent: number;
  arrived: number;
  /** Click ids lost on this hop. */
  lost: string[];
}

export interface ChainResult {
  preset: PresetName;
  plan: ChainPlan;
  trackerUrl: string;
  trafficSourceUrl: string;
  steps: DemoStep[];
  hops: ChainHop[];
  /** Outbound postbacks as the tracker logged them. */
  outbound: OutboundLogEntry[];
  /** Delivery lag of the delivered outbound postbacks, ms. */
  lagMs: { p50: number; p95: number; max: number };
  /** Requests the traffic source received (retries included) and what it answered. */
  caught: { requests: number; accepted: number; refused: number };
  hop1: ReconcileReport;
  hop2: ReconcileReport;
  expectations: Array<{ name: string; expected: number; actual: number }>;
  ok: boolean;
}

export interface ChainOptions {
  store: Store;
  preset?: PresetName;
  plan?: ChainPlan;
  seed?: number;
  onStep?: (step: DemoStep) => void;
  onStepStart?: (step: Pick<DemoStep, 'number' | 'total' | 'title' | 'does'>) => void;
}

const TOTAL_STEPS = 5;

function reversedIds(issued: readonly string[], count: number): string[] {
  const known = new Set(issued);
  return issued
    .slice(-count * 3)
    .map((id) => [...id].reverse().join(''))
    .filter((id) => !known.has(id))
    .slice(0, count);
}

export async function runChainDemo(options: ChainOptions): Promise<ChainResult> {
  const preset = options.preset ?? 'generic';
  const plan = options.plan ?? DEFAULT_CHAIN_PLAN;
  const info = PRESETS[preset];
  const seed = options.seed ?? 20261201;
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

  // The traffic source: flaky, and it refuses the conversions whose txid the advertiser marked.
  const refuse = parseRules('- name: traffic source refuses\n  match: { query: { txid: "/^refused-/" } }\n  status: 503\n  body: "conversion not accepted\\n"\n', 'demo rules');
  const outbound: OutboundLogEntry[] = [];
  let catcher: Catcher | undefined;
  let tracker: MockTracker | undefined;
  const client = new HttpClient({ connections: 16, timeoutMs: 10_000, maxBodyBytes: 64 * 1024 * 1024 });
  try {
    // Never more 503s in a row for one conversion than the tracker has retries (3): which request
    // gets which draw depends on the order of arrival, so an uncapped source loses one now and then.
    catcher = await startCatcher({ store: options.store, rules: refuse, failRate: plan.flakiness, seed, maxFaultsInARow: 2, runOptions: { demo: 'chain' } });
    const template = `${catcher.url}/postback?clickid={click_id}&payout={payout}&txid={txid}&status={status}`;
    tracker = await startMockTracker({
      preset,
      seed,
      maxStoredRequests: plan.clicks * 4,
      forwardPostbacks: { template, retries: 3, backoffMs: 20, delay: { minMs: 0, maxMs: 150 } },
      forwardLog: (entry) => outbound.push(entry),
    });
    const { url: trackerUrl } = tracker;

    const clickIds = await step('click', `${plan.clicks} visitors click the traffic source's ad; the tracker (a mock ${info.title}) issues a click id for each (tpb click).`, async () => {
      const run = await runClicks({ url: tracker!.routes.click, count: plan.clicks, concurrency: 8, ip: '198.51.100.{i}', preset, store: options.store, client });
      const ids = run.clicks.flatMap((c) => (c.ok && c.clickId !== undefined ? [c.clickId] : []));
      return { value: ids, ok: ids.length === plan.clicks, shows: [`${ids.length} click ids captured from ${info.clickIdParam}=, e.g. ${ids[0] ?? '—'}.`] };
    });
    if (clickIds.length < plan.converted + plan.unknown) throw new RuntimeError(`the mock tracker issued only ${clickIds.length} click ids`);

    const converted = clickIds.slice(0, plan.converted);
    const refusedIds = converted.slice(0, plan.refused);
    const unknown = reversedIds(clickIds.slice(plan.converted), plan.unknown);
    const recordedByTracker = await step('fire', `The advertiser reports ${plan.converted} sales to the tracker, and ${unknown.length} with ids the tracker never issued (tpb fire). For each sale it records, the tracker fires its own postback to the traffic source (tpb serve --forward-postbacks → tpb catch).`, async () => {
      const base = { preset, template: tracker!.routes.postback, payout: '2.50', event: 'sale', status: 'approved', store: options.store, client, concurrency: 4, lint: false, retryPolicy: { retries: 0, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 } } as const;
      const good = await firePostbacks({ ...base, clickIds: converted.slice(plan.refused), txid: 'ord-{click_id}' });
      const marked = await firePostbacks({ ...base, clickIds: refusedIds, txid: 'refused-{click_id}' });
      const strangers = await firePostbacks({ ...base, clickIds: unknown, txid: 'ord-{click_id}' });
      await tracker!.drainOutbound();
      // catch writes in batches: the last postbacks must be in the database before reconcile reads it.
      await catcher!.settle();
      const recorded = tracker!.stats().postbacks.recorded;
      const o = tracker!.stats().outbound!;
      const retried = outbound.filter((entry) => entry.attempts > 1).length;
      return {
        value: recorded,
        ok: good.summary.sent + marked.summary.sent === plan.converted && recorded === plan.converted,
        shows: [
          `The tracker recorded ${recorded} of ${good.summary.sent + marked.summary.sent + strangers.summary.sent} postbacks (the ${strangers.summary.sent} unknown ids were refused).`,
          `It fired ${o.queued} outbound postbacks: ${o.delivered} delivered, ${o.failed} given up after ${3 + 1} attempts each; ${retried} needed more than one attempt (the traffic source answered 503 ${Math.round(plan.flakiness * 100)}% of the time).`,
        ],
      };
    });

    const trackerSource = await step('export', "Download the tracker's conversion report and load it (tpb ingest): what the tracker says it recorded, and so sent on.", async () => {
      const response = await client.send({ url: tracker!.routes.conversionsExport });
      if (response.status !== 200 || response.truncated) throw new RuntimeError(`downloading ${tracker!.routes.conversionsExport}: HTTP ${response.status}`);
      const result = await ingestFile(options.store, { file: tracker!.routes.conversionsExport, stream: Readable.from([Buffer.from(response.body)]), kind: 'conversions', preset, threads: 'inline' });
      return { value: result.source, ok: result.rows === plan.converted && result.rejected === 0, shows: [`${result.rows} conversions in ${result.source}'s export, ${result.rejected} rejected.`] };
    });

    const caughtStats = catcher.stats();
    const [hop1, hop2] = await step('reconcile', 'Compare each hop (tpb reconcile --compare): what the advertiser sent against what the tracker recorded, and what the tracker recorded against what reached the traffic source.', async () => {
      const first = reconcile(options.store, { compare: ['tpb:fire', trackerSource] });
      const second = reconcile(options.store, { compare: [trackerSource, TPB_CATCH_SOURCE] });
      return {
        value: [first, second] as const,
        ok: true,
        shows: [
          `advertiser → tracker: ${first.summary.missing_in_b} of ${plan.converted + unknown.length} postbacks never recorded by the tracker.`,
          `tracker → traffic source: ${second.summary.missing_in_b} of ${plan.converted} conversions never reached the traffic source; ${second.summary.missing_in_a} arrived that the tracker does not report.`,
        ],
      };
    });

    const lostOn = (report: ReconcileReport) => report.findings.filter((f) => f.type === 'missing_in_b').map((f) => f.click_id ?? '').filter(Boolean);
    const delivered = outbound.filter((entry) => entry.outcome === 'delivered').map((entry) => entry.lag_ms).sort((a, b) => a - b);
    const lagMs = { p50: percentile(delivered, 0.5), p95: percentile(delivered, 0.95), max: delivered.at(-1) ?? 0 };
    const accepted = caughtStats.by_status['200'] ?? 0;
    const hops: ChainHop[] = [
      { name: 'hop 1', from: 'advertiser (tpb fire)', to: `tracker (mock ${info.title})`, sent: plan.converted + unknown.length, arrived: plan.converted + unknown.length - hop1.summary.missing_in_b, lost: lostOn(hop1) },
      { name: 'hop 2', from: `tracker (mock ${info.title})`, to: 'traffic source (tpb catch)', sent: plan.converted, arrived: plan.converted - hop2.summary.missing_in_b, lost: lostOn(hop2) },
    ];
    await step('trip', 'Which conversions reached the traffic source, how late, and which were lost on which hop.', async () => ({
      value: undefined,
      ok: true,
      shows: [
        `${hops[1]!.arrived} of ${plan.converted + unknown.length} conversions reached the traffic source, p50 ${lagMs.p50} ms after the tracker recorded them (p95 ${lagMs.p95} ms, slowest ${lagMs.max} ms, retries included).`,
        `Lost on hop 1 (advertiser → tracker): ${hops[0]!.lost.length} — ${hops[0]!.lost.join(', ') || 'none'}: ids the tracker never issued.`,
        `Lost on hop 2 (tracker → traffic source): ${hops[1]!.lost.length} — ${hops[1]!.lost.join(', ') || 'none'}: refused on every attempt; the tracker's own answer to the advertiser was a success.`,
      ],
    }));

    const expectations = [
      { name: 'conversions recorded by the tracker', expected: plan.converted, actual: recordedByTracker },
      { name: 'lost on hop 1 (missing in the tracker)', expected: unknown.length, actual: hop1.summary.missing_in_b },
      { name: 'lost on hop 2 (missing at the traffic source)', expected: plan.refused, actual: hop2.summary.missing_in_b },
      { name: 'hop 2 losses are the refused conversions', expected: plan.refused, actual: hops[1]!.lost.filter((id) => refusedIds.includes(id)).length },
      { name: 'arrived that the tracker does not report', expected: 0, actual: hop2.summary.missing_in_a },
    ];
    const ok = steps.every((s) => s.ok) && expectations.every((e) => e.expected === e.actual);
    return {
      preset,
      plan,
      trackerUrl,
      trafficSourceUrl: catcher.url,
      steps,
      hops,
      outbound,
      lagMs,
      caught: { requests: caughtStats.requests, accepted, refused: caughtStats.requests - accepted },
      hop1,
      hop2,
      expectations,
      ok,
    };
  } finally {
    await client.close();
    await tracker?.close();
    await catcher?.close();
  }
}
