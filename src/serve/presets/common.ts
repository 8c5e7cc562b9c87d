import type { ClickFields, HttpAnswer, MockRequest, PostbackProblem, PostbackVerdict } from './types.js';

/** The first non-empty value among these parameter names, or null. */
export function param(request: MockRequest, ...names: string[]): string | null {
  for (const name of names) {
    const value = request.params.get(name);
    if (value !== null && value !== '') return value;
  }
  return null;
}

/** Like param, but keeps '' (present and empty) apart from absent: a click id parameter sent empty is "missing". */
export function rawParam(request: MockRequest, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = request.params.get(name);
    if (value !== null && value !== '') return value;
  }
  return undefined;
}

export function subs(request: MockRequest, names: readonly [string, string, string, string, string]): Pick<ClickFields, 'sub1' | 'sub2' | 'sub3' | 'sub4' | 'sub5'> {
  return {
    sub1: param(request, names[0]),
    sub2: param(request, names[1]),
    sub3: param(request, names[2]),
    sub4: param(request, names[3]),
    sub5: param(request, names[4]),
  };
}

export function text(status: number, body: string, message?: string): HttpAnswer {
  return { status, contentType: 'text/plain; charset=utf-8', body, ...(message === undefined ? {} : { message }) };
}

export function json(status: number, value: unknown, message?: string): HttpAnswer {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value), ...(message === undefined ? {} : { message }) };
}

/** Ids echoed in an answer are cut and stripped of control characters; they came from the client. */
export function echo(id: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = id.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}

/**
 * For trackers whose answers trackers.md could not find (Everflow, Voluum, Keitaro, Binom,
 * RedTrack), tpb chose one convention: 200 recorded, 400 missing or malformed parameter, 404 unknown
 * click, 409 duplicate — the body in the tracker's words where they are documented.
 */
export function statusFor(problem: PostbackProblem): number {
  switch (problem.kind) {
    case 'missing_click_id':
    case 'invalid':
      return 400;
    case 'unknown_click':
      return 404;
    case 'duplicate':
      return 409;
  }
}

export function textAnswer(verdict: PostbackVerdict, words: { ok: string; problem: (problem: PostbackProblem) => string }): HttpAnswer {
  if (verdict.outcome === 'recorded') return text(200, words.ok);
  const message = words.problem(verdict.problem);
  return text(statusFor(verdict.problem), message, message);
}

/** The key parts joined unambiguously (a separator cannot forge another key's parts). */
export function key(...parts: Array<string | null | undefined>): string {
  return JSON.stringify(parts.map((part) => part ?? ''));
}
