import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { ingestFile, type IngestOptions } from '../../src/ingest/ingest.js';
import { PRESET_NAMES } from '../../src/presets/catalog.js';
import { Store } from '../../src/store/db.js';
import { FIXTURES } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const DIR = path.join(FIXTURES, 'ingest');
const fixture = (name: string) => path.join(DIR, name);

function openStore(): Store {
  return Store.open(path.join(tempDir(), 'tpb.db'));
}

async function ingest(store: Store, options: Partial<IngestOptions>, onProgress?: Parameters<typeof ingestFile>[2]) {
  return ingestFile(store, { kind: 'clicks', ...options }, onProgress);
}

const all = (store: Store, sql: string, ...params: unknown[]) => store.db.prepare(sql).all(...params) as Array<Record<string, unknown>>;
const count = (store: Store, table: string) => (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

const CLICK_IDS: Record<string, string[]> = {
  generic: ['c7f1e2a9b04d4e0f', 'c7f1e2a9b04d4e10', 'c7f1e2a9b04d4e11'],
  tune: ['1027c887059b47bc69c699f45466b9', '102b3t4hj545lbgl4v9833', '10a1b2c3d4e5f60718293a4b5c6d7e'],
  everflow: ['4b5b1e5c9d3f4a0e8f7a6b5c4d3e2f10', '4b5b1e5c9d3f4a0e8f7a6b5c4d3e2f11', '4b5b1e5c9d3f4a0e8f7a6b5c4d3e2f12'],
  voluum: ['c384EFV6JHQODRN70575OK6UG5', 'c384EFV6JHQODRN70575OK6UG6', 'c384EFV6JHQODRN70575OK6UG7'],
  keitaro: ['1dad2cg1br22spja1', '1dad2cg1br22spja2', '1dad2cg1br22spja3'],
  binom: ['81e60haa86o0b7', '81e60haa86o0b8', '81e60haa86o0b9'],
  cake: ['00012345', '00012346', '12347'],
  affise: ['5f3c2b1a0e9d8c7b6a5f4e3d', '5f3c2b1a0e9d8c7b6a5f4e3e', '5f3c2b1a0e9d8c7b6a5f4e3f'],
  redtrack: ['6571a2b3c4d5e6f7a8b9c0d1', '6571a2b3c4d5e6f7a8b9c0d2', '6571a2b3c4d5e6f7a8b9c0d3'],
  prosper202: ['00042', '43', '44'],
};
const TIMES = ['2026-11-29T06:35:16.000Z', '2026-11-29T18:05:00.000Z', '2026-11-30T00:00:59.000Z'];

describe('ingest of every preset\'s exports (fixtures/ingest/presets)', () => {
  for (const preset of PRESET_NAMES) {
    for (const kind of ['clicks', 'conversions'] as const) {
      for (const mode of ['--preset', 'detected'] as const) {
        it(`${preset} ${kind} (${mode})`, async () => {
          const store = openStore();
          const result = await ingestFile(store, {
            file: fixture(`presets/${preset}-${kind}.csv`),
            kind,
            ...(mode === '--preset' ? { preset } : {}),
          });
          expect(result.status).toBe('imported');
          expect(result.rows).toBe(3);
          expect(result.rejected).toBe(0);
          const rows = all(store, `SELECT * FROM ${kind} ORDER BY line`);
          expect(rows.map((row) => row.click_id)).toEqual(CLICK_IDS[preset]);
          expect(rows.map((row) => row.occurred_at)).toEqual(TIMES);
          expect(rows.map((row) => row.line)).toEqual([2, 3, 4]);
          expect(rows.every((row) => row.import_id === result.importId)).toBe(true);
          // Ids stay text exactly as written: leading zeros survive.
          expect(rows.map((row) => row.offer_id)).toEqual(['1001', '1002', '1003']);
          if (rows[0]!.affiliate_id !== null) expect(rows[0]!.affiliate_id).toBe('0002002');
          if (kind === 'conversions') {
            if (rows[0]!.payout_micros !== null) expect(rows.map((row) => row.payout_micros)).toEqual([1_234_560_000, 500_000, 12_000_000]);
            if (rows[0]!.revenue_micros !== null) expect(rows.map((row) => row.revenue_micros)).toEqual([2_000_000_000, 1_250_000, 20_100_000]);
          }
          if (mode === 'detected' && preset === 'generic') {
            // tpb's own field names are read by the pooled aliases and labelled "csv".
            expect(result.mappingSource).toEqual({ kind: 'aliases' });
            expect(result.source).toBe('csv');
          } else if (mode === 'detected') {
            expect(result.mappingSource).toMatchObject({ kind: 'preset', preset, detected: true });
            expect(result.source).toBe(preset);
          } else {
            expect(result.source).toBe(preset);
          }
          // A value with the delimiter and quotes inside came through whole.
          const sub2 = rows[0]!.sub2;
          if (sub2 !== null) expect(sub2).toBe('cr 1, "summer"');
        });
      }
    }
  }
});

describe('input formats', () => {
  const expectClicks = (store: Store) => {
    const rows = all(store, 'SELECT click_id, occurred_at, offer_id, sub1, line FROM clicks ORDER BY line');
    expect(rows).toEqual([
      { click_id: '00123', occurred_at: '2026-11-29T06:35:16.000Z', offer_id: '1001', sub1: 'café', line: 2 },
      { click_id: 'abc-2', occurred_at: '2026-11-29T07:00:00.000Z', offer_id: '1002', sub1: 'a, "b"', line: 3 },
    ]);
  };

  it.each([
    ['utf8-bom.csv', 'utf-8', true, false],
    ['utf16le-bom.csv', 'utf-16le', true, false],
    ['utf16be-bom.csv', 'utf-16be', true, false],
    ['windows-1252.csv', 'windows-1252', false, false],
    ['clicks.csv.gz', 'utf-8', false, true],
    ['gzipped-without-extension.csv', 'utf-8', false, true],
  ])('%s', async (name, encoding, bom, compressed) => {
    const store = openStore();
    const result = await ingest(store, { file: fixture(name) });
    expect(result.input).toEqual({ encoding, bom, compressed });
    expect(result.columns.map((column) => column.header)).toEqual(['click_id', 'occurred_at', 'offer_id', 'sub1']);
    expectClicks(store);
  });

  it('stdin (a stream), hashed as it streams', async () => {
    const store = openStore();
    const bytes = fs.readFileSync(fixture('utf8-bom.csv'));
    const result = await ingest(store, { file: '-', stream: Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]) });
    expect(result.file).toBe('stdin');
    expectClicks(store);
    const again = await ingest(store, { file: '-', stream: Readable.from([bytes]) });
    expect(again.status).toBe('unchanged');
    expect(count(store, 'clicks')).toBe(2);
    expect(count(store, 'imports')).toBe(1);
  });

  it('a stream with a label (an HTTP body, say) is recorded under that label', async () => {
    const store = openStore();
    const url = 'http://127.0.0.1:8080/export/clicks.csv';
    const result = await ingestFile(store, { kind: 'clicks', file: url, stream: Readable.from([fs.readFileSync(fixture('utf8-bom.csv'))]) });
    expect(result.file).toBe(url);
    expect(all(store, 'SELECT file FROM imports')).toEqual([{ file: url }]);
    const unlabelled = await ingestFile(openStore(), { kind: 'clicks', stream: Readable.from(['click_id\nx\n']) });
    expect(unlabelled).toMatchObject({ file: 'stdin', rows: 1 });
  });

  it('quoted fields with delimiters, quotes and line breaks; CRLF; blank lines skipped; start lines kept', async () => {
    const store = openStore();
    const result = await ingest(store, { file: fixture('quoted.csv') });
    expect(result.rows).toBe(3);
    expect(result.rejected).toBe(0);
    expect(result.blankRecords).toBe(2);
    expect(all(store, 'SELECT click_id, occurred_at, user_agent, sub1, line FROM clicks ORDER BY line')).toEqual([
      { click_id: 'q-1', occurred_at: '2026-11-29T06:35:16.000Z', user_agent: 'Mozilla/5.0 (KHTML, like Gecko)', sub1: 'say "hi"', line: 2 },
      { click_id: 'q-2', occurred_at: '2026-11-29T05:35:17.000Z', user_agent: 'line one\r\nline two', sub1: null, line: 4 },
      { click_id: 'q-3', occurred_at: '2026-11-29T06:25:16.000Z', user_agent: 'plain', sub1: 'trailing ,', line: 7 },
    ]);
  });

  it('Excel\'s sep= line names the delimiter and is skipped (line numbers still physical)', async () => {
    const store = openStore();
    const result = await ingest(store, { file: fixture('excel-sep.csv') });
    expect(result.delimiter).toBe(';');
    expect(all(store, 'SELECT click_id, sub1, line FROM clicks ORDER BY line')).toEqual([
      { click_id: 'x-1', sub1: 'a,b', line: 3 },
      { click_id: 'x-2', sub1: 'c', line: 4 },
    ]);
  });

  it('semicolons and decimal commas, naive times in a time zone', async () => {
    const store = openStore();
    const result = await ingestFile(store, { file: fixture('semicolon-decimal-comma.csv'), kind: 'conversions', decimalComma: true, timezone: 'America/New_York' });
    expect(result.delimiter).toBe(';');
    expect(result.preset).toBe('keitaro');
    expect(all(store, 'SELECT click_id, occurred_at, payout_micros FROM conversions ORDER BY line')).toEqual([
      { click_id: '1dad2cg1br22spja1', occurred_at: '2026-07-01T16:00:00.000Z', payout_micros: 1_234_560_000 },
      { click_id: '1dad2cg1br22spja2', occurred_at: '2026-01-15T17:00:00.000Z', payout_micros: 12_500_000 },
    ]);
  });

  it('detects the decimal comma of a semicolon file without a preset, and --no-decimal-comma rejects it with a hint', async () => {
    const store = openStore();
    const detected = await ingestFile(store, { file: fixture('semicolon-decimal-comma.csv'), kind: 'conversions' });
    expect(detected).toMatchObject({ rows: 2, rejected: 0, options: { decimal_comma: true } });
    expect(detected.warnings.join('\n')).toMatch(/decimal comma \("1\.234,56"\)/);
    const refused = await ingestFile(openStore(), { file: fixture('semicolon-decimal-comma.csv'), kind: 'conversions', decimalComma: false });
    expect(refused.rejected).toBe(2);
    expect(refused.firstRejects[0]!.reason).toMatch(/--decimal-comma/);
  });

  it('--timezone with a fixed offset; explicit offsets in values win', async () => {
    const store = openStore();
    await ingest(store, { file: fixture('naive-times.csv'), timezone: '+02:00' });
    expect(all(store, 'SELECT click_id, occurred_at FROM clicks ORDER BY line')).toEqual([
      { click_id: 'ny-summer', occurred_at: '2026-07-15T10:00:00.000Z' },
      { click_id: 'ny-winter', occurred_at: '2026-01-15T10:00:00.000Z' },
      { click_id: 'explicit', occurred_at: '2026-07-15T12:00:00.000Z' },
    ]);
  });

  it('--map, --delimiter and --source', async () => {
    const store = openStore();
    const result = await ingestFile(store, {
      file: fixture('custom-columns.tsv'),
      kind: 'conversions',
      map: [['click_id', 'My Click'], ['payout', 'Payout USD']],
      delimiter: '\t',
      source: 'advertiser',
    });
    expect(result.source).toBe('advertiser');
    expect(result.unusedHeaders).toEqual(['Note']);
    expect(all(store, 'SELECT source, click_id, occurred_at, payout_micros FROM conversions')).toEqual([
      { source: 'advertiser', click_id: 'mc-1', occurred_at: '2026-11-29T06:35:16.000Z', payout_micros: 5_000_000 },
    ]);
  });
});

