import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addTestMailUser, startTestServices, type TestServices } from '../server/test/services/services';
import { baseUrl, launchBrowser, newContext, screenshot, seriousA11yViolations, uniqueEmail } from './browser';

// A person connects their email account (a real Dovecot started here, on 127.0.0.1) and watches the
// first sync's progress and the account's health. The operator puts exactly Dovecot's and the SMTP
// receiver's host:port on the egress allow list first, as the docs say.

let browser: Browser;
let services: TestServices;
let dir: string;
const MAIL_USER = `e2e${Date.now().toString(36)}@example.test`;
const MAIL_PASSWORD = 'e2e-app-password';

async function operatorSession(): Promise<{ cookie: string; csrf: string }> {
  const email = uniqueEmail('operator');
  const password = 'operator password long';
  const { root, dataDir } = inject('e2e');
  const r = spawnSync(process.execPath, [join(root, 'server/bin/csme.js'), 'admin', 'create', '--email', email, '--password-stdin'], {
    cwd: root,
    env: { ...process.env, CSME_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    input: password,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`csme admin create failed: ${r.stderr}`);
  const res = await fetch(`${baseUrl()}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await res.json()) as { session: { csrfToken: string } };
  return { cookie: String(res.headers.get('set-cookie')).split(';')[0]!, csrf: body.session.csrfToken };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'csme-e2e-mail-'));
  chmodSync(dir, 0o755);
  services = await startTestServices(dir);
  addTestMailUser(services.info, MAIL_USER, MAIL_PASSWORD);
  // Some mail already in the inbox, written as a Maildir.
  const box = join(dir, 'mail', MAIL_USER);
  for (const sub of ['cur', 'new', 'tmp']) {
    mkdirSync(join(box, sub), { recursive: true });
    chmodSync(join(box, sub), 0o777);
  }
  chmodSync(box, 0o777);
  for (let i = 0; i < 40; i++)
    writeFileSync(
      join(box, 'cur', `${1_700_000_000 + i}.M${i}P1.e2e:2,`),
      `From: School <office@school.example>\r\nTo: ${MAIL_USER}\r\nSubject: Newsletter ${i}\r\nMessage-ID: <e2e-${i}@school.example>\r\nDate: Mon, 02 Mar 2026 08:00:00 +0000\r\n\r\nNews number ${i}.\r\n`,
      { mode: 0o666 },
    );
  const op = await operatorSession();
  const put = await fetch(`${baseUrl()}/api/v1/admin/settings/egress`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', cookie: op.cookie, 'x-csrf-token': op.csrf },
    body: JSON.stringify({
      value: {
        allow: [
          { host: services.info.imap.host, port: services.info.imap.port },
          { host: services.info.smtp.host, port: services.info.smtp.port },
        ],
      },
    }),
  });
  if (!put.ok) throw new Error(`could not set the allow list: ${put.status} ${await put.text()}`);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await services?.stop();
  // Dovecot may still be writing its state as it stops: retry, and never fail the journey over cleanup.
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch {
    // left in the temp folder
  }
});

describe('connecting an email account', () => {
  it('tests the connection, connects, and shows the first sync and the account’s health', async () => {
    const context = await newContext(browser, { mobile: false });
    const page = await context.newPage();
    await page.goto('/sign-up');
    await page.getByLabel('Your name').fill('Noa Cohen');
    await page.getByLabel('Email').fill(uniqueEmail('noa'));
    await page.getByLabel('Password').fill('a long family password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Hello, Noa Cohen' }).waitFor();

    await page.getByRole('navigation').getByRole('link', { name: 'Connected accounts' }).click();
    await page.getByRole('heading', { name: 'Nothing connected yet' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Connect an account' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('Home mail');
    await page.getByLabel('Incoming server (IMAP)').fill(services.info.imap.host);
    await page.getByLabel('Port').first().fill(String(services.info.imap.port));
    await page.getByLabel('Security').first().selectOption('none');
    await page.getByLabel('Outgoing server (SMTP)').fill(services.info.smtp.host);
    await page.getByLabel('Port').nth(1).fill(String(services.info.smtp.port));
    await page.getByLabel('Security').nth(1).selectOption('none');
    await page.getByLabel('User name', { exact: true }).fill(MAIL_USER);

    // A wrong password is explained, and nothing is saved.
    await page.getByLabel('Password or app password').fill('not the password');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('did not accept the user name and password', { exact: false }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Password or app password').fill(MAIL_PASSWORD);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('It works.').waitFor({ timeout: 30_000 });
    await page.getByText('40 messages in the inbox', { exact: false }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'connectors-test-connection');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();

    const card = page.getByRole('article').filter({ hasText: 'Home mail' });
    await card.getByText('Up to date').waitFor({ timeout: 30_000 });
    await card.getByText('Last successful sync:', { exact: false }).waitFor();
    await card.getByText('Active').waitFor();
    expect(await page.content()).not.toContain(MAIL_PASSWORD);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'connectors-health');

    // Files: the upload page teaches what it is for.
    await page.getByRole('navigation').getByRole('link', { name: 'Files' }).click();
    await page.getByRole('heading', { name: 'No files yet' }).waitFor();
    await page
      .locator('#file-upload')
      .setInputFiles({ name: 'plan.md', mimeType: 'text/markdown', buffer: Buffer.from('# Study plan\n\nChapter 1 on Monday.\n') });
    await page.getByText('plan.md').waitFor();
    await page.getByText('characters of text', { exact: false }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'connectors-files');
    await context.close();
  });
});
