import { adminPayInvoice, checkout } from '@csme/contracts/billing';
import { adminApproveSubmission, putCreatorProfile, submitPack } from '@csme/contracts/marketplace';
import { packBundle } from '../src/modules/packs/index.js';
import { operatorClient, setSetting } from './billing.js';
import { signedUpClient, type TestClient, type TestEnv } from './harness.js';

/** A pack a creator would write: a manual agent that lists open tasks, plans in a code step and notifies. */
export function samplePack(over: Record<string, unknown> = {}, code?: string): Record<string, string> {
  const manifest = {
    manifestVersion: 1,
    id: 'focus-helper',
    version: '1.0.0',
    platform: '>=1.0.0',
    name: 'Focus helper',
    description: 'Picks the three tasks to do first and tells you.',
    persona: 'professional',
    icon: '🎯',
    categories: ['productivity'],
    scopes: ['tasks:read', 'notify'],
    agents: [
      {
        id: 'pick-three',
        name: 'Pick three',
        description: 'Lists open tasks and picks three.',
        triggers: [{ type: 'manual' }],
        steps: [
          { id: 'plan', code: 'steps/plan.js', skills: ['tasks.list'] },
          { id: 'tell', skill: 'notify.person', input: { title: 'Your three', body: 'See your tasks.' } },
        ],
      },
    ],
    ...over,
  };
  return {
    'pack.json': JSON.stringify(manifest, null, 2),
    'steps/plan.js':
      code ??
      `async function main(input, platform) {\n  const r = await platform.call('tasks.list', { status: 'open', limit: 50 });\n  return { picked: r.tasks.slice(0, 3).map((t) => t.title) };\n}\n`,
  };
}

export async function bundleB64(files: Record<string, string>): Promise<string> {
  return (await packBundle(files)).toString('base64');
}

/** A person with the Creator add-on (bought offline, paid by an operator) and a creator profile. */
export async function creatorClient(env: TestEnv, operator?: TestClient, name = 'Carmela Creator') {
  const app = await env.app();
  const op = operator ?? (await operatorClient(env));
  const c = await signedUpClient(app, { name });
  const r = await c.client.ok(checkout, { body: { action: 'addon', interval: 'month', currency: 'USD' } });
  if (r.status !== 'invoice_open') throw new Error(`expected an invoice for the Creator add-on, got ${r.status}`);
  await op.ok(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
  await c.client.ok(putCreatorProfile, {
    body: { displayName: name, bio: 'I make packs.', payoutMethod: 'paypal', payoutDetails: 'carmela@paypal.example' },
  });
  return { ...c, operator: op };
}

/** Submits a bundle and has the operator approve it. */
export async function publish(creator: TestClient, operator: TestClient, files: Record<string, string>, changelog = '') {
  const s = await creator.ok(submitPack, { body: { bundle: await bundleB64(files), changelog } });
  if (s.status === 'pending') await operator.ok(adminApproveSubmission, { params: { submissionId: s.id } });
  return s;
}

/** Sets an instance setting by its key (another module's setting, which tests reach through the modules). */
export async function setSettingByKey(env: TestEnv, key: string, value: unknown): Promise<void> {
  const def = env.deps.modules.flatMap((m) => m.settings ?? []).find((d) => d.key === key);
  if (!def) throw new Error(`no setting ${key}`);
  await setSetting(env, def, value as never);
}
