import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { aesGcmDecrypt, aesGcmEncrypt } from './crypto.js';
import type { Db } from './db.js';
import { newId } from './ids.js';
import type { Keys, MasterKey } from './keys.js';

/**
 * Envelope encryption for secrets (connector passwords, model keys, TOTP seeds, SMTP password).
 * Each space has its own data key, and the instance has one; data keys are wrapped by the active
 * master key of the ring. A ciphertext is bound by its AAD to its space, purpose and record id, so a
 * copy pasted into another row or space fails to decrypt. Deleting a space's data key shreds its secrets.
 */
export interface SecretScope {
  /** null for instance-level secrets (SMTP, payment provider, operator model keys). */
  readonly spaceId: string | null;
  /** What the secret is for, e.g. `connector.credentials`. */
  readonly purpose: string;
  /** The row the ciphertext belongs to. */
  readonly recordId: string;
}

const FORMAT_V1 = 1;

export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

export class Vault {
  private readonly cache = new Map<string, { id: string; key: Buffer }>();
  private keys: Keys;

  /** `db` is a system (owner) connection; `reloadKeys` re-reads the key ring when a wrapping key is unknown. */
  private readonly db: Db;
  private readonly reloadKeys: () => Keys | null;

  constructor(db: Db, keys: Keys, reloadKeys: () => Keys | null = () => null) {
    this.db = db;
    this.keys = keys;
    this.reloadKeys = reloadKeys;
  }

  private masterById(id: string): MasterKey {
    let found = this.keys.master.find((m) => m.id === id);
    if (!found) {
      const fresh = this.reloadKeys();
      if (fresh) this.keys = fresh;
      found = this.keys.master.find((m) => m.id === id);
    }
    if (!found) throw new VaultError(`master key "${id}" is not in the configured key ring`);
    return found;
  }

  private get active(): MasterKey {
    return this.keys.master[0]!;
  }

  private static dekAad(dataKeyId: string, spaceId: string | null) {
    return `csme:dek:v1|${dataKeyId}|${spaceId ?? 'instance'}`;
  }

  private static aad(scope: SecretScope) {
    return `csme:secret:v1|${scope.spaceId ?? 'instance'}|${scope.purpose}|${scope.recordId}`;
  }

  private cacheKey(spaceId: string | null) {
    return spaceId ?? 'instance';
  }

  /** The data key of a space (or the instance), created on first use. */
  private async dataKey(spaceId: string | null, create: boolean): Promise<{ id: string; key: Buffer } | null> {
    const ck = this.cacheKey(spaceId);
    const hit = this.cache.get(ck);
    if (hit) return hit;
    const load = () =>
      spaceId === null
        ? this.db.selectFrom('data_key').selectAll().where('space_id', 'is', null).executeTakeFirst()
        : this.db.selectFrom('data_key').selectAll().where('space_id', '=', spaceId).executeTakeFirst();
    let row = await load();
    if (!row && create) {
      const id = newId();
      const dek = randomBytes(32);
      const wrapped = aesGcmEncrypt(this.active.key, dek, Vault.dekAad(id, spaceId));
      await sql`insert into data_key (id, space_id, master_key_id, wrapped) values (${id}, ${spaceId}, ${this.active.id}, ${wrapped}) on conflict do nothing`.execute(
        this.db,
      );
      row = await load();
    }
    if (!row) return null;
    let key: Buffer;
    try {
      key = aesGcmDecrypt(this.masterById(row.master_key_id).key, row.wrapped, Vault.dekAad(row.id, row.space_id));
    } catch (e) {
      if (e instanceof VaultError) throw e;
      throw new VaultError(`data key ${row.id} cannot be unwrapped with master key "${row.master_key_id}": the key is wrong`);
    }
    const entry = { id: row.id, key };
    this.cache.set(ck, entry);
    return entry;
  }

