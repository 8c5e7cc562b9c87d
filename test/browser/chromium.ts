import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * Headless Chromium (Debian's `chromium` package, driven by puppeteer-core) for the HTML reports.
 * A page fails the test on any console error or warning, any uncaught exception, and any request
 * other than the report file itself: the report must be complete offline.
 */
export const CHROMIUM = process.env.TPB_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumMissing(): string | null {
  return fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it), or point TPB_CHROMIUM at a Chromium`;
}

export async function launch(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions', '--disable-background-networking'],
  });
}

export interface OpenedReport {
  page: Page;
  /** Console errors/warnings, page errors and CSP violations, in order. */
  problems: string[];
  /** Every request the page made beyond loading the report file. */
  requests: string[];
}

export async function openReport(browser: Browser, file: string, options: { dark?: boolean; width?: number; javaScript?: boolean } = {}): Promise<OpenedReport> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') problems.push(`console.${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.url() === url && request.isNavigationRequest()) {
      void request.continue();
      return;
    }
    requests.push(request.url());
    void request.abort();
  });
  await page.setJavaScriptEnabled(options.javaScript ?? true);
  await page.setViewport({ width: options.width ?? 1100, height: 900 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: options.dark ? 'dark' : 'light' }]);
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems, requests };
}

/** A full-page PNG into `dir` (the test's temporary directory); returns the file. */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file as `${string}.png`, fullPage: true });
  return file;
}
