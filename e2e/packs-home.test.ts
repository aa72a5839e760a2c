import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, newContext, screenshot, seriousA11yViolations, uniqueEmail } from './browser';

// A new person on Free tries the sample data, installs Inbox & Day and approves what it proposes;
// then, on Personal Pro (set by an operator with `csme admin plan`), Family Hub: a shopping list
// written in plain words, a reminder, and the week's calendar with its clash.

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function check(page: Page, shot: string) {
  expect(await seriousA11yViolations(page)).toEqual([]);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, shot);
}

async function openNav(page: Page, name: string | RegExp) {
  await page.getByRole('button', { name: /^Menu/ }).click();
  await page.getByRole('navigation').getByRole('link', { name }).click();
}

function setPlan(email: string, plan: 'free' | 'pro') {
  const { root, dataDir } = inject('e2e');
  const r = spawnSync(process.execPath, [join(root, 'server/bin/csme.js'), 'admin', 'plan', email, plan], {
    cwd: root,
    env: { ...process.env, CSME_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`csme admin plan failed: ${r.stderr}`);
}

describe('the home packs on sample data', () => {
  it('Free: sample data, Inbox & Day, a suggestion approved; Personal Pro: Family Hub, a shopping list in plain words and a reminder', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const email = uniqueEmail('noa');
    await page.goto('/sign-up');
    await page.getByLabel('Your name').fill('Noa Cohen');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a long family password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Hello, Noa Cohen' }).waitFor();

    // First sign-in: the sample data is one click away.
    await page.getByRole('heading', { name: 'Try it with sample data' }).waitFor();
    await check(page, 'home-packs-try-demo-mobile');
    await page.getByRole('button', { name: 'Try it with sample data' }).click();
    await page.getByText('The sample data is here.', { exact: false }).waitFor({ timeout: 30_000 });
    await page.getByText(/This space holds sample data \(10 messages, 6 calendar events/).waitFor();
    await check(page, 'home-packs-demo-added-mobile');

    // Inbox & Day through its consent screen: three agents on (the Free plan's limit).
    await page.getByRole('link', { name: 'Browse packs' }).first().click();
    await page.getByRole('link', { name: 'See and install Inbox & Day' }).click();
    await page.getByRole('heading', { name: 'What Inbox & Day asks for' }).waitFor();
    await check(page, 'home-packs-inbox-day-consent-mobile');
    await page.getByRole('button', { name: 'Allow and install' }).click();
    await page.getByText('Inbox & Day is installed.').waitFor();
    await check(page, 'home-packs-inbox-day-installed-mobile');

    // Triage the sample inbox now, then approve the task it proposes for Dana's request.
    await page.getByRole('button', { name: 'Run now: Inbox triage' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    await page.getByRole('heading', { name: 'What it proposed' }).waitFor({ timeout: 60_000 });
    await check(page, 'home-packs-triage-run-mobile');
    await page.getByRole('link', { name: 'Open the inbox' }).click();
    const card = page.getByRole('article', {
      name: 'Create a task: Could you review the budget draft and send me your comments by Friday?',
    });
    await card.waitFor();
    await page.getByRole('article', { name: 'Move a message to Newsletters' }).waitFor();
    await check(page, 'home-packs-inbox-mobile');
    await card
      .getByRole('button', { name: /^Approve/ })
      .first()
      .click();
    const approved = page.getByRole('article', { name: /Could you review the budget draft/ });
    await approved.getByText('Done.').waitFor({ timeout: 30_000 });
    await approved.getByRole('link', { name: 'See it in Tasks' }).click();
    await page.getByRole('heading', { name: 'Tasks', exact: true }).waitFor();
    await page
      .getByRole('list', { name: 'To do' })
      .getByRole('listitem')
      .filter({ hasText: 'Could you review the budget draft' })
      .getByText('Added by an agent')
      .waitFor();
    await check(page, 'home-packs-tasks-mobile');

    // Personal Pro: a second pack fits. Family Hub, with all four agents.
    setPlan(email, 'pro');
    await openNav(page, 'Packs');
    await page.getByRole('link', { name: 'See and install Family Hub' }).click();
    await page.getByRole('heading', { name: 'What Family Hub asks for' }).waitFor();
    await page.getByRole('button', { name: 'Allow and install' }).click();
    await page.getByText('Family Hub is installed.').waitFor();
    await check(page, 'home-packs-family-hub-installed-mobile');

    // The family shopping list: plain words in, items by aisle out; the same item twice adds up.
    await openNav(page, 'Lists');
    await page.getByRole('heading', { name: 'Lists', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Open Family shopping' }).click();
    await page.getByRole('heading', { name: 'Family shopping' }).waitFor();
    await page.getByLabel('What do you need?').fill('2 litres of orange juice, a jar of honey and 1 litre of milk');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('Added 2 items. 1 was already on the list: the amounts were added up.').waitFor();
    const drinks = page.getByRole('list', { name: 'Drinks' });
    await drinks.getByText('orange juice').waitFor();
    await page.getByRole('list', { name: 'Dairy and eggs' }).getByText('3 l').waitFor();
    await page.getByText('Not on the list right now:').waitFor();
    await check(page, 'home-packs-shopping-list-mobile');
    await page.getByRole('button', { name: 'Add them all' }).click();
    await page.getByText('Mark an item as a staple', { exact: false }).waitFor();

    // A reminder in plain words, said back with its repeat.
    await openNav(page, 'Reminders');
    await page.getByRole('heading', { name: 'Reminders', exact: true }).waitFor();
    await page.getByLabel('What, when, and for whom').fill('remind me to water the plants every Friday at 6pm');
    await page.getByRole('button', { name: 'Add reminder' }).click();
    await page.getByText(/Added: “Water the plants”, .* · Every Friday at 18:00\./).waitFor();
    await page.getByRole('list', { name: 'Coming up' }).getByText('Water the plants', { exact: true }).waitFor();
    await check(page, 'home-packs-reminders-mobile');

    // The week: the sample calendar with its clash marked.
    await openNav(page, 'Calendar');
    await page.getByRole('heading', { name: 'Calendar', exact: true }).waitFor();
    await page
      .getByText(/clash(es)? this week/)
      .first()
      .waitFor();
    await check(page, 'home-packs-calendar-mobile');

    // Notes render Markdown safely.
    await openNav(page, 'Notes');
    await page.getByRole('heading', { name: 'Ideas for the weekend' }).waitFor();
    await page.getByRole('heading', { name: 'Saturday' }).waitFor();
    await check(page, 'home-packs-notes-mobile');

    // The sample data goes in one click; what the agents made stays.
    await openNav(page, 'Home');
    await page.getByRole('button', { name: 'Remove the sample data' }).click();
    await page.getByRole('button', { name: 'Yes, remove it' }).click();
    await page.getByText('The sample data is gone.').waitFor({ timeout: 30_000 });
    await check(page, 'home-packs-demo-removed-mobile');
    await openNav(page, 'Tasks');
    await page
      .getByRole('list', { name: 'To do' })
      .getByText('Could you review the budget draft and send me your comments by Friday?', { exact: true })
      .waitFor();
    await context.close();
  });

  it('on a desktop, in Hebrew: the calendar week and the shopping list read right to left', async () => {
    const context = await newContext(browser, { mobile: false });
    const page = await context.newPage();
    await page.goto('/sign-up');
    await page.getByLabel('Your name').fill('Dana Levi');
    await page.getByLabel('Email').fill(uniqueEmail('dana'));
    await page.getByLabel('Password').fill('a long family password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Hello, Dana Levi' }).waitFor();
    await page.getByRole('button', { name: 'Try it with sample data' }).click();
    await page.getByText('The sample data is here.', { exact: false }).waitFor({ timeout: 30_000 });
    await page.getByRole('combobox', { name: 'Language' }).selectOption('he');
    await page.getByRole('heading', { name: 'נתונים לדוגמה' }).waitFor();
    await check(page, 'home-packs-home-hebrew-desktop');
    await page.getByRole('navigation').getByRole('link', { name: 'יומן', exact: true }).click();
    await page.getByRole('heading', { name: 'יומן', exact: true }).waitFor();
    await page.locator('.event').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await check(page, 'home-packs-calendar-hebrew-desktop');
    await page.getByRole('navigation').getByRole('link', { name: 'רשימות', exact: true }).click();
    await page.getByRole('link', { name: 'לפתוח את Family shopping' }).click();
    await page.getByRole('heading', { name: 'לקנות' }).waitFor();
    await check(page, 'home-packs-list-hebrew-desktop');
    await context.close();
  });
});
