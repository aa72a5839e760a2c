import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';
import { fromSources, generateKeysFile, type Keys } from './keys.js';
import { Vault, VaultError } from './vault.js';

let env: TestEnv;
let spaceA: string;
let spaceB: string;

beforeAll(async () => {
  env = await createTestEnv();
  spaceA = (await signedUpClient(await env.app())).spaceId;
  spaceB = (await signedUpClient(await env.app())).spaceId;
});
afterAll(() => env.close());

const scope = (spaceId: string | null, recordId = 'rec-1', purpose = 'connector.credentials') => ({ spaceId, purpose, recordId });

describe('vault', () => {
  it('round-trips a secret and stores no plaintext', async () => {
    const blob = await env.deps.vault.encryptString(scope(spaceA), 'app-password-123');
    expect(blob.toString('utf8')).not.toContain('app-password-123');
    expect(await env.deps.vault.decryptString(scope(spaceA), blob)).toBe('app-password-123');
  });

  it('binds a ciphertext to its space, record and purpose', async () => {
    const blob = await env.deps.vault.encryptString(scope(spaceA), 'secret');
    await expect(env.deps.vault.decrypt(scope(spaceB), blob)).rejects.toThrow(VaultError);
    await expect(env.deps.vault.decrypt(scope(spaceA, 'rec-2'), blob)).rejects.toThrow(VaultError);
    await expect(env.deps.vault.decrypt(scope(spaceA, 'rec-1', 'model.key'), blob)).rejects.toThrow(VaultError);
    await expect(env.deps.vault.decrypt(scope(null), blob)).rejects.toThrow(VaultError);
  });

  it('re-wraps every data key with a new master key, survives being stopped half way, and loses nothing', async () => {
    const secrets: Array<{ s: string; blob: Buffer; space: string | null }> = [];
    for (const space of [spaceA, spaceB, null]) {
      const s = randomBytes(8).toString('hex');
      secrets.push({ s, blob: await env.deps.vault.encryptString(scope(space), s), space });
    }
    const oldRing = env.keys.master;
    const fresh = fromSources({}, generateKeysFile()).master[0]!;
    const rotated: Keys = { ...env.keys, master: [fresh, ...oldRing] };
    const v1 = new Vault(env.deps.db, rotated);
    // Killed after the first data key: the run stops part way.
    await expect(
      v1.rewrapAll((done) => {
        if (done === 1) throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    const mixed = await env.deps.db.selectFrom('data_key').select('master_key_id').distinct().execute();
    expect(mixed.map((m) => m.master_key_id).sort()).toEqual([fresh.id, oldRing[0]!.id].sort());
    // Every secret still reads in the half-rotated state, and a second run completes.
    for (const x of secrets) expect(await new Vault(env.deps.db, rotated).decryptString(scope(x.space), x.blob)).toBe(x.s);
    const r = await new Vault(env.deps.db, rotated).rewrapAll();
    expect(r.stillUsed).toEqual([fresh.id]);
    // The old key can now leave the ring.
    const onlyNew: Keys = { ...env.keys, master: [fresh] };
    for (const x of secrets) expect(await new Vault(env.deps.db, onlyNew).decryptString(scope(x.space), x.blob)).toBe(x.s);
    await expect(new Vault(env.deps.db, env.keys).verifyKeys()).rejects.toThrow(/not configured/);
  });

  it('stops with a clear message when a configured master key has the wrong value', async () => {
    const ids = await env.deps.db.selectFrom('data_key').select('master_key_id').distinct().execute();
    const wrong: Keys = { ...env.keys, master: [{ id: ids[0]!.master_key_id, key: randomBytes(32) }] };
    await expect(new Vault(env.deps.db, wrong).verifyKeys()).rejects.toThrow(/wrong value/);
  });
});
