import type { LanguageModel } from 'ai';
import type pg from 'pg';
import type { Clock } from '#core/clock.js';
import { systemClock } from '#core/clock.js';
import type { Config } from '#core/config.js';
import { createDatabase, type Database, type Db } from '#core/db.js';
import { type Dialer, Egress, type Resolver } from '#core/egress.js';
import { type Keys, reloadKeys } from '#core/keys.js';
import { createLogger, type Logger } from '#core/logger.js';
import { createMetrics, type Metrics } from '#core/metrics.js';
import type { ModuleDef, UsageMeter } from '#core/module.js';
import { SettingsStore } from '#core/settings.js';
import { Vault } from '#core/vault.js';
import { modules as allModules } from '#modules/index.js';
import type { ModelConfig } from '#modules/models/index.js';

/**
 * The composition root: everything a request or a job needs, built once per process and passed
 * down explicitly (no container, no globals). Tests build it with their own database and clock.
 */
export interface Deps {
  readonly config: Config;
  readonly keys: Keys;
  readonly log: Logger;
  readonly db: Db;
  readonly pool: pg.Pool;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly settings: SettingsStore;
  /** The guard every outbound connection goes through (see core/egress.ts). */
  readonly egress: Egress;
  readonly metrics: Metrics;
  readonly modules: readonly ModuleDef[];
  readonly usageMeters: Readonly<Record<string, UsageMeter>>;
  /** Replaces the model provider (tests and benchmarks use the AI SDK's mock model). */
  readonly languageModel?: (cfg: ModelConfig) => LanguageModel;
  close(): Promise<void>;
}

export interface BuildDepsOptions {
  config: Config;
  keys: Keys;
  databaseUrl: string;
  log?: Logger;
  clock?: Clock;
  poolMax?: number;
  applicationName?: string;
  defaultMetrics?: boolean;
  languageModel?: (cfg: ModelConfig) => LanguageModel;
  /** Tests: answer DNS with chosen addresses, and record connections instead of dialling. */
  resolver?: Resolver;
  dialer?: Dialer;
}

export function buildDeps(opts: BuildDepsOptions): Deps {
  const log = opts.log ?? createLogger(opts.config.log);
  const database: Database = createDatabase({
    url: opts.databaseUrl,
    max: opts.poolMax ?? opts.config.db.poolMax,
    acquireTimeoutMs: opts.config.db.acquireTimeoutMs,
    idleTransactionTimeoutMs: opts.config.db.idleTransactionTimeoutMs,
    applicationName: opts.applicationName ?? 'csme-api',
    onError: (e) => log.warn({ err: { message: e.message, code: (e as { code?: string }).code } }, 'database connection lost'),
  });
  const clock = opts.clock ?? systemClock;
  const vault = new Vault(database.db, opts.keys, () => reloadKeys(opts.config));
  const settings = new SettingsStore(database.db, vault);
  const egress = new Egress({ settings, resolver: opts.resolver, dialer: opts.dialer });
  const usageMeters: Record<string, UsageMeter> = {};
  for (const m of allModules) Object.assign(usageMeters, m.usageMeters ?? {});
  return {
    config: opts.config,
    keys: opts.keys,
    log,
    db: database.db,
    pool: database.pool,
    clock,
    vault,
    settings,
    egress,
    metrics: createMetrics({ defaultMetrics: opts.defaultMetrics ?? true }),
    modules: allModules,
    usageMeters,
    languageModel: opts.languageModel,
    close: async () => {
      await egress.close();
      await database.destroy();
    },
  };
}
