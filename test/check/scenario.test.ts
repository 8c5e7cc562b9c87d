import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/check/scenario.js';
import { InputError } from '../../src/errors.js';

const valid = `name: tune loop
tracker: http://127.0.0.1:8080
preset: tune
vars: { offer_id: 1001, aff_id: 2002 }
steps:
  - name: click
    click:
      url: "{tracker}/aff_c?offer_id={offer_id}&aff_id={aff_id}"
      capture: click_id
  - name: wait for it
    wait: { until: postback accepted, timeout: 5s, interval: 200ms }
  - name: postback accepted
    fire:
      url: "{tracker}/aff_lsr?transaction_id={click_id}&security_token=\${TUNE_TOKEN}"
      expect: { status: 200, body: "^success=true;" }
      retries: 2
  - name: pause
    wait: 1s
  - name: preset postback
    fire: { payout: "1.50", repeat: 2, expect: { status: [200, 2xx] } }
  - name: reconcile
    continue_on_failure: true
    reconcile: { max_unmatched: 0, fail_on: [duplicate] }
`;

function problemsOf(text: string): InputError {
  try {
    parseScenario(text, 's.yaml');
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parseScenario', () => {
  it('reads every step kind with its defaults', () => {
    const scenario = parseScenario(valid, 's.yaml');
    expect(scenario.name).toBe('tune loop');
    expect(scenario.preset).toBe('tune');
    expect(scenario.vars).toEqual({ offer_id: '1001', aff_id: '2002' });
    expect(scenario.steps.map((step) => step.action.kind)).toEqual(['click', 'wait', 'fire', 'wait', 'fire', 'reconcile']);
    expect(scenario.steps[0]!.line).toBe(6);
    const wait = scenario.steps[1]!.action;
    expect(wait).toMatchObject({ kind: 'wait', until: 'postback accepted', timeoutMs: 5000, intervalMs: 200 });
    expect(scenario.steps[2]!.action).toMatchObject({ kind: 'fire', method: 'GET', retries: 2, repeat: 1, expect: { status: ['200'], body: '^success=true;' } });
    expect(scenario.steps[3]!.action).toMatchObject({ kind: 'wait', duration_ms: 1000 });
    expect(scenario.steps[4]!.action).toMatchObject({ kind: 'fire', url: undefined, repeat: 2, values: { payout: '1.50' }, expect: { status: ['200', '2xx'] } });
    expect(scenario.steps[5]).toMatchObject({ continueOnFailure: true, action: { kind: 'reconcile', maxUnmatched: 0, failOn: ['duplicate'] } });
  });

  it('reads JSON scenarios with the same rules', () => {
    const json = JSON.stringify({ name: 'j', tracker: 'http://127.0.0.1:1', steps: [{ name: 'c', click: { url: '{tracker}/click' } }] }, null, 2);
    expect(parseScenario(json, 's.json').steps[0]!.action).toMatchObject({ kind: 'click', capture: 'click_id' });
  });

  it('names the line and key of every problem', () => {
    const error = problemsOf(`name: bad
steps:
  - name: one
    fire:
      url: "http://127.0.0.1/pb"
      expect: { status: 20x, body: "([" }
      retires: 2
  - name: one
    click: { capture: "not a name" }
  - wait: { until: nowhere }
`);
    expect(error.file).toBe('s.yaml');
    expect(error.line).toBe(6);
    const text = error.located;
    expect(text).toMatch(/s\.yaml:6: steps\[0\]\.fire\.expect\.status: "20x" is not a status code/);
    expect(text).toMatch(/s\.yaml:6: steps\[0\]\.fire\.expect\.body: not a valid regular expression/);
    expect(text).toMatch(/s\.yaml:7: steps\[0\]\.fire\.retires: unknown key \(did you mean "retries"\?\)/);
    expect(text).toMatch(/s\.yaml:9: steps\[1\]\.click\.url: is required/);
    expect(text).toMatch(/steps\[1\]\.click\.capture: must be a name/);
    expect(text).toMatch(/s\.yaml:8: steps\[1\]\.name: "one" is already the name of step 1/);
    expect(text).toMatch(/s\.yaml:10: steps\[2\]\.wait\.until: "nowhere" must name a later step/);
  });

  it('requires steps, a known preset, and a url or preset for fire', () => {
    expect(problemsOf('name: x\n').message).toMatch(/steps: is required/);
    expect(problemsOf('preset: tuna\nsteps: [{ fire: {} }]\n').located).toMatch(/s\.yaml:1: preset: unknown preset "tuna"/);
    expect(problemsOf('steps:\n  - fire: { method: GET }\n').located).toMatch(/s\.yaml:2: steps\[0\]\.fire\.url: is required when neither/);
    expect(problemsOf('steps:\n  - click: { url: x }\n    fire: { url: y }\n').message).toMatch(/has both click and fire/);
  });

  it('reports YAML syntax errors with their line', () => {
    const error = problemsOf('name: x\nsteps:\n  - click: { url: "a\n  - : :\n');
    expect(error.message).toMatch(/not valid YAML/);
    expect(error.line).toBeGreaterThanOrEqual(3);
  });
});
