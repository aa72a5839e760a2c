import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from '@csme/contracts/admin';
import { listNotifications } from '@csme/contracts/inbox';
import * as P from '@csme/contracts/packs';
import * as W from '@csme/contracts/promote';
import { OrgWorkflow } from '@csme/contracts/promote';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { BUILTIN_PACKS_DIR, readPackDir, syncBuiltinPacks } from '#modules/packs/index.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';

let env: TestEnv;
let op: TestClient;
let validate: ReturnType<Ajv2020['compile']>;

/** A stand-in for connectsoft.io: checks the signature like the real one must, and records what it got. */
class FakeIo {
  server: Server | null = null;
  received: Array<{ body: string; headers: IncomingMessage['headers']; signatureOk: boolean }> = [];
  answer = { status: 201, body: '{"id":"io-workflow-1"}' };
  private readonly key: Buffer;
  constructor(key: Buffer) {
    this.key = key;
  }
  async listen(port = 0): Promise<number> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const ts = String(req.headers['x-csme-timestamp']);
        const expected = `v1=${createHmac('sha256', this.key).update(`${ts}.${body}`).digest('hex')}`;
        const got = String(req.headers['x-csme-signature'] ?? '');
        const signatureOk = got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected));
        this.received.push({ body, headers: req.headers, signatureOk });
        if (!signatureOk) {
          res.writeHead(401).end('bad signature');
          return;
        }
        res.writeHead(this.answer.status, { 'content-type': 'application/json' }).end(this.answer.body);
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    return (this.server!.address() as AddressInfo).port;
  }
  async close(): Promise<void> {
    if (this.server) await new Promise((r) => this.server!.close(r));
    this.server = null;
  }
}

beforeAll(async () => {
  env = await createTestEnv();
  // A pack with a secret setting and a connector, beside the shipped ones.
  const dir = mkdtempSync(join(tmpdir(), 'csme-promote-'));
  mkdirSync(join(dir, 'secret-keeper'));
  writeFileSync(
    join(dir, 'secret-keeper/pack.json'),
    JSON.stringify({
      manifestVersion: 1,
      id: 'secret-keeper',
      version: '1.2.0',
      platform: '>=1.0.0',
      name: 'Secret keeper',
      description: 'Has a secret setting.',
      persona: 'freelancer',
      icon: '🔐',
      settings: {
        type: 'object',
        properties: {
          label: { type: 'string', default: 'Inbox' },
          apiToken: { type: 'string', writeOnly: true },
          webhookPassword: { type: 'string' },
        },
      },
      connectors: [{ kind: 'webhook', why: 'Other apps send tasks' }],
      scopes: ['tasks:write'],
      agents: [
        {
          id: 'keeper',
          name: 'Keeper',
          description: 'Keeps.',
          triggers: [
            { type: 'webhook', hmac: true },
            { type: 'schedule', cron: '0 9 * * 1-5' },
          ],
          steps: [
            {
              id: 'add',
              skill: 'tasks.create',
              when: { path: '$.trigger.body.title', notEmpty: true },
              input: { title: '$.trigger.body.title' },
            },
          ],
          policies: { 'tasks.create': 'auto' },
        },
      ],
    }),
  );
  await syncBuiltinPacks(systemCtx(env.deps), dir);
  const app = await env.app();
  op = (await signedUpClient(app, { name: 'Olga Operator' })).client;
  await env.worker();
  const schema = (await app.inject({ url: '/api/v1/schemas/org-workflow.json' })).json();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  validate = ajv.compile(schema);
});
afterAll(async () => {
  await env.close();
});

async function newPersonWith(packId: string, settings: Record<string, unknown> = {}) {
  const p = await signedUpClient(await env.app(), { name: `Promoter ${packId}` });
  const detail = await p.client.ok(P.getPack, { params: { packId } });
  const scopes = detail.scopes.map((s) => s.scope);
  const inst = await p.client.ok(P.installPack, { params: { packId }, body: { settings, grantedScopes: scopes } });
  return { ...p, inst };
}

async function download(client: TestClient, promotionId: string) {
  const app = await env.app();
  const res = await app.inject({ url: `/api/v1/promotions/${promotionId}/document`, headers: { cookie: client.cookie! } });
  return res;
}

