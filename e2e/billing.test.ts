import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, newContext, screenshot, seriousA11yViolations, uniqueEmail } from './browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** An operator of the running instance, created the way an operator does it: `csme admin create`. */
async function createOperator(email: string, password: string): Promise<void> {
  const { root, dataDir } = inject('e2e');
  const child = promisify(execFile)(
    process.execPath,
    [join(root, 'server/bin/csme.js'), 'admin', 'create', '--email', email, '--name', 'Olga Operator', '--password-stdin'],
    {
      cwd: root,
      env: { ...process.env, CSME_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    },
  );
  child.child.stdin?.end(`${password}\n`);
  await child;
}

describe('a person on Free', () => {
  it('upgrades to Personal Pro offline (an operator marks the invoice paid), sees the new limits, then schedules a downgrade and reads what happens', async () => {
    const opEmail = uniqueEmail('olga');
    const opPassword = 'operator password for billing';
    await createOperator(opEmail, opPassword);

    const person = await newContext(browser);
    const page = await person.newPage();
    await page.goto('/sign-up');
    await page.getByLabel('Your name').fill('Avi Cohen');
    await page.getByLabel('Email').fill(uniqueEmail('avi'));
    await page.getByLabel('Password').fill('a long billing password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Hello, Avi Cohen' }).waitFor();

    await page.goto('/plans');
    await page.getByRole('heading', { name: 'Your plan: Free' }).waitFor();
    await page.getByRole('button', { name: 'Choose Personal Pro' }).click();
    const summary = page.getByRole('heading', { name: /What happens: Choose Personal Pro/ });
    await summary.waitFor();
    await page.getByText('Takes effect as soon as the invoice is paid.', { exact: false }).waitFor();
    await expect(page.getByRole('row', { name: /To pay now/ }).textContent()).resolves.toContain('$12.00');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'billing-upgrade-summary-mobile');
    await page.getByRole('button', { name: 'Check out' }).click();
    const opened = page.getByText(/Invoice CSME-\d{4}-\d{6} for \$12\.00 is open\./);
    await opened.waitFor();
    const number = /CSME-\d{4}-\d{6}/.exec((await opened.textContent()) ?? '')![0];
    await page.getByText(`Invoice ${number} ($12.00) is open since`).waitFor();
    await screenshot(page, 'billing-invoice-open-mobile');

    // The operator, in a browser of their own, marks the invoice paid.
    const operator = await newContext(browser, { mobile: false });
    const opPage = await operator.newPage();
    await opPage.goto('/sign-in');
    await opPage.getByLabel('Email').fill(opEmail);
    await opPage.getByLabel('Password').fill(opPassword);
    await opPage.getByRole('button', { name: 'Sign in' }).click();
    await opPage.getByRole('heading', { name: /Hello/ }).waitFor();
    await opPage.getByRole('navigation').getByRole('link', { name: 'Billing' }).click();
    await opPage.getByRole('heading', { name: 'Billing' }).waitFor();
    const row = opPage.getByRole('row', { name: new RegExp(number) });
    await expect(row.textContent()).resolves.toContain('$12.00');
    expect(await seriousA11yViolations(opPage)).toEqual([]);
    await screenshot(opPage, 'billing-operator-open-invoices-desktop');
    await row.getByRole('button', { name: `Mark paid ${number}` }).click();
    await opPage.getByText(`Invoice ${number} is marked paid.`).waitFor();
    await operator.close();

    // The person sees Personal Pro and its limits.
    await page.reload();
    await page.getByRole('heading', { name: 'Your plan: Personal Pro' }).waitFor();
    await expect(page.getByRole('progressbar', { name: 'Runs' }).getAttribute('aria-valuemax')).resolves.toBe('5000');
    await page.getByText(/Next invoice: \$12\.00 on/).waitFor();
    await page
      .getByRole('table', { name: 'Invoices' })
      .getByRole('row', { name: new RegExp(`${number}.*Paid`) })
      .waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'billing-pro-active-mobile');

    // Back to Free: at the end of the period, with a clear summary first.
    await page.getByRole('button', { name: 'Change to Free' }).click();
    await page.getByRole('heading', { name: /What happens: Change to Free/ }).waitFor();
    const when = page.getByText(/Takes effect on .+\. You keep Personal Pro until then\. Nothing is refunded\./);
    await when.waitFor();
    await page.getByText('Everything you use fits the new limits.').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'billing-downgrade-summary-mobile');
    await page.getByRole('button', { name: 'Schedule the change' }).click();
    await page.getByText(/Done: the change is scheduled for/).waitFor();
    await page.getByText(/Personal Pro ends on .+; then this space is on Free\./).waitFor();
    await page.getByRole('button', { name: 'Keep Personal Pro' }).waitFor();
    await screenshot(page, 'billing-downgrade-scheduled-mobile');

    // The same page in Hebrew, right to left.
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('combobox', { name: 'Language' }).selectOption('he');
    await page.getByRole('heading', { name: 'התוכנית שלך: Personal Pro' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'billing-plans-hebrew-mobile');
    await person.close();
  });
});
