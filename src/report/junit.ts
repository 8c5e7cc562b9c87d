/**
 * A small JUnit XML writer (the dialect Jenkins, GitLab and GitHub test reporters read): suites of
 * test cases, each passed, failed (<failure>: an expectation did not hold), errored (<error>: the
 * check could not run) or skipped. Used by reconcile and check.
 */

import { escapeControls } from '../text/sanitize.js';

export interface JUnitProblem {
  /** One line, shown by CI as the failure title. */
  message: string;
  type?: string;
  /** Details (several lines), the element's text. */
  text?: string;
}

export interface JUnitCase {
  name: string;
  classname: string;
  /** Seconds. */
  time?: number;
  failure?: JUnitProblem;
  error?: JUnitProblem;
  skipped?: string;
  systemOut?: string;
}

export interface JUnitSuite {
  name: string;
  cases: readonly JUnitCase[];
  /** Seconds. */
  time?: number;
  /** ISO 8601. */
  timestamp?: string;
  properties?: Readonly<Record<string, string>>;
  /** The suite's own <system-out>, after its cases (output that belongs to no one case). */
  systemOut?: string;
}

// Characters XML 1.0 does not allow at all (C0 controls except tab/newline/CR, U+FFFE/U+FFFF,
// unpaired surrogates): they are dropped, since escaping cannot represent them.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text safe inside an XML element or a double- or single-quoted attribute. */
export function escapeXml(text: string): string {
  return escapeControls(text)
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Attribute values also keep their newlines and tabs (attribute normalisation would turn them into spaces). */
function attribute(text: string): string {
  return escapeXml(text).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function seconds(value: number | undefined): string {
  return (value ?? 0).toFixed(3);
}

function problem(tag: 'failure' | 'error', item: JUnitProblem): string {
  const type = item.type === undefined ? '' : ` type="${attribute(item.type)}"`;
  const open = `      <${tag} message="${attribute(item.message)}"${type}`;
  return item.text === undefined || item.text === '' ? `${open}/>` : `${open}>${escapeXml(item.text)}</${tag}>`;
}

export function renderJUnit(suites: readonly JUnitSuite[], name = 'tpb'): string {
  const count = (predicate: (c: JUnitCase) => boolean) => suites.reduce((n, suite) => n + suite.cases.filter(predicate).length, 0);
  const total = suites.reduce((n, suite) => n + suite.cases.length, 0);
  const time = suites.reduce((n, suite) => n + (suite.time ?? suite.cases.reduce((t, c) => t + (c.time ?? 0), 0)), 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attribute(name)}" tests="${total}" failures="${count((c) => c.failure !== undefined)}" errors="${count((c) => c.error !== undefined)}" skipped="${count((c) => c.skipped !== undefined)}" time="${seconds(time)}">`,
  ];
  suites.forEach((suite, index) => {
    const cases = suite.cases;
    const suiteTime = suite.time ?? cases.reduce((t, c) => t + (c.time ?? 0), 0);
    const timestamp = suite.timestamp === undefined ? '' : ` timestamp="${attribute(suite.timestamp)}"`;
    lines.push(
      `  <testsuite name="${attribute(suite.name)}" id="${index}" tests="${cases.length}" failures="${cases.filter((c) => c.failure).length}" errors="${cases.filter((c) => c.error).length}" skipped="${cases.filter((c) => c.skipped !== undefined).length}" time="${seconds(suiteTime)}"${timestamp}>`,
    );
    const properties = Object.entries(suite.properties ?? {});
    if (properties.length > 0) {
      lines.push('    <properties>');
      for (const [key, value] of properties) lines.push(`      <property name="${attribute(key)}" value="${attribute(value)}"/>`);
      lines.push('    </properties>');
    }
    for (const item of cases) {
      const open = `    <testcase name="${attribute(item.name)}" classname="${attribute(item.classname)}" time="${seconds(item.time)}"`;
      const body: string[] = [];
      if (item.failure) body.push(problem('failure', item.failure));
      if (item.error) body.push(problem('error', item.error));
      if (item.skipped !== undefined) body.push(item.skipped === '' ? '      <skipped/>' : `      <skipped message="${attribute(item.skipped)}"/>`);
      if (item.systemOut) body.push(`      <system-out>${escapeXml(item.systemOut)}</system-out>`);
      if (body.length === 0) lines.push(`${open}/>`);
      else lines.push(`${open}>`, ...body, '    </testcase>');
    }
    if (suite.systemOut) lines.push(`    <system-out>${escapeXml(suite.systemOut)}</system-out>`);
    lines.push('  </testsuite>');
  });
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