describe('bad rows', () => {
  it('are rejected with their line and reason, and the rest goes in', async () => {
    const store = openStore();
    const result = await ingestFile(store, { file: fixture('bad-rows.csv'), kind: 'conversions' });
    expect(all(store, 'SELECT click_id, line, payout_micros FROM conversions ORDER BY line')).toEqual([
      { click_id: 'good-1', line: 2, payout_micros: 1_500_000 },
      { click_id: 'good-2', line: 8, payout_micros: 1_234_560_000 },
      { click_id: 'trailing-empty', line: 9, payout_micros: 2_000_000 },
    ]);
    const rejects = all(store, 'SELECT line, reason, raw FROM rejects ORDER BY line');
    expect(rejects.map((reject) => [reject.line, reject.reason])).toEqual([
      [3, 'expected 4 fields, found 2'],
      [4, expect.stringMatching(/^bad timestamp in "occurred_at": month 13 out of range/)],
      [5, expect.stringMatching(/^bad amount in "payout": "12.34.56" has more than one decimal point/)],
      [6, 'expected 4 fields, found 5'],
      [7, 'text after the closing quote of field 1'],
      [10, expect.stringMatching(/^unterminated quote: the quoted field opened on line 10/)],
    ]);
    expect(rejects[0]!.raw).toBe('short-row,2026-11-29 06:35:16');
    expect(result.rows).toBe(3);
    expect(result.rejected).toBe(6);
    expect(all(store, 'SELECT rows, rejected FROM imports')).toEqual([{ rows: 3, rejected: 6 }]);
  });
});

