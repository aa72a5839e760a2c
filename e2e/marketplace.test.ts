import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { baseUrl, launchBrowser, newContext, screenshot, seriousA11yViolations, uniqueEmail } from './browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const run = promisify(execFile);
/** The `csme` command, as a creator or an operator runs it. */
async function csme(args: string[], env: Record<string, string> = {}, stdin?: string) {
  const { root, dataDir } = inject('e2e');
  const child = run(process.execPath, [join(root, 'server/bin/csme.js'), ...args], {
    cwd: root,
    env: { ...process.env, CSME_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
  });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  return child;
}

async function signUp(page: Page, name: string, email: string) {
  await page.goto('/sign-up');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a long marketplace password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: `Hello, ${name}` }).waitFor();
}

/** The operator marks an open invoice paid on Operator → Billing. */
async function markPaid(op: Page, number: string) {
  await op.goto('/admin/billing');
  await op.getByRole('button', { name: `Mark paid ${number}` }).click();
  await op.getByText(`Invoice ${number} is marked paid.`).waitFor();
}

const invoiceNumber = async (page: Page, pattern: RegExp) => {
  const el = page.getByText(pattern).first();
  await el.waitFor();
  return /CSME-\d{4}-\d{6}/.exec((await el.textContent()) ?? '')![0];
};

