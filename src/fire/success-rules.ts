import type { PresetName } from '../presets/catalog.js';

/**
 * How each tracker says "accepted" (../shared/docs/trackers.md). Status alone is not success:
 * TUNE answers HTTP 200 with `success=false; err_msg=…` when it rejects a postback, Affise always
 * answers 200 and reports problems only in its log.
 */
export interface SuccessRuleInput {
  status: number;
  body: string;
  contentType: string | undefined;
  /** The request URL (Keitaro's `return=` parameter sets the success body). */
  url: string;
}

export interface RuleJudgement {
  accepted: boolean;
  /** Why, in the tracker's words where it gave some (TUNE's err_msg, Prosper202's msg). */
  reason: string;
  /** Set when the rule can only say the request arrived (Affise, undocumented answers). */
  caveat?: string;
}

export interface SuccessRule {
  preset: PresetName;
  /** One line for help and reports. */
  description: string;
  judge(input: SuccessRuleInput): RuleJudgement;
}

const is2xx = (status: number) => status >= 200 && status <= 299;

function twoHundredRule(preset: PresetName, caveat?: string): SuccessRule {
  return {
    preset,
    description: caveat ? `any 2xx answer (${caveat})` : 'any 2xx answer',
    judge: ({ status }) =>
      is2xx(status)
        ? { accepted: true, reason: `HTTP ${status}`, ...(caveat ? { caveat } : {}) }
        : { accepted: false, reason: `HTTP ${status}, expected 2xx` },
  };
}

/** The value of a query parameter of a URL, percent-decoded; undefined when absent. */
function queryParam(url: string, name: string): string | undefined {
  const query = url.split('#', 1)[0]!.split('?').slice(1).join('?');
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key !== name) continue;
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    try {
      return decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      return value;
    }
  }
  return undefined;
}

const firstLine = (text: string) => text.trim().split(/\r?\n/, 1)[0]!.slice(0, 200);

export const SUCCESS_RULES: Readonly<Record<PresetName, SuccessRule>> = {
  generic: twoHundredRule('generic'),
  tune: {
    preset: 'tune',
    description: 'HTTP 200 with body success=true; (success=false; err_msg=… is a rejection)',
    judge: ({ status, body }) => {
      const text = body.trim();
      const rejected = /success\s*=\s*false/i.test(text);
      if (rejected) {
        const message = /err_msg\s*=\s*([^;]*)/i.exec(text)?.[1]?.trim();
        return { accepted: false, reason: message ? `TUNE rejected it: ${message}` : `TUNE rejected it: ${firstLine(text)}` };
      }
      if (!is2xx(status)) return { accepted: false, reason: `HTTP ${status}, expected 200 with success=true;` };
      if (/^success\s*=\s*true\s*;?/i.test(text)) return { accepted: true, reason: 'success=true;' };
      return { accepted: false, reason: `HTTP ${status} without success=true; in the body` };
    },
  },
  everflow: twoHundredRule('everflow', 'Everflow documents no success body; 2xx only means it arrived (uncertain)'),
  voluum: twoHundredRule('voluum', 'Voluum documents no answer body; 2xx only means it arrived (uncertain)'),
  keitaro: {
    preset: 'keitaro',
    description: 'any 2xx answer; with return=X in the URL the body must be X',
    judge: ({ status, body, url }) => {
      if (!is2xx(status)) return { accepted: false, reason: `HTTP ${status}, expected 2xx` };
      const expected = queryParam(url, 'return');
      if (expected === undefined) return { accepted: true, reason: `HTTP ${status}`, caveat: 'add return=OK to the postback to make Keitaro confirm acceptance in its answer' };
      return body.trim() === expected
        ? { accepted: true, reason: `body is "${expected}" as return= asked` }
        : { accepted: false, reason: `body is not "${expected}" (return= in the URL): Keitaro ignored the postback` };
    },
  },
  binom: twoHundredRule('binom', 'Binom documents no answer body; 2xx only means it arrived (uncertain)'),
  cake: {
    preset: 'cake',
    description: 'HTTP 2xx with SUCCESS in the body (uncertain)',
    judge: ({ status, body }) => {
      if (!is2xx(status)) return { accepted: false, reason: `HTTP ${status}, expected 2xx` };
      return /SUCCESS/.test(body)
        ? { accepted: true, reason: 'body contains SUCCESS', caveat: 'CAKE success body is not documented (uncertain)' }
        : { accepted: false, reason: `HTTP ${status} without SUCCESS in the body` };
    },
  },
  affise: twoHundredRule('affise', 'Affise always answers 200: a 200 proves nothing, check its Server Postbacks log'),
  redtrack: twoHundredRule('redtrack', 'RedTrack documents no answer body; 2xx only means it arrived (uncertain)'),
  prosper202: {
    preset: 'prosper202',
    description: 'HTTP 202 with JSON {"error":false,…}',
    judge: ({ status, body }) => {
      let parsed: { error?: unknown; msg?: unknown } | undefined;
      try {
        const value: unknown = JSON.parse(body);
        if (value !== null && typeof value === 'object') parsed = value as { error?: unknown; msg?: unknown };
      } catch {
        parsed = undefined;
      }
      const message = typeof parsed?.msg === 'string' ? parsed.msg : undefined;
      if (parsed?.error === true) return { accepted: false, reason: `Prosper202 refused it (HTTP ${status})${message ? `: ${message}` : ''}` };
      if (status === 202 && parsed?.error === false) return { accepted: true, reason: message ?? 'HTTP 202 error:false' };
      if (!parsed) return { accepted: false, reason: `HTTP ${status} without the JSON answer Prosper202 gives` };
      return { accepted: false, reason: `HTTP ${status}, expected 202 with "error":false` };
    },
  },
};
