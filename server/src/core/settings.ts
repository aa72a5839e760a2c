import { sql } from 'kysely';
import type { z } from 'zod';
import type { Db } from './db.js';
import type { Vault } from './vault.js';

/**
 * Instance settings: what operators tune while the instance runs (plans are separate, versioned
 * data). Each module defines its settings with `defineSetting`; values live in `instance_setting`,
 * fall back to the defaults, are cached for a moment, and apply without a restart. Secret fields are
 * stored encrypted with the instance data key and never leave through the admin API.
 */
export interface SettingDef<S extends z.ZodType = z.ZodType> {
  readonly key: string;
  readonly description: string;
  readonly schema: S;
  readonly defaults: z.output<S>;
  /** Top-level string fields that hold secrets. */
  readonly secretFields?: readonly string[];
}

export function defineSetting<S extends z.ZodType>(def: SettingDef<S>): SettingDef<S> {
  return def;
}

const TTL_MS = 2_000;

export class SettingsStore {
  private readonly cache = new Map<string, { at: number; value: unknown }>();

  private readonly db: Db;
  private readonly vault: Vault;

  constructor(db: Db, vault: Vault) {
    this.db = db;
    this.vault = vault;
  }

  async get<S extends z.ZodType>(def: SettingDef<S>): Promise<z.output<S>> {
    const hit = this.cache.get(def.key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value as z.output<S>;
    const row = await this.db.selectFrom('instance_setting').select('value').where('key', '=', def.key).executeTakeFirst();
    let value: z.output<S> = def.defaults;
    if (row) {
      const stored = { ...(def.defaults as object), ...(row.value as object) } as Record<string, unknown>;
      for (const f of def.secretFields ?? []) {
        const enc = stored[`${f}Encrypted`];
        delete stored[`${f}Encrypted`];
        stored[f] =
          typeof enc === 'string'
            ? await this.vault.decryptString(
                { spaceId: null, purpose: `setting.${def.key}.${f}`, recordId: def.key },
                Buffer.from(enc, 'base64'),
              )
            : null;
      }
      const parsed = def.schema.safeParse(stored);
      value = parsed.success ? parsed.data : def.defaults;
    }
    this.cache.set(def.key, { at: Date.now(), value });
    return value;
  }

  /**
   * Stores a new value (validated). A secret field left `undefined` keeps its stored secret;
   * `null` clears it.
   */
  async set<S extends z.ZodType>(db: Db, def: SettingDef<S>, value: z.input<S>, by: string | null): Promise<z.output<S>> {
    const parsed = def.schema.parse(value) as Record<string, unknown>;
    const toStore: Record<string, unknown> = { ...parsed };
    const existing = await db.selectFrom('instance_setting').select('value').where('key', '=', def.key).executeTakeFirst();
    for (const f of def.secretFields ?? []) {
      const v = (value as Record<string, unknown>)[f];
      delete toStore[f];
      if (typeof v === 'string' && v.length > 0) {
        const enc = await this.vault.encryptString({ spaceId: null, purpose: `setting.${def.key}.${f}`, recordId: def.key }, v);
        toStore[`${f}Encrypted`] = enc.toString('base64');
      } else if (v === undefined && existing) {
        const prev = (existing.value as Record<string, unknown>)[`${f}Encrypted`];
        if (prev) toStore[`${f}Encrypted`] = prev;
      }
    }
    await sql`insert into instance_setting (key, value, updated_at, updated_by) values (${def.key}, ${JSON.stringify(toStore)}::jsonb, now(), ${by})
      on conflict (key) do update set value = excluded.value, updated_at = now(), updated_by = excluded.updated_by`.execute(db);
    this.cache.delete(def.key);
    return parsed as z.output<S>;
  }

  /** The value as the admin API shows it: secrets replaced by whether they are set. */
  async describe<S extends z.ZodType>(def: SettingDef<S>): Promise<Record<string, unknown>> {
    const v = { ...((await this.get(def)) as Record<string, unknown>) };
    for (const f of def.secretFields ?? []) v[f] = v[f] ? { set: true } : { set: false };
    return v;
  }

  invalidate(key?: string): void {
    if (key) this.cache.delete(key);
    else this.cache.clear();
  }
}
