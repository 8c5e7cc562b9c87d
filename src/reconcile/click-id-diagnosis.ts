/**
 * Pure pieces of the unmatched-id diagnosis: recognising a literal macro, generating the ids an
 * encoding bug could have turned the real id into, and profiling the shape of click ids. The store
 * looks the candidates up; nothing here touches the database.
 */

const EMPTYISH = new Set([
  'null', '(null)', 'undefined', 'none', '(none)', 'nil', 'nan', 'n/a', 'na', '(not set)', 'not set',
  '-', '--', '0', '""', "''", '[object object]', '{}', '[]',
]);

/** Foreign and unreplaced macro syntaxes, as they reach a tracker when nobody substituted them. */
const MACRO_PATTERNS: readonly RegExp[] = [
  /\{\{\s*[\w.:-]*\s*\}\}/, // {{click_id}}
  /\$\{[^}]*\}/, // ${click_id} (Branch-style)
  /\{[\w.:-]*\}/, // {clickid}, {transaction_id}
  /\[\[[\w.:-]*\]\]/, // [[subid]] (Prosper202)
  /#{1,2}[A-Za-z_][\w-]*#{1,2}/, // #s2#, ##sub1##, #reqid# (CAKE)
  /<[A-Za-z_][\w-]*>/, // <click_id> copied from documentation
  /^(REPLACE|TRANSACTION_ID|CLICK_ID|CLICKID|SUBID|SUB_ID|CID|TID|OPTIONAL|NETWORK_TOKEN)$/, // placeholders in upper case
];

