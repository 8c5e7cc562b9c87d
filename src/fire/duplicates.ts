import type { PresetName } from '../presets/catalog.js';
import { judgeResponse, type Expectations, type JudgedAnswer, type Verdict } from './verdict.js';

/**
 * The duplicate test (`tpb fire --repeat N`, a check step's `repeat:`): copies 2..N of a postback
 * are the same conversion sent again after the tracker answered the first, and they are judged by
 * what the user expects of a repeat (`--expect-repeat`), not by the success rule:
 *
 * - `refused` (the default): a working tracker counts a conversion once. The copy passes when the
 *   tracker refused it: the preset's success rule (or the user's --expect-status/--expect-body)
 *   says it was not accepted, or it answered 409, or it gave the preset's documented duplicate
 *   answer, or a body that plainly says duplicate / already exists / ignored (many trackers answer
 *   200 with such text). An accepted copy is the failure: "the tracker accepted the same
 *   conversion twice". Where a tracker's duplicate answer is by design its success answer
 *   (Prosper202's idempotent replay, Affise's 200 to everything), an accepted-looking copy passes
 *   with a caveat saying what the answer cannot tell and how to confirm it; so does a 2xx copy to a
 *   tracker that does not document its duplicate answer (Everflow, Voluum, Binom, RedTrack): failing
 *   it would fail CI against a tracker that quietly discarded the copy.
 * - `accepted`: the tracker is set to count repeats; the copy passes when the success rule accepts it.
 * - `any`: any HTTP answer passes (the copies are sent for their side effects).
 *
 * A 5xx or no answer is never a refusal: the tracker failed, it did not decide (after retries, a
 * 5xx fails and no answer is an error, as for any postback).
 */

export const REPEAT_EXPECTATIONS = ['refused', 'accepted', 'any'] as const;
export type RepeatExpectation = (typeof REPEAT_EXPECTATIONS)[number];

export const DEFAULT_REPEAT_DELAY_MS = 1000;

/** How the tracker treated a copy, as far as its answer tells. */
export type CopyTreatment = 'refused' | 'accepted' | 'unclear' | 'failed';

export interface DuplicateRule {
  preset: PresetName;
  /** What the tracker answers to a duplicate, in one line (help, `tpb check --init` comments). */
  description: string;
  /** The tracker's own duplicate answer (its body), where documented or used by tpb serve. */
  answer?: RegExp;
  /**
   * Set when the tracker's duplicate answer is by design the same as its success answer: what an
   * accepted-looking copy cannot tell, and how to confirm it.
   */
  sameAsSuccess?: string;
  /**
   * Set when the tracker does not document its answer to a duplicate: a 2xx copy cannot be told
   * from a discarded one, so it passes with this caveat instead of failing as "accepted twice".
   */
  undocumented?: string;
}

