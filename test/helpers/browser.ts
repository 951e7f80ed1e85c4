import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium; no browser is downloaded (./hearth test installs the `chromium` package). */
export const chromiumPath = '/usr/bin/chromium';

/** Where page screenshots go: test-results/screenshots at the repository root. */
export const screenshotDir = resolve(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

/**
 * Launches headless Chromium with a fresh temporary profile, offline from everything but the
 * pages it is sent to. Fails with what to install when the browser is missing.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing; the portal tests need Debian's Chromium (as root: apt-get install chromium, or run ./hearth test)`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** What a page logged as an error (console.error, failed loads, uncaught exceptions) since the last `take()`. */
export interface ConsoleWatch {
  take(): string[];
}

/** Records every console error and uncaught exception of `page`. */
export function watchConsole(page: Page): ConsoleWatch {
  let errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return {
    take: () => {
      const seen = errors;
      errors = [];
      return seen;
    },
  };
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
