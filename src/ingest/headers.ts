import { PRESET_NAMES, type PresetName } from '../presets/catalog.js';
import {
  CLICK_FIELDS,
  CONVERSION_FIELDS,
  EXPORT_FORMATS,
  EXTRA_ALIASES,
  headerKey,
  type CanonicalField,
  type ExportKind,
} from '../presets/exports.js';

/**
 * Which column holds which canonical field. With `--preset` the preset's headers decide; without
 * it, each preset's header set is scored against the file's headers and a preset that clearly fits
 * is used (so "Transaction ID" is TUNE's click id in a TUNE export but the advertiser's txid in a
 * CAKE or Voluum export); otherwise every preset's spellings and the extra aliases are pooled, and
 * an ambiguous header becomes the click id only when no other column can be it.
 * `--map field=Header` overrides either way.
 */

export interface ColumnMapping {
  field: CanonicalField;
  column: number;
  header: string;
}

export type MappingSource =
  | { kind: 'preset'; preset: PresetName; detected: false }
  | { kind: 'preset'; preset: PresetName; detected: true; matched: number; total: number }
  | { kind: 'aliases' };

export interface HeaderMapping {
  /** Mapped fields, in column order. */
  columns: ColumnMapping[];
  source: MappingSource;
  /** Fields set by --map. */
  overridden: CanonicalField[];
  /** Headers that map to no field (kept out of the database). */
  unused: string[];
  /** Things worth telling the user (duplicate headers, no timestamp column). */
  warnings: string[];
}

export class MappingError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export function fieldsFor(kind: ExportKind): readonly CanonicalField[] {
  return kind === 'clicks' ? CLICK_FIELDS : CONVERSION_FIELDS;
}

/** How the file's headers are listed in error messages. */
export function listHeaders(headers: readonly string[]): string {
  return headers.map((header) => JSON.stringify(header)).join(', ');
}

function presetHeaders(preset: PresetName, kind: ExportKind): Array<[CanonicalField, string]> {
  return Object.entries(EXPORT_FORMATS[preset][kind]) as Array<[CanonicalField, string]>;
}

/** Map the file's columns with one preset's headers; first column wins for a repeated header. */
function mapWithPreset(keys: readonly string[], preset: PresetName, kind: ExportKind): Map<CanonicalField, number> {
  const mapped = new Map<CanonicalField, number>();
  const used = new Set<number>();
  for (const [field, header] of presetHeaders(preset, kind)) {
    const key = headerKey(header);
    const column = keys.findIndex((candidate, index) => candidate === key && !used.has(index));
    if (column !== -1) {
      mapped.set(field, column);
      used.add(column);
    }
  }
  return mapped;
}

interface Candidate {
  field: CanonicalField;
  weight: number;
}

/** Every spelling tpb knows, by header key: which fields it can mean, and how commonly. */
function aliasTable(kind: ExportKind): Map<string, Candidate[]> {
  const allowed = new Set<CanonicalField>(fieldsFor(kind));
  const table = new Map<string, Map<CanonicalField, number>>();
  const add = (spelling: string, field: CanonicalField, weight: number) => {
    if (!allowed.has(field)) return;
    const key = headerKey(spelling);
    if (key === '') return;
    const fields = table.get(key) ?? new Map<CanonicalField, number>();
    fields.set(field, (fields.get(field) ?? 0) + weight);
    table.set(key, fields);
  };
  for (const field of allowed) add(field, field, 100); // the canonical name itself is the strongest
  for (const preset of PRESET_NAMES) {
    for (const presetKind of ['clicks', 'conversions'] as const) {
      for (const [field, header] of presetHeaders(preset, presetKind)) add(header, field, 1);
    }
  }
  for (const [field, spellings] of Object.entries(EXTRA_ALIASES) as Array<[CanonicalField, readonly string[]]>) {
    for (const spelling of spellings) add(spelling, field, 1);
  }
  const result = new Map<string, Candidate[]>();
  for (const [key, fields] of table) {
    result.set(
      key,
      [...fields].map(([field, weight]) => ({ field, weight })).sort((a, b) => b.weight - a.weight),
    );
  }
  return result;
}

const aliasTables = new Map<ExportKind, Map<string, Candidate[]>>();

function mapWithAliases(keys: readonly string[], kind: ExportKind): Map<CanonicalField, number> {
  let table = aliasTables.get(kind);
  if (!table) {
    table = aliasTable(kind);
    aliasTables.set(kind, table);
  }
  const mapped = new Map<CanonicalField, number>();
  const candidates = keys.map((key) => table.get(key) ?? []);
  // Unambiguous headers first, so an ambiguous one only takes a field nobody else claims.
  candidates.forEach((options, column) => {
    if (options.length === 1 && !mapped.has(options[0]!.field)) mapped.set(options[0]!.field, column);
  });
  candidates.forEach((options, column) => {
    if (options.length < 2) return;
    if ([...mapped.values()].includes(column)) return;
    // The click id first: without one the file is useless, and a column that can be it is it.
    const ordered = [...options].sort((a, b) => (b.field === 'click_id' ? 1 : 0) - (a.field === 'click_id' ? 1 : 0) || b.weight - a.weight);
    const free = ordered.find((option) => !mapped.has(option.field));
    if (free) mapped.set(free.field, column);
  });
  return mapped;
}

