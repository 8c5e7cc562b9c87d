import { describe, expect, it } from 'vitest';
import { MappingError, resolveMapping } from '../../src/ingest/headers.js';
import { PRESET_NAMES } from '../../src/presets/catalog.js';
import { EXPORT_FORMATS } from '../../src/presets/exports.js';

const fieldOf = (mapping: ReturnType<typeof resolveMapping>, header: string) => mapping.columns.find((column) => column.header === header)?.field;

describe('resolveMapping', () => {
  it('recognises every preset\'s own export headers, for both kinds, and names the preset', () => {
    for (const preset of PRESET_NAMES) {
      for (const kind of ['clicks', 'conversions'] as const) {
        const spec = EXPORT_FORMATS[preset][kind];
        const headers = Object.values(spec) as string[];
        const withPreset = resolveMapping(headers, kind, { preset });
        for (const [field, header] of Object.entries(spec)) expect(fieldOf(withPreset, header), `${preset} ${kind} ${header}`).toBe(field);
        // Without --preset the same columns get the same fields.
        const detected = resolveMapping(headers, kind);
        for (const [field, header] of Object.entries(spec)) expect(fieldOf(detected, header), `${preset} ${kind} detected ${header}`).toBe(field);
      }
    }
  });

  it('"Transaction ID" is the click id in a TUNE export and the txid in a CAKE or Voluum export', () => {
    const tune = resolveMapping(['Date / Time', 'Transaction ID', 'Offer', 'Partner', 'Payout', 'Status', 'Tune Event ID'], 'conversions');
    expect(fieldOf(tune, 'Transaction ID')).toBe('click_id');
    expect(tune.source).toMatchObject({ kind: 'preset', preset: 'tune', detected: true });

    const cake = resolveMapping(['Conversion Date', 'Request Session ID', 'Transaction ID', 'Unique ID', 'Paid', 'Received', 'Disposition'], 'conversions');
    expect(fieldOf(cake, 'Transaction ID')).toBe('txid');
    expect(fieldOf(cake, 'Request Session ID')).toBe('click_id');
    expect(cake.source).toMatchObject({ kind: 'preset', preset: 'cake' });

    const voluum = resolveMapping(['Postback timestamp', 'Click ID', 'Transaction ID', 'Payout'], 'conversions');
    expect(fieldOf(voluum, 'Transaction ID')).toBe('txid');
    expect(fieldOf(voluum, 'Click ID')).toBe('click_id');
  });

  it('matches case-, space- and punctuation-insensitively', () => {
    const mapping = resolveMapping(['CLICK_ID', 'date/time', 'PAYOUT'], 'conversions');
    expect(fieldOf(mapping, 'CLICK_ID')).toBe('click_id');
    expect(fieldOf(mapping, 'date/time')).toBe('occurred_at');
    expect(fieldOf(mapping, 'PAYOUT')).toBe('payout');
  });

  it('falls back to the pooled aliases when no preset clearly fits, and says so', () => {
    const mapping = resolveMapping(['clickid', 'timestamp', 'sum', 'aff_sub2', 'whatever'], 'conversions');
    expect(mapping.source).toEqual({ kind: 'aliases' });
    expect(fieldOf(mapping, 'clickid')).toBe('click_id');
    expect(fieldOf(mapping, 'timestamp')).toBe('occurred_at');
    expect(fieldOf(mapping, 'sum')).toBe('payout');
    expect(fieldOf(mapping, 'aff_sub2')).toBe('sub2');
    expect(mapping.unused).toEqual(['whatever']);
  });

  it('an ambiguous header becomes the click id when nothing else can be', () => {
    const mapping = resolveMapping(['Transaction ID', 'Payout'], 'conversions');
    expect(fieldOf(mapping, 'Transaction ID')).toBe('click_id');
  });

  it('--map overrides the preset and the aliases', () => {
    const mapping = resolveMapping(['Date / Time', 'Transaction ID', 'Partner Sub ID 1', 'Payout'], 'conversions', {
      preset: 'tune',
      map: [['click_id', 'Partner Sub ID 1'], ['txid', 'Transaction ID']],
    });
    expect(fieldOf(mapping, 'Partner Sub ID 1')).toBe('click_id');
    expect(fieldOf(mapping, 'Transaction ID')).toBe('txid');
    expect(mapping.overridden).toEqual(['click_id', 'txid']);
    // --map finds a header by its key too.
    expect(fieldOf(resolveMapping(['a', 'My Click'], 'clicks', { map: [['click_id', 'my_click']] }), 'My Click')).toBe('click_id');
  });

  it('--map with an unknown field or a header the file lacks lists what is valid', () => {
    expect(() => resolveMapping(['a', 'b'], 'clicks', { map: [['payout', 'a']] })).toThrow(/"payout" is not a click field/);
    try {
      resolveMapping(['Click ID', 'b'], 'clicks', { map: [['sub1', 'Nope']] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MappingError);
      expect((error as MappingError).message).toContain('no column "Nope"');
      expect((error as MappingError).hint).toContain('"Click ID", "b"');
    }
  });

  it('a file with no column that can be the click id is an error listing its headers', () => {
    expect(() => resolveMapping(['date', 'payout', 'status'], 'conversions')).toThrow(/no column can be the click id.*"date", "payout", "status"/);
    expect(() => resolveMapping(['Click ID'], 'clicks', { preset: 'tune' })).toThrow(/no column can be the click id/);
  });

  it('warns when there is no timestamp column', () => {
    expect(resolveMapping(['click_id'], 'clicks').warnings.join()).toMatch(/no timestamp column/);
  });

  it('fills what a preset leaves open from the aliases: TUNE "Sale Amount" is revenue when there is no Revenue', () => {
    const mapping = resolveMapping(['Transaction ID', 'Date / Time', 'Payout', 'Sale Amount'], 'conversions', { preset: 'tune' });
    expect(fieldOf(mapping, 'Sale Amount')).toBe('revenue');
  });
});