describe('the org-workflow document', () => {
  it('publishes its JSON Schema', async () => {
    const app = await env.app();
    const res = await app.inject({ url: '/api/v1/schemas/org-workflow.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      $id: W.ORG_WORKFLOW_SCHEMA_ID,
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
    });
  });

  it('exports each prebuilt pack: valid against the schema, parsed back equal', async () => {
    const shipped = readdirSync(BUILTIN_PACKS_DIR).filter((d) => !d.startsWith('.'));
    expect(shipped.length).toBeGreaterThan(0);
    for (const dir of shipped) {
      const manifest = readPackDir(join(BUILTIN_PACKS_DIR, dir)).manifest;
      const p = await newPersonWith(manifest.id);
      const promotion = await p.client.ok(W.createPromotion, { body: { installationId: p.inst.id } });
      expect(promotion).toMatchObject({ packId: manifest.id, state: 'exported', attempts: 0 });
      const res = await download(p.client, promotion.id);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-disposition']).toMatch(
        new RegExp(`^attachment; filename="${manifest.id}-org-workflow-\\d{4}-\\d{2}-\\d{2}\\.json"$`),
      );
      const doc = JSON.parse(res.body);
      expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
      const parsed = OrgWorkflow.parse(doc);
      expect(parsed).toEqual(doc);
      expect(JSON.parse(JSON.stringify(parsed))).toEqual(doc);
      // What it holds: every agent with its triggers and steps, and where it came from.
      expect(doc.agents.map((a: { key: string }) => a.key)).toEqual(manifest.agents.map((a) => a.id));
      for (const [i, a] of manifest.agents.entries()) {
        expect(doc.agents[i].steps.map((s: { id: string }) => s.id)).toEqual(a.steps.map((s) => s.id));
        expect(doc.agents[i].triggers).toHaveLength(a.triggers.length);
      }
      expect(doc.provenance).toMatchObject({
        platform: 'connectsoft.me',
        instanceUrl: 'http://csme.test',
        pack: { id: manifest.id, version: manifest.version, source: 'builtin' },
        installation: { id: p.inst.id, visibility: p.inst.visibility },
        spaceKind: 'personal',
      });
      expect(doc.id).toBe(promotion.id);
    }
  });

  it('leaves secrets behind (naming them), describes connectors by kind and granted scopes, and keeps the installation’s choices', async () => {
    const p = await newPersonWith('secret-keeper', { label: 'Work', apiToken: 'sk-live-123456', webhookPassword: 'hunter2' });
    const promotion = await p.client.ok(W.createPromotion, { body: { installationId: p.inst.id } });
    const res = await download(p.client, promotion.id);
    expect(res.body).not.toContain('sk-live-123456');
    expect(res.body).not.toContain('hunter2');
    const doc = OrgWorkflow.parse(JSON.parse(res.body));
    expect(validate(doc)).toBe(true);
    expect(doc.settings.values).toEqual({ label: 'Work' });
    expect(doc.settings.excludedSecrets).toEqual(['apiToken', 'webhookPassword']);
    expect(doc.connectors).toEqual([{ kind: 'webhook', optional: false, why: 'Other apps send tasks', scopes: [] }]);
    expect(doc.scopes).toEqual(['tasks:write']);
    expect(doc.persona).toBe('freelancer');
    expect(doc.agents[0]).toEqual({
      key: 'keeper',
      name: 'Keeper',
      description: 'Keeps.',
      // A webhook agent needs a plan with all connectors: on Free it was installed switched off.
      enabled: false,
      triggers: [
        { kind: 'webhook', hmac: true },
        { kind: 'schedule', cron: '0 9 * * 1-5', timeZone: 'person' },
      ],
      steps: [
        {
          kind: 'skill',
          id: 'add',
          skill: 'tasks.create',
          when: { path: '$.trigger.body.title', notEmpty: true },
          input: { title: '$.trigger.body.title' },
        },
      ],
      policies: { 'tasks.create': 'auto' },
      budget: { maxSteps: 30, maxSeconds: 60, maxModelTokens: 20000 },
      variant: null,
    });
  });

  it('is only for the space that owns the installation, and for adults', async () => {
    const a = await newPersonWith('starter');
    const b = await signedUpClient(await env.app(), { name: 'Other Space' });
    const created = await b.client.call(W.createPromotion, { body: { installationId: a.inst.id } });
    expect(created.status).toBe(404);
    const mine = await a.client.ok(W.createPromotion, { body: { installationId: a.inst.id } });
    expect((await download(b.client, mine.id)).statusCode).toBe(404);
    expect((await b.client.ok(W.listPromotions)).items).toEqual([]);
  });
});

