/**
 * Browser helpers for the dashboard tests: playwright-core driving Debian's chromium
 * (/usr/bin/chromium, installed by scripts/services.sh; never `playwright install`), a page that
 * records console errors and every URL it requests, the dashboard login, screenshots under
 * var/screenshots/, and CDP figures (DOM nodes, JS heap after a GC).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './viva.ts';

export const CHROMIUM = process.env.VIVA_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(repoRoot, 'var', 'screenshots');

/** What the tests read in the page (this project's TypeScript has no DOM types). */
export interface InPage {
  document: {
    cookie: string;
    body: { dataset: Record<string, string | undefined> };
    getElementsByTagName(tag: string): { length: number };
  };
}

/** Frames the page has rendered so far. */
export async function frames(page: Page): Promise<number> {
  return page.evaluate(() => Number((globalThis as unknown as InPage).document.body.dataset.frames ?? '0'));
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container has no user namespaces for the sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** A page with what it logged as errors and what it requested, for assertions. */
export interface WatchedPage {
  page: Page;
  errors: string[];
  urls: string[];
}

export async function openPage(
  browser: Browser,
  viewport = { width: 1400, height: 1000 },
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  const urls: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => urls.push(r.url()));
  return { page, errors, urls };
}

/** Opens the dashboard and logs in with the token through the form. */
export async function login(page: Page, adminPort: number, token: string): Promise<void> {
  await page.goto(`http://127.0.0.1:${adminPort}/dashboard`);
  await page.locator('#token').waitFor();
  await page.fill('#token', token);
  await page.click('#login-form button[type=submit]');
  await waitFrames(page, 2);
}

/** Waits until the page has rendered at least `n` frames in total. */
export async function waitFrames(page: Page, n: number, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    (want) => Number((globalThis as unknown as InPage).document.body.dataset.frames ?? '0') >= want,
    n,
    { timeout: timeoutMs },
  );
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** DOM node count and JS heap in use, after a full garbage collection (Chrome DevTools Protocol). */
export async function memory(page: Page): Promise<{ nodes: number; heap: number }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const get = (name: string): number => metrics.find((m) => m.name === name)?.value ?? NaN;
    return {
      nodes: await page.evaluate(
        () => (globalThis as unknown as InPage).document.getElementsByTagName('*').length,
      ),
      heap: get('JSHeapUsedSize'),
    };
  } finally {
    await cdp.detach();
  }
}
