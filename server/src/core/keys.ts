import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { type Config, KEY_ENV, type KeyName } from './config.js';

/**
 * The instance's keys. None is derived from another, so rotating one never forges or breaks
 * the others. From the environment in production; generated into `<dataDir>/keys.json`
 * (mode 0600) on a first self-hosted start.
 */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}
export interface Keys {
  /** The key ring for envelope encryption; the first key is the active one. */
  readonly master: readonly MasterKey[];
  readonly session: Buffer;
  readonly csrf: Buffer;
  readonly activity: Buffer;
  readonly ioHmac: Buffer;
  readonly vapid: { readonly publicKey: string; readonly privateKey: string };
  readonly packSigning: { readonly privateKeyPem: string; readonly publicKeyPem: string };
}

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

const KeysFile = z.object({
  version: z.literal(1),
  master: z.array(z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/), key: z.string() })).min(1),
  session: z.string(),
  csrf: z.string(),
  activity: z.string(),
  ioHmac: z.string(),
  vapidPublic: z.string(),
  vapidPrivate: z.string(),
  packSigning: z.string(),
});
export type KeysFile = z.infer<typeof KeysFile>;

export const keysFilePath = (dataDir: string) => join(dataDir, 'keys.json');

function decode32(name: string, value: string): Buffer {
  const b = Buffer.from(value, 'base64');
  if (b.length !== 32) throw new KeyError(`${name} must be 32 bytes of base64 (got ${b.length} bytes)`);
  return b;
}

export function parseMasterKeys(name: string, value: string): MasterKey[] {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new KeyError(`${name} is empty; expected id:base64 pairs separated by commas`);
  const seen = new Set<string>();
  return parts.map((p, i) => {
    const idx = p.indexOf(':');
    if (idx <= 0) throw new KeyError(`${name}: entry ${i + 1} is not in the form id:base64`);
    const id = p.slice(0, idx);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new KeyError(`${name}: key id "${id.slice(0, 40)}" may only use letters, digits, - and _`);
    if (seen.has(id)) throw new KeyError(`${name}: key id "${id}" appears twice`);
    seen.add(id);
    return { id, key: decode32(`${name} (key ${id})`, p.slice(idx + 1)) };
  });
}

export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = publicKey.export({ format: 'der', type: 'spki' });
  // The uncompressed point is the last 65 bytes of the SPKI encoding.
  return { publicKey: pub.subarray(pub.length - 65).toString('base64url'), privateKey: String(jwk.d) };
}

function generatePackSigningKey(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
}

export const newMasterKeyId = () => `k${Date.now().toString(36)}`;

export function generateKeysFile(): KeysFile {
  const vapid = generateVapidKeys();
  return {
    version: 1,
    master: [{ id: newMasterKeyId(), key: randomBytes(32).toString('base64') }],
    session: randomBytes(32).toString('base64'),
    csrf: randomBytes(32).toString('base64'),
    activity: randomBytes(32).toString('base64'),
    ioHmac: randomBytes(32).toString('base64'),
    vapidPublic: vapid.publicKey,
    vapidPrivate: vapid.privateKey,
    packSigning: generatePackSigningKey(),
  };
}

/** Environment lines for a fresh set of keys (`csme keys generate`). */
export function keysAsEnv(f: KeysFile): string {
  return [
    `${KEY_ENV.master}=${f.master.map((m) => `${m.id}:${m.key}`).join(',')}`,
    `${KEY_ENV.session}=${f.session}`,
    `${KEY_ENV.csrf}=${f.csrf}`,
    `${KEY_ENV.activity}=${f.activity}`,
    `${KEY_ENV.ioHmac}=${f.ioHmac}`,
    `${KEY_ENV.vapidPublic}=${f.vapidPublic}`,
    `${KEY_ENV.vapidPrivate}=${f.vapidPrivate}`,
    `${KEY_ENV.packSigning}=${f.packSigning}`,
  ].join('\n');
}

