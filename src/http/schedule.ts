/**
 * When each request of a load run is sent: the one scheduler of click and fire.
 *
 * - Closed model (no rate): `concurrency` requests in flight, each new one sent when one finishes;
 *   a request's latency counts from when it was sent.
 * - Open model (`ratePerSecond`): request i is *due* at start + i / rate, whatever happened to the
 *   ones before (a constant arrival rate, as vegeta and k6's constant-arrival-rate). Its latency
 *   counts from when it was due, so a tracker that slows down cannot hide the queue it causes
 *   (coordinated omission). A request that could not be sent on time — every connection busy, or
 *   the client itself too slow — is counted "behind schedule".
 *
 * The run ends after `count` measured requests, or when `durationMs` of measured time has passed
 * (no new request is started after it; in the open model the requests still waiting for a
 * connection then are counted as dropped), or when the signal aborts. A warm-up (`warmupMs`) runs
 * first at the same pace; its requests are marked so they stay out of the figures.
 */

export interface LoadPlan {
  /** Most measured requests (warm-up ones not counted); unbounded when absent (then durationMs is required). */
  count?: number;
  /** Measured time after the warm-up, in ms. */
  durationMs?: number;
  /** Time before the measured part whose requests are sent but not counted, in ms. */
  warmupMs?: number;
  /** Constant arrival rate (requests per second); absent: as fast as `concurrency` allows. */
  ratePerSecond?: number;
  /** Most requests in flight at once. */
  concurrency: number;
  /** Stop starting requests (the ones in flight finish). */
  signal?: AbortSignal;
  /** A request sent this much after it was due is behind schedule (default 10 ms). */
  lateAfterMs?: number;
}

/** One request of the run, as handed to the sender. */
export interface LoadSlot {
  /** 1-based, warm-up requests first. */
  index: number;
  /** A warm-up request: send it, keep it out of the figures. */
  warmup: boolean;
  /** performance.now() when it was due (the open model) or sent (the closed model). */
  scheduledAt: number;
  /** performance.now() when it was handed to the sender. */
  sentAt: number;
}

export interface LoadTiming {
  /** performance.now() when the run began (the warm-up began). */
  startedAt: number;
  /** performance.now() when the measured part began (after the warm-up). */
  measuredFrom: number;
  /** performance.now() when the last request finished. */
  endedAt: number;
  /** The end of the measured time: endedAt, or the planned end of a timed run if that is later. */
  measuredUntil: number;
  /** Measured requests sent. */
  sent: number;
  /** Warm-up requests sent. */
  warmupSent: number;
  /** Open model: measured requests sent later than lateAfterMs after they were due. */
  behindSchedule: number;
  /** Open model: requests due before the end that were never sent (every connection stayed busy). */
  dropped: number;
  /** Open model: the most a request waited past its due time, in ms. */
  maxLagMs: number;
  /** The run was stopped by its signal. */
  aborted: boolean;
}

/**
 * Run the plan: call `send` for each request at its time, at most `concurrency` at once, and
 * resolve when every started request has finished. `send` must not throw for a request's outcome
 * (a rejection ends the run with that error once the requests in flight are done).
 */
