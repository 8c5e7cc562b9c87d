import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { PRESETS, PRESET_NAMES } from '../../src/presets/catalog.js';
import { EXPORT_FORMATS } from '../../src/presets/exports.js';
import { writeExport } from '../../src/serve/exports.js';
import { MemoryLedger } from '../../src/serve/ledger.js';
import { startMockTracker, type MockTracker } from '../../src/serve/server.js';
import { click, fill, request } from './http.js';

const open: MockTracker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((tracker) => tracker.close()));
});

const CLOCK = new Date('2026-11-29T18:05:09.456Z');
const EXPECTED_TIME: Record<string, string> = {
  iso: '2026-11-29T18:05:09Z',
  ymd_hms: '2026-11-29 18:05:09',
  unix_s: '1795975509',
  unix_ms: '1795975509000',
  mdy_hms_ampm: '11/29/2026 06:05:09 PM',
};

function table(text: string, delimiter: string): string[][] {
  return parse(text, { delimiter, relax_column_count: false }) as string[][];
}

describe.each(PRESET_NAMES)('exports of --preset %s', (preset) => {
  const format = EXPORT_FORMATS[preset];

  it('are written in the preset\'s headers, column order, delimiter and date format', async () => {
    const tracker = await startMockTracker({ preset, now: () => CLOCK });
    open.push(tracker);
    const id = await click(tracker.routes.click, PRESETS[preset].clickIdParam, { 'user-agent': 'UA; "quoted", with commas' });
    await click(tracker.routes.click, PRESETS[preset].clickIdParam);
    await request(fill(tracker.routes.postback, { click_id: id, payout: '12.34', txid: 'TX-9', event: 'sale', status: '1' }));
    // A duplicate and an unknown click are not conversions.
    await request(fill(tracker.routes.postback, { click_id: id, payout: '12.34', txid: 'TX-9', event: 'sale', status: '1' }));
    await request(fill(tracker.routes.postback, { click_id: `${id}x`, payout: '1', txid: 'TX-0', event: 'sale' }));

    const clicksAnswer = await request(tracker.routes.clicksExport);
    expect(clicksAnswer.status).toBe(200);
    expect(clicksAnswer.headers['content-type']).toBe('text/csv; charset=utf-8');
    const clicks = table(clicksAnswer.body, format.delimiter);
    expect(clicks[0]).toEqual(Object.values(format.clicks));
    expect(clicks).toHaveLength(3);
    const clickColumns = Object.keys(format.clicks);
    const clickRow = Object.fromEntries(clickColumns.map((field, i) => [field, clicks[1]![i]]));
    expect(clickRow.click_id).toBe(id);
    expect(clickRow.occurred_at).toBe(EXPECTED_TIME[format.timestampStyle]);
    if ('user_agent' in clickRow) expect(clickRow.user_agent).toBe('UA; "quoted", with commas');
    // The raw text really uses the delimiter (not just something csv-parse tolerates).
    expect(clicksAnswer.body.split('\n')[0]).toBe(Object.values(format.clicks).map((h) => (h.includes(format.delimiter) ? `"${h}"` : h)).join(format.delimiter));

    const conversions = table((await request(tracker.routes.conversionsExport)).body, format.delimiter);
    expect(conversions[0]).toEqual(Object.values(format.conversions));
    expect(conversions).toHaveLength(2);
    const conversionColumns = Object.keys(format.conversions);
    const row = Object.fromEntries(conversionColumns.map((field, i) => [field, conversions[1]![i]]));
    expect(row.click_id).toBe(id);
    expect(row.occurred_at).toBe(EXPECTED_TIME[format.timestampStyle]);
    if ('payout' in row) expect(row.payout).toBe('12.34');
    // Every preset's postback template carries the txid somewhere its export shows, except where
    // the tracker has no such column (Binom) or reads it from another parameter (RedTrack's rdtk_event_id).
    if ('txid' in row && preset !== 'redtrack') expect(row.txid).toBe('TX-9');
    if ('offer_id' in row && preset === 'tune') expect(row.offer_id).toBe('1001');
  });
});

describe('export writer', () => {
  it('streams every row in order, a page at a time', async () => {
    const ledger = new MemoryLedger('keitaro', 10_000);
    for (let i = 0; i < 3500; i += 1) {
      ledger.addClick({
        click_id: `id${String(i).padStart(5, '0')}`, occurred_at: '2026-01-01T00:00:00.000Z', offer_id: '1', affiliate_id: 'a',
        sub1: i === 7 ? '=HYPERLINK("http://evil.example")' : null, sub2: null, sub3: null, sub4: null, sub5: null, ip: null, user_agent: null,
      });
    }
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const rows = await writeExport(ledger, 'clicks', out);
    out.end();
    expect(rows).toBe(3500);
    const records = table(text, ';');
    expect(records).toHaveLength(3501);
    expect(records[1]![1]).toBe('id00000');
    expect(records[3500]![1]).toBe('id03499');
    // A cell a spreadsheet would evaluate is neutralised.
    expect(records[8]![4]).toBe('\'=HYPERLINK("http://evil.example")');
  });

  it('answers HEAD with the headers only, and 404 for another export name', async () => {
    const tracker = await startMockTracker({ preset: 'generic' });
    open.push(tracker);
    const head = await request(tracker.routes.clicksExport, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await request(`${tracker.url}/export/other.csv`)).status).toBe(404);
  });
});
