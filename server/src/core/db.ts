import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DB } from './db.types.js';

export type { DB };
export type Db = Kysely<DB>;

// int8 (counts, sums) as JS numbers: our counters stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
// numeric as numbers would lose precision; money is integer minor units, so numeric stays a string.

export interface Database {
  readonly db: Db;
  readonly pool: pg.Pool;
  destroy(): Promise<void>;
}

export function createDatabase(opts: {
  url: string;
  max: number;
  /** How long a query waits for a free connection before it fails (default 5 s). */
  acquireTimeoutMs?: number;
  /**
   * PostgreSQL ends a session left idle inside a transaction this long, and with it the transaction's
   * row locks: a process frozen mid-transaction (SIGSTOP, a stalled VM) must not stall the others.
   */
  idleTransactionTimeoutMs?: number;
  applicationName?: string;
  onError?: (e: Error) => void;
}): Database {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max,
    application_name: opts.applicationName ?? 'csme',
    connectionTimeoutMillis: opts.acquireTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    ...(opts.idleTransactionTimeoutMs ? { idle_in_transaction_session_timeout: opts.idleTransactionTimeoutMs } : {}),
  });
  // A connection the server drops (restart, admin command) must not crash the process. Once the pool is
  // closed, connections still closing when PostgreSQL stops (Ctrl-C on `csme start`) are not news.
  let destroyed = false;
  const onError = (e: Error) => {
    if (!destroyed) opts.onError?.(e);
  };
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await db.destroy();
    },
  };
}

/** The scope a tenant transaction runs in: Row Level Security reads these two settings. */
export interface TenantScope {
  readonly spaceId: string;
  readonly accountId: string | null;
}

const TENANT_TX = Symbol('tenantScope');
type MaybeTenantTx = Db & { [TENANT_TX]?: TenantScope };

/**
 * Runs `fn` in a transaction that can only see one space (and, for private objects, one
 * account): it sets `app.space_id` and `app.account_id` transaction-locally and drops to the
 * `csme_app` role, which Row Level Security applies to. One round trip sets all three.
 * A transaction already open for the same scope is reused.
 */
export async function inTenant<T>(db: Db, scope: TenantScope, fn: (tx: Db) => Promise<T>): Promise<T> {
  const open = (db as MaybeTenantTx)[TENANT_TX];
  if (open) {
    if (open.spaceId !== scope.spaceId || open.accountId !== scope.accountId) {
      throw new Error('a tenant transaction cannot switch to another space or account');
    }
    return fn(db);
  }
  if (db.isTransaction) {
    await setTenant(db, scope);
    (db as MaybeTenantTx)[TENANT_TX] = scope;
    return fn(db);
  }
  return db.transaction().execute(async (tx) => {
    await setTenant(tx, scope);
    (tx as unknown as MaybeTenantTx)[TENANT_TX] = scope;
    return fn(tx);
  });
}

async function setTenant(tx: Db, scope: TenantScope): Promise<void> {
  await sql`select set_config('app.space_id', ${scope.spaceId}, true), set_config('app.account_id', ${scope.accountId ?? ''}, true), set_config('role', 'csme_app', true)`.execute(
    tx,
  );
}

/** The tenant scope of an open transaction, if it is one. */
export function tenantScopeOf(db: Db): TenantScope | undefined {
  return (db as MaybeTenantTx)[TENANT_TX];
}

/** Runs `fn` in a transaction as the owner role (system work that spans spaces says so by calling this). */
export async function inSystemTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if ((db as MaybeTenantTx)[TENANT_TX]) throw new Error('system work cannot run inside a tenant transaction');
  if (db.isTransaction) return fn(db);
  return db.transaction().execute((tx) => fn(tx));
}