export async function runSchedule(plan: LoadPlan, send: (slot: LoadSlot) => Promise<void>): Promise<LoadTiming> {
  if (plan.count === undefined && plan.durationMs === undefined) throw new Error('a load plan needs a count or a duration');
  const concurrency = Math.max(1, Math.floor(plan.concurrency));
  const startedAt = performance.now();
  const warmupMs = Math.max(0, plan.warmupMs ?? 0);
  const measuredFrom = startedAt + warmupMs;
  const endAt = plan.durationMs !== undefined ? measuredFrom + plan.durationMs : Infinity;
  const countLimit = plan.count ?? Infinity;
  const lateAfterMs = plan.lateAfterMs ?? 10;
  const timing: LoadTiming = { startedAt, measuredFrom, endedAt: startedAt, measuredUntil: startedAt, sent: 0, warmupSent: 0, behindSchedule: 0, dropped: 0, maxLagMs: 0, aborted: false };
  let failure: { error: unknown } | undefined;
  let index = 0;

  const wrapped = async (slot: LoadSlot) => {
    try {
      await send(slot);
    } catch (error) {
      failure ??= { error };
    }
  };

  if (!plan.ratePerSecond) {
    // Closed model: each worker sends its next request as soon as its last one is done.
    const next = (): LoadSlot | undefined => {
      if (failure) return undefined;
      if (plan.signal?.aborted) {
        timing.aborted = true;
        return undefined;
      }
      const now = performance.now();
      if (now >= endAt || timing.sent >= countLimit) return undefined;
      const warmup = now < measuredFrom;
      index += 1;
      if (warmup) timing.warmupSent += 1;
      else timing.sent += 1;
      return { index, warmup, scheduledAt: now, sentAt: now };
    };
    const worker = async () => {
      for (let slot = next(); slot; slot = next()) await wrapped(slot);
    };
    const workers = Number.isFinite(countLimit) && warmupMs === 0 ? Math.min(concurrency, countLimit) : concurrency;
    await Promise.all(Array.from({ length: workers }, worker));
  } else {
    // Open model: a dispatcher releases each request at its due time; one that finds every
    // connection busy waits in the queue (oldest first) and its latency keeps counting.
    const intervalMs = 1000 / plan.ratePerSecond;
    let inFlight = 0;
    let due = 0; // requests released so far (due times startedAt + k·interval, k < due)
    const queue: number[] = []; // due times of released requests waiting for a connection
    let measuredReleased = 0;
    let stopped = false;
    let wake: (() => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const allDone = new Promise<void>((resolve) => {
      const finished = () => {
        inFlight -= 1;
        pump();
        if (stopped && inFlight === 0) resolve();
      };
      const start = (scheduledAt: number) => {
        const now = performance.now();
        const warmup = scheduledAt < measuredFrom;
        index += 1;
        if (warmup) timing.warmupSent += 1;
        else {
          timing.sent += 1;
          const lag = now - scheduledAt;
          if (lag > timing.maxLagMs) timing.maxLagMs = lag;
          if (lag > lateAfterMs) timing.behindSchedule += 1;
        }
        inFlight += 1;
        void wrapped({ index, warmup, scheduledAt, sentAt: now }).then(finished);
      };
      const release = (now: number) => {
        for (;;) {
          const at = startedAt + due * intervalMs;
          if (at > now || at >= endAt || measuredReleased >= countLimit) return;
          due += 1;
          if (at >= measuredFrom) measuredReleased += 1;
          queue.push(at);
        }
      };
      const stop = () => {
        if (stopped) return;
        stopped = true;
        if (timer) clearTimeout(timer);
        if (inFlight === 0) resolve();
      };
      function pump(): void {
        if (stopped) return;
        if (failure || plan.signal?.aborted) {
          if (plan.signal?.aborted) timing.aborted = true;
          queue.length = 0;
          stop();
          return;
        }
        const now = performance.now();
        release(now);
        while (queue.length > 0 && inFlight < concurrency) start(queue.shift()!);
        const exhausted = measuredReleased >= countLimit || startedAt + due * intervalMs >= endAt;
        if (exhausted && queue.length === 0) {
          stop();
          return;
        }
        if (now >= endAt) {
          // Time is up: what still waits for a connection was never sent.
          timing.dropped += queue.filter((at) => at >= measuredFrom).length;
          queue.length = 0;
          stop();
          return;
        }
        if (!exhausted && timer === undefined) {
          const wait = Math.max(0, startedAt + due * intervalMs - performance.now());
          timer = setTimeout(() => {
            timer = undefined;
            pump();
          }, Math.min(wait, Math.max(0, endAt - performance.now())));
        }
      }
      wake = pump;
      if (plan.signal) plan.signal.addEventListener('abort', () => wake?.(), { once: true });
      pump();
    });
    await allDone;
  }
  timing.endedAt = performance.now();
  // A constant-rate run that ran out of time sent its last request one interval before the end.
  const endedByTime = !timing.aborted && timing.sent < countLimit && Number.isFinite(endAt);
  timing.measuredUntil = endedByTime ? Math.max(timing.endedAt, endAt) : timing.endedAt;
  if (failure) throw failure.error;
  return timing;
}
