import type { ChalkInstance } from 'chalk';
import type { ChainResult } from '../demo/chain.js';
import { sanitizeForDisplay } from '../text/sanitize.js';
import { renderTable } from './table.js';

export const CHAIN_INTRO = [
  'A conversion crosses two hops: the advertiser fires a postback to the tracker, and the tracker fires',
  'its own postback on to the traffic source. Each side logs only its end, so a conversion lost on the',
  'second hop is invisible to the first. This demo runs all three on this machine — tpb fire (advertiser)',
  '→ tpb serve --forward-postbacks (tracker) → tpb catch (traffic source) — and compares each hop.',
];

/** The hop table, then what to look at next. */
export function renderChainOutro(result: ChainResult, color: ChalkInstance, dbPath: string | undefined): string {
  const lines: string[] = [''];
  lines.push(
    renderTable(
      ['hop', 'from', 'to', 'sent', 'arrived', 'lost'],
      result.hops.map((hop) => [hop.name, hop.from, hop.to, hop.sent, hop.arrived, hop.lost.length === 0 ? '0' : `${hop.lost.length}: ${hop.lost.join(', ')}`]),
      { alignRight: [3, 4], maxCellWidth: 80 },
    ).trimEnd(),
  );
  lines.push(`delivery lag at the traffic source: p50 ${result.lagMs.p50} ms, p95 ${result.lagMs.p95} ms, max ${result.lagMs.max} ms`);
  const failed = result.expectations.filter((e) => e.expected !== e.actual);
  lines.push('');
  if (failed.length === 0) lines.push(color.green('Each hop lost exactly what the demo injected, and reconcile --compare named every one.'));
  else {
    lines.push(color.red('Something other than what the demo injected:'));
    for (const e of failed) lines.push(`  ${e.name}: expected ${e.expected}, found ${e.actual}`);
  }
  lines.push('');
  if (dbPath) {
    lines.push(`The database is kept at ${dbPath}. Explore it:`);
    lines.push(`  tpb catch list --db ${dbPath}`);
    lines.push(`  tpb reconcile --db ${dbPath} --compare ${result.hop2.options.compare?.a ?? result.preset} tpb:catch`);
  } else {
    lines.push('Nothing was left behind (run with --db chain.db to keep the database and explore it).');
  }
  lines.push('Next: tpb catch --port 9000, and point your tracker\'s outbound postback at it.');
  return sanitizeForDisplay(lines.join('\n'), { keepNewlines: true });
}

export function chainJson(result: ChainResult, dbPath: string | undefined): Record<string, unknown> {
  return {
    version: 1,
    ok: result.ok,
    preset: result.preset,
    tracker: result.trackerUrl,
    traffic_source: result.trafficSourceUrl,
    db: dbPath ?? null,
    plan: result.plan,
    steps: result.steps.map(({ number, title, does, shows, ok }) => ({ number, title, does, shows, ok })),
    hops: result.hops,
    lag_ms: result.lagMs,
    caught: result.caught,
    outbound: result.outbound,
    expectations: result.expectations,
    compare: { hop1: result.hop1.summary, hop2: result.hop2.summary },
  };
}
