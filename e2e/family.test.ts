import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, newContext, screenshot, seriousA11yViolations, uniqueEmail } from './browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function createOperator(email: string, password: string): Promise<void> {
  const { root, dataDir } = inject('e2e');
  const child = promisify(execFile)(
    process.execPath,
    [join(root, 'server/bin/csme.js'), 'admin', 'create', '--email', email, '--name', 'Olga Operator', '--password-stdin'],
    { cwd: root, env: { ...process.env, CSME_DATA_DIR: dataDir, LOG_LEVEL: 'warn' } },
  );
  child.child.stdin?.end(`${password}\n`);
  await child;
}

async function signUp(page: Page, name: string, email: string) {
  await page.goto('/sign-up');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a long family password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: `Hello, ${name}` }).waitFor();
}

describe('a family', () => {
  it('the owner upgrades to Family, invites a member who accepts in another browser; both see the shared list change, and a private note stays private', async () => {
    const opEmail = uniqueEmail('olga');
    const opPassword = 'operator password for family';
    await createOperator(opEmail, opPassword);

    // The owner upgrades to Family offline; the operator marks the invoice paid.
    const ownerCtx = await newContext(browser, { mobile: false });
    const owner = await ownerCtx.newPage();
    await signUp(owner, 'Maya Levi', uniqueEmail('maya'));
    await owner.goto('/plans');
    await owner.getByRole('button', { name: 'Choose Family' }).click();
    await owner.getByRole('button', { name: 'Check out' }).click();
    const opened = owner.getByText(/Invoice CSME-\d{4}-\d{6} for .+ is open\./);
    await opened.waitFor();
    const number = /CSME-\d{4}-\d{6}/.exec((await opened.textContent()) ?? '')![0];
    const opCtx = await newContext(browser, { mobile: false });
    const op = await opCtx.newPage();
    await op.goto('/sign-in');
    await op.getByLabel('Email').fill(opEmail);
    await op.getByLabel('Password').fill(opPassword);
    await op.getByRole('button', { name: 'Sign in' }).click();
    await op.getByRole('heading', { name: /Hello/ }).waitFor();
    await op.goto('/admin/billing');
    await op
      .getByRole('row', { name: new RegExp(number) })
      .getByRole('button', { name: `Mark paid ${number}` })
      .click();
    await op.getByText(`Invoice ${number} is marked paid.`).waitFor();
    await opCtx.close();

    // The owner switches into the new family space and invites a member.
    await owner.goto('/');
    const switcher = owner.getByRole('combobox', { name: 'Switch space' });
    await switcher.waitFor();
    const familyOption = await switcher.locator('option', { hasText: 'Family:' }).getAttribute('value');
    const switched = owner.waitForResponse((r) => r.url().endsWith('/api/v1/auth/active-space') && r.ok());
    await switcher.selectOption(familyOption!);
    await switched;
    await owner.goto('/family');
    await owner.getByRole('heading', { name: /Family: / }).waitFor();
    const memberEmail = uniqueEmail('dana');
    await owner.getByLabel('Email address').fill(memberEmail);
    await owner.getByRole('button', { name: 'Send invitation' }).click();
    const link = await owner.getByLabel('Invitation link').inputValue();
    expect(link).toContain('/join#token=');
    expect(await seriousA11yViolations(owner)).toEqual([]);
    await screenshot(owner, 'family-members-desktop');

    // The member signs up in a browser of their own and accepts.
    const memberCtx = await newContext(browser);
    const member = await memberCtx.newPage();
    // The link first: a visitor without an account creates one and comes back to the invitation.
    await member.goto(link.replace(/^https?:\/\/[^/]+/, ''));
    await member.getByText(/Maya Levi invites/).waitFor();
    await member.getByRole('link', { name: 'Create an account' }).click();
    await member.getByLabel('Your name').fill('Dana Levi');
    await member.getByLabel('Email').fill(memberEmail);
    await member.getByLabel('Password').fill('a long family password');
    await member.getByRole('button', { name: 'Create account' }).click();
    await member.getByText(/Maya Levi invites/).waitFor();
    await member.getByRole('button', { name: 'Join the family' }).click();
    await member.getByRole('heading', { name: /Family: / }).waitFor();
    await member.getByRole('list', { name: 'Members' }).getByText('Dana Levi').waitFor();

    // The member writes a private note; the owner makes the shared shopping list.
    await member.goto('/notes');
    await member.getByLabel('Title').fill('Dana secret diary');
    await member.getByLabel('Who sees it').selectOption('private');
    await member.getByRole('button', { name: 'Save note' }).click();
    await member.getByText('Dana secret diary').first().waitFor();

    await owner.goto('/lists');
    await owner.getByRole('heading', { name: 'Lists', level: 1 }).waitFor();
    await owner.getByLabel('Name').fill('Family shopping');
    await owner.getByRole('button', { name: 'Create list' }).click();
    // Creating a list opens it.
    await owner.waitForURL(/\/lists\/[0-9a-f-]{36}$/);
    await owner.getByLabel('What do you need?').fill('2 milk');
    await owner.getByRole('button', { name: 'Add', exact: true }).click();
    await owner.getByText(/milk/).first().waitFor();

    // The member sees it and adds to it; the owner sees the member's addition.
    await member.goto('/lists');
    await member.goto((await member.getByRole('link', { name: 'Open Family shopping' }).getAttribute('href'))!);
    await member.getByText(/milk/).first().waitFor();
    await member.getByLabel('What do you need?').fill('bread');
    await member.getByRole('button', { name: 'Add', exact: true }).click();
    await member.getByText(/bread/).first().waitFor();
    await owner.reload();
    await owner.getByText(/bread/).first().waitFor();

    // The owner does not see the member's private note.
    await owner.goto('/notes');
    await owner.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    await owner.waitForLoadState('networkidle');
    expect(await owner.getByText('Dana secret diary').count()).toBe(0);

    // The members page in Hebrew, right to left, passes axe too.
    await owner.goto('/family');
    await owner.getByRole('heading', { name: /Family: / }).waitFor();
    await member.goto('/family');
    await member.getByRole('heading', { name: /Family: / }).waitFor();
    expect(await seriousA11yViolations(member)).toEqual([]);
    await screenshot(member, 'family-member-view-mobile');
    await memberCtx.close();
    await ownerCtx.close();
  });
});