describe('not a CSV: exit 2, nothing written', () => {
  it.each([
    ['empty.csv', /not a CSV file: it is empty/],
    ['whitespace.csv', /not a CSV file: it holds no text/],
    ['binary.csv', /not a CSV file: it contains NUL bytes/],
    ['workbook.csv', /not a CSV file: it is a ZIP archive/],
    ['truncated.csv.gz', /not a CSV file: not a valid gzip stream/],
    ['no-click-id.csv', /no column can be the click id.*"date", "amount", "status"/],
    ['does-not-exist.csv', /no such file/],
  ])('%s', async (name, message) => {
    const store = openStore();
    const error = await ingestFile(store, { file: fixture(name), kind: 'conversions' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).exitCode).toBe(2);
    expect((error as InputError).message).toMatch(message);
    expect(count(store, 'imports')).toBe(0);
    expect(count(store, 'conversions')).toBe(0);
    expect(count(store, 'rejects')).toBe(0);
  });

  it('a directory', async () => {
    const error = await ingest(openStore(), { file: DIR }).catch((caught: unknown) => caught);
    expect((error as InputError).message).toMatch(/directory/);
  });

  it('header only: an empty import, or an error under --strict', async () => {
    const store = openStore();
    const result = await ingest(store, { file: fixture('header-only.csv'), kind: 'conversions' });
    expect(result.rows).toBe(0);
    expect(count(store, 'imports')).toBe(1);
    const strictStore = openStore();
    const error = await ingest(strictStore, { file: fixture('header-only.csv'), kind: 'conversions', strict: true }).catch((caught: unknown) => caught);
    expect((error as InputError).message).toMatch(/header row and no data rows/);
    expect(count(strictStore, 'imports')).toBe(0);
  });

  it('a --map naming a header the file lacks', async () => {
    const store = openStore();
    const error = await ingest(store, { file: fixture('quoted.csv'), map: [['click_id', 'Nope']] }).catch((caught: unknown) => caught);
    expect((error as InputError).message).toMatch(/no column "Nope"/);
    expect((error as InputError).hint).toMatch(/"click_id", "occurred_at", "user_agent", "sub1"/);
    expect(count(store, 'imports')).toBe(0);
  });
});

