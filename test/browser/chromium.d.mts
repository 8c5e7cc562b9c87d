import type { Browser, Page } from 'puppeteer-core';

/** The Chromium binary: TPB_CHROMIUM, else Debian's /usr/bin/chromium. */
export declare const CHROMIUM: string;

/** Why Chromium cannot run here, or null when it can. */
export declare function chromiumMissing(): string | null;

/** Headless Chromium for the HTML reports (throws when it is missing). */
export declare function launch(): Promise<Browser>;

export interface OpenedReport {
  page: Page;
  /** Console errors/warnings, page errors and CSP violations, in order. */
  problems: string[];
  /** Every request the page made beyond loading the report file. */
  requests: string[];
}

export interface OpenOptions {
  dark?: boolean;
  width?: number;
  javaScript?: boolean;
  /** Navigation timeout (puppeteer's default is 30 s). */
  timeoutMs?: number;
}

/** Opens a report file; every request but the file itself is recorded and aborted. */
export declare function openReport(browser: Browser, file: string, options?: OpenOptions): Promise<OpenedReport>;

/** A full-page PNG into `dir` (the test's temporary directory); returns the file. */
export declare function screenshot(page: Page, dir: string, name: string): Promise<string>;
