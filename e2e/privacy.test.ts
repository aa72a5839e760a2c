import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, screenshot, seriousA11yViolations, uniqueEmail } from './browser';

// "Your data, all of it, out or gone", as a person does it: ask for an export, watch it, download it
// once; ask to delete the account, change one's mind, ask again.

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

/** The entries of a ZIP file, read from its central directory (names and their bytes, inflated). */
function unzip(buf: Buffer): Map<string, Buffer> {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a ZIP file: no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('broken central directory');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    out.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

describe('privacy in the browser', () => {
  it('a person exports their data and downloads it once, asks to delete the account, cancels, and asks again', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const email = uniqueEmail('noa');
    const password = 'a long private password';
    await page.goto('/sign-up');
    await page.getByLabel('Your name').fill('Noa Privacy');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Hello, Noa Privacy' }).waitFor();

    await page.getByRole('button', { name: /^Menu/ }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Privacy', exact: true }).click();
    await page.getByRole('heading', { name: 'Privacy', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'No exports yet' }).waitFor();
    await page.getByRole('heading', { name: 'No patterns of your own' }).waitFor();
    await check(page, 'privacy-empty-mobile');

    // Ask for an export. The list is held back once, so that the page is seen with the export's progress
    // as the server first answered it (queued), whatever the worker's speed; then it is let through.
    const held: Route[] = [];
    let holding = true;
    const hold = (route: Route) => (holding && route.request().method() === 'GET' ? held.push(route) : route.continue());
    await page.route('**/api/v1/privacy/exports', hold);
    await page.getByRole('button', { name: 'Ask for an export' }).click();
    const progress = page.getByRole('progressbar', { name: 'Export progress' });
    await progress.waitFor();
    await page.getByText('Waiting its turn').waitFor();
    expect(await progress.getAttribute('aria-valuenow')).toBe('0');
    await check(page, 'privacy-export-progress-mobile');
    holding = false;
    for (const r of held) await r.continue();
    await page.unroute('**/api/v1/privacy/exports', hold);
    const download = page.getByRole('button', { name: /^Download/ });
    await download.waitFor({ timeout: 60_000 });
    await page.getByText('Ready', { exact: true }).waitFor();
    expect(await progress.count()).toBe(0);

    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    expect(file.suggestedFilename()).toMatch(/^connectsoft-me-export-\d{4}-\d{2}-\d{2}\.zip$/);
    const zip = unzip(readFileSync((await file.path())!));
    const manifest = JSON.parse(zip.get('manifest.json')!.toString('utf8'));
    expect(manifest.format).toBe('connectsoft.me export');
    expect(manifest.formatVersion).toBe(1);
    expect(manifest.accountId).toBeTruthy();
    expect([...zip.keys()]).toContain('data/account.jsonl');
    expect(zip.get('data/account.jsonl')!.toString('utf8')).toContain(email);
    // The link worked once.
    expect((await page.request.get(file.url())).status()).toBe(404);
    // The server noted the download before it answered: the page, opened again, says so.
    await page.reload();
    await page.getByText(/^Downloaded /).waitFor();

    // What a deletion would take, in words rather than table names.
    await page.getByText('What would be deleted and kept').click();
    await page.getByText('Your account: 1', { exact: true }).waitFor();
    await page.getByText(/^Spaces: \d+$/).waitFor();

    // Ask to delete the account: the password, the grace period, the report link; then cancel.
    await page.getByLabel('Your password').fill(password);
    await page.getByLabel(/^I understand/).check();
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByText(/^Your account will be deleted /).waitFor();
    await page.getByText(/Time left to cancel: in 7 days\./).waitFor();
    const reportUrl = await page.getByLabel('The deletion report').inputValue();
    expect(reportUrl).toMatch(/\/deletion-report\/[A-Za-z0-9_-]{20,}$/);
    await check(page, 'privacy-deletion-scheduled-mobile');
    await page.getByRole('button', { name: 'Cancel the deletion' }).click();
    await page.getByText('The deletion is cancelled. Nothing was deleted.').waitFor();

    // And again.
    await page.getByLabel('Your password').fill(password);
    await page.getByLabel(/^I understand/).check();
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByText(/^Your account will be deleted /).waitFor();
    await page.getByRole('button', { name: 'Cancel the deletion' }).waitFor();
    const secondReportUrl = await page.getByLabel('The deletion report').inputValue();
    expect(secondReportUrl).not.toBe(reportUrl);

    // The report link answers, signed out too; until the deletion is done it says so.
    const other = await newContext(browser);
    const reader = await other.newPage();
    await reader.goto(new URL(reportUrl).pathname);
    await reader.getByRole('heading', { name: 'Deletion report' }).waitFor();
    await reader.getByText('This deletion was cancelled: nothing was deleted.').waitFor();
    await reader.goto(new URL(secondReportUrl).pathname);
    await reader.getByText(/has not finished yet \(scheduled\)/).waitFor();
    await check(reader, 'privacy-deletion-report-pending-mobile');
    await other.close();

    // The same page in Hebrew, right to left.
    await page.getByRole('button', { name: /^Menu/ }).click();
    await page.getByRole('combobox', { name: 'Language' }).selectOption('he');
    await page.getByRole('heading', { name: 'פרטיות', exact: true }).waitFor();
    await page.getByRole('button', { name: 'לבטל את המחיקה' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await check(page, 'privacy-hebrew-mobile');
    await context.close();
  });
  it('a person sees what a pack may do, keeps it local, takes its permissions back and gives them again, and adds a redaction pattern', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto('/sign-up');
    await page.getByLabel('Your name').fill('Ari Private');
    await page.getByLabel('Email').fill(uniqueEmail('ari'));
    await page.getByLabel('Password').fill('a long private password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Hello, Ari Private' }).waitFor();
    await page.getByRole('button', { name: /^Menu/ }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Packs' }).click();
    await page.getByRole('link', { name: 'See and install Getting started' }).click();
    await page.getByRole('button', { name: 'Allow and install' }).click();
    await page.getByText('Getting started is installed.').waitFor();

    await page.getByRole('button', { name: /^Menu/ }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Privacy', exact: true }).click();
    const card = page.locator('article').filter({ hasText: 'Getting started' });
    await card.getByText('Create and complete tasks').waitFor();
    await card.getByText('See your tasks').waitFor();
    await check(page, 'privacy-pack-mobile');

    await card.getByRole('switch', { name: 'Local engine only' }).click();
    await card.getByRole('switch', { name: 'Local engine only', checked: true }).waitFor();
    const details = card.getByRole('switch', { name: /^Keep step details of / }).first();
    expect(await details.getAttribute('aria-checked')).toBe('true');
    await details.click();
    await card
      .getByRole('switch', { name: /^Keep step details of /, checked: false })
      .first()
      .waitFor();
    const history = card.getByRole('combobox', { name: /^Keep the history of / }).first();
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/privacy/agents/') && r.request().method() === 'PATCH' && r.ok()),
      history.selectOption('7'),
    ]);
    // Kept by the server: the page, opened again, shows the choices.
    await page.reload();
    await card.getByRole('switch', { name: 'Local engine only', checked: true }).waitFor();
    expect(
      await card
        .getByRole('combobox', { name: /^Keep the history of / })
        .first()
        .inputValue(),
    ).toBe('7');

    await card.getByRole('button', { name: 'Take back every permission Getting started' }).click();
    await card.getByRole('button', { name: 'Take them back' }).click();
    await card.getByText('Permissions taken back: the pack is paused.').waitFor();
    await card.getByText('No permissions: it cannot read or do anything until you allow it again.').waitFor();
    await card.getByText('Paused', { exact: true }).waitFor();
    await check(page, 'privacy-pack-revoked-mobile');
    await card.getByRole('button', { name: 'Allow again Getting started' }).click();
    await card.getByText('Active', { exact: true }).waitFor();
    await card.getByText('Create and complete tasks').waitFor();

    // A redaction pattern: a broken one is refused with the reason, a good one is listed and can go.
    await page.getByLabel('What it hides').fill('ID number');
    await page.getByLabel('Pattern (regular expression)').fill('(');
    await page.getByRole('button', { name: 'Add pattern' }).click();
    await page.getByRole('alert').filter({ hasText: 'not a valid regular expression' }).waitFor();
    await page.getByLabel('Pattern (regular expression)').fill('\\b\\d{9}\\b');
    await page.getByRole('button', { name: 'Add pattern' }).click();
    const mine = page.getByRole('list', { name: 'Your patterns' });
    await mine.getByText('\\b\\d{9}\\b').waitFor();
    await check(page, 'privacy-redaction-mobile');
    await mine.getByRole('button', { name: 'Remove ID number' }).click();
    await page.getByRole('heading', { name: 'No patterns of your own' }).waitFor();

    // Wide screen.
    await page.setViewportSize({ width: 1280, height: 860 });
    await check(page, 'privacy-pack-desktop');
    await context.close();
  });
});
