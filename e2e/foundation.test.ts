import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, screenshot, seriousA11yViolations, uniqueEmail } from './browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('a newcomer', () => {
  it('signs up, sees the dashboard and the plans, reads the app in Hebrew right to left, and signs in again', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const email = uniqueEmail('dana');

    await page.goto('/');
    await page.waitForURL(/\/sign-in/);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByLabel('Your name').fill('Dana Levi');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a long family password');
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.getByRole('heading', { name: 'Hello, Dana Levi' }).waitFor();
    await page.getByText('You are on Free.').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'foundation-home-mobile');

    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Plans', exact: true }).click();
    await page.getByRole('heading', { name: 'Plans' }).waitFor();
    const table = page.getByRole('table', { name: 'Plan comparison' });
    await table.getByRole('columnheader', { name: /Personal Pro/ }).waitFor();
    await expect(table.getByRole('row', { name: /Runs a month/ }).textContent()).resolves.toMatch(/300.*5,000.*10,000/);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'foundation-plans-mobile');

    // Hebrew, right to left; the choice is saved to the account. On a phone the language is in the menu.
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('combobox', { name: 'Language' }).selectOption('he');
    await page.getByRole('heading', { name: 'תוכניות' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('he');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'foundation-plans-hebrew');

    await page.getByRole('button', { name: 'התנתקות' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.getByLabel('דוא"ל').fill(email);
    await page.getByLabel('סיסמה').fill('a long family password');
    await page.getByRole('button', { name: 'התחברות' }).click();
    await page.getByRole('heading', { name: 'שלום, Dana Levi' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await context.close();

    // On another device the saved language follows her; a choice made there holds even if it
    // cannot be saved before she reloads.
    const laptop = await newContext(browser, { mobile: false });
    const other = await laptop.newPage();
    await other.goto('/sign-in');
    await other.getByLabel('Email').fill(email);
    await other.getByLabel('Password').fill('a long family password');
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('heading', { name: 'שלום, Dana Levi' }).waitFor();
    await other.route('**/api/v1/account', (route) =>
      route.request().method() === 'PATCH' ? route.abort('connectionfailed') : route.fallback(),
    );
    await other.getByRole('combobox', { name: 'שפה' }).selectOption('en');
    await other.getByRole('heading', { name: 'Hello, Dana Levi' }).waitFor();
    await other.reload({ waitUntil: 'networkidle' });
    await other.getByRole('heading', { name: 'Hello, Dana Levi' }).waitFor();
    expect(await other.evaluate(() => document.documentElement.dir)).toBe('ltr');
    await laptop.close();
  });

  it('gets a clear message for a wrong password, and the same one for an unknown email', async () => {
    const context = await newContext(browser, { mobile: false });
    const page = await context.newPage();
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(uniqueEmail('nobody'));
    await page.getByLabel('Password').fill('whatever it is');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Email or password is incorrect.' }).waitFor();
    await screenshot(page, 'foundation-sign-in-error-desktop');
    await context.close();
  });
});
