import * as M from '@csme/contracts/marketplace';
import { getInstallation } from '@csme/contracts/packs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { creatorClient, publish, samplePack } from '#test/marketplace.js';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
  await env.worker();
});
afterAll(() => env.close());

describe('updates and consent', () => {
  it('applies an update that asks for nothing new; one that asks for more shows the difference and waits, the old version running', async () => {
    const creator = await creatorClient(env);
    await publish(creator.client, creator.operator, samplePack({ id: 'growing' }), 'First.');
    const person = await signedUpClient(await env.app(), { name: 'Rina' });
    const inst = await person.client.ok(M.installListing, {
      params: { packId: 'growing' },
      body: { grantedScopes: ['tasks:read', 'notify'] },
    });

    await publish(creator.client, creator.operator, samplePack({ id: 'growing', version: '1.1.0' }), 'Quieter.');
    await eventually(
      async () => (await person.client.ok(getInstallation, { params: { installationId: inst.id } })).version === '1.1.0',
      'the update without new scopes',
    );

    const files = samplePack({ id: 'growing', version: '2.0.0', scopes: ['tasks:read', 'tasks:write', 'notify'] });
    const m = JSON.parse(files['pack.json']!);
    m.agents.push({
      id: 'tidy',
      name: 'Tidy',
      description: 'Adds a weekly review task.',
      triggers: [{ type: 'manual' }],
      steps: [{ id: 'add', skill: 'tasks.create', input: { title: 'Weekly review' } }],
    });
    await publish(creator.client, creator.operator, { ...files, 'pack.json': JSON.stringify(m) }, 'Adds a tidy-up agent.');
    await eventually(
      async () =>
        (await env.deps.db.selectFrom('notification').select('title').where('kind', '=', 'marketplace.update').executeTakeFirst()) ??
        undefined,
      'the notice about the new scopes',
    );
    const still = await person.client.ok(getInstallation, { params: { installationId: inst.id } });
    expect(still.version).toBe('1.1.0');
    expect(still.grantedScopes.map((s) => s.scope)).toEqual(['notify', 'tasks:read']);
    const { offer } = await person.client.ok(M.getUpdateOffer, { params: { installationId: inst.id } });
    expect(offer).toMatchObject({
      currentVersion: '1.1.0',
      latestVersion: '2.0.0',
      needsConsent: true,
      addedScopes: [{ scope: 'tasks:write', label: 'Create and complete tasks' }],
      removedScopes: [],
      changelog: [{ version: '2.0.0', changelog: 'Adds a tidy-up agent.' }],
    });
    // Consent must be exactly what it asks for.
    const partial = await person.client.call(M.applyUpdate, {
      params: { installationId: inst.id },
      body: { versionId: offer!.latestVersionId, grantedScopes: ['tasks:read', 'notify'] },
    });
    expect(partial.status).toBe(400);
    expect(partial.error?.message).toContain('missing: tasks:write');
    expect((await person.client.ok(getInstallation, { params: { installationId: inst.id } })).version).toBe('1.1.0');
    const done = await person.client.ok(M.applyUpdate, {
      params: { installationId: inst.id },
      body: { versionId: offer!.latestVersionId, grantedScopes: ['tasks:read', 'tasks:write', 'notify'] },
    });
    expect(done.version).toBe('2.0.0');
    expect(done.agents.map((a) => a.key).sort()).toEqual(['pick-three', 'tidy']);
    expect((await person.client.ok(M.getUpdateOffer, { params: { installationId: inst.id } })).offer).toBeNull();
    // Another space cannot see or apply it.
    const stranger = await signedUpClient(await env.app(), { name: 'Stranger' });
    expect((await stranger.client.call(M.getUpdateOffer, { params: { installationId: inst.id } })).status).toBe(404);
  });
});
