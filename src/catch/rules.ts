import fs from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type YAMLMap } from 'yaml';
import { InputError } from '../errors.js';
import { parseLatency, type LatencyRange } from '../http/faults.js';

/**
 * How tpb catch answers: one default answer (--status, --body, --content-type, --delay) and
 * per-request rules from a small YAML or JSON file (--rules). The first rule that matches a
 * request answers it; a rule with `times: N` answers only its first N matches, so "fail twice,
 * then accept" tests a sender's retries.
 *
 *   - name: reject unknown ids        # optional; shown in the log
 *     match:
 *       method: GET                   # one or a list
 *       path: /postback/*             # exact, * matches anything (also /), or /regex/
 *       query: { clickid: "*", status: rejected, payout: "/^0(\.0+)?$/" }
 *     status: 200
 *     body: "success=false;"
 *     content_type: text/html; charset=UTF-8
 *     headers: { Retry-After: "1" }
 *     delay: 100-300                  # ms, or a range
 *     drop: false                     # true: close the connection without an answer
 *     times: 2
 */

export interface CatchAnswer {
  status: number;
  body: string;
  contentType: string;
  headers: Readonly<Record<string, string>>;
  /** Added before answering. */
  delay?: LatencyRange;
  /** Close the connection without an answer (a sender sees a reset). */
  drop?: boolean;
}

export const DEFAULT_ANSWER: CatchAnswer = { status: 200, body: 'OK\n', contentType: 'text/plain; charset=utf-8', headers: {} };

type ValueTest = (value: string | undefined) => boolean;

export interface CatchRule {
  name: string;
  /** Line of the rule in its file, for messages. */
  line: number;
  methods?: readonly string[];
  path?: (path: string) => boolean;
  query: ReadonlyArray<{ name: string; test: ValueTest }>;
  answer: Partial<CatchAnswer>;
  /** Answer only this many matches; then the rule is spent. */
  times?: number;
}

/** A request as rules see it: method, decoded path, parameters (query, then body). */
export interface RuleRequest {
  method: string;
  path: string;
  params: ReadonlyMap<string, string>;
}

function regexOf(text: string): RegExp | undefined {
  const match = /^\/(.*)\/([a-z]*)$/s.exec(text);
  if (!match) return undefined;
  return new RegExp(match[1]!, match[2]!.replace(/[gy]/g, ''));
}

