import type { HttpFailure } from '../http/client.js';
import type { PresetName } from '../presets/catalog.js';
import { SUCCESS_RULES } from './success-rules.js';

/**
 * The verdict on one postback answer: what the user expected (--expect-status, --expect-body),
 * or else the preset's success rule, or else "any 2xx". A 2xx answer that is an HTML page is
 * suspect: a wrong path or postback key often lands on an admin panel or landing page that
 * answers 200 and records nothing.
 */

export interface StatusExpectation {
  /** Exact codes. */
  codes: readonly number[];
  /** Classes: 2 for 2xx… */
  classes: readonly number[];
  /** As the user wrote it, for messages. */
  text: string;
}

export interface Expectations {
  status?: StatusExpectation;
  body?: RegExp;
}

export type VerdictValue = 'pass' | 'fail' | 'error';

export interface Verdict {
  verdict: VerdictValue;
  /** One line: why it passed or failed. */
  reason: string;
  /** Set when a 2xx answer looked like an HTML page. */
  suspect?: string;
  /** What the preset rule cannot tell (Affise's always-200…). */
  caveat?: string;
}

/** `200`, `2xx`, `200,202`, `2xx,404`: throws Error with a message when malformed. */
export function parseStatusExpectation(text: string): StatusExpectation {
  const codes: number[] = [];
  const classes: number[] = [];
  for (const item of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    if (/^[1-5]xx$/i.test(item)) classes.push(Number(item[0]));
    else if (/^[1-5]\d\d$/.test(item)) codes.push(Number(item));
    else throw new Error(`"${item}" is not a status: use a code (200), a class (2xx) or a list (200,202)`);
  }
  if (codes.length === 0 && classes.length === 0) throw new Error('expected a status code, class or list');
  return { codes, classes, text };
}

export function statusMatches(status: number, expectation: StatusExpectation): boolean {
  return expectation.codes.includes(status) || expectation.classes.includes(Math.floor(status / 100));
}

/** Characters at the start of a body searched for page markup. */
const HTML_SNIFF_CHARS = 1024;
const PAGE_MARKUP = /<(!doctype\s+html|html|head|body|title|script|div|meta|style|link|iframe|form|table|noscript)[\s>/]/i;

/**
 * A body that is an HTML page rather than a tracker's answer: page markup near its start. The
 * content type alone says nothing: PHP answers `text/html; charset=UTF-8` unless told otherwise,
 * so a PHP tracker's plain-text "Postback recorded successfully." comes labelled as HTML.
 */
export function looksLikeHtml(body: string): boolean {
  return PAGE_MARKUP.test(body.slice(0, HTML_SNIFF_CHARS));
}

export interface JudgedAnswer {
  status: number;
  body: string;
  headers: Readonly<Record<string, string>>;
  /** The URL that was requested (for rules reading its parameters). */
  url: string;
}

export function judgeResponse(answer: JudgedAnswer, expectations: Expectations = {}, preset?: PresetName): Verdict {
  const contentType = answer.headers['content-type'];
  const failures: string[] = [];
  const passes: string[] = [];
  let caveat: string | undefined;
  const explicit = expectations.status !== undefined || expectations.body !== undefined;

  if (expectations.status) {
    if (statusMatches(answer.status, expectations.status)) passes.push(`HTTP ${answer.status}`);
    else failures.push(`HTTP ${answer.status}, expected ${expectations.status.text}`);
  }
  if (expectations.body) {
    if (expectations.body.test(answer.body)) passes.push(`body matches /${expectations.body.source}/`);
    else failures.push(`body does not match /${expectations.body.source}/`);
  }
  if (!explicit) {
    const rule = SUCCESS_RULES[preset ?? 'generic'];
    const judgement = rule.judge({ status: answer.status, body: answer.body, contentType, url: answer.url });
    (judgement.accepted ? passes : failures).push(judgement.reason);
    caveat = judgement.caveat;
  }

  const is2xx = answer.status >= 200 && answer.status <= 299;
  let suspect: string | undefined;
  if (is2xx && looksLikeHtml(answer.body)) {
    const title = /<title[^>]*>([^<]{0,80})/i.exec(answer.body)?.[1]?.trim();
    suspect = `HTTP ${answer.status} with an HTML page${title ? ` ("${title}")` : ''}: a wrong path or postback key often lands on a page that answers 200 and records nothing`;
    // The user's own body expectation, when it matched, says the HTML is what they expect.
    if (!expectations.body && failures.length === 0) failures.push(`suspect: ${suspect}`);
  }

  const base = { ...(suspect ? { suspect } : {}), ...(caveat ? { caveat } : {}) };
  if (failures.length > 0) return { verdict: 'fail', reason: failures.join('; '), ...base };
  return { verdict: 'pass', reason: passes.join('; '), ...base };
}

/** The verdict of a postback that got no answer; how many attempts it took is reported beside it. */
export function networkVerdict(failure: HttpFailure): Verdict {
  return { verdict: 'error', reason: `${failure.kind}: ${failure.message}` };
}
