import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { inject } from 'vitest';

/** Debian's Chromium, headless, with nothing that phones home (this machine has no internet). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

export const baseUrl = () => inject('e2e').baseUrl;

/** A fresh browser profile: phone-sized unless asked otherwise (the app is mobile first). */
export async function newContext(browser: Browser, opts: { mobile?: boolean; locale?: string } = {}): Promise<BrowserContext> {
  return browser.newContext({
    baseURL: baseUrl(),
    locale: opts.locale ?? 'en-US',
    timezoneId: 'Europe/Berlin',
    viewport: opts.mobile === false ? { width: 1280, height: 860 } : { width: 390, height: 844 },
    deviceScaleFactor: 1,
  });
}

/** Axe violations a person would be hurt by (serious or critical), as readable lines. */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    );
}

/** Saves a screenshot under e2e/screenshots/ for people to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(inject('e2e').root, 'e2e/screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

let n = 0;
export const uniqueEmail = (name: string) => `${name}.${Date.now().toString(36)}${(n++).toString(36)}@example.test`;
