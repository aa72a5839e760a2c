import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { CRASH_POINTS } from './faults.js';

/**
 * Infrastructure configuration: read from the environment once at start, validated,
 * frozen. Nothing else reads `process.env`. What operators tune while the instance
 * runs lives in the database (see modules/settings).
 */
export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly publicUrl: string;
    readonly trustProxy: boolean;
    readonly bodyLimit: number;
  };
  readonly db: {
    readonly url: string | null;
    readonly poolMax: number;
    readonly acquireTimeoutMs: number;
    /** A session idle inside a transaction this long is ended by PostgreSQL, releasing its locks (a frozen process). */
    readonly idleTransactionTimeoutMs: number;
    readonly embeddedPort: number | null;
  };
  readonly dataDir: string;
  readonly log: { readonly level: string; readonly pretty: boolean };
  readonly worker: { readonly concurrency: number; readonly heartbeatMs: number; readonly deadAfterMs: number };
  /** Keys given by the environment; any not given come from `<dataDir>/keys.json` (see keys.ts). */
  readonly keys: Readonly<Partial<Record<KeyName, string>>>;
  readonly webDist: string | null;
  /** Test-only crash points (core/faults.ts): refused unless NODE_ENV=test, so production never has them. */
  readonly testCrash: { readonly after: number; readonly points: readonly string[] | null; readonly mode: 'kill' | 'freeze' } | null;
}

export const KEY_ENV = {
  master: 'CSME_MASTER_KEYS',
  session: 'CSME_SESSION_KEY',
  csrf: 'CSME_CSRF_KEY',
  vapidPublic: 'CSME_VAPID_PUBLIC_KEY',
  vapidPrivate: 'CSME_VAPID_PRIVATE_KEY',
  packSigning: 'CSME_PACK_SIGNING_KEY',
  activity: 'CSME_ACTIVITY_KEY',
  ioHmac: 'CSME_IO_HMAC_KEY',
} as const;
export type KeyName = keyof typeof KEY_ENV;

const bool = z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', '']).transform((v) => ['1', 'true', 'yes', 'on'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  CSME_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  CSME_TRUST_PROXY: bool.default(false),
  CSME_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  CSME_DB_POOL_MAX: z.coerce.number().int().min(2).max(500).default(20),
  CSME_DB_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  CSME_DB_IDLE_TX_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  CSME_EMBEDDED_PG_PORT: port.optional(),
  CSME_DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CSME_LOG_PRETTY: bool.optional(),
  CSME_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(16),
  CSME_WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  CSME_WORKER_DEAD_AFTER_MS: z.coerce.number().int().min(500).max(600_000).default(40_000),
  CSME_WEB_DIST: z.string().optional(),
  CSME_TEST_CRASH_AFTER: z.coerce.number().int().min(1).optional(),
  CSME_TEST_CRASH_POINTS: z.string().max(500).optional(),
  CSME_TEST_CRASH_MODE: z.enum(['kill', 'freeze']).optional(),
  ...Object.fromEntries(Object.values(KEY_ENV).map((k) => [k, z.string().min(1).optional()])),
});

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment; reports every wrong value at once, one line each, and never echoes a key's value. */
export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? '');
      const isKey = (Object.values(KEY_ENV) as string[]).includes(name);
      const got = isKey ? '' : ` (got ${JSON.stringify(String(cleaned[name] ?? '')).slice(0, 80)})`;
      return `${name}: ${i.message}${got}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data as z.infer<typeof EnvSchema> & Record<string, string | undefined>;
  const crashVars = ['CSME_TEST_CRASH_AFTER', 'CSME_TEST_CRASH_POINTS', 'CSME_TEST_CRASH_MODE'].filter((k) => e[k] !== undefined);
  if (crashVars.length && e.NODE_ENV !== 'test') {
    throw new ConfigError([
      `${crashVars.join(', ')}: these make the process kill or freeze itself (the fault suite); they are refused unless NODE_ENV=test`,
    ]);
  }
  const crashPoints = e.CSME_TEST_CRASH_POINTS?.split(',').map((p) => p.trim());
  const unknownPoint = crashPoints?.find((p) => !(CRASH_POINTS as readonly string[]).includes(p));
  if (unknownPoint) throw new ConfigError([`CSME_TEST_CRASH_POINTS: ${unknownPoint} is not a crash point (${CRASH_POINTS.join(', ')})`]);
  const keys: Partial<Record<KeyName, string>> = {};
  for (const [name, envName] of Object.entries(KEY_ENV) as [KeyName, string][]) {
    const v = e[envName];
    if (v) keys[name] = v;
  }
  const dataDir = isAbsolute(e.CSME_DATA_DIR) ? e.CSME_DATA_DIR : resolve(cwd, e.CSME_DATA_DIR);
  const publicUrl = (e.CSME_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return Object.freeze({
    env: e.NODE_ENV,
    http: Object.freeze({ host: e.HOST, port: e.PORT, publicUrl, trustProxy: e.CSME_TRUST_PROXY, bodyLimit: e.CSME_BODY_LIMIT }),
    db: Object.freeze({
      url: e.DATABASE_URL ?? null,
      poolMax: e.CSME_DB_POOL_MAX,
      acquireTimeoutMs: e.CSME_DB_ACQUIRE_TIMEOUT_MS,
      idleTransactionTimeoutMs: e.CSME_DB_IDLE_TX_TIMEOUT_MS,
      embeddedPort: e.CSME_EMBEDDED_PG_PORT ?? null,
    }),
    dataDir,
    log: Object.freeze({
      level: e.LOG_LEVEL,
      pretty: e.CSME_LOG_PRETTY ?? (e.NODE_ENV === 'development' && process.stdout.isTTY === true),
    }),
    worker: Object.freeze({
      concurrency: e.CSME_WORKER_CONCURRENCY,
      heartbeatMs: e.CSME_WORKER_HEARTBEAT_MS,
      deadAfterMs: e.CSME_WORKER_DEAD_AFTER_MS,
    }),
    keys: Object.freeze(keys),
    webDist: e.CSME_WEB_DIST ?? null,
    testCrash:
      e.CSME_TEST_CRASH_AFTER === undefined
        ? null
        : Object.freeze({
            after: e.CSME_TEST_CRASH_AFTER,
            points: crashPoints ? Object.freeze(crashPoints) : null,
            mode: e.CSME_TEST_CRASH_MODE ?? 'kill',
          }),
  });
}
