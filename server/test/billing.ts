import { signIn } from '@csme/contracts/accounts';
import { adminPayInvoice, checkout } from '@csme/contracts/billing';
import type { z } from 'zod';
import { systemCtx } from '../src/core/ctx.js';
import type { SettingDef } from '../src/core/settings.js';
import { createOperator } from '../src/modules/accounts/index.js';
import { TestClient as Client, type TestClient, type TestEnv, uniqueEmail } from './harness.js';

/** An operator of the instance, signed in through the API like a person. */
export async function operatorClient(env: TestEnv): Promise<TestClient> {
  const email = uniqueEmail('operator');
  const password = 'operator password 1';
  await createOperator(systemCtx(env.deps), { email, password, displayName: 'Olga Operator' });
  const client = new Client(await env.app());
  await client.ok(signIn, { body: { email, password } });
  return client;
}

/** Changes an instance setting as an operator would (validated, stored, effective at once). */
export async function setSetting<S extends z.ZodType>(env: TestEnv, def: SettingDef<S>, value: z.input<S>): Promise<void> {
  await env.deps.settings.set(env.deps.db, def, value, null);
  env.deps.settings.invalidate();
}

/** Sessions that last a year (the most an operator can set): these tests move the clock by months. */
export async function longSessions(env: TestEnv): Promise<void> {
  const auth = env.deps.modules.flatMap((m) => m.settings ?? []).find((d) => d.key === 'auth');
  if (!auth) throw new Error('no auth setting');
  await setSetting(env, auth, { ...((await env.deps.settings.get(auth)) as object), sessionDays: 365 });
}

/** Buys a base plan through the offline provider and has an operator mark the invoice paid. */
export async function buyOffline(
  client: TestClient,
  operator: TestClient,
  body: { planId: string; interval?: 'month' | 'year'; currency?: 'USD' | 'ILS'; country?: string },
) {
  const r = await client.ok(checkout, { body: { action: 'change_plan', ...body } });
  if (r.status !== 'invoice_open') throw new Error(`expected an open invoice, got ${r.status}`);
  await operator.ok(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
  return r;
}

export async function rows<T>(env: TestEnv, query: string, params: unknown[] = []): Promise<T[]> {
  const r = await env.deps.pool.query(query, params);
  return r.rows as T[];
}
