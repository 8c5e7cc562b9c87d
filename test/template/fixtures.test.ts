import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { firePostbacks } from '../../src/fire/run.js';
import { planSender } from '../../src/fire/sender.js';
import { DIALECT_IDS } from '../../src/template/dialects/index.js';
import { detectDialect, tokenize } from '../../src/template/dialect.js';
import { analyzePostback } from '../../src/template/lint.js';
import { queryParams } from '../../src/template/query.js';
import { PRESETS, type PresetName } from '../../src/presets/catalog.js';

/**
 * The real templates in fixtures/postback-templates/: lint with the right sender finds no error on
 * the ones their source presents as working, flags every listed damage, auto-detection names the
 * sender for at least 9 in 10, and fire --as puts the click id where the receiver reads it.
 */

interface Fixture {
  id: string;
  platform: string;
  url: string;
  sender: string | null;
  sender_platform?: string;
  receiver: PresetName | null;
  click_id_param: string | null;
  click_id_in?: 'path';
  needs_click_id_param?: boolean;
  works: boolean;
  damage: string[];
  source: { url: string; title: string };
}

const { templates } = JSON.parse(readFileSync(new URL('../../fixtures/postback-templates/templates.json', import.meta.url), 'utf8')) as { templates: Fixture[] };

/** Which lint codes report each kind of damage. */
const DAMAGE_CODES: Record<string, readonly string[]> = {
  placeholder: ['placeholder', 'placeholder-value', 'placeholder-host'],
  'html-entity': ['html-entity'],
  whitespace: ['whitespace'],
  'missing-question-mark': ['missing-question-mark'],
  'double-question-mark': ['double-question-mark'],
  'no-scheme': ['not-http'],
  'no-click-id': ['no-click-id', 'required-missing', 'required-empty', 'empty-value'],
  'unknown-macro': ['unknown-macro', 'mixed-dialect'],
};

const analyze = (fixture: Fixture) => analyzePostback(fixture.url, { sender: fixture.sender ?? 'auto', ...(fixture.receiver ? { preset: fixture.receiver } : {}) });

describe('postback template fixtures', () => {
  it('are real, sourced and broad: at least 60 templates from at least 12 platforms, 12 of them with a dialect', () => {
    expect(templates.length).toBeGreaterThanOrEqual(60);
    expect(new Set(templates.map((t) => t.platform)).size).toBeGreaterThanOrEqual(12);
    expect(new Set(templates.map((t) => t.platform).filter((p) => (DIALECT_IDS as readonly string[]).includes(p))).size).toBeGreaterThanOrEqual(12);
    expect(new Set(templates.map((t) => t.id)).size).toBe(templates.length);
    for (const t of templates) {
      expect(t.source.url, t.id).toMatch(/^https:\/\//);
      expect(t.source.title.length, t.id).toBeGreaterThan(0);
      if (t.sender !== null) expect(DIALECT_IDS as readonly string[], t.id).toContain(t.sender);
      for (const damage of t.damage) expect(Object.keys(DAMAGE_CODES), `${t.id}: ${damage}`).toContain(damage);
    }
  });

  it.each(templates.filter((t) => t.works && t.damage.length === 0 && (t.sender !== null || tokenize(t.url).length === 0)).map((t) => [t.id, t] as const))(
    'lint with the right sender finds no error in %s (presented as working)',
    (_id, fixture) => {
      const errors = analyze(fixture).findings.filter((f) => f.severity === 'error');
      expect(errors).toEqual([]);
    },
  );

  it.each(templates.filter((t) => t.damage.length > 0).map((t) => [t.id, t] as const))('lint flags every damage of %s', (_id, fixture) => {
    const codes = new Set(analyze(fixture).findings.map((f) => f.code));
    for (const damage of fixture.damage) expect([...codes].some((code) => DAMAGE_CODES[damage]!.includes(code)), `${damage} in ${[...codes].join(', ')}`).toBe(true);
  });

  it('auto-detection names the sender for at least 9 in 10 of the templates a known platform fills', () => {
    const withSender = templates.filter((t) => t.sender !== null);
    const misses = withSender.filter((t) => detectDialect(tokenize(t.url)).dialect?.id !== t.sender).map((t) => `${t.id}: ${detectDialect(tokenize(t.url)).dialect?.id ?? 'none'} (expected ${t.sender})`);
    const rate = (withSender.length - misses.length) / withSender.length;
    console.log(`detection: ${withSender.length - misses.length} of ${withSender.length} (${(rate * 100).toFixed(1)}%); misses: ${misses.join('; ') || 'none'}`);
    expect(withSender.length).toBeGreaterThanOrEqual(25);
    expect(rate).toBeGreaterThanOrEqual(0.9);
  });

  // The ones whose damage is that nothing carries a click id cannot land one: lint flags them above.
  const fireable = templates.filter((t) => (t.click_id_param !== null || t.click_id_in === 'path') && !t.damage.includes('no-click-id'));
  it.each(fireable.map((t) => [t.id, t] as const))('fire --as %s --dry-run puts the click id where the receiver reads it', async (_id, fixture) => {
    // An id of the shape the receiver accepts; elsewhere one with characters that must be encoded once.
    const clickId = fixture.receiver && fixture.receiver !== 'generic' ? PRESETS[fixture.receiver].clickIdFormat.example : 'CID-7f3a+b/9';
    // The user gives what fire asks for: --click-id and the value flags, --var for every macro it plans to fill by --var,
    // and for documentation placeholders in parameters without a role. Damaged templates fire with --no-lint (lint stops them).
    const explicit = (fixture.sender === null || fixture.needs_click_id_param) && fixture.click_id_param !== null ? fixture.click_id_param : undefined;
    const plan = planSender(fixture.url, fixture.sender ?? 'auto', fixture.receiver ?? undefined, explicit);
    const vars: Array<[string, string]> = plan.macros.filter((m) => m.fill === 'var').map((m) => [m.token.name, `v_${m.token.name}`]);
    for (const param of queryParams(fixture.url)) if (param.name !== fixture.click_id_param) vars.push([param.name, `v_${param.name}`]);
    const result = await firePostbacks({
      template: fixture.url,
      as: fixture.sender ?? 'auto',
      clickIds: [clickId],
      vars,
      payout: '1.5',
      status: 'sale',
      txid: 'T-1',
      currency: 'USD',
      event: 'sale',
      revenue: '2',
      ...(fixture.receiver ? { preset: fixture.receiver } : {}),
      // Without a dictionary (or where the sender's own token was repurposed), the user names the receiving parameter.
      ...((fixture.sender === null || fixture.needs_click_id_param) && fixture.click_id_param !== null ? { clickIdParam: fixture.click_id_param } : {}),
      // Lint vouches only for what a dictionary knows: templates of platforms without one fire with --no-lint.
      lint: fixture.damage.length === 0 && fixture.sender !== null,
      dryRun: true,
    });
    const url = result.resolved[0]!.url;
    if (fixture.click_id_in === 'path') expect(url).toContain(encodeURIComponent(clickId));
    else expect(queryParams(url).find((p) => p.name === fixture.click_id_param)?.value, url).toBe(clickId);
  });
});
