// `tpb --help` start-up against `node -e 0`: the floor any Node CLI pays. Commands import their
// implementation lazily, so --help loads commander, chalk and the command wiring only.
import { execFileSync } from 'node:child_process';

export const title = 'tpb --help start-up against node -e 0';

const ROUNDS = Number(process.env.TPB_BENCH_STARTUP_ROUNDS ?? 30);

function timeOnce(args) {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function run(context) {
  const node = [];
  const tpb = [];
  // Alternate the two so load on the machine hits both alike; one warm-up each.
  timeOnce(['-e', '0']);
  timeOnce([context.bin, '--help']);
  for (let i = 0; i < ROUNDS; i += 1) {
    node.push(timeOnce(['-e', '0']));
    tpb.push(timeOnce([context.bin, '--help']));
  }
  const a = median(tpb);
  const b = median(node);
  context.log(`median of ${ROUNDS}: tpb --help ${a.toFixed(1)} ms, node -e 0 ${b.toFixed(1)} ms`);
  const ratio = a / b;
  return [
    {
      benchmark: `tpb --help start-up (median of ${ROUNDS})`,
      tpb: `${a.toFixed(1)} ms`,
      baseline: `node -e 0 ${b.toFixed(1)} ms`,
      ratio: `${ratio.toFixed(2)}×`,
      target: '≤ 2.0×',
      ok: ratio <= 2.0,
    },
  ];
}
