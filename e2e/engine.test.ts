import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, screenshot, seriousA11yViolations, uniqueEmail } from './browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function signUp(page: Page, name: string) {
  await page.goto('/sign-up');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(uniqueEmail(name.split(' ')[0]!.toLowerCase()));
  await page.getByLabel('Password').fill('a long family password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: `Hello, ${name}` }).waitFor();
}

/** Checks the page with axe and saves a screenshot of it. */
async function check(page: Page, shot: string) {
  expect(await seriousA11yViolations(page)).toEqual([]);
  // From the top: a full-page shot of a scrolled page paints the sticky top bar in the middle.
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, shot);
}

async function openNav(page: Page, name: string | RegExp, mobile: boolean) {
  if (mobile) await page.getByRole('button', { name: /^Menu/ }).click();
  await page.getByRole('navigation').getByRole('link', { name }).click();
}

describe('the run engine in the browser, on a Free space', () => {
  it('installs the starter pack through the consent screen, runs an agent, approves its suggestion, and finds the task and the log', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signUp(page, 'Noa Cohen');

    // Nothing installed: the home page says how to start.
    await page.getByRole('heading', { name: 'Get started: install your first pack' }).waitFor();
    await check(page, 'engine-home-mobile');
    await page.getByRole('link', { name: 'Browse packs' }).click();

    // The catalog, then the pack's consent screen with exactly its scopes.
    await page.getByRole('heading', { name: 'Packs', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Getting started' }).waitFor();
    await check(page, 'engine-packs-mobile');
    await page.getByRole('link', { name: 'See and install Getting started' }).click();
    await page.getByRole('heading', { name: 'What Getting started asks for' }).waitFor();
    const scopes = page.getByRole('list', { name: 'What it may do' }).getByRole('listitem');
    await expect(scopes.allTextContents()).resolves.toEqual([
      expect.stringContaining('See your tasks'),
      expect.stringContaining('Create and complete tasks'),
      expect.stringContaining('Send you notifications'),
    ]);
    // The settings form comes from the pack's JSON Schema, with its default; a bad time is refused on the field.
    const time = page.getByLabel('Time of the morning digest');
    await expect(time.inputValue()).resolves.toBe('08:00');
    await time.fill('25:99');
    await page.getByRole('button', { name: 'Allow and install' }).click();
    await page.getByText('This is not in the expected form; see the hint.').waitFor();
    await check(page, 'engine-consent-mobile');
    await time.fill('07:30');
    await page.getByRole('button', { name: 'Allow and install' }).click();

    // Installed: three agents on, the webhook one held for a paid plan.
    await page.getByText('Getting started is installed.').waitFor();
    await page.getByText('One agent stays off for now: see why below.').waitFor();
    await page.getByText(/Off: it needs a plan with all connectors/).waitFor();
    await check(page, 'engine-installation-mobile');

    // Run "Suggest a first task" now: its run page follows it to the end, with its steps.
    await page.getByRole('button', { name: 'Run now: Suggest a first task' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    await page.getByRole('heading', { name: 'Run of Suggest a first task' }).waitFor();
    await page.getByRole('heading', { name: 'What it proposed' }).waitFor({ timeout: 30_000 });
    const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
    await steps.filter({ hasText: /tasks\.create.*Done/ }).waitFor();
    await expect(steps.count()).resolves.toBe(1);
    await page.getByText('What it produced').click();
    await page.locator('details[open] pre').first().waitFor();
    await check(page, 'engine-run-mobile');

    // The inbox: the count in the menu, the exact action, edit before approving.
    await page.getByRole('link', { name: 'Open the inbox' }).click();
    await page.getByRole('heading', { name: 'One waits for you' }).waitFor();
    await page.getByRole('button', { name: /^Menu.*one waiting for you/ }).waitFor();
    const card = page.getByRole('article', { name: 'Create a task: Connect your email so your agents can help with it' });
    const action = card.getByRole('region', { name: 'What exactly' });
    await action.getByText('Open Connectors and add your mailbox with an app password.').waitFor();
    await action.getByText('Normal').waitFor();
    await check(page, 'engine-inbox-mobile');
    await card.getByRole('button', { name: 'Edit before approving' }).click();
    await card.getByLabel('Title').fill('Connect the work mailbox');
    await card.getByLabel('Priority').selectOption('high');
    await screenshot(page, 'engine-inbox-edit-mobile');
    await card.getByRole('button', { name: 'Approve as edited' }).click();
    // It is now named after what was approved, and stays in view with its outcome.
    const approved = page.getByRole('article', { name: 'Create a task: Connect the work mailbox' });
    await approved.getByText('Done.').waitFor({ timeout: 30_000 });
    await check(page, 'engine-inbox-approved-mobile');
    await approved.getByRole('link', { name: 'See it in Tasks' }).click();

    // The task it created, marked as added by an agent.
    await page.getByRole('heading', { name: 'Tasks', exact: true }).waitFor();
    const task = page.getByRole('list', { name: 'To do' }).getByRole('listitem').filter({ hasText: 'Connect the work mailbox' });
    await task.getByText('Added by an agent').waitFor();
    await task.getByText('High').waitFor();
    await check(page, 'engine-tasks-mobile');

    // The activity log has each step of it, and its chain checks out.
    await openNav(page, 'Activity', true);
    await page.getByRole('heading', { name: 'Activity log' }).waitFor();
    const log = page.getByRole('list', { name: 'Activity entries' });
    await log.getByText(/^Installed Getting started 1\.0\.0/).waitFor();
    await log.getByText('Proposed: Create a task: Connect your email so your agents can help with it').waitFor();
    await log.getByText(/^Approved with changes: /).waitFor();
    await log.getByText(/^Done: /).waitFor();
    await page.getByRole('button', { name: 'Check the log' }).click();
    await page.getByText(/The log is intact: all \d+ entries check out\./).waitFor();
    await check(page, 'engine-activity-mobile');

    // The agents page, with the schedule said in words and the next run in the person's time zone.
    await openNav(page, 'Agents', true);
    await page.getByRole('heading', { name: 'Agents', exact: true }).waitFor();
    await page.getByText('Every day at 07:30 (Europe/Berlin)').waitFor();
    await page.getByText(/^Next run /).waitFor();
    await check(page, 'engine-agents-mobile');

    // A second suggestion, read in Hebrew, right to left.
    await page.getByRole('button', { name: 'Run now: Suggest a first task' }).click();
    await page.getByRole('heading', { name: 'What it proposed' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: /^Menu/ }).click();
    await page.getByRole('combobox', { name: 'Language' }).selectOption('he');
    await page.getByRole('link', { name: 'לתיבת ההצעות' }).click();
    await page.getByRole('heading', { name: 'תיבת הצעות' }).waitFor();
    await page.getByRole('heading', { name: 'אחת מחכה לך' }).waitFor();
    await page.getByRole('button', { name: /^לאשר\s*: Create a task/ }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await check(page, 'engine-inbox-hebrew-mobile');
    await page.getByRole('button', { name: 'הסתיימו' }).click();
    await page.getByText('בוצע.').waitFor();
    await check(page, 'engine-inbox-done-hebrew-mobile');
    await page.getByRole('button', { name: /^תפריט/ }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'סוכנים' }).click();
    await page.getByRole('heading', { name: 'סוכנים', exact: true }).waitFor();
    await page.getByText('כל יום ב-07:30 (Europe/Berlin)').waitFor();
    await check(page, 'engine-agents-hebrew-mobile');
    await page.getByRole('link', { name: /הגדרות, השהיה או הסרה/ }).click();
    await page.getByRole('heading', { name: 'מה אישרת' }).waitFor();
    await check(page, 'engine-installation-hebrew-mobile');
    await context.close();
  });

  it('on a desktop: approves two suggestions at once and follows a run from the agent page', async () => {
    const context = await newContext(browser, { mobile: false });
    const page = await context.newPage();
    await signUp(page, 'Dana Levi');
    await openNav(page, 'Packs', false);
    await page.getByRole('link', { name: 'See and install Getting started' }).click();
    await page.getByRole('heading', { name: 'What Getting started asks for' }).waitFor();
    await check(page, 'engine-consent-desktop');
    await page.getByRole('button', { name: 'Allow and install' }).click();
    await page.getByText('Getting started is installed.').waitFor();
    await check(page, 'engine-installation-desktop');

    // Two runs from the agent's own page.
    await page.getByRole('link', { name: 'Suggest a first task' }).click();
    await page.getByRole('heading', { name: 'Suggest a first task' }).waitFor();
    await check(page, 'engine-agent-desktop');
    for (let i = 0; i < 2; i++) {
      await page.getByRole('button', { name: 'Run now: Suggest a first task' }).click();
      await page.getByRole('heading', { name: 'What it proposed' }).waitFor({ timeout: 30_000 });
      if (i === 0) await page.goBack();
    }
    await check(page, 'engine-run-desktop');

    await openNav(page, /^Inbox/, false);
    await page.getByRole('heading', { name: '2 wait for you' }).waitFor();
    await page.getByRole('button', { name: 'Select all' }).click();
    await page.getByText('2 selected', { exact: true }).waitFor();
    await check(page, 'engine-inbox-desktop');
    await page.getByRole('button', { name: 'Approve 2 selected' }).click();
    await page.getByText('Nothing waits for you').waitFor({ timeout: 30_000 });

    await openNav(page, 'Runs', false);
    await page.getByRole('heading', { name: 'Runs', exact: true }).waitFor();
    await page.getByRole('list', { name: 'Runs' }).getByRole('listitem').first().waitFor();
    await expect(page.getByRole('list', { name: 'Runs' }).getByRole('listitem').count()).resolves.toBe(2);
    await check(page, 'engine-runs-desktop');

    await openNav(page, 'Tasks', false);
    const created = page
      .getByRole('list', { name: 'To do' })
      .getByRole('listitem')
      .filter({ hasText: 'Connect your email so your agents can help with it' });
    await created.first().waitFor();
    await expect(created.count()).resolves.toBe(2);
    await check(page, 'engine-tasks-desktop');
    await context.close();
  });
});
