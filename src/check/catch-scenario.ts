import type { Node as YamlNode } from 'yaml';

/**
 * The scenario's `catch:` section (a receiver started for the scenario; its URL is `{catch_url}`)
 * and the `expect_postback:` step (a postback matching a click id, path or parameters arrives
 * within a time, with expectations on its parameters). Read through scenario.ts's reader.
 *
 *   catch: { port: 9000, status: 200, body: "OK", rules: catch-rules.yaml }
 *   steps:
 *     - name: traffic source notified
 *       expect_postback:
 *         click_id: "{click_id}"        # default: the scenario's {click_id}, when it has one
 *         path: /postback               # exact, glob or /regex/
 *         params: { payout: "2.50", status: approved }
 *         within: 30s
 */

export interface CatchSection {
  host?: string;
  port?: number;
  status?: number;
  body?: string;
  contentType?: string;
  delay?: string;
  /** A rules file, relative to the scenario. */
  rules?: string;
  failRate?: number;
  resetRate?: number;
  seed?: number;
  clickIdParams: string[];
  forward?: string;
  line: number;
}

export interface ExpectPostbackStep {
  kind: 'expect_postback';
  /** Template; absent = `{click_id}` when the scenario captured one, else any click id. */
  clickId?: string;
  method?: string;
  path?: string;
  /** Parameters that select the request (exact, "*", "", /regex/). */
  match: Record<string, string>;
  /** Expectations on the selected request's parameters (same forms; amounts compare as money). */
  params: Record<string, string>;
  withinMs: number;
}

/** What catch-scenario needs of scenario.ts's reader (kept structural: no import, no cycle). */
export interface ScenarioFieldReader {
  map(node: unknown, path: string, known: readonly string[]): Map<string, YamlNode> | undefined;
  string(node: YamlNode | undefined, path: string, required?: boolean, parent?: YamlNode): string | undefined;
  integer(node: YamlNode | undefined, path: string, min: number): number | undefined;
  number(node: YamlNode | undefined, path: string, min: number, max: number): number | undefined;
  duration(node: YamlNode | undefined, path: string): number | undefined;
  record(node: YamlNode | undefined, path: string): Record<string, string>;
  list(node: YamlNode | undefined, path: string): string[];
  problem(node: YamlNode | null | undefined, path: string, message: string): void;
  lineOf(node: YamlNode | null | undefined): number;
}

export const CATCH_KEYS = ['host', 'port', 'status', 'body', 'content_type', 'delay', 'rules', 'fail_rate', 'reset_rate', 'seed', 'click_id_param', 'forward'] as const;

export function readCatchSection(reader: ScenarioFieldReader, node: YamlNode): CatchSection | undefined {
  const e = reader.map(node, 'catch', CATCH_KEYS);
  if (!e) return undefined;
  const status = reader.integer(e.get('status'), 'catch.status', 100);
  if (status !== undefined && status > 599) reader.problem(e.get('status'), 'catch.status', 'expected an HTTP status from 100 to 599');
  const port = reader.integer(e.get('port'), 'catch.port', 0);
  if (port !== undefined && port > 65535) reader.problem(e.get('port'), 'catch.port', 'expected a port from 0 to 65535');
  const delay = reader.string(e.get('delay'), 'catch.delay');
  if (delay !== undefined && !/^\d+(\.\d+)?(ms|s)?(-\d+(\.\d+)?(ms|s)?)?$/i.test(delay.trim())) reader.problem(e.get('delay'), 'catch.delay', 'expected milliseconds or a range, such as 200 or 50-500');
  const forward = reader.string(e.get('forward'), 'catch.forward');
  if (forward !== undefined && !/^https?:\/\/[^/?#\s]+/i.test(forward) && !forward.includes('${')) reader.problem(e.get('forward'), 'catch.forward', 'expected an http:// or https:// URL');
  const section: CatchSection = { clickIdParams: reader.list(e.get('click_id_param'), 'catch.click_id_param'), line: reader.lineOf(node) };
  const assign = <K extends keyof CatchSection>(key: K, value: CatchSection[K] | undefined) => {
    if (value !== undefined) section[key] = value;
  };
  assign('host', reader.string(e.get('host'), 'catch.host'));
  assign('port', port);
  assign('status', status);
  assign('body', reader.string(e.get('body'), 'catch.body'));
  assign('contentType', reader.string(e.get('content_type'), 'catch.content_type'));
  assign('delay', delay);
  assign('rules', reader.string(e.get('rules'), 'catch.rules'));
  assign('failRate', reader.number(e.get('fail_rate'), 'catch.fail_rate', 0, 1));
  assign('resetRate', reader.number(e.get('reset_rate'), 'catch.reset_rate', 0, 1));
  assign('seed', reader.integer(e.get('seed'), 'catch.seed', 0));
  assign('forward', forward);
  return section;
}

export const EXPECT_POSTBACK_KEYS = ['click_id', 'method', 'path', 'match', 'params', 'within'] as const;

export function readExpectPostback(reader: ScenarioFieldReader, body: YamlNode, where: string): ExpectPostbackStep | undefined {
  const e = reader.map(body, where, EXPECT_POSTBACK_KEYS);
  if (!e) return undefined;
  const step: ExpectPostbackStep = {
    kind: 'expect_postback',
    match: reader.record(e.get('match'), `${where}.match`),
    params: reader.record(e.get('params'), `${where}.params`),
    withinMs: reader.duration(e.get('within'), `${where}.within`) ?? 10_000,
  };
  const clickId = reader.string(e.get('click_id'), `${where}.click_id`);
  if (clickId !== undefined) step.clickId = clickId;
  const method = reader.string(e.get('method'), `${where}.method`);
  if (method !== undefined) step.method = method.toUpperCase();
  const path = reader.string(e.get('path'), `${where}.path`);
  if (path !== undefined) step.path = path;
  for (const [name, value] of [...Object.entries(step.match), ...Object.entries(step.params)]) {
    if (/^\/.*\/[a-z]*$/s.test(value)) {
      try {
        new RegExp(value.slice(1, value.lastIndexOf('/')));
      } catch (error) {
        reader.problem(body, `${where}.${name}`, `not a valid regular expression: ${(error as Error).message}`);
      }
    }
  }
  return step;
}