function decodeOnce(text: string): string | null {
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return null;
  try {
    return decodeURIComponent(text);
  } catch {
    // Malformed sequences elsewhere in the text: decode the valid %XX bytes one by one.
    return text.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}

export interface LiteralMacro {
  kind: 'macro' | 'empty';
  /** The macro as found (`{clickid}`), or the empty-ish value (`null`). */
  literal: string;
}

/** A click id that is an unreplaced macro (also URL-encoded once or twice) or an empty-ish value. */
export function detectLiteralMacro(clickId: string): LiteralMacro | null {
  const trimmed = clickId.trim();
  if (EMPTYISH.has(trimmed.toLowerCase())) return { kind: 'empty', literal: trimmed };
  let text: string | null = trimmed;
  for (let round = 0; round < 3 && text !== null; round += 1) {
    for (const pattern of MACRO_PATTERNS) {
      const match = pattern.exec(text);
      if (match) return { kind: 'macro', literal: round === 0 ? match[0] : trimmed };
    }
    text = decodeOnce(text);
  }
  return null;
}

/** Ways an id gets damaged between two systems, in the order they are tried. */
const TRANSFORMS: ReadonlyArray<{ name: string; apply: (id: string) => string | null }> = [
  { name: 'URL-decoding', apply: decodeOnce },
  { name: 'trimming whitespace', apply: (id) => id.replace(/^[\s\u00a0\u200b\ufeff]+|[\s\u00a0\u200b\ufeff]+$/g, '') },
  { name: 'removing quotes', apply: (id) => (/^(["'`]).*\1$/s.test(id) && id.length >= 2 ? id.slice(1, -1) : null) },
  { name: 'turning spaces back into +', apply: (id) => (id.includes(' ') ? id.replaceAll(' ', '+') : null) },
  { name: 'turning + into spaces', apply: (id) => (id.includes('+') ? id.replaceAll('+', ' ') : null) },
  { name: 'lower-casing', apply: (id) => id.toLowerCase() },
  { name: 'upper-casing', apply: (id) => id.toUpperCase() },
  { name: 'URL-encoding', apply: (id) => encodeURIComponent(id) },
];

export interface CandidateId {
  candidate: string;
  steps: string[];
}

/**
 * The ids `clickId` may have been before an encoding bug: every distinct result of up to `depth`
 * transforms, shortest explanations first (so "URL-decoding twice" comes after "URL-decoding").
 */
export function candidateIds(clickId: string, depth = 3, max = 64): CandidateId[] {
  const seen = new Set([clickId]);
  const out: CandidateId[] = [];
  let frontier: CandidateId[] = [{ candidate: clickId, steps: [] }];
  for (let level = 0; level < depth && frontier.length > 0; level += 1) {
    const next: CandidateId[] = [];
    for (const item of frontier) {
      for (const transform of TRANSFORMS) {
        const result = transform.apply(item.candidate);
        if (result === null || result === '' || seen.has(result)) continue;
        seen.add(result);
        const candidate = { candidate: result, steps: [...item.steps, transform.name] };
        next.push(candidate);
        out.push(candidate);
        if (out.length >= max) return out;
      }
    }
    frontier = next;
  }
  return out;
}

/** "URL-decoding twice", "trimming whitespace and lower-casing". */
export function describeSteps(steps: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < steps.length; ) {
    let run = 1;
    while (steps[i + run] === steps[i]) run += 1;
    parts.push(run === 1 ? steps[i]! : `${steps[i]} ${run === 2 ? 'twice' : `${run} times`}`);
    i += run;
  }
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

const STEP_CAUSES: Readonly<Record<string, string>> = {
  'URL-decoding': 'the id was URL-encoded once more than it was decoded between the two systems',
  'trimming whitespace': 'whitespace around the id: the sender or the export pads it',
  'removing quotes': 'quotes around the id: the macro was quoted in the postback template or the export',
  'turning spaces back into +': 'a + in the id became a space: it was sent without URL-encoding, so + was read as a space',
  'turning + into spaces': 'a space in the id became +: one side form-encodes the id',
  'lower-casing': 'the letter case changed on the way: one system upper-cases click ids',
  'upper-casing': 'the letter case changed on the way: one system lower-cases click ids',
  'URL-encoding': 'the click export holds the id URL-encoded while the conversion has it decoded',
};

/** Why an id that matches after these steps did not match as written. */
export function encodingCause(steps: readonly string[]): string {
  return STEP_CAUSES[steps[0] ?? ''] ?? 'an encoding difference between the two systems';
}

export type CharClass = 'digits' | 'a-f' | 'g-z' | 'A-F' | 'G-Z' | '-' | '_' | '.' | 'other';
const CLASS_ORDER: readonly CharClass[] = ['digits', 'a-f', 'g-z', 'A-F', 'G-Z', '-', '_', '.', 'other'];

function classOf(char: string): CharClass {
  if (char >= '0' && char <= '9') return 'digits';
  if (char >= 'a' && char <= 'f') return 'a-f';
  if (char >= 'g' && char <= 'z') return 'g-z';
  if (char >= 'A' && char <= 'F') return 'A-F';
  if (char >= 'G' && char <= 'Z') return 'G-Z';
  if (char === '-' || char === '_' || char === '.') return char;
  return 'other';
}

export interface IdShape {
  minLength: number;
  maxLength: number;
  classes: Set<CharClass>;
  samples: number;
}

export function shapeOf(ids: Iterable<string>): IdShape {
  const shape: IdShape = { minLength: Number.POSITIVE_INFINITY, maxLength: 0, classes: new Set(), samples: 0 };
  for (const id of ids) {
    shape.samples += 1;
    const length = [...id].length;
    shape.minLength = Math.min(shape.minLength, length);
    shape.maxLength = Math.max(shape.maxLength, length);
    for (const char of id) shape.classes.add(classOf(char));
  }
  if (shape.samples === 0) shape.minLength = 0;
  return shape;
}

/** "[0-9a-f]", "[0-9A-Za-z_-]". */
export function describeAlphabet(classes: ReadonlySet<CharClass>): string {
  const has = (c: CharClass) => classes.has(c);
  let text = '';
  if (has('digits')) text += '0-9';
  if (has('a-f') && has('g-z')) text += 'a-z';
  else if (has('a-f')) text += 'a-f';
  else if (has('g-z')) text += 'g-z';
  if (has('A-F') && has('G-Z')) text += 'A-Z';
  else if (has('A-F')) text += 'A-F';
  else if (has('G-Z')) text += 'G-Z';
  for (const c of ['_', '.', '-'] as const) if (has(c)) text += c;
  if (has('other')) text += '…';
  return `[${text}]`;
}

function describeShape(shape: IdShape): string {
  const length = shape.minLength === shape.maxLength ? `${shape.minLength}` : `${shape.minLength}–${shape.maxLength}`;
  return `${length} characters of ${describeAlphabet(shape.classes)}`;
}

/** Fewer sampled click ids than this and the shape says too little to judge an id by. */
export const MIN_SHAPE_SAMPLES = 10;

/**
 * Why `clickId` does not look like the sampled click ids (a length outside their range or a
 * character class they never use), or null when it does or the sample is too small.
 */
export function shapeMismatch(clickId: string, clicks: IdShape): string | null {
  if (clicks.samples < MIN_SHAPE_SAMPLES) return null;
  const own = shapeOf([clickId]);
  const foreign = [...own.classes].filter((c) => !clicks.classes.has(c));
  const lengthOff = own.minLength < clicks.minLength || own.maxLength > clicks.maxLength;
  if (!lengthOff && foreign.length === 0) return null;
  const ordered = CLASS_ORDER.filter((c) => own.classes.has(c));
  return `${describeShape({ ...own, classes: new Set(ordered) })}, while the clicks' ids are ${describeShape(clicks)}`;
}