function globToRegex(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function valueTest(expected: string): ValueTest {
  if (expected === '*') return (value) => value !== undefined;
  if (expected === '') return (value) => value === undefined || value === '';
  const regex = regexOf(expected);
  if (regex) return (value) => value !== undefined && regex.test(value);
  return (value) => value === expected;
}

function pathTest(expected: string): (path: string) => boolean {
  const regex = regexOf(expected) ?? (expected.includes('*') ? globToRegex(expected) : undefined);
  if (regex) return (path) => regex.test(path);
  return (path) => path === expected;
}

export function ruleMatches(rule: CatchRule, request: RuleRequest): boolean {
  if (rule.methods && !rule.methods.includes(request.method)) return false;
  if (rule.path && !rule.path(request.path)) return false;
  for (const { name, test } of rule.query) if (!test(request.params.get(name))) return false;
  return true;
}

/** The rules with their use counts: picks the first live rule that matches. */
export class RuleBook {
  private readonly used: number[];
  constructor(readonly rules: readonly CatchRule[]) {
    this.used = rules.map(() => 0);
  }

  pick(request: RuleRequest): CatchRule | undefined {
    for (const [index, rule] of this.rules.entries()) {
      if (rule.times !== undefined && this.used[index]! >= rule.times) continue;
      if (!ruleMatches(rule, request)) continue;
      this.used[index]! += 1;
      return rule;
    }
    return undefined;
  }
}

const RULE_KEYS = ['name', 'match', 'status', 'body', 'content_type', 'headers', 'delay', 'drop', 'times'] as const;
const MATCH_KEYS = ['method', 'path', 'query'] as const;

/** Parse a rules file (YAML or JSON: a list of rules, or `rules:` holding one). Every problem is reported with its line. */
export function parseRules(text: string, file: string): CatchRule[] {
  const lines = new LineCounter();
  const document = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    throw new InputError(`not valid YAML or JSON: ${first.message.split('\n')[0]}`, { file, line: first.linePos?.[0]?.line ?? lines.linePos(first.pos[0]).line });
  }
  const problems: Array<{ line: number; message: string }> = [];
  const lineOf = (node: unknown) => {
    const offset = (node as YamlNode | null)?.range?.[0];
    return offset === undefined ? 1 : lines.linePos(offset).line;
  };
  const problem = (node: unknown, message: string) => problems.push({ line: lineOf(node), message });
  let list: unknown = document.contents;
  if (isMap(list)) {
    const rulesNode = (list as YAMLMap).get('rules', true);
    if ((list as YAMLMap).items.length !== 1 || rulesNode === undefined) problem(list, 'expected a list of rules, or a mapping with only "rules:"');
    list = rulesNode;
  }
  if (!isSeq(list)) {
    if (problems.length === 0) problem(list, 'expected a list of rules');
    throw located(problems, file);
  }
  const scalar = (node: unknown, where: string): string | undefined => {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
      problem(node, `${where}: expected a text or number`);
      return undefined;
    }
    return String(node.value);
  };
  const rules: CatchRule[] = [];
  list.items.forEach((item, index) => {
    const where = `rules[${index}]`;
    if (!isMap(item)) {
      problem(item, `${where}: expected a mapping (match:, status:, body: …)`);
      return;
    }
    const entries = new Map<string, unknown>();
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!(RULE_KEYS as readonly string[]).includes(key)) problem(pair.key, `${where}.${key}: unknown key; expected one of ${RULE_KEYS.join(', ')}`);
      else entries.set(key, pair.value);
    }
    const rule: CatchRule = { name: `rule ${index + 1}`, line: lineOf(item), query: [], answer: {} };
    const name = entries.get('name');
    if (name !== undefined) rule.name = scalar(name, `${where}.name`) ?? rule.name;
    const match = entries.get('match');
    if (match !== undefined && !(isScalar(match) && match.value === null)) {
      if (!isMap(match)) problem(match, `${where}.match: expected a mapping of method, path, query`);
      else {
        for (const pair of match.items) {
          const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
          const value = pair.value;
          if (!(MATCH_KEYS as readonly string[]).includes(key)) problem(pair.key, `${where}.match.${key}: unknown key; expected one of ${MATCH_KEYS.join(', ')}`);
          else if (key === 'method') {
            const methods = isSeq(value) ? value.items.map((m) => scalar(m, `${where}.match.method`)) : [scalar(value, `${where}.match.method`)];
            rule.methods = methods.filter((m): m is string => m !== undefined).map((m) => m.toUpperCase());
          } else if (key === 'path') {
            const text = scalar(value, `${where}.match.path`);
            if (text !== undefined) {
              try {
                rule.path = pathTest(text);
              } catch (error) {
                problem(value, `${where}.match.path: not a valid regular expression: ${(error as Error).message}`);
              }
            }
          } else if (!isMap(value)) problem(value, `${where}.match.query: expected a mapping of parameter names to values ("*" = present, "" = absent or empty, /regex/)`);
          else {
            for (const q of value.items) {
              const param = isScalar(q.key) ? String(q.key.value) : String(q.key);
              const expected = scalar(q.value, `${where}.match.query.${param}`);
              if (expected === undefined) continue;
              try {
                rule.query = [...rule.query, { name: param.toLowerCase(), test: valueTest(expected) }];
              } catch (error) {
                problem(q.value, `${where}.match.query.${param}: not a valid regular expression: ${(error as Error).message}`);
              }
            }
          }
        }
      }
    }
    const status = entries.get('status');
    if (status !== undefined) {
      const text = scalar(status, `${where}.status`);
      if (text !== undefined && (!/^\d{3}$/.test(text) || Number(text) < 100 || Number(text) > 599)) problem(status, `${where}.status: expected an HTTP status from 100 to 599`);
      else if (text !== undefined) rule.answer.status = Number(text);
    }
    const body = entries.get('body');
    if (body !== undefined) {
      const text = isScalar(body) && body.value === null ? '' : scalar(body, `${where}.body`);
      if (text !== undefined) rule.answer.body = text;
    }
    const contentType = entries.get('content_type');
    if (contentType !== undefined) {
      const text = scalar(contentType, `${where}.content_type`);
      if (text !== undefined) rule.answer.contentType = text;
    }
    const headers = entries.get('headers');
    if (headers !== undefined) {
      if (!isMap(headers)) problem(headers, `${where}.headers: expected a mapping of header names to values`);
      else {
        const out: Record<string, string> = {};
        for (const pair of headers.items) {
          const header = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
          const value = scalar(pair.value, `${where}.headers.${header}`);
          if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) problem(pair.key, `${where}.headers: "${header}" is not a valid header name`);
          else if (value !== undefined) out[header] = value;
        }
        rule.answer.headers = out;
      }
    }
    const delay = entries.get('delay');
    if (delay !== undefined) {
      const text = scalar(delay, `${where}.delay`);
      if (text !== undefined) {
        try {
          rule.answer.delay = parseLatency(text);
        } catch (error) {
          problem(delay, `${where}.delay: ${(error as Error).message}`);
        }
      }
    }
    const drop = entries.get('drop');
    if (drop !== undefined) {
      if (!isScalar(drop) || typeof drop.value !== 'boolean') problem(drop, `${where}.drop: expected true or false`);
      else rule.answer.drop = drop.value;
    }
    const times = entries.get('times');
    if (times !== undefined) {
      const text = scalar(times, `${where}.times`);
      if (text !== undefined && (!/^\d+$/.test(text) || Number(text) < 1)) problem(times, `${where}.times: expected a whole number ≥ 1`);
      else if (text !== undefined) rule.times = Number(text);
    }
    rules.push(rule);
  });
  if (problems.length > 0) throw located(problems, file);
  return rules;
}

function located(problems: Array<{ line: number; message: string }>, file: string): InputError {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  const first = sorted[0]!;
  const rest = sorted.slice(1).map((p) => `\n${file}:${p.line}: ${p.message}`);
  return new InputError(`${first.message}${rest.join('')}`, { file, line: first.line, hint: 'see "tpb catch --help" for the rules file format' });
}

export function loadRules(file: string): CatchRule[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read the rules file: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { file });
  }
  return parseRules(text, file);
}
