import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, newContext, screenshot, seriousA11yViolations, uniqueEmail } from './browser';

// The four prebuilt packs, as a new person meets them: on a Free space, one pack on the sample data and
// one approved suggestion; then, with the space on Personal Pro (set by an operator with
// `csme admin plan`), each of the other packs.

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const run = promisify(execFile);

/** `csme admin plan EMAIL pro` against the running instance, as an operator would type it. */
async function setPlan(email: string, plan: 'free' | 'pro') {
  const { root, dataDir } = inject('e2e');
  const r = await run(process.execPath, [join(root, 'server/bin/csme.js'), 'admin', 'plan', email, plan], {
    cwd: root,
    env: { ...process.env, CSME_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  });
  expect(r.stdout).toMatch(/is now on/);
}

async function check(page: Page, shot: string) {
  expect(await seriousA11yViolations(page)).toEqual([]);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, shot);
}

async function openNav(page: Page, name: string | RegExp) {
  await page.getByRole('button', { name: /^Menu/ }).click();
  await page.getByRole('navigation').getByRole('link', { name }).click();
}

async function install(page: Page, packName: string) {
  await openNav(page, 'Packs');
  await page.getByRole('link', { name: `See and install ${packName}` }).click();
  await page.getByRole('heading', { name: `What ${packName} asks for` }).waitFor();
  await page.getByRole('button', { name: 'Allow and install' }).click();
  await page.getByText(`${packName} is installed.`).waitFor();
}

/** Approves the suggestion with this title in the inbox and waits for its outcome. */
async function approve(page: Page, title: string | RegExp) {
  await openNav(page, /^Inbox/);
  const card = page.getByRole('article', { name: title });
  await card.waitFor({ timeout: 30_000 });
  await card
    .getByRole('button', { name: /^Approve/ })
    .first()
    .click();
  await card.getByText('Done.').waitFor({ timeout: 30_000 });
  return card;
}

const LECTURE = `The water cycle describes how water moves between the oceans, the air and the land.
Water evaporates from the oceans when the sun heats their surface.
The vapour rises, cools and condenses into clouds of tiny droplets.
When the droplets grow heavy they fall back as precipitation: rain, snow or hail.
Rivers carry much of that water back to the oceans, and some of it soaks into the ground as groundwater.
Plants return water to the air through transpiration from their leaves.
The Sun drives the whole cycle, and gravity brings the water back down.`;

describe('the prebuilt packs in the browser', () => {
  it('Study Buddy and Solo Back-office: material summarised and quizzed, cards reviewed, an invoice described and proposed', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const email = uniqueEmail('maya');
    await page.goto('/sign-up');
    await page.getByLabel('Your name').fill('Maya Levi');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a long student password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Hello, Maya Levi' }).waitFor();
    await setPlan(email, 'pro');

    // Study Buddy: upload material; the summary comes at once, the quiz cards wait for approval.
    await install(page, 'Study Buddy');
    await openNav(page, 'Study');
    await page.getByRole('heading', { name: 'Nothing to study yet' }).waitFor();
    await check(page, 'packs-study-empty-mobile');
    await page.locator('#study-upload').setInputFiles({ name: 'water-cycle.md', mimeType: 'text/markdown', buffer: Buffer.from(LECTURE) });
    const doc = page.getByRole('list', { name: 'Your study documents' }).getByRole('listitem').first();
    await doc.getByText(/evaporates from the oceans/).waitFor({ timeout: 30_000 });
    await check(page, 'packs-study-document-mobile');
    const cards = await approve(page, /^Add \d+ study cards from water-cycle$/);
    await check(page, 'packs-study-cards-approved-mobile');
    void cards;
    await openNav(page, 'Study');
    await page.getByRole('link', { name: /^Review \d+ cards$/ }).click();
    await page.getByRole('heading', { name: 'Review', exact: true }).waitFor();
    await page.getByRole('heading', { name: /^\d+ due, \d+ new$/ }).waitFor();
    const shown = page.getByRole('button', { name: 'Show the answer' });
    if (await shown.isVisible()) await shown.click();
    else await page.getByRole('group', { name: 'Choices' }).getByRole('button').first().click();
    await check(page, 'packs-study-review-mobile');
    await page.getByRole('button', { name: 'Good' }).click();
    await page.getByRole('heading', { name: 'Review', exact: true }).waitFor();

    // Solo Back-office: an invoice described in plain words is proposed, exact, to send on approval.
    await install(page, 'Solo Back-office');
    await openNav(page, 'Invoices');
    await page.getByRole('heading', { name: 'No invoices yet' }).waitFor();
    await page.getByLabel('What to bill, in plain words').fill('2 hours of design for Acme at $80/h, billing@acme.example, due in 14 days');
    await page.getByRole('button', { name: 'Prepare it to send' }).click();
    await page.getByText('Your Invoices agent is preparing it').waitFor();
    await check(page, 'packs-invoices-described-mobile');
    await openNav(page, /^Inbox/);
    const proposal = page.getByRole('article', { name: 'Send an invoice to Acme (billing@acme.example), PDF attached' });
    await proposal.waitFor({ timeout: 30_000 });
    await proposal.getByText(/Design \(hours\): 2 × \$80\.00 = \$160\.00/).waitFor();
    await check(page, 'packs-invoice-proposed-mobile');
    await openNav(page, 'Expenses');
    await page.getByRole('heading', { name: 'No expenses yet' }).waitFor();
    await check(page, 'packs-expenses-empty-mobile');

    // The same pages in Hebrew, right to left.
    await page.getByRole('button', { name: /^Menu/ }).click();
    await page.getByRole('combobox', { name: 'Language' }).selectOption('he');
    await page.getByRole('navigation').getByRole('link', { name: 'חשבוניות' }).click();
    await page.getByRole('heading', { name: 'חשבוניות', exact: true }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await check(page, 'packs-invoices-hebrew-mobile');
    await page.getByRole('button', { name: /^תפריט/ }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'לימודים' }).click();
    await page.getByRole('heading', { name: 'לימודים', exact: true }).waitFor();
    await check(page, 'packs-study-hebrew-mobile');
    await context.close();
  });
});
