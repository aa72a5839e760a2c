import { gzipSync } from 'node:zlib';
import * as M from '@csme/contracts/marketplace';
import { installPack } from '@csme/contracts/packs';
import { runAgentNow } from '@csme/contracts/runs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { setSetting } from '#test/billing.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { bundleB64, creatorClient, publish, samplePack } from '#test/marketplace.js';
import { checkImportedPack } from './index.js';
import { reviewSetting } from './marketplace.config.js';

let env: TestEnv;
let creator: Awaited<ReturnType<typeof creatorClient>>;
let operator: TestClient;

beforeAll(async () => {
  env = await createTestEnv();
  creator = await creatorClient(env);
  operator = creator.operator;
});
afterAll(() => env.close());

const submit = async (files: Record<string, string>, changelog = '') =>
  creator.client.call(M.submitPack, { body: { bundle: await bundleB64(files), changelog } });

describe('publishing', () => {
  it('needs the Creator add-on, and a creator profile', async () => {
    const person = await signedUpClient(await env.app(), { name: 'Nadav' });
    const r = await person.client.call(M.submitPack, { body: { bundle: await bundleB64(samplePack()) } });
    expect(r.status).toBe(402);
    expect(r.error?.message).toContain('Creator add-on');
    expect((await person.client.call(M.putCreatorProfile, { body: { displayName: 'Nadav' } })).status).toBe(402);
  });

  it('checks a version, queues it for review, and publishes it signed when an operator approves', async () => {
    const s = await creator.client.ok(M.submitPack, { body: { bundle: await bundleB64(samplePack()), changelog: 'First version.' } });
    expect(s.status).toBe('pending');
    expect(s.checks.map((c) => [c.check, c.ok])).toEqual([
      ['manifest', true],
      ['scopes', true],
      ['sandbox_limits', true],
      ['sandbox_escape', true],
      ['secrets', true],
      ['content', true],
    ]);
    // Not in the marketplace until approved; the creator sees it in the studio.
    expect((await creator.client.ok(M.listListings, { query: {} })).items.map((i) => i.packId)).not.toContain('focus-helper');
    expect((await creator.client.ok(M.listStudioPacks)).items[0]).toMatchObject({
      packId: 'focus-helper',
      status: 'draft',
      pending: { version: '1.0.0' },
    });
    const queue = await operator.ok(M.adminListSubmissions, { query: { status: 'pending' } });
    expect(queue.items[0]).toMatchObject({
      packId: 'focus-helper',
      creator: 'Carmela Creator',
      files: expect.arrayContaining([{ path: 'steps/plan.js', bytes: expect.any(Number) }]),
    });
    const approved = await operator.ok(M.adminApproveSubmission, { params: { submissionId: s.id } });
    expect(approved.status).toBe('approved');
    const v = await env.deps.db.selectFrom('pack_version').selectAll().where('pack_id', '=', 'focus-helper').executeTakeFirstOrThrow();
    expect(v.source).toBe('marketplace');
    expect(v.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(v.bundle_sha256).toBe(s.bundleSha256);
    const listing = await creator.client.ok(M.getListing, { params: { packId: 'focus-helper' } });
    expect(listing).toMatchObject({ status: 'listed', version: '1.0.0', versions: [{ version: '1.0.0', changelog: 'First version.' }] });
    // Another person installs it (free): the signature is verified first.
    const buyer = await signedUpClient(await env.app(), { name: 'Bracha' });
    const inst = await buyer.client.ok(M.installListing, {
      params: { packId: 'focus-helper' },
      body: { grantedScopes: ['tasks:read', 'notify'] },
    });
    expect(inst.version).toBe('1.0.0');
    // Marketplace packs are installed from their listing, never around it.
    const around = await buyer.client.call(installPack, {
      params: { packId: 'focus-helper' },
      body: { grantedScopes: ['tasks:read', 'notify'] },
    });
    expect(around.status).toBe(403);
  });

  it('refuses a duplicate version, and a version that is not greater', async () => {
    const dup = await submit(samplePack());
    expect(dup.status).toBe(409);
    expect(dup.error?.details).toMatchObject({ reason: 'duplicate_version' });
    const lower = await submit(samplePack({ version: '0.9.0' }));
    expect(lower.status).toBe(400);
    expect(lower.error?.message).toContain('greater than 1.0.0');
  });

  it('refuses a code step that tries to escape the sandbox, naming what it tried', async () => {
    const r = await submit(
      samplePack(
        { version: '1.0.1' },
        "async function main() {\n  const p = (function(){}).constructor.constructor('return process')();\n  return p.mainModule.require('child_process').execSync('id').toString();\n}\n",
      ),
    );
    expect(r.status).toBe(400);
    expect(r.error?.details).toMatchObject({ reason: 'checks_failed' });
    const escapeCheck = (r.error!.details as { checks: Array<{ check: string; ok: boolean; message: string }> }).checks.find(
      (c) => c.check === 'sandbox_escape',
    )!;
    expect(escapeCheck.ok).toBe(false);
    expect(escapeCheck.message).toContain('steps/plan.js uses the Function constructor');
    expect(escapeCheck.message).toContain('require()');
  });

  it('refuses a manifest that under-declares its scopes', async () => {
    const files = samplePack({ version: '1.0.1' });
    const m = JSON.parse(files['pack.json']!);
    m.agents[0].steps.push({ id: 'add', skill: 'tasks.create', input: { title: 'x' } });
    const r = await submit({ ...files, 'pack.json': JSON.stringify(m) });
    expect(r.status).toBe(400);
    expect(r.error?.message).toContain('tasks.create needs the scope tasks:write, which the pack does not declare');
  });

  it('refuses secrets in the bundle and denied words or links in listing text', async () => {
    const secret = await submit(
      samplePack(
        { version: '1.0.1' },
        `const KEY = 'sk_live_${'a1B2c3D4e5'.repeat(3)}';\nasync function main() { return { ok: true }; }\n`,
      ),
    );
    expect(secret.status).toBe(400);
    expect(secret.error?.message).toContain('steps/plan.js contains a Stripe secret key');
    const words = await submit(samplePack({ version: '1.0.1', description: 'Read more at https://bit.ly/xyz' }));
    expect(words.status).toBe(400);
    expect(words.error?.message).toContain('links to bit.ly');
    const pem = await submit({
      ...samplePack({ version: '1.0.1' }),
      'notes.txt': '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
    });
    expect(pem.error?.message).toContain('notes.txt contains a private key');
  });

  it('refuses a zip bomb, a 50 MB upload, unsafe paths and a body that is not a bundle', async () => {
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024));
    const r1 = await creator.client.call(M.submitPack, { body: { bundle: bomb.toString('base64') } });
    expect(r1.status).toBe(413);
    expect(r1.error?.message).toContain('expands past 8 MB');
    const app = await env.app();
    const big = await app.inject({
      method: 'POST',
      url: '/api/v1/creator/submissions',
      headers: { cookie: creator.client.cookie!, 'x-csrf-token': creator.client.csrf!, 'content-type': 'application/json' },
      payload: `{"bundle":"${'A'.repeat(50 * 1024 * 1024)}"}`,
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload_too_large');
    const traversal = await submit({ ...samplePack({ version: '1.0.1' }), '../../etc/evil.js': 'x' });
    expect(traversal.status).toBe(400);
    expect(traversal.error?.message).toContain('not allowed');
    const junk = await creator.client.call(M.submitPack, { body: { bundle: Buffer.from('hello').toString('base64') } });
    expect(junk.status).toBe(400);
  });

  it('approves an update that asks for no new scopes at once when the operator allows it, and queues one that asks for more', async () => {
    await setSetting(env, reviewSetting, { autoApproveUpdates: true });
    const same = await creator.client.ok(M.submitPack, {
      body: { bundle: await bundleB64(samplePack({ version: '1.1.0' })), changelog: 'Faster.' },
    });
    expect(same).toMatchObject({ status: 'approved', autoApproved: true, addedScopes: [] });
    const more = await creator.client.ok(M.submitPack, {
      body: { bundle: await bundleB64(samplePack({ version: '1.2.0', scopes: ['tasks:read', 'tasks:write', 'notify'] })) },
    });
    expect(more).toMatchObject({ status: 'pending', addedScopes: ['tasks:write'] });
    const rejected = await operator.ok(M.adminRejectSubmission, {
      params: { submissionId: more.id },
      body: { reasons: 'Say why it needs to write tasks.' },
    });
    expect(rejected.status).toBe('rejected');
    const mine = await creator.client.ok(M.listSubmissions);
    expect(mine.items.find((s) => s.id === more.id)).toMatchObject({ status: 'rejected', reasons: 'Say why it needs to write tasks.' });
    await setSetting(env, reviewSetting, { autoApproveUpdates: false });
  });

  it('keeps pack ids to their creator', async () => {
    const other = await creatorClient(env, operator, 'Other Creator');
    const r = await other.client.call(M.submitPack, { body: { bundle: await bundleB64(samplePack({ version: '5.0.0' })) } });
    expect(r.status).toBe(409);
    expect(r.error?.details).toMatchObject({ reason: 'pack_id_taken' });
    const builtin = await other.client.call(M.submitPack, { body: { bundle: await bundleB64(samplePack({ id: 'starter' })) } });
    expect(builtin.status).toBe(409);
    // Someone else's pack is not found in their studio.
    expect((await other.client.call(M.getAnalytics, { params: { packId: 'focus-helper' }, query: {} })).status).toBe(404);
  });
});

describe('signature verification on install', () => {
  it('refuses a version whose files or signature were changed after approval, and a built-in pack changed in place', async () => {
    await publish(creator.client, operator, samplePack({ id: 'tamper-me' }));
    const v = await env.deps.db.selectFrom('pack_version').selectAll().where('pack_id', '=', 'tamper-me').executeTakeFirstOrThrow();
    const person = await signedUpClient(await env.app(), { name: 'Tova' });
    const files = { ...(v.files as Record<string, string>), 'steps/plan.js': 'async function main() { return { evil: true }; }' };
    await env.deps.db
      .updateTable('pack_version')
      .set({ files: JSON.stringify(files) })
      .where('id', '=', v.id)
      .execute();
    const r1 = await person.client.call(M.installListing, {
      params: { packId: 'tamper-me' },
      body: { grantedScopes: ['tasks:read', 'notify'] },
    });
    expect(r1.status).toBe(409);
    expect(r1.error?.message).toContain('its files do not match the hash');
    // Even with a matching hash, a signature this instance did not make is refused.
    await env.deps.db
      .updateTable('pack_version')
      .set({ files: JSON.stringify(v.files), signature: Buffer.alloc(64, 7).toString('base64') })
      .where('id', '=', v.id)
      .execute();
    const r2 = await person.client.call(M.installListing, {
      params: { packId: 'tamper-me' },
      body: { grantedScopes: ['tasks:read', 'notify'] },
    });
    expect(r2.status).toBe(409);
    expect(r2.error?.message).toContain('signature does not verify');
    await env.deps.db.updateTable('pack_version').set({ signature: v.signature }).where('id', '=', v.id).execute();
    const installed = await person.client.call(M.installListing, {
      params: { packId: 'tamper-me' },
      body: { grantedScopes: ['tasks:read', 'notify'] },
    });
    expect(installed.status).toBe(201);
    // Changed after it was installed: it does not run either.
    await env.worker();
    await env.deps.db
      .updateTable('pack_version')
      .set({ files: JSON.stringify(files) })
      .where('id', '=', v.id)
      .execute();
    const run = await person.client.ok(runAgentNow, { params: { agentId: installed.body.agents[0]!.id }, body: {} });
    const failed = await eventually(async () => {
      const r = await env.deps.db.selectFrom('agent_run').select(['status', 'error']).where('id', '=', run.id).executeTakeFirst();
      return r?.status === 'failed' ? r : undefined;
    }, 'the refused run');
    expect(failed.error).toBe('The pack cannot run: its files do not match the hash recorded when it was published.');
    await env.deps.db
      .updateTable('pack_version')
      .set({ files: JSON.stringify(v.files) })
      .where('id', '=', v.id)
      .execute();
    const starter = await env.deps.db.selectFrom('pack_version').selectAll().where('pack_id', '=', 'starter').executeTakeFirstOrThrow();
    await env.deps.db
      .updateTable('pack_version')
      .set({ files: JSON.stringify({ ...(starter.files as object), 'pack.json': '{}' }) })
      .where('id', '=', starter.id)
      .execute();
    const r3 = await person.client.call(installPack, {
      params: { packId: 'starter' },
      body: { grantedScopes: ['tasks:read', 'tasks:write', 'notify'] },
    });
    expect(r3.status).toBe(409);
    await env.deps.db
      .updateTable('pack_version')
      .set({ files: JSON.stringify(starter.files) })
      .where('id', '=', starter.id)
      .execute();
  });
});

describe('packs arriving with csme import', () => {
  it('are accepted when their hash matches a signed version here, and held for review otherwise', async () => {
    const ctx = systemCtx(env.deps);
    const same = await checkImportedPack(ctx, { files: samplePack(), importedByAccountId: null });
    expect(same.status).toBe('verified');
    const changed = samplePack({}, 'async function main() { return { changed: true }; }\n');
    const held = await checkImportedPack(ctx, { files: changed, importedByAccountId: creator.accountId });
    expect(held.status).toBe('held');
    const again = await checkImportedPack(ctx, { files: changed, importedByAccountId: creator.accountId });
    expect(again).toEqual(held);
    const queue = await operator.ok(M.adminListSubmissions, { query: { status: 'pending' } });
    expect(queue.items.find((s) => held.status === 'held' && s.id === held.submissionId)).toMatchObject({
      origin: 'import',
      packId: 'focus-helper',
    });
  });
});
