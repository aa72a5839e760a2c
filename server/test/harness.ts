import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ErrorBody } from '@csme/contracts/errors';
import { type Endpoint, fillPath } from '@csme/contracts/http';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { buildApp } from '../src/app.js';
import { type Clock, ManualClock } from '../src/core/clock.js';
import { loadConfig } from '../src/core/config.js';
import { systemCtx } from '../src/core/ctx.js';
import type { Dialer, Resolver } from '../src/core/egress.js';
import { fromSources, generateKeysFile, type Keys } from '../src/core/keys.js';
import { createLogger } from '../src/core/logger.js';
import { type BuildDepsOptions, buildDeps, type Deps } from '../src/deps.js';
import { syncBuiltinPacks } from '../src/modules/packs/index.js';
import { startWorker, type WorkerHandle } from '../src/worker.js';
import { createTestDatabaseUrl } from './db.js';

export interface TestEnv {
  readonly deps: Deps;
  readonly databaseUrl: string;
  readonly clock: Clock;
  /** Every log line this env wrote (for the secrets checks). */
  readonly logs: string[];
  readonly keys: Keys;
  readonly dataDir: string;
  app(): Promise<FastifyInstance>;
  /** Starts this env's job worker (graphile-worker, as in production) once. */
  worker(): Promise<WorkerHandle>;
  close(): Promise<void>;
}

export interface TestEnvOptions {
  clock?: Clock;
  env?: Record<string, string>;
  /** Reuse an existing database (a second process of the same instance). */
  databaseUrl?: string;
  keys?: Keys;
  languageModel?: BuildDepsOptions['languageModel'];
  /** Egress: a DNS resolver and a socket dialer to use instead of the real ones (guard tests never dial). */
  resolver?: Resolver;
  dialer?: Dialer;
}

/** A platform on its own fresh database: the deps a process builds, with a test clock and captured logs. */
export async function createTestEnv(opts: TestEnvOptions = {}): Promise<TestEnv> {
  const databaseUrl = opts.databaseUrl ?? (await createTestDatabaseUrl());
  const dataDir = mkdtempSync(join(tmpdir(), 'csme-env-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    CSME_DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    CSME_PUBLIC_URL: 'http://csme.test',
    // Six connections shared by bursts of a hundred queries on a busy machine: wait longer than production does.
    CSME_DB_ACQUIRE_TIMEOUT_MS: '30000',
    ...opts.env,
  });
  const keys = opts.keys ?? fromSources({}, generateKeysFile());
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ level: 'debug', pretty: false, destination });
  const clock = opts.clock ?? new ManualClock('2026-03-10T09:00:00Z');
  const deps = buildDeps({
    config,
    keys,
    databaseUrl,
    log,
    clock,
    poolMax: 6,
    defaultMetrics: false,
    resolver: opts.resolver,
    dialer: opts.dialer,
    languageModel: opts.languageModel,
  });
  if (!opts.databaseUrl) await syncBuiltinPacks(systemCtx(deps));
  let app: FastifyInstance | null = null;
  let worker: Promise<WorkerHandle> | null = null;
  return {
    deps,
    databaseUrl,
    clock,
    logs,
    keys,
    dataDir,
    async app() {
      if (!app) {
        app = await buildApp(deps, { webDist: null });
        await app.ready();
      }
      return app;
    },
    worker() {
      worker ??= startWorker(deps, {
        databaseUrl,
        concurrency: 4,
        pollInterval: 200,
        heartbeatMs: 1000,
        deadAfterMs: 5000,
        tickerIntervalMs: 100,
      });
      return worker;
    },
    async close() {
      if (worker) await (await worker).stop();
      await app?.close();
      await deps.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CallResult<T> {
  status: number;
  body: T;
  error: ErrorBody['error'] | null;
  headers: Record<string, unknown>;
}

/** A browser-like client over app.inject(): keeps the session cookie and sends the CSRF token, like the web app. */
export class TestClient {
  cookie: string | null = null;
  csrf: string | null = null;
  readonly app: FastifyInstance;
  constructor(app: FastifyInstance) {
    this.app = app;
  }

  async call<E extends Endpoint>(
    ep: E,
    input: { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown } = {},
  ): Promise<CallResult<z.output<E['response']>>> {
    const url = fillPath(ep.path, input.params);
    const qs = input.query
      ? `?${new URLSearchParams(
          Object.entries(input.query)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, String(v)] as [string, string]),
        ).toString()}`
      : '';
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && ep.method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const res = await this.app.inject({
      method: ep.method,
      url: url + qs,
      headers,
      ...(input.body !== undefined ? { payload: input.body as object } : {}),
    });
    const setCookie = res.headers['set-cookie'];
    const cookies = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
    for (const c of cookies) {
      const m = /^csme_session=([^;]*)/.exec(c);
      if (m) this.cookie = m[1] ? `csme_session=${m[1]}` : null;
    }
    const body = res.body ? JSON.parse(res.body) : undefined;
    if (body && typeof body === 'object' && 'session' in body && body.session?.csrfToken) this.csrf = body.session.csrfToken;
    if (body && typeof body === 'object' && 'csrfToken' in body) this.csrf = body.csrfToken;
    return { status: res.statusCode, body, error: res.statusCode >= 400 ? (body?.error ?? null) : null, headers: res.headers };
  }

  /** Calls and insists on success; the error message names the code when it fails. */
  async ok<E extends Endpoint>(ep: E, input: Parameters<TestClient['call']>[1] = {}): Promise<z.output<E['response']>> {
    const r = await this.call(ep, input);
    if (r.status >= 400) throw new Error(`${ep.method} ${ep.path} answered ${r.status} ${r.error?.code}: ${r.error?.message}`);
    return r.body;
  }
}

let counter = 0;
/** A unique email for a test person. */
export const uniqueEmail = (name = 'person') => `${name}.${Date.now().toString(36)}${(counter++).toString(36)}@example.test`;

/** Signs a new person up through the API (no SMTP: the account works at once) and returns their client. */
export async function signedUpClient(
  app: FastifyInstance,
  a: { name?: string; email?: string; password?: string; locale?: 'en' | 'he' } = {},
) {
  const { signUp } = await import('@csme/contracts/accounts');
  const client = new TestClient(app);
  const email = a.email ?? uniqueEmail(a.name?.toLowerCase().replace(/[^a-z]/g, '') || 'person');
  const r = await client.ok(signUp, {
    body: { email, password: a.password ?? 'correct horse battery', displayName: a.name ?? 'Test Person', locale: a.locale },
  });
  if (r.status !== 'signed_in') throw new Error('expected to be signed in at once (no SMTP configured)');
  return { client, email, session: r.session, accountId: r.session.account.id, spaceId: r.session.activeSpace.id };
}

/**
 * Waits until `check` returns a value other than undefined/false (an observable state, not a guess),
 * polling every `every` ms; fails with `what` after `timeout` ms.
 */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeout = 15_000, every = 25): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
