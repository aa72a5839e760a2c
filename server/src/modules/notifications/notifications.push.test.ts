import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as I from '@csme/contracts/inbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { egressSetting } from '#core/egress.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { notify } from './notifications.service.js';

/**
 * Web Push end to end: a push service started here receives what the platform sends, and decrypts
 * the payload with the subscription's own keys (RFC 8291, aes128gcm), as a browser would.
 */
let env: TestEnv;
let server: Server;
let port: number;
const received: Array<{ path: string; headers: Record<string, string | string[] | undefined>; body: Buffer }> = [];
let answer = 201;

function hkdf(salt: Buffer, ikm: Buffer, info: Buffer, len: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, len));
}

/** What a browser does with a push message: ECDH with the sender's key, HKDF, AES-128-GCM, strip padding. */
function decrypt(body: Buffer, ua: ReturnType<typeof createECDH>, authSecret: Buffer): string {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const shared = ua.computeSecret(asPublic);
  const ikm = hkdf(authSecret, shared, Buffer.concat([Buffer.from('WebPush: info\0'), ua.getPublicKey(), asPublic]), 32);
  const cek = hkdf(salt, ikm, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(salt, ikm, Buffer.from('Content-Encoding: nonce\0'), 12);
  const d = createDecipheriv('aes-128-gcm', cek, nonce);
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const plain = Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]);
  const end = plain.lastIndexOf(2);
  return plain.subarray(0, end).toString('utf8');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
  env = await createTestEnv();
  // Exactly this test's push service may be reached on the loopback address.
  await env.deps.settings.set(env.deps.db, egressSetting, { allow: [{ host: '127.0.0.1', port }] }, null);
  await env.worker();
});
afterAll(async () => {
  await env.close();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('Web Push', () => {
  it('delivers a notification to a subscribed browser, encrypted for it and signed with the instance VAPID key', async () => {
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const ua = createECDH('prime256v1');
    ua.generateKeys();
    const authSecret = randomBytes(16);
    const { publicKey } = await client.ok(I.getPushKey);
    expect(publicKey).toBe(env.keys.vapid.publicKey);
    await client.ok(I.subscribePush, {
      body: {
        endpoint: `http://127.0.0.1:${port}/push/one`,
        keys: { p256dh: ua.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') },
      },
    });
    await env.deps.db.transaction().execute((tx) =>
      notify(
        { ...systemCtx(env.deps), db: tx },
        {
          spaceId,
          accountId,
          kind: 'suggestion.created',
          title: 'Inbox triage has 2 suggestions',
          body: 'Open your inbox',
          url: '/suggestions',
        },
      ),
    );
    const msg = await eventually(async () => received.find((r) => r.path === '/push/one'), 'the push message');
    expect(msg.headers['content-encoding']).toBe('aes128gcm');
    expect(JSON.parse(decrypt(msg.body, ua, authSecret))).toEqual({
      title: 'Inbox triage has 2 suggestions',
      body: 'Open your inbox',
      url: '/suggestions',
      tag: 'suggestion.created',
    });
    // VAPID: a JWT signed with the instance key, which the header names.
    const auth = String(msg.headers.authorization);
    const [, jwt, k] = /^vapid t=([^,]+), k=(.+)$/.exec(auth)!;
    expect(k).toBe(env.keys.vapid.publicKey);
    const [h, p, sig] = jwt!.split('.');
    const point = Buffer.from(k!, 'base64url');
    const key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
      format: 'jwk',
    });
    expect(verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig!, 'base64url'))).toBe(true);
  });

  it('forgets a browser the push service says is gone, and refuses keys that are not keys', async () => {
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const ua = createECDH('prime256v1');
    ua.generateKeys();
    await client.ok(I.subscribePush, {
      body: {
        endpoint: `http://127.0.0.1:${port}/push/gone`,
        keys: { p256dh: ua.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
      },
    });
    answer = 410;
    try {
      await env.deps.db
        .transaction()
        .execute((tx) => notify({ ...systemCtx(env.deps), db: tx }, { spaceId, accountId, kind: 'action.failed', title: 'x' }));
      await eventually(async () => {
        const rows = await env.deps.db.selectFrom('push_subscription').select('id').where('account_id', '=', accountId).execute();
        return rows.length === 0 || undefined;
      }, 'the gone subscription to be removed');
    } finally {
      answer = 201;
    }
    const bad = await client.call(I.subscribePush, {
      body: { endpoint: 'https://push.example.test/x', keys: { p256dh: 'AAAAAAAAAAAAAAAAAAAAAAAA', auth: 'AAAAAAAAAAA' } },
    });
    expect(bad.status).toBe(400);
  });
});
