import { describe, expect, it } from 'vitest';
import { PRESETS, PRESET_NAMES } from '../../src/presets/catalog.js';
import { formatMoney } from '../../src/units/money.js';
import { parseAmount } from '../../src/serve/amounts.js';
import { generateClickId } from '../../src/serve/click-ids.js';
import { FaultPlan, parseLatency } from '../../src/serve/faults.js';
import { MemoryLedger, type MockClick, type MockConversion } from '../../src/serve/ledger.js';
import { seededRandom, systemRandom } from '../../src/serve/random.js';
import { formatRequestLine } from '../../src/serve/request-log.js';
import { recordedInstant } from '../../src/serve/timestamps.js';

describe('amounts', () => {
  it('reads decimals into exact micro-units', () => {
    expect(parseAmount('12.34')).toBe(12_340_000);
    expect(parseAmount('0.1')).toBe(100_000);
    expect(parseAmount('.5')).toBe(500_000);
    expect(parseAmount('-3.25')).toBe(-3_250_000);
    expect(parseAmount('7')).toBe(7_000_000);
    expect(parseAmount('0.000001')).toBe(1);
  });
  it('tells absent from malformed', () => {
    expect(parseAmount(undefined)).toBeUndefined();
    expect(parseAmount('  ')).toBeUndefined();
    expect(parseAmount('abc')).toBeNull();
    expect(parseAmount('1.2345678')).toBeNull();
    expect(parseAmount('{payout}')).toBeNull();
    expect(parseAmount('12,34')).toBeNull();
  });
  it('reads a decimal comma only when the tracker documents it', () => {
    expect(parseAmount('12,34', { decimalComma: true })).toBe(12_340_000);
  });
  it('reads back what the exports write', () => {
    for (const text of ['0.01', '19.99', '1234567.891011', '-0.50']) {
      expect(parseAmount(formatMoney(parseAmount(text)!))).toBe(parseAmount(text));
    }
  });
});

describe('recorded instants', () => {
  const iso = '2026-11-29T18:05:09.000Z';
  it('records whole seconds so second-precision exports lose nothing', () => {
    expect(recordedInstant(new Date('2026-11-29T18:05:09.987Z'))).toBe(iso);
  });
});

describe('click ids', () => {
  it.each(PRESET_NAMES)('%s ids match the preset\'s documented shape and do not repeat', (preset) => {
    const random = systemRandom();
    const ids = new Set<string>();
    for (let i = 1; i <= 2000; i += 1) {
      const id = generateClickId(preset, random, i, new Date());
      expect(id).toMatch(PRESETS[preset].clickIdFormat.pattern);
      ids.add(id);
    }
    // Prosper202 is a sequence; the random shapes are wide enough never to collide at this size
    // (CAKE's 10 digits included), and the server re-draws on a collision anyway.
    expect(ids.size).toBe(2000);
  });
  it('repeats with a seed', () => {
    const a = Array.from({ length: 5 }, (_, i) => generateClickId('everflow', seededRandom(42), i, new Date()));
    const b = Array.from({ length: 5 }, (_, i) => generateClickId('everflow', seededRandom(42), i, new Date()));
    expect(a).toEqual(b);
    expect(generateClickId('everflow', seededRandom(43), 1, new Date())).not.toBe(a[0]);
  });
});

