import { describe, expect, it } from 'vitest';
import { runClicks } from '../../src/click/run.js';
import { firePostbacks } from '../../src/fire/run.js';
import { PRESET_NAMES } from '../../src/presets/catalog.js';
import { startMockTracker } from '../../src/serve/server.js';

// click → fire against tpb serve's mock of every preset: the ids click captures must be accepted
// by the tracker, the preset's success rule must read its answers, and lint must accept its ids.
describe.each(PRESET_NAMES)('against the %s mock tracker', (preset) => {
  it('captures ids, fires postbacks with the preset template, and judges the answers', async () => {
    const tracker = await startMockTracker({ preset, seed: 7 });
    try {
      const clicks = await runClicks({ url: tracker.routes.click, count: 3, concurrency: 3, preset, ip: '198.51.100.{i}' });
      expect(clicks.summary.captured).toBe(3);
      const ids = clicks.clicks.map((click) => click.clickId!);
      const result = await firePostbacks({
        template: tracker.routes.postback,
        preset,
        clickIds: ids,
        payout: '1.25',
        txid: 'order-{i}',
        event: 'sale',
        status: preset === 'affise' ? '1' : 'approved',
        retryPolicy: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
      });
      expect(result.summary.passed, JSON.stringify(result.postbacks.map((p) => [p.httpStatus, p.bodyExcerpt, p.verdict]))).toBe(3);
      expect(tracker.stats().postbacks.recorded).toBe(3);
      // An id the tracker never issued: trackers that answer it say so; Affise and other
      // always-200 trackers cannot be judged by the answer (the caveat says it).
      const unknown = await firePostbacks({ template: tracker.routes.postback, preset, clickIds: [`${ids[0]!}0`], payout: '1', txid: 'x', event: 'sale', status: '1', lint: false, retryPolicy: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
      const verdict = unknown.postbacks[0]!.verdict;
      if (verdict.verdict === 'pass') expect(verdict.caveat, `${preset}: a pass for an unknown id needs a caveat`).toBeTruthy();
    } finally {
      await tracker.closeNow();
    }
  });
});