describe('sending to connectsoft.io', () => {
  let io: FakeIo;
  beforeAll(() => {
    io = new FakeIo(env.keys.ioHmac);
  });
  afterAll(async () => {
    await io.close();
  });

  async function setEndpoint(url: string | null) {
    await op.ok(A.updateSetting, { params: { key: 'connectsoftIo' }, body: { value: { endpoint: url } } });
    // The stand-in listens on loopback, which the egress guard refuses unless an operator allows it.
    const u = url ? new URL(url) : null;
    await op.ok(A.updateSetting, {
      params: { key: 'egress' },
      body: { value: { allow: u ? [{ host: u.hostname, port: Number(u.port) }] : [] } },
    });
    env.deps.settings.invalidate();
  }

  const state = (client: TestClient, id: string) => async () => (await client.ok(W.listPromotions)).items.find((x) => x.id === id)!;

  it('sends the document signed with the connectsoft.io key; the person sees it sent', async () => {
    const port = await io.listen();
    await setEndpoint(`http://127.0.0.1:${port}/workflows`);
    const p = await newPersonWith('starter');
    const created = await p.client.ok(W.createPromotion, { body: { installationId: p.inst.id } });
    expect(created.state).toBe('queued');
    const sent = await eventually(async () => {
      const s = await state(p.client, created.id)();
      return s.state === 'sent' ? s : undefined;
    }, 'the promotion to be sent');
    expect(sent).toMatchObject({ attempts: 1, lastError: null, remoteRef: 'io-workflow-1' });
    const got = io.received.at(-1)!;
    expect(got.signatureOk).toBe(true);
    expect(got.headers['idempotency-key']).toBe(created.id);
    expect(got.headers['content-type']).toBe('application/json');
    const doc = JSON.parse(got.body);
    expect(validate(doc)).toBe(true);
    expect(doc.id).toBe(created.id);
    // Exactly the stored document, byte for byte.
    expect(got.body).toBe(JSON.stringify(JSON.parse((await download(p.client, created.id)).body)));
    await io.close();
  });

  it('when connectsoft.io is down: queued, retried with backoff, sent once it is back', async () => {
    const port = await io.listen();
    await io.close(); // nothing listens on this port now
    await setEndpoint(`http://127.0.0.1:${port}/workflows`);
    const p = await newPersonWith('starter');
    const created = await p.client.ok(W.createPromotion, { body: { installationId: p.inst.id } });
    const waiting = await eventually(async () => {
      const s = await state(p.client, created.id)();
      return s.attempts >= 1 ? s : undefined;
    }, 'a first failed attempt');
    expect(waiting.state).toBe('queued');
    expect(waiting.lastError).toMatch(/^could not reach connectsoft\.io/);
    await io.listen(port);
    const sent = await eventually(
      async () => {
        const s = await state(p.client, created.id)();
        return s.state === 'sent' ? s : undefined;
      },
      'the retried promotion to be sent',
      30_000,
    );
    expect(sent.attempts).toBeGreaterThanOrEqual(2);
    expect(io.received.at(-1)!.signatureOk).toBe(true);
    await io.close();
  });

  it('an answer that will not get better (a refused signature) fails at once and tells the person; they can retry', async () => {
    const port = await io.listen();
    await setEndpoint(`http://127.0.0.1:${port}/workflows`);
    io.answer = { status: 403, body: 'unknown instance' };
    const p = await newPersonWith('starter');
    const created = await p.client.ok(W.createPromotion, { body: { installationId: p.inst.id } });
    const failed = await eventually(async () => {
      const s = await state(p.client, created.id)();
      return s.state === 'failed' ? s : undefined;
    }, 'the promotion to fail');
    expect(failed).toMatchObject({ attempts: 1, lastError: 'connectsoft.io answered 403: unknown instance' });
    const notes = await p.client.ok(listNotifications, { query: {} });
    expect(notes.items.some((n) => n.title === 'Getting started could not be sent to connectsoft.io')).toBe(true);
    io.answer = { status: 201, body: '{"id":"io-workflow-2"}' };
    const again = await p.client.ok(W.retryPromotion, { params: { promotionId: created.id }, body: {} });
    expect(again.state).toBe('queued');
    await eventually(async () => (await state(p.client, created.id)()).state === 'sent', 'the retry to be sent');
    expect((await p.client.call(W.retryPromotion, { params: { promotionId: created.id }, body: {} })).status).toBe(409);
    await io.close();
    await setEndpoint(null);
  });

  it('follows the feature flags: promotion and the connectsoft.io offer', async () => {
    const p = await newPersonWith('starter');
    const offer = await p.client.ok(W.getIoOffer, { query: { reason: 'members' } });
    expect(offer).toMatchObject({ enabled: true, reason: 'members', url: 'https://connectsoft.io?from=connectsoft.me&reason=members' });
    await op.ok(A.updateSetting, { params: { key: 'featureFlags' }, body: { value: { promote: false, ioOffer: false } } });
    env.deps.settings.invalidate();
    expect((await p.client.call(W.createPromotion, { body: { installationId: p.inst.id } })).status).toBe(403);
    expect((await p.client.ok(W.getIoOffer, { query: { reason: 'organisation' } })).enabled).toBe(false);
    const { ioOffer } = await import('./index.js');
    expect(await ioOffer(systemCtx(env.deps), 'members')).toBeNull();
    await op.ok(A.updateSetting, { params: { key: 'featureFlags' }, body: { value: { promote: true, ioOffer: true } } });
    env.deps.settings.invalidate();
    expect(await ioOffer(systemCtx(env.deps), 'members')).toEqual({
      kind: 'connectsoft_io',
      label: 'See connectsoft.io',
      url: 'https://connectsoft.io?from=connectsoft.me&reason=members',
    });
  });
});