interface Detection {
  preset: PresetName;
  mapped: Map<CanonicalField, number>;
  total: number;
}

/**
 * The preset whose header set clearly fits the file, if one does: it reads the click id, at least
 * three of its headers (or half of them) are there, it reads more columns than any other preset,
 * and more than tpb's own field names do ("generic", which the pooled aliases read anyway and label
 * "csv"). A tie is no detection: "Click ID, Payout, Status" is Binom's, Affise's and RedTrack's.
 */
function detectPreset(keys: readonly string[], kind: ExportKind): Detection | undefined {
  const generic = mapWithPreset(keys, 'generic', kind).size;
  const scored = PRESET_NAMES.filter((preset) => preset !== 'generic')
    .map((preset) => ({ preset, mapped: mapWithPreset(keys, preset, kind), total: presetHeaders(preset, kind).length }))
    .filter((entry) => entry.mapped.has('click_id') && entry.mapped.size >= 2);
  if (scored.length === 0) return undefined;
  scored.sort((a, b) => b.mapped.size - a.mapped.size);
  const best = scored[0]!;
  if (best.mapped.size < 3 && best.mapped.size / best.total < 0.5) return undefined;
  if (best.mapped.size <= generic) return undefined;
  if (scored.length > 1 && scored[1]!.mapped.size === best.mapped.size) return undefined;
  return best;
}

/**
 * Decide the mapping of a file's header row. Throws MappingError (exit 2 at the edge) for a --map
 * naming an unknown field or a header the file does not have, and for a file with no column that
 * can be the click id.
 */
export function resolveMapping(
  headers: readonly string[],
  kind: ExportKind,
  options: { preset?: PresetName; map?: ReadonlyArray<readonly [string, string]> } = {},
): HeaderMapping {
  const keys = headers.map((header) => headerKey(header));
  const warnings: string[] = [];
  const allowed = fieldsFor(kind);

  let mapped: Map<CanonicalField, number>;
  let source: MappingSource;
  if (options.preset) {
    mapped = mapWithPreset(keys, options.preset, kind);
    source = { kind: 'preset', preset: options.preset, detected: false };
  } else {
    const detection = detectPreset(keys, kind);
    if (detection) {
      mapped = detection.mapped;
      source = { kind: 'preset', preset: detection.preset, detected: true, matched: detection.mapped.size, total: detection.total };
    } else {
      mapped = new Map();
      source = { kind: 'aliases' };
    }
  }
  // Fill what the preset left open from the pooled aliases, never reusing a column
  // (TUNE's "Sale Amount" becomes revenue when there is no "Revenue" column).
  const taken = new Set(mapped.values());
  for (const [field, column] of mapWithAliases(keys, kind)) {
    if (mapped.has(field) || taken.has(column)) continue;
    if (source.kind === 'preset' && field === 'click_id') continue; // a preset knows its click id column
    mapped.set(field, column);
    taken.add(column);
  }

  const overridden: CanonicalField[] = [];
  for (const [rawField, header] of options.map ?? []) {
    const field = rawField.trim().toLowerCase() as CanonicalField;
    if (!(allowed as readonly string[]).includes(field)) {
      throw new MappingError(`--map ${rawField}=${header}: "${rawField}" is not a ${kind === 'clicks' ? 'click' : 'conversion'} field`, `fields: ${allowed.join(', ')}`);
    }
    let column = headers.indexOf(header);
    if (column === -1) column = keys.indexOf(headerKey(header));
    if (column === -1 || header.trim() === '') {
      throw new MappingError(`--map ${rawField}=${header}: the file has no column "${header}"`, `the file's headers are: ${listHeaders(headers)}`);
    }
    for (const [other, otherColumn] of mapped) if (otherColumn === column) mapped.delete(other);
    mapped.set(field, column);
    overridden.push(field);
  }

  if (!mapped.has('click_id')) {
    throw new MappingError(
      `no column can be the click id (the file's headers are: ${listHeaders(headers)})`,
      options.preset
        ? `this does not look like a ${options.preset} ${kind} export; pass --map click_id=<header>, or another --preset`
        : 'pass --map click_id=<header>, or --preset <name> if the file comes from a known tracker',
    );
  }
  if (!mapped.has('occurred_at')) warnings.push('no timestamp column recognised: rows are stored without a time (pass --map occurred_at=<header>)');
  const seen = new Map<string, number>();
  keys.forEach((key, column) => {
    const first = seen.get(key);
    if (first !== undefined && key !== '' && [...mapped.values()].includes(first)) {
      warnings.push(`header "${headers[column]}" repeats column ${first + 1}; the first one is used`);
    }
    if (first === undefined) seen.set(key, column);
  });

  const columns = [...mapped]
    .map(([field, column]) => ({ field, column, header: headers[column]! }))
    .sort((a, b) => a.column - b.column);
  const used = new Set(columns.map((entry) => entry.column));
  const unused = headers.filter((_header, column) => !used.has(column));
  return { columns, source, overridden, unused, warnings };
}

/** One line saying which mapping was used, for the info line and --json. */
export function describeMappingSource(source: MappingSource): string {
  if (source.kind === 'aliases') return 'headers recognised from every preset\'s spellings';
  if (!source.detected) return `preset ${source.preset}`;
  return `preset ${source.preset} (detected: ${source.matched} of its ${source.total} headers)`;
}