describe('faults', () => {
  it('parses latency as ms, units and ranges', () => {
    expect(parseLatency('200')).toEqual({ minMs: 200, maxMs: 200 });
    expect(parseLatency('50-500')).toEqual({ minMs: 50, maxMs: 500 });
    expect(parseLatency('100ms-2s')).toEqual({ minMs: 100, maxMs: 2000 });
    expect(() => parseLatency('fast')).toThrow(/such as 200/);
    expect(() => parseLatency('500-50')).toThrow(/ends before it starts/);
    expect(() => parseLatency('1-2-3')).toThrow();
  });
  it('fails about the configured share, the same requests for the same seed', () => {
    const run = (seed: number) => {
      const plan = new FaultPlan(seededRandom(seed), { failRate: 0.3, resetRate: 0.1, latency: { minMs: 10, maxMs: 20 } });
      return Array.from({ length: 2000 }, () => plan.decide());
    };
    const first = run(7);
    expect(run(7)).toEqual(first);
    expect(run(8)).not.toEqual(first);
    const resets = first.filter((d) => d.fault === 'reset').length / first.length;
    const fails = first.filter((d) => d.fault === 'fail').length / first.length;
    expect(resets).toBeGreaterThan(0.07);
    expect(resets).toBeLessThan(0.13);
    // fail is drawn for requests not reset: 0.9 × 0.3
    expect(fails).toBeGreaterThan(0.23);
    expect(fails).toBeLessThan(0.31);
    expect(first.every((d) => d.delayMs >= 10 && d.delayMs <= 20)).toBe(true);
  });
  it('does nothing unless configured', () => {
    const plan = new FaultPlan(seededRandom(1), {});
    expect(plan.active).toBe(false);
    expect(Array.from({ length: 100 }, () => plan.decide()).every((d) => d.fault === 'none' && d.delayMs === 0)).toBe(true);
  });
  it('refuses rates outside 0..1', () => {
    expect(() => new FaultPlan(seededRandom(1), { failRate: 1.5 })).toThrow(RangeError);
  });
});

function clickRow(id: string): MockClick {
  return {
    click_id: id, occurred_at: '2026-11-29T00:00:00.000Z', offer_id: null, affiliate_id: null,
    sub1: null, sub2: null, sub3: null, sub4: null, sub5: null, ip: null, user_agent: null,
  };
}

function conversionRow(clickId: string, key: string, outcome: MockConversion['outcome'] = 'recorded'): MockConversion {
  return {
    ...clickRow(clickId), conversion_id: null, txid: null, event: null, status: null, payout_micros: null,
    revenue_micros: null, currency: null, outcome, reason: null, dedupe_key: key,
  };
}

describe('memory ledger', () => {
  it('forgets the oldest clicks and postbacks beyond its capacity', () => {
    const ledger = new MemoryLedger('generic', 100);
    for (let i = 0; i < 250; i += 1) ledger.addClick(clickRow(`c${i}`));
    expect(ledger.findClick('c0')).toBeUndefined();
    expect(ledger.findClick('c149')).toBeUndefined();
    expect(ledger.findClick('c150')).toBeDefined();
    expect(ledger.counts()).toMatchObject({ clicks: 100, evictedClicks: 150 });
    for (let i = 0; i < 150; i += 1) ledger.addConversion(conversionRow(`c${i}`, `k${i}`));
    expect(ledger.hasRecorded('k0')).toBe(false);
    expect(ledger.hasRecorded('k149')).toBe(true);
    expect(ledger.counts()).toMatchObject({ conversions: 100, evictedConversions: 50 });
  });
  it('pages clicks in order and recorded conversions only', () => {
    const ledger = new MemoryLedger('generic', 10_000);
    for (let i = 0; i < 2500; i += 1) ledger.addClick(clickRow(`c${i}`));
    const seen: string[] = [];
    let after = 0;
    for (;;) {
      const page = ledger.clickPage(after, 1000);
      seen.push(...page.rows.map((row) => row.click_id));
      if (page.next === after) break;
      after = page.next;
    }
    expect(seen).toHaveLength(2500);
    expect(seen[0]).toBe('c0');
    expect(seen[2499]).toBe('c2499');
    ledger.addConversion(conversionRow('c1', 'a'));
    ledger.addConversion(conversionRow('c1', 'a', 'duplicate'));
    ledger.addConversion(conversionRow('zz', 'b', 'unknown_click'));
    expect(ledger.conversionPage(0, 10).rows).toHaveLength(1);
  });
});

describe('request log line', () => {
  it('is one sanitised line with status, latency and outcome', () => {
    const line = formatRequestLine({
      time: '2026-11-29T06:35:16.123Z', method: 'GET', path: '/postback?click_id=\u001b[31mx', route: 'postback',
      status: 404, latency_ms: 1.25, outcome: 'unknown_click', message: 'unknown click_id',
    });
    expect(line).toBe('06:35:16.123 GET /postback?click_id=x → 404 1.3ms unknown_click (unknown click_id)');
    expect(formatRequestLine({ time: '2026-11-29T06:35:16.123Z', method: 'GET', path: '/click', route: 'click', status: null, latency_ms: 0, fault: 'reset' }))
      .toContain('dropped 0.0ms fault:reset');
  });
});