  async encrypt(scope: SecretScope, plaintext: string | Buffer): Promise<Buffer> {
    const dk = await this.dataKey(scope.spaceId, true);
    if (!dk) throw new VaultError('could not create a data key');
    const body = aesGcmEncrypt(dk.key, Buffer.isBuffer(plaintext) ? plaintext : Buffer.from(plaintext, 'utf8'), Vault.aad(scope));
    const header = Buffer.alloc(17);
    header[0] = FORMAT_V1;
    Buffer.from(dk.id.replace(/-/g, ''), 'hex').copy(header, 1);
    return Buffer.concat([header, body]);
  }

  async decrypt(scope: SecretScope, blob: Buffer): Promise<Buffer> {
    if (blob.length < 17 || blob[0] !== FORMAT_V1) throw new VaultError('not a vault ciphertext');
    const dk = await this.dataKey(scope.spaceId, false);
    const hex = blob.subarray(1, 17).toString('hex');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    if (!dk || dk.id !== id) throw new VaultError('this secret belongs to another space or has been deleted');
    try {
      return aesGcmDecrypt(dk.key, blob.subarray(17), Vault.aad(scope));
    } catch {
      throw new VaultError('this secret cannot be decrypted here (it belongs to another record, space or purpose)');
    }
  }

  async encryptString(scope: SecretScope, s: string): Promise<Buffer> {
    return this.encrypt(scope, s);
  }

  async decryptString(scope: SecretScope, blob: Buffer): Promise<string> {
    return (await this.decrypt(scope, blob)).toString('utf8');
  }

  /** Forgets cached data keys (after a space's data key was deleted). */
  forget(spaceId: string | null): void {
    this.cache.delete(this.cacheKey(spaceId));
  }

  /**
   * Re-wraps every data key with the active master key, one row per transaction, so it can be
   * killed at any point and run again: each row is always wrapped by a key of the ring.
   */
  async rewrapAll(onProgress?: (done: number, total: number) => void): Promise<{ rewrapped: number; stillUsed: string[] }> {
    const active = this.active;
    const pending = await this.db.selectFrom('data_key').select(['id']).where('master_key_id', '<>', active.id).execute();
    let done = 0;
    for (const { id } of pending) {
      await this.db.transaction().execute(async (tx) => {
        const row = await tx.selectFrom('data_key').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
        if (!row || row.master_key_id === active.id) return;
        const dek = aesGcmDecrypt(this.masterById(row.master_key_id).key, row.wrapped, Vault.dekAad(row.id, row.space_id));
        const wrapped = aesGcmEncrypt(active.key, dek, Vault.dekAad(row.id, row.space_id));
        await tx
          .updateTable('data_key')
          .set({ master_key_id: active.id, wrapped, rewrapped_at: new Date() })
          .where('id', '=', id)
          .execute();
      });
      done++;
      onProgress?.(done, pending.length);
    }
    const used = await this.db.selectFrom('data_key').select('master_key_id').distinct().execute();
    return { rewrapped: done, stillUsed: used.map((u) => u.master_key_id) };
  }

  /** Master key ids that wrap data keys but are missing from the ring (a configured key that is missing or wrong). */
  async missingMasterKeys(): Promise<string[]> {
    const used = await this.db.selectFrom('data_key').select('master_key_id').distinct().execute();
    return used.map((u) => u.master_key_id).filter((id) => !this.keys.master.some((m) => m.id === id));
  }

  /** Checks that the ring can unwrap one data key per master key id in use (a wrong key stops the start). */
  async verifyKeys(): Promise<void> {
    const rows = await sql<{ id: string; space_id: string | null; master_key_id: string; wrapped: Buffer }>`
      select distinct on (master_key_id) id, space_id, master_key_id, wrapped from data_key order by master_key_id, id`.execute(this.db);
    for (const row of rows.rows) {
      const mk = this.keys.master.find((m) => m.id === row.master_key_id);
      if (!mk) throw new VaultError(`master key "${row.master_key_id}" wraps stored secrets but is not configured`);
      try {
        aesGcmDecrypt(mk.key, row.wrapped, Vault.dekAad(row.id, row.space_id));
      } catch {
        throw new VaultError(`master key "${row.master_key_id}" is configured with the wrong value: it cannot unwrap the stored data keys`);
      }
    }
  }
}
