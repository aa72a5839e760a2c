import { sql } from 'kysely';
import { z } from 'zod';
import type { Ctx } from '#core/ctx.js';
import { AppError, isAppError } from '#core/errors.js';
import { addJob, defineJob } from '#core/jobs.js';
import { syncCaldav, syncIcs } from './calendar/sync.js';
import { connectorsSetting } from './connectors.config.js';
import { type ConnectorRow, findConnector, listDueConnectors } from './connectors.repository.js';
import { readCredentials, recordFailure, recordSuccess } from './connectors.service.js';
import { syncMailbox } from './email/sync.js';
import { syncFeed } from './feeds/sync.js';

/** One pass of a connector's sync; every failure is recorded on the connector in plain words. */
async function syncOnce(ctx: Ctx, row: ConnectorRow): Promise<void> {
  try {
    switch (row.kind) {
      case 'email': {
        const r = await syncMailbox(ctx, row, await readCredentials(ctx, row));
        const total = r.itemErrors + (r.initialDone ? 0 : row.item_errors);
        await recordSuccess(ctx, row, {
          itemErrors: total,
          itemProblem: total
            ? `${total} message${total === 1 ? '' : 's'} could not be read fully and were indexed from their headers.`
            : null,
          initialDone: r.initialDone,
        });
        break;
      }
      case 'ics':
      case 'caldav': {
        const r = row.kind === 'ics' ? await syncIcs(ctx, row) : await syncCaldav(ctx, row, await readCredentials(ctx, row));
        await recordSuccess(ctx, row, {
          itemErrors: r.itemErrors,
          itemProblem: r.problem,
          state: r.state,
          initialDone: row.initial_synced_at === null,
        });
        break;
      }
      case 'feed': {
        const r = await syncFeed(ctx, row);
        await recordSuccess(ctx, row, { state: r.state, initialDone: row.initial_synced_at === null });
        break;
      }
    }
  } catch (e) {
    const err = isAppError(e)
      ? e
      : new AppError('unavailable', 'The sync stopped on an unexpected problem; it will be tried again.', { reason: 'internal' });
    if (!isAppError(e))
      ctx.log.warn({ connectorId: row.id, err: { message: (e as Error)?.message?.slice(0, 200) } }, 'connector sync failed');
    await recordFailure(ctx, row, err);
  }
}

/**
 * Syncs one connector. Failures are recorded on the connector and the job ends (the scheduler tries
 * again at the next interval): one broken account never blocks the queue, and a hanging server is
 * cut off by the connection timeouts. One sync per connector runs at a time (a lease); a request that
 * arrives meanwhile (new mail through IDLE, "sync now") makes the running one go round once more.
 */
export async function runSync(ctx: Ctx, spaceId: string, connectorId: string): Promise<void> {
  const first = await findConnector(ctx.deps.db, spaceId, connectorId);
  // The demo's sample accounts live only in the index: they never dial out.
  if (first?.status !== 'active' || first.kind === 'http' || first.demo) return;
  // Take the lease, or (in the same statement, under the row's lock) ask its holder to go round once
  // more: done in two statements, the holder could release the lease between them and the request was lost.
  const take = await sql<{ leased: boolean }>`update connector set
      sync_lease_until = case when sync_lease_until is null or sync_lease_until < now() then now() + interval '15 minutes' else sync_lease_until end,
      sync_requested = not (sync_lease_until is null or sync_lease_until < now())
    where id = ${connectorId} and space_id = ${spaceId} returning not sync_requested as leased`.execute(ctx.deps.db);
  if (!take.rows[0]?.leased) return;
  let held = true;
  try {
    for (let round = 0; round < 5; round++) {
      const row = round === 0 ? first : await findConnector(ctx.deps.db, spaceId, connectorId);
      if (row?.status !== 'active') return;
      await syncOnce(ctx, row);
      // Keep the lease for another round if a request came meanwhile, else let it go: one statement.
      const next = await sql<{ again: boolean }>`update connector set
          sync_lease_until = case when sync_requested then sync_lease_until else null end, sync_requested = false
        where id = ${connectorId} returning sync_lease_until is not null as again`.execute(ctx.deps.db);
      if (!next.rows[0]?.again) {
        held = false;
        return;
      }
    }
  } finally {
    if (held) await sql`update connector set sync_lease_until = null where id = ${connectorId}`.execute(ctx.deps.db);
  }
}

export const syncConnectorJob = defineJob({
  name: 'connectors.sync-connector',
  schema: z.object({ spaceId: z.uuid(), connectorId: z.uuid() }),
  options: { maxAttempts: 3 },
  handler: (ctx, p) => runSync(ctx, p.spaceId, p.connectorId),
});

/** Every minute: queues a sync for each active connector whose interval has passed (one pending job per connector). */
export const scheduleSyncsJob = defineJob({
  name: 'connectors.schedule-syncs',
  schema: z.object({}).passthrough(),
  handler: async (ctx) => {
    const settings = await ctx.deps.settings.get(connectorsSetting);
    const due = await listDueConnectors(ctx.deps.db, ctx.now(), settings.pollSeconds, 500);
    for (const c of due)
      await addJob(
        ctx.deps.db,
        syncConnectorJob,
        { spaceId: c.space_id, connectorId: c.id },
        { jobKey: `connector-sync:${c.id}`, jobKeyMode: 'unsafe_dedupe' },
      );
  },
});
