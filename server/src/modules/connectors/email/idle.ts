// IMAP IDLE: a worker process keeps one connection in IDLE per email account whose server supports
// it, and queues a sync as soon as the server says a message arrived. Servers without IDLE are left
// to the poll. Several worker processes share the accounts through PostgreSQL advisory locks held on
// one session each, so an account is watched by one process at a time.
import type { ImapFlow } from 'imapflow';
import type pg from 'pg';
import type { Ctx } from '#core/ctx.js';
import { addJob } from '#core/jobs.js';
import type { BackgroundTask } from '#core/module.js';
import { connectorsSetting } from '../connectors.config.js';
import { syncConnectorJob } from '../connectors.jobs.js';
import type { ConnectorRow } from '../connectors.repository.js';
import { readCredentials } from '../connectors.service.js';
import { type EmailConfig, openImap } from './imap.js';

interface Watch {
  client: ImapFlow;
  stopping: boolean;
}

export function startIdleWatchers(ctx: Ctx): BackgroundTask {
  const watches = new Map<string, Watch>();
  const connecting = new Set<string>();
  let lockClient: pg.PoolClient | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const queueSync = (row: ConnectorRow) =>
    addJob(
      ctx.deps.db,
      syncConnectorJob,
      { spaceId: row.space_id, connectorId: row.id },
      { jobKey: `connector-sync:${row.id}`, jobKeyMode: 'unsafe_dedupe' },
    ).catch(() => undefined);

  async function release(id: string) {
    const w = watches.get(id);
    watches.delete(id);
    if (w) {
      w.stopping = true;
      w.client.close();
    }
    await lockClient?.query('select pg_advisory_unlock(hashtext($1))', [`connector-idle:${id}`]).catch(() => undefined);
  }

  async function watch(row: ConnectorRow) {
    connecting.add(row.id);
    try {
      await watchOnce(row);
    } finally {
      connecting.delete(row.id);
    }
  }

  async function watchOnce(row: ConnectorRow) {
    const got = await lockClient!.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [`connector-idle:${row.id}`]);
    if (!got.rows[0]?.ok) return;
    let client: ImapFlow;
    try {
      client = await openImap(ctx.deps.egress, row.config as unknown as EmailConfig, await readCredentials(ctx, row), {
        socketMs: 35 * 60_000,
      });
    } catch {
      await lockClient!.query('select pg_advisory_unlock(hashtext($1))', [`connector-idle:${row.id}`]).catch(() => undefined);
      return;
    }
    if (!client.capabilities.has('IDLE')) {
      // No IDLE here: polling covers this account.
      await client.logout().catch(() => client.close());
      await lockClient!.query('select pg_advisory_unlock(hashtext($1))', [`connector-idle:${row.id}`]).catch(() => undefined);
      return;
    }
    const w: Watch = { client, stopping: false };
    watches.set(row.id, w);
    connecting.delete(row.id);
    client.on('exists', () => void queueSync(row));
    client.on('close', () => {
      if (!w.stopping) void release(row.id);
    });
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      // Something may have arrived between the last sync and now.
      await queueSync(row);
      while (!w.stopping && !stopped) await client.idle();
    } catch {
      // the connection dropped: the next refresh tries again
    } finally {
      if (watches.get(row.id) === w) await release(row.id);
    }
  }

  async function refresh() {
    if (stopped) return;
    try {
      lockClient ??= await ctx.deps.pool.connect();
      const rows = (await ctx.deps.db
        .selectFrom('connector')
        .selectAll()
        .where('kind', '=', 'email')
        .where('status', '=', 'active')
        .where('demo', '=', false)
        .where('needs_attention', '=', false)
        .where('initial_synced_at', 'is not', null)
        .execute()) as ConnectorRow[];
      const wanted = new Set(rows.map((r) => r.id));
      for (const id of [...watches.keys()]) if (!wanted.has(id)) await release(id);
      const settings = await ctx.deps.settings.get(connectorsSetting);
      for (const r of rows) {
        if (stopped || watches.size >= settings.idleConnections) break;
        if (!watches.has(r.id) && !connecting.has(r.id)) void watch(r);
      }
      timer = setTimeout(refresh, settings.idleRefreshSeconds * 1000);
    } catch (e) {
      ctx.log.warn({ err: { message: (e as Error).message } }, 'IMAP IDLE refresh failed');
      timer = setTimeout(refresh, 30_000);
    }
    timer?.unref();
  }

  void refresh();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const id of [...watches.keys()]) await release(id);
      lockClient?.release();
      lockClient = null;
    },
  };
}
