import { addCard, createDeck } from '@csme/contracts/cards';
import { createDemo } from '@csme/contracts/demo';
import { addDocument, makeDocumentCards } from '@csme/contracts/documents';
import { createExpense } from '@csme/contracts/expenses';
import { createClientInvoice } from '@csme/contracts/invoices';
import * as P from '@csme/contracts/packs';
import { runAgentNow } from '@csme/contracts/runs';
import { createTask } from '@csme/contracts/tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadFile } from './apps.js';
import { recordFigures } from './figures.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from './harness.js';

/**
 * The tenant isolation suite: a person in space A makes objects of every kind through the API; a
 * person in space B then replays every route with A's ids in the path, the query and the body.
 * Must hold: no answer in the 2xx range for any of A's objects (404, as if they did not exist), and
 * nothing of A's in any of B's answers.
 */

type Op = { method: string; path: string; params: string[]; body?: Record<string, unknown>; query: boolean };

let env: TestEnv;
let a: { client: TestClient; spaceId: string; accountId: string };
let b: { client: TestClient; spaceId: string; accountId: string };
let ops: Op[] = [];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const report = { attempts: 0, breaches: 0 };

/** Every id that appears in A's answers to the list and detail routes: A's objects of every kind. */
async function idsOf(client: TestClient): Promise<Set<string>> {
  const app = client.app;
  const ids = new Set<string>();
  for (const op of ops) {
    if (op.method !== 'GET') continue;
    if (op.params.length) continue;
    // A (the instance's first account) is an operator: the console lists everyone by design.
    if (op.path.startsWith('/api/v1/admin/')) continue;
    const res = await app.inject({ method: 'GET', url: op.path, headers: { cookie: client.cookie! } });
    if (res.statusCode !== 200) continue;
    for (const m of res.body.matchAll(UUID)) ids.add(m[0]);
  }
  return ids;
}

beforeAll(async () => {
  env = await createTestEnv();
  const app = await env.app();
  await env.worker();
  a = await signedUpClient(app, { name: 'Alice' });
  b = await signedUpClient(app, { name: 'Bob' });
  const doc = (await app.inject({ url: '/api/openapi.json' })).json() as {
    paths: Record<
      string,
      Record<
        string,
        { parameters?: Array<{ in: string; name: string }>; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }
      >
    >;
  };
  ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
      body: op.requestBody?.content?.['application/json']?.schema,
      query: (op.parameters ?? []).some((p) => p.in === 'query'),
    })),
  );
  // A fills their space: a pack, its agents, runs, a suggestion, a task, activity.
  const inst = await a.client.ok(P.installPack, {
    params: { packId: 'starter' },
    body: { settings: {}, grantedScopes: ['tasks:read', 'tasks:write', 'notify'] },
  });
  await a.client.ok(createTask, { body: { title: 'Alice private task' } });
  // The sample data: a mailbox, a calendar, a list with items, tasks, a reminder, a note, a file.
  await a.client.ok(createDemo);
  // The back office and study apps: an invoice, an expense, a study document with a deck and a card.
  await a.client.ok(createClientInvoice, {
    body: { clientName: 'Alice client', lines: [{ description: 'Work', quantity: '1', unitPrice: 100 }] },
  });
  await a.client.ok(createExpense, { body: { spentOn: '2026-03-01', merchant: 'Alice shop', amount: 100, currency: 'USD' } });
  const file = await uploadFile(a.client, 'alice-notes.txt', 'Alice studies the water cycle. Water evaporates. Clouds form. Rain falls.');
  const studied = await a.client.ok(addDocument, { body: { fileId: file.id } });
  await a.client.ok(makeDocumentCards, { params: { documentId: studied.id }, body: { count: 2 } });
  const deck = await a.client.ok(createDeck, { body: { name: 'Alice deck' } });
  await a.client.ok(addCard, { params: { deckId: deck.id }, body: { question: 'Alice question', answer: 'Alice answer' } });
  const welcome = inst.agents.find((x) => x.key === 'welcome-task')!;
  const run = await a.client.ok(runAgentNow, { params: { agentId: welcome.id }, body: {} });
  await eventually(
    async () => (await env.deps.db.selectFrom('suggestion').select('id').where('run_id', '=', run.id).executeTakeFirst()) ?? undefined,
    'the suggestion',
  );
  // B has a space of their own with the same kinds of objects.
  await b.client.ok(createDemo);
  await b.client.ok(P.installPack, {
    params: { packId: 'starter' },
    body: { settings: {}, grantedScopes: ['tasks:read', 'tasks:write', 'notify'] },
  });
});
afterAll(async () => {
  console.log(`tenant isolation suite: ${report.attempts} attempts, ${report.breaches} breaches`);
  recordFigures('tenant isolation', { attempts: report.attempts }, report.breaches);
  await env.close();
});