describe('re-ingest', () => {
  it('the same content is a no-op that says so; --force replaces it', async () => {
    const store = openStore();
    const first = await ingestFile(store, { file: fixture('bad-rows.csv'), kind: 'conversions' });
    const again = await ingestFile(store, { file: fixture('bad-rows.csv'), kind: 'conversions' });
    expect(again.status).toBe('unchanged');
    expect(again.importId).toBe(first.importId);
    expect(again.previous).toMatchObject({ id: first.importId, rows: 3, rejected: 6 });
    expect(count(store, 'conversions')).toBe(3);

    // The same bytes under another name are the same content.
    const copy = path.join(tempDir(), 'copy.csv');
    fs.copyFileSync(fixture('bad-rows.csv'), copy);
    expect((await ingestFile(store, { file: copy, kind: 'conversions' })).status).toBe('unchanged');

    const forced = await ingestFile(store, { file: fixture('bad-rows.csv'), kind: 'conversions', force: true });
    expect(forced.status).toBe('replaced');
    expect(forced.previous?.id).toBe(first.importId);
    expect(count(store, 'imports')).toBe(1);
    expect(count(store, 'conversions')).toBe(3);
    expect(count(store, 'rejects')).toBe(6);
    expect(all(store, 'SELECT DISTINCT import_id FROM conversions')).toEqual([{ import_id: forced.importId }]);
    expect(all(store, 'SELECT DISTINCT import_id FROM rejects')).toEqual([{ import_id: forced.importId }]);
  });

  it('another source or kind is another import', async () => {
    const store = openStore();
    await ingest(store, { file: fixture('quoted.csv') });
    expect((await ingest(store, { file: fixture('quoted.csv'), source: 'other' })).status).toBe('imported');
    expect(count(store, 'clicks')).toBe(6);
  });
});

describe('progress', () => {
  it('reports bytes and rows, ending at the file size', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'many.csv');
    const lines = ['click_id,occurred_at'];
    for (let i = 0; i < 20_000; i += 1) lines.push(`id-${i},2026-11-29 06:35:16`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const store = openStore();
    const seen: Array<{ bytesRead: number; rows: number }> = [];
    const result = await ingest(store, { file }, (progress) => seen.push(progress));
    expect(result.rows).toBe(20_000);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toMatchObject({ rows: 20_000, bytesRead: fs.statSync(file).size, totalBytes: fs.statSync(file).size });
    for (let i = 1; i < seen.length; i += 1) expect(seen[i]!.rows).toBeGreaterThanOrEqual(seen[i - 1]!.rows);
  });
});
