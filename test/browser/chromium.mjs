// Headless Chromium (Debian's `chromium` package, driven by puppeteer-core) for the HTML reports,
// shared by the suite (test/browser/*.test.ts) and the bench (bench/parts/21-report-html.mjs), so
// plain JavaScript: the bench runs under node without a TypeScript step. Types: chromium.d.mts.
// A page fails on any console error or warning, any uncaught exception, and any request other
// than the report file itself: the report must be complete offline.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

export const CHROMIUM = process.env.TPB_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumMissing() {
  return fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it), or point TPB_CHROMIUM at a Chromium`;
}

export async function launch() {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions', '--disable-background-networking'],
  });
}

export async function openReport(browser, file, options = {}) {
  const page = await browser.newPage();
  const problems = [];
  const requests = [];
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
  await page.goto(url, { waitUntil: 'load', ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}) });
  return { page, problems, requests };
}

export async function screenshot(page, dir, name) {
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