function fill(op: Op, id: string) {
  return op.path.replace(/\{([^}]+)\}/g, () => id);
}

/** A body that passes validation where it can, with A's id in every place an id may go. */
function bodyWith(schema: Record<string, unknown> | undefined, id: string): unknown {
  if (!schema) return undefined;
  const props = (schema.properties ?? {}) as Record<
    string,
    { type?: string; format?: string; pattern?: string; enum?: unknown[]; items?: unknown }
  >;
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(props)) {
    if (p.format === 'uuid' || /id$/i.test(k)) out[k] = id;
    else if (p.enum?.length) out[k] = p.enum[0];
    else if (p.type === 'string') out[k] = p.pattern?.includes('[0-9a-f]{64}') ? 'a'.repeat(64) : 'isolation';
    else if (p.type === 'boolean') out[k] = true;
    else if (p.type === 'array') out[k] = [id];
    else if (p.type === 'object') out[k] = {};
  }
  return out;
}

describe('tenant isolation', () => {
  it("lets another space neither read nor change any of a space's objects through any route", async () => {
    const aIds = await idsOf(a.client);
    const bIds = await idsOf(b.client);
    const only = [...aIds].filter((id) => !bIds.has(id) && id !== b.accountId);
    expect(only.length).toBeGreaterThan(8);
    const breaches: string[] = [];
    for (const op of ops) {
      if (!op.params.length || op.path.startsWith('/webhooks/') || op.path.includes('/auth/')) continue;
      for (const id of only) {
        report.attempts++;
        const body = bodyWith(op.body, id);
        const res = await b.client.app.inject({
          method: op.method as 'GET',
          url: fill(op, id),
          headers: {
            cookie: b.client.cookie!,
            'x-csrf-token': b.client.csrf!,
            ...(body !== undefined || op.method !== 'GET' ? { 'content-type': 'application/json' } : {}),
          },
          ...(op.method !== 'GET' ? { payload: JSON.stringify(body ?? {}) } : {}),
        });
        if (res.statusCode < 400 || res.statusCode >= 500) {
          report.breaches++;
          breaches.push(`${op.method} ${op.path} with ${id} → ${res.statusCode}`);
        }
        // Operator routes answer 403 to every non-operator whatever the id, so their 403 reveals nothing.
        if (res.statusCode === 403 && op.method === 'GET' && !op.path.startsWith('/api/v1/admin/'))
          breaches.push(`${op.method} ${op.path} with ${id} → 403 reveals that it exists (expected 404)`);
      }
    }
    expect(breaches).toEqual([]);
    // The control: the same replays as A reach A's objects, so the ids and routes above are real.
    let reached = 0;
    for (const op of ops.filter((o) => o.method === 'GET' && o.params.length)) {
      for (const id of only) {
        const res = await a.client.app.inject({ method: 'GET', url: fill(op, id), headers: { cookie: a.client.cookie! } });
        if (res.statusCode === 200) reached++;
      }
    }
    expect(reached).toBeGreaterThanOrEqual(5);
  }, 300_000);

  it("never shows one space's objects in another space's lists, also with ids smuggled into queries and bodies", async () => {
    const aIds = await idsOf(a.client);
    const bIds = await idsOf(b.client);
    // What a brand-new person also sees is not an object of a space (plan and pack catalogs, schemas).
    const fresh = await signedUpClient(b.client.app, { name: 'Carol' });
    const everyone = await idsOf(fresh.client);
    const leaked = [...bIds].filter((id) => aIds.has(id) && !everyone.has(id) && id !== a.accountId && id !== b.accountId);
    expect(leaked).toEqual([]);
    for (const op of ops.filter((o) => o.method === 'GET' && o.query && !o.params.length)) {
      for (const id of [...aIds].slice(0, 10)) {
        report.attempts++;
        const res = await b.client.app.inject({
          method: 'GET',
          url: `${op.path}?agentId=${id}&cursor=${id}&objectId=${id}`,
          headers: { cookie: b.client.cookie! },
        });
        if (res.statusCode === 200) expect(res.body).not.toContain('Alice private task');
      }
    }
  }, 300_000);
});