describe('the marketplace', () => {
  it('a creator publishes from the CLI, an operator approves, another person buys and installs, and the creator sees the sale and the 70% share', async () => {
    const opEmail = uniqueEmail('olga');
    const opPassword = 'operator password for the marketplace';
    await csme(['admin', 'create', '--email', opEmail, '--name', 'Olga Operator', '--password-stdin'], {}, `${opPassword}\n`);
    const operator = await newContext(browser, { mobile: false });
    const op = await operator.newPage();
    await op.goto('/sign-in');
    await op.getByLabel('Email').fill(opEmail);
    await op.getByLabel('Password').fill(opPassword);
    await op.getByRole('button', { name: 'Sign in' }).click();
    await op.getByRole('heading', { name: /Hello/ }).waitFor();

    // The creator adds the Creator add-on (paid offline), makes a profile and an API token.
    const creatorCtx = await newContext(browser, { mobile: false });
    const cp = await creatorCtx.newPage();
    await signUp(cp, 'Carmela Creator', uniqueEmail('carmela'));
    await cp.goto('/plans');
    await cp.getByRole('button', { name: /Add Creator/ }).click();
    await cp.getByRole('button', { name: 'Check out' }).click();
    await markPaid(op, await invoiceNumber(cp, /Invoice CSME-\d{4}-\d{6} for .+ is open\./));
    await cp.goto('/studio');
    await cp.getByRole('heading', { name: 'Creator profile' }).waitFor();
    await cp.getByLabel('Name shown on your packs').fill('Carmela Creator');
    await cp.getByLabel('How you are paid').selectOption('paypal');
    await cp.getByLabel('Payout details (IBAN, PayPal address…)').fill('carmela@paypal.example');
    await cp.getByRole('button', { name: 'Save profile' }).click();
    await cp.getByText('Profile saved.').waitFor();
    await cp.getByLabel('Token name').fill('my laptop');
    await cp.getByRole('button', { name: 'Create token' }).click();
    const token = (await cp.locator('code.token').textContent())!.trim();
    expect(token).toMatch(/^csme_pat_/);
    expect(await seriousA11yViolations(cp)).toEqual([]);
    await screenshot(cp, 'marketplace-studio-start-desktop');

    // From the terminal: init, test, publish.
    const dir = join(mkdtempSync(join(tmpdir(), 'csme-e2e-pack-')), 'morning-focus');
    await csme(['pack', 'init', dir, '--id', 'morning-focus', '--name', 'Morning focus']);
    const tested = await csme(['pack', 'test', dir]);
    expect(tested.stdout).toContain('1 passed, 0 failed');
    const published = await csme(['pack', 'publish', dir, '--url', baseUrl(), '--changelog', 'First version.'], { CSME_TOKEN: token });
    expect(published.stdout).toContain('Submitted morning-focus@0.1.0');

    // The creator prices it while it waits for review.
    await cp.reload();
    await cp.getByText('Version 0.1.0: In review').waitFor();
    await cp.getByText('Listing', { exact: true }).click();
    await cp.getByLabel('Tagline').fill('Starts your day with what matters.');
    await cp
      .getByLabel('Description (Markdown)')
      .fill('**Morning focus** counts your open tasks and tells you.\n\n[Read more](javascript:alert(1))');
    await cp.getByLabel('Price', { exact: true }).selectOption('one_off');
    await cp.getByLabel('Price in USD (cents)').fill('1200');
    await cp.getByLabel('Price in ILS (agorot)').fill('4500');
    await cp.getByRole('button', { name: 'Save listing' }).click();
    await cp.getByText(/javascript:, vbscript: or data: link/).waitFor();
    await cp.getByLabel('Description (Markdown)').fill('**Morning focus** counts your open tasks and tells you.');
    await cp.getByRole('button', { name: 'Save listing' }).click();
    await cp.getByText('Listing saved.').waitFor();

    // The operator reviews and approves: the bundle is signed.
    await op.goto('/admin/marketplace');
    await op.getByRole('heading', { name: 'Marketplace review' }).waitFor();
    await op.getByText(/every step's skills are covered by/).waitFor();
    expect(await seriousA11yViolations(op)).toEqual([]);
    await screenshot(op, 'marketplace-review-queue-desktop');
    await op.getByRole('button', { name: 'Approve and sign morning-focus 0.1.0' }).click();
    await op.getByText('morning-focus 0.1.0 is approved and signed.').waitFor();

    // Another person finds it, buys it (offline invoice, paid by the operator) and installs it.
    const buyerCtx = await newContext(browser);
    const bp = await buyerCtx.newPage();
    await signUp(bp, 'Boaz Buyer', uniqueEmail('boaz'));
    await bp.goto('/marketplace');
    await bp.getByLabel('Search').fill('morning');
    await bp.getByRole('link', { name: /Morning focus/ }).waitFor();
    expect(await seriousA11yViolations(bp)).toEqual([]);
    await screenshot(bp, 'marketplace-browse-mobile');
    await bp.getByRole('link', { name: /Morning focus/ }).click();
    await bp.getByRole('heading', { name: /Morning focus/ }).waitFor();
    await bp.locator('.markdown strong', { hasText: 'Morning focus' }).waitFor();
    expect(await seriousA11yViolations(bp)).toEqual([]);
    await screenshot(bp, 'marketplace-listing-mobile');
    await bp.getByRole('button', { name: 'Buy for $12.00' }).click();
    const number = await invoiceNumber(bp, /Invoice CSME-\d{4}-\d{6} for \$12\.00 is open\./);
    await markPaid(op, number);
    await bp.reload();
    await bp.getByText('You bought this pack.').waitFor();
    for (const label of ['Allow: See your tasks', 'Allow: Send you notifications']) await bp.getByLabel(label).check();
    await screenshot(bp, 'marketplace-consent-mobile');
    await bp.getByRole('button', { name: 'Allow and install' }).click();
    await bp.getByText('Installed. Its agents are on your Home page.').waitFor();
    await bp.reload();
    await bp.getByText('This pack is installed in this space.').waitFor();
    await bp.getByLabel('What worked, what did not').fill('Simple and useful.');
    await bp.getByRole('button', { name: 'Send review' }).click();
    await bp.getByText('Thank you, your review is saved.').waitFor();

    // The creator sees the sale and the 70% share, never who bought.
    await cp.goto('/studio');
    const earnings = cp.getByRole('group', { name: 'USD' });
    await earnings.getByText('$8.40').first().waitFor();
    await expect(earnings.textContent()).resolves.toContain('$12.00');
    const sales = cp.getByRole('table', { name: 'Sales and payouts' });
    await expect(sales.getByRole('row').nth(1).textContent()).resolves.toMatch(/Sale.*morning-focus.*\$12\.00.*\$0\.00.*\$8\.40.*\$3\.60/);
    expect(await cp.content()).not.toContain('Boaz');
    expect(await seriousA11yViolations(cp)).toEqual([]);
    await screenshot(cp, 'marketplace-studio-sale-desktop');

    // The listing in Hebrew, right to left.
    await bp.goto('/marketplace/morning-focus');
    await bp.getByRole('button', { name: 'Menu' }).click();
    await bp.getByRole('combobox', { name: 'Language' }).selectOption('he');
    await bp.getByRole('heading', { name: 'דירוגים וביקורות' }).waitFor();
    expect(await bp.evaluate(() => document.documentElement.dir)).toBe('rtl');
    expect(await seriousA11yViolations(bp)).toEqual([]);
    await screenshot(bp, 'marketplace-listing-hebrew-mobile');
    await Promise.all([operator.close(), creatorCtx.close(), buyerCtx.close()]);
  });
});