/** A body that says in words that the conversion was a duplicate and not counted. */
const DUPLICATE_WORDS =
  /\bduplicate(d)?(?![a-z])(?!["']?\s*[:=]\s*["']?(false|0|no)\b)|\balready\s+(exists?|recorded|registered|converted|tracked|processed|counted|received)\b|\bconversion\s+exists\b|\b(postback|conversion|request|event)s?\s+(was\s+|were\s+|is\s+)?ignored\b|\bignored\b.{0,40}\bduplicate|\bnot\s+counted\b/i;

export function saysDuplicate(body: string): boolean {
  return DUPLICATE_WORDS.test(body.slice(0, 2048));
}

const NOT_DOCUMENTED = 'tpb serve answers 409';

/**
 * For trackers that do not document their answer to a duplicate, a 2xx copy proves nothing either
 * way: failing it as "accepted twice" would fail CI against a tracker that quietly discarded it.
 */
const undocumented = (title: string, rule: string) =>
  `${title} does not document its answer to a duplicate (${rule}): a 2xx copy may have been discarded or counted; reconcile the conversion export (tpb ingest, then tpb reconcile) to confirm it was counted once`;

export const DUPLICATE_RULES: Readonly<Record<PresetName, DuplicateRule>> = {
  generic: { preset: 'generic', description: 'HTTP 409, or a body that says duplicate (tpb serve: 409 {"status":"duplicate",…})' },
  tune: { preset: 'tune', description: 'HTTP 200 success=false; err_msg=Duplicate conversion.; (one conversion per transaction_id)', answer: /err_msg\s*=\s*Duplicate conversion/i },
  everflow: { preset: 'everflow', description: 'ERROR 8: Duplicate Conversion (Everflow\'s error list; the status is not documented, tpb serve answers 409)', answer: /ERROR\s*8\b|Duplicate Conversion/i, undocumented: undocumented('Everflow', 'its error list names "8 Duplicate Conversion", not the HTTP answer') },
  voluum: { preset: 'voluum', description: `a repeated cid with the same txid is discarded (documented; the answer is not, ${NOT_DOCUMENTED})`, undocumented: undocumented('Voluum', 'it discards a repeated cid + txid') },
  keitaro: { preset: 'keitaro', description: 'Conversion by pair "SubId + tid" already exists. Postback ignored. (a repeated subid + tid)', answer: /already exists\.?\s*Postback ignored/i },
  binom: { preset: 'binom', description: `not documented (${NOT_DOCUMENTED})`, undocumented: undocumented('Binom', 'nor its duplicate rule') },
  cake: { preset: 'cake', description: 'a body without SUCCESS, e.g. FAILURE: Duplicate conversion (uncertain)', answer: /FAILURE:\s*Duplicate/i },
  affise: {
    preset: 'affise',
    description: 'HTTP 200 like every answer; "Conversion exists" shows only in its Server Postbacks log',
    sameAsSuccess: 'Affise answers 200 to every postback, a duplicate too ("Conversion exists" shows only in its Server Postbacks log): this answer cannot tell whether the copy was counted; check that log, or reconcile the conversion export (tpb ingest, then tpb reconcile)',
  },
  redtrack: { preset: 'redtrack', description: `depends on the offer source's duplicate mode; the answer is not documented (${NOT_DOCUMENTED} in its "ignore duplicates" mode)`, undocumented: undocumented('RedTrack', 'it depends on the offer source\'s duplicate mode') },
  prosper202: {
    preset: 'prosper202',
    description: 'HTTP 202 {"error":false,…} like the first: a replay is idempotent and not counted again (txid keys it)',
    sameAsSuccess: 'Prosper202 answers a replay 202 {"error":false,…} like the original and does not count it (documented: idempotent by txid): this answer cannot tell a counted copy from an ignored one; reconcile the conversion export (tpb ingest, then tpb reconcile) to confirm it was counted once',
  },
};

export interface CopyJudging {
  expectations?: Expectations;
  preset?: PresetName;
  expect: RepeatExpectation;
}

export interface CopyVerdict extends Verdict {
  treated: CopyTreatment;
}

const ACCEPTED_TWICE = 'the tracker accepted the same conversion twice';

/** Judge the answer to copy 2..N of a postback. */
export function judgeCopy(answer: JudgedAnswer, judging: CopyJudging): CopyVerdict {
  const rule = DUPLICATE_RULES[judging.preset ?? 'generic'];
  const success = judgeResponse(answer, judging.expectations, judging.preset);
  const base = success.suspect ? { suspect: success.suspect } : {};
  const anyAnswer = (treated: CopyTreatment): CopyVerdict => ({ verdict: 'pass', reason: `HTTP ${answer.status} (--expect-repeat any)`, treated, ...base });
  // The tracker failed or throttled (after retries): it did not decide about the duplicate.
  if (answer.status >= 500 || answer.status === 429) {
    if (judging.expect === 'any') return anyAnswer('failed');
    return { verdict: 'fail', reason: `HTTP ${answer.status} to the copy: a tracker failure, not a refusal of the duplicate`, treated: 'failed', ...base };
  }
  const words = firstWords(answer);
  const worded = rule.answer?.test(answer.body) === true || saysDuplicate(answer.body);
  let refusal: string | undefined;
  if (answer.status === 409) refusal = `HTTP 409${words ? `: ${words}` : ''}`;
  else if (success.verdict === 'fail' && !success.suspect) refusal = worded && !saysDuplicate(success.reason) && words ? `${success.reason}: ${words}` : success.reason;
  else if (worded) refusal = words;
  if (refusal === undefined && success.suspect) {
    // An HTML page is not the postback endpoint's answer: neither accepted nor refused.
    if (judging.expect === 'any') return anyAnswer('unclear');
    return { verdict: 'fail', reason: `suspect: ${success.suspect}`, treated: 'unclear', ...base };
  }
  if (refusal !== undefined) {
    if (judging.expect === 'accepted') return { verdict: 'fail', reason: `the tracker refused the copy (${refusal}); --expect-repeat accepted expects it counted`, treated: 'refused', ...base };
    return { verdict: 'pass', reason: `duplicate refused: ${refusal}`, treated: 'refused', ...base };
  }
  // The success rule accepted the copy.
  const caveat = rule.sameAsSuccess ?? rule.undocumented ?? success.caveat;
  const withCaveat = caveat ? { caveat } : {};
  const unclear = rule.sameAsSuccess !== undefined || rule.undocumented !== undefined;
  if (judging.expect === 'refused') {
    if (rule.sameAsSuccess) return { verdict: 'pass', reason: `${success.reason} (the same answer as a success: not proof either way)`, treated: 'unclear', ...base, ...withCaveat };
    if (rule.undocumented) return { verdict: 'pass', reason: `${success.reason} (the tracker's duplicate answer is not documented: not proof either way)`, treated: 'unclear', ...base, ...withCaveat };
    return { verdict: 'fail', reason: `${ACCEPTED_TWICE}: ${success.reason}`, treated: 'accepted', ...base, ...withCaveat };
  }
  const treated: CopyTreatment = unclear ? 'unclear' : 'accepted';
  if (judging.expect === 'any') return { ...anyAnswer(treated), ...withCaveat };
  return { verdict: 'pass', reason: `copy accepted: ${success.reason}`, treated, ...base, ...withCaveat };
}

/** The tracker's words, briefly (the first line of its body). */
function firstWords(answer: JudgedAnswer): string {
  const line = answer.body.trim().split(/\r?\n/, 1)[0] ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}
