import type { APIRequestContext, Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from '../server/test/figures';
import { launchBrowser, newContext, uniqueEmail } from './browser';

/**
 * The stored-XSS corpus: payloads go in through every field a person or an agent can fill (task
 * titles and notes, an approved suggestion as edited, a rejection reason, the person's name, a file's
 * name, a notification an agent sends, notes in Markdown, a list and its items, reminders, contacts,
 * calendar events, an invoice and its lines, expenses), and every page that shows them is opened in Chromium. Must
 * hold: the text shows as text, no script runs, no element carries an injected handler or a
 * `javascript:` address, and the page raises no Content-Security-Policy violation.
 */

const CORPUS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=1</script>',
  '"><svg onload=window.__xss=1>',
  '\'><iframe srcdoc="<script>parent.__xss=1</script>">',
  'javascript:window.__xss=1',
  '[click me](javascript:window.__xss=1)',
  '<a href="javascript:window.__xss=1">link</a>',
  '{{constructor.constructor("window.__xss=1")()}}',
  '<details open ontoggle=window.__xss=1>',
  '<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>',
  '\u202Eevil\u202C <b>bold</b> &lt;escaped&gt;',
];

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function api(req: APIRequestContext, csrf: string, method: string, url: string, data?: unknown) {
  const res = await req.fetch(url, { method, headers: { 'x-csrf-token': csrf }, ...(data !== undefined ? { data } : {}) });
  if (res.status() >= 400) throw new Error(`${method} ${url} → ${res.status()} ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
}

async function until<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a script injected into the page would leave behind. */
async function injected(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const w = window as unknown as { __xss?: unknown; __csp?: string[] };
    if (w.__xss) out.push('a payload ran (window.__xss is set)');
    for (const v of w.__csp ?? []) out.push(`CSP violation: ${v}`);
    for (const el of Array.from(document.querySelectorAll('*'))) {
      for (const a of Array.from(el.attributes)) {
        if (/^on/i.test(a.name)) out.push(`<${el.tagName.toLowerCase()} ${a.name}>`);
        if (/^(href|src|action|formaction|xlink:href)$/i.test(a.name) && /^\s*javascript:/i.test(a.value))
          out.push(`<${el.tagName.toLowerCase()} ${a.name}="${a.value}">`);
      }
      if (el.tagName === 'SCRIPT' && !(el as HTMLScriptElement).src) out.push('an inline <script>');
      if (el.tagName === 'IFRAME' && !el.hasAttribute('sandbox')) out.push('an <iframe> without sandbox');
      if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') out.push('an injected <img src=x>');
    }
    return out;
  });
}

describe('stored XSS', () => {
  it('shows every payload as text on every page that renders it, and runs none', async () => {
    const context = await newContext(browser, { mobile: false });
    // Recorded before any script of the page runs: CSP violations and the payloads' marker.
    await context.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        w.__csp.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`),
      );
    });
    const dialogs: string[] = [];
    const req = context.request;
    const signUp = await req.post('/api/v1/auth/sign-up', {
      data: { email: uniqueEmail('xss'), password: 'a long family password', displayName: CORPUS[0] },
    });
    expect(signUp.status()).toBe(201);
    const csrf = ((await signUp.json()) as { session: { csrfToken: string } }).session.csrfToken;

    // Tasks whose titles and notes are the corpus.
    const tasks: Array<{ id: string }> = [];
    for (const p of CORPUS) tasks.push(await api(req, csrf, 'POST', '/api/v1/tasks', { title: p, notes: `notes: ${p}` }));
    // An agent's notification carries a task title: completing a task makes "Well done" say "Done: <title>".
    const inst = (await api(req, csrf, 'POST', '/api/v1/packs/starter/install', {
      settings: {},
      grantedScopes: ['tasks:read', 'tasks:write', 'notify'],
    })) as { agents: Array<{ id: string; key: string }> };
    await api(req, csrf, 'PATCH', `/api/v1/tasks/${tasks[1]!.id}`, { status: 'done' });
    await until(async () => {
      const n = (await (await req.get('/api/v1/notifications')).json()) as { items: Array<{ title: string }> };
      return n.items.find((i) => i.title.startsWith('Done: ')) ?? undefined;
    }, 'the notification of the finished task');
    // Suggestions: one approved as edited with a payload title, one rejected with a payload reason.
    const welcome = inst.agents.find((a) => a.key === 'welcome-task')!;
    for (let i = 0; i < 2; i++) await api(req, csrf, 'POST', `/api/v1/agents/${welcome.id}/runs`, {});
    const pending = await until(async () => {
      const s = (await (await req.get('/api/v1/suggestions')).json()) as {
        items: Array<{ id: string; actionHash: string; action: Record<string, unknown> }>;
      };
      return s.items.length >= 2 ? s.items : undefined;
    }, 'two suggestions');
    await api(req, csrf, 'POST', `/api/v1/suggestions/${pending[0]!.id}/approve`, {
      hash: pending[0]!.actionHash,
      action: { ...pending[0]!.action, title: CORPUS[2], notes: CORPUS[3] },
    });
    await api(req, csrf, 'POST', `/api/v1/suggestions/${pending[1]!.id}/reject`, { reason: CORPUS[5] });
    // A file whose name is a payload.
    const upload = await req.post('/api/v1/files', {
      headers: { 'x-csrf-token': csrf },
      multipart: { file: { name: `${CORPUS[2]}.txt`, mimeType: 'text/plain', buffer: Buffer.from(CORPUS.join('\n')) } },
    });
    expect(upload.status(), await upload.text()).toBe(201);

    // The apps: notes (Markdown), a list and its items, reminders, contacts, calendar events, invoices, expenses.
    const soon = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    const today = new Date().toISOString().slice(0, 10);
    for (const p of CORPUS) {
      await api(req, csrf, 'POST', '/api/v1/notes', { title: p, body: `# ${p}\n\n${p}\n\n- ${p}` });
      await api(req, csrf, 'POST', '/api/v1/reminders', { title: p, notes: p, dueAt: soon(24) });
      await api(req, csrf, 'POST', '/api/v1/contacts', { name: p, company: p, notes: p });
      await api(req, csrf, 'POST', '/api/v1/calendar/events', { title: p, location: p, notes: p, startsAt: soon(2), endsAt: soon(3) });
      await api(req, csrf, 'POST', '/api/v1/expenses', { spentOn: today, merchant: p, note: p, amount: 1234, currency: 'USD' });
    }
    await api(req, csrf, 'POST', '/api/v1/invoices', {
      clientName: CORPUS[0],
      clientDetails: CORPUS[2],
      notes: CORPUS[3],
      lines: CORPUS.map((p) => ({ description: p, quantity: '1', unitPrice: 100 })),
    });
    const list = (await api(req, csrf, 'POST', '/api/v1/lists', { name: CORPUS[2], kind: 'shopping' })) as { id: string };
    await api(req, csrf, 'POST', `/api/v1/lists/${list.id}/items`, { items: CORPUS.map((name) => ({ name, unit: 'x' })) });

    const page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const visited: string[] = [];
    const problems: string[] = [];
    const visit = async (path: string) => {
      if (visited.includes(path)) return;
      visited.push(path);
      await page.goto(path);
      await page.getByRole('main').waitFor();
      await page.waitForLoadState('networkidle');
      for (const p of await injected(page)) problems.push(`${path}: ${p}`);
    };
    for (const path of [
      '/',
      '/tasks',
      '/suggestions',
      '/notifications',
      '/activity',
      '/runs',
      '/agents',
      '/packs',
      '/files',
      '/settings',
      '/notes',
      '/lists',
      `/lists/${list.id}`,
      '/reminders',
      '/contacts',
      '/calendar',
      '/invoices',
      '/expenses',
    ])
      await visit(path);
    // The pages say the payloads as text.
    const unseen: string[] = [];
    for (const path of ['/tasks', '/contacts', '/expenses', `/lists/${list.id}`]) {
      await page.goto(path);
      await page.getByRole('main').waitFor();
      await page.waitForLoadState('networkidle');
      for (const p of CORPUS.filter((_, i) => i !== 1)) if (!(await page.getByText(p).count())) unseen.push(`${path}: ${p}`);
    }
    expect(unseen).toEqual([]);
    // Every page the navigation offers, and every detail page linked from the lists.
    const navLinks = await page.locator('nav a[href^="/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    for (const href of navLinks) await visit(href);
    for (const list of ['/runs', '/agents', '/packs']) {
      await page.goto(list);
      await page.getByRole('main').waitFor();
      await page.waitForLoadState('networkidle');
      const details = await page
        .getByRole('main')
        .locator('a[href^="/"]')
        .evaluateAll((as) => as.map((a) => a.getAttribute('href')!).filter((h) => /^\/(runs|agents|packs|installations)\/[^/]+$/.test(h)));
      for (const href of details.slice(0, 5)) await visit(href);
    }
    recordFigures('stored XSS', { payloads: CORPUS.length, 'pages opened': visited.length }, problems.length + dialogs.length);
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(visited.length).toBeGreaterThan(12);
    console.log(
      `stored XSS: ${CORPUS.length} payloads through 20 kinds of field, ${visited.length} pages opened, ${problems.length} problems`,
    );
    await context.close();
  });
});