export function writeKeysFile(dataDir: string, f: KeysFile): void {
  mkdirSync(dataDir, { recursive: true });
  const path = keysFilePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(f, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

export function readKeysFile(dataDir: string): KeysFile | null {
  const path = keysFilePath(dataDir);
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new KeyError(`${path} is not valid JSON; restore it from your backup (the data encrypted with it cannot be read without it)`);
  }
  const parsed = KeysFile.safeParse(raw);
  if (!parsed.success) throw new KeyError(`${path} is not a valid keys file: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`);
  return parsed.data;
}

export function fromSources(env: Partial<Record<KeyName, string>>, file: KeysFile | null): Keys {
  const pick = (name: KeyName, fromFile: string | undefined): string => {
    const v = env[name] ?? fromFile;
    if (!v) throw new KeyError(`${KEY_ENV[name]} is not set and there is no keys file`);
    return v;
  };
  const master = env.master
    ? parseMasterKeys(KEY_ENV.master, env.master)
    : parseMasterKeys('keys.json master', (file?.master ?? []).map((m) => `${m.id}:${m.key}`).join(','));
  const packSigningB64 = pick('packSigning', file?.packSigning);
  let privateKeyPem: string;
  let publicKeyPem: string;
  try {
    const pk = createPrivateKey({ key: Buffer.from(packSigningB64, 'base64'), format: 'der', type: 'pkcs8' });
    if (pk.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    privateKeyPem = pk.export({ format: 'pem', type: 'pkcs8' }).toString();
    publicKeyPem = createPublicKey(pk).export({ format: 'pem', type: 'spki' }).toString();
  } catch {
    throw new KeyError(`${KEY_ENV.packSigning} must be an Ed25519 private key (PKCS#8 DER, base64)`);
  }
  const vapidPublic = pick('vapidPublic', file?.vapidPublic);
  const vapidPrivate = pick('vapidPrivate', file?.vapidPrivate);
  if (Buffer.from(vapidPublic, 'base64url').length !== 65)
    throw new KeyError(`${KEY_ENV.vapidPublic} must be a 65-byte P-256 public key (base64url)`);
  if (Buffer.from(vapidPrivate, 'base64url').length !== 32)
    throw new KeyError(`${KEY_ENV.vapidPrivate} must be a 32-byte P-256 private key (base64url)`);
  return Object.freeze({
    master: Object.freeze(master),
    session: decode32(KEY_ENV.session, pick('session', file?.session)),
    csrf: decode32(KEY_ENV.csrf, pick('csrf', file?.csrf)),
    activity: decode32(KEY_ENV.activity, pick('activity', file?.activity)),
    ioHmac: decode32(KEY_ENV.ioHmac, pick('ioHmac', file?.ioHmac)),
    vapid: Object.freeze({ publicKey: vapidPublic, privateKey: vapidPrivate }),
    packSigning: Object.freeze({ privateKeyPem, publicKeyPem }),
  });
}

/**
 * Loads the keys. With an external database (`DATABASE_URL`) every key must come from the
 * environment: several machines must share them, and a key generated on one would lock the others out.
 */
export function loadKeys(config: Config, onGenerated?: (path: string) => void): Keys {
  const env = config.keys;
  const allFromEnv = (Object.keys(KEY_ENV) as KeyName[]).every((k) => env[k]);
  if (allFromEnv) return fromSources(env, null);
  let file = readKeysFile(config.dataDir);
  if (!file) {
    if (config.db.url) {
      const missing = (Object.keys(KEY_ENV) as KeyName[]).filter((k) => !env[k]).map((k) => KEY_ENV[k]);
      throw new KeyError(
        `With DATABASE_URL set, every key must come from the environment; missing: ${missing.join(', ')}. Run \`csme keys generate\` to print a new set.`,
      );
    }
    file = generateKeysFile();
    writeKeysFile(config.dataDir, file);
    onGenerated?.(keysFilePath(config.dataDir));
  }
  return fromSources(env, file);
}

/** Re-reads the keys file (after `csme keys rotate` added a master key while this process runs). */
export function reloadKeys(config: Config): Keys | null {
  try {
    return loadKeys(config);
  } catch {
    return null;
  }
}
