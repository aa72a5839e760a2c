import { listSuggestions } from '@csme/contracts/suggestions';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { findSkill } from '#core/skill.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { createSuggestion } from './suggestions.service.js';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

describe('an action whose every worker died', () => {
  it('ends: unknown for the person to resend or dismiss when it had started, failed when it never had', async () => {
    // Regression (the fault suite): a job whose last attempt died with its worker is never taken again, and
    // its action stayed `executing`: an email neither sent, failed nor unknown, silently lost.
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const suggest = (skillId: string, action: unknown, key: string) =>
      env.deps.db.transaction().execute((tx) =>
        createSuggestion(
          { ...systemCtx(env.deps), db: tx },
          {
            spaceId,
            ownerAccountId: accountId,
            visibility: 'private',
            agentId: null,
            runId: null,
            skill: findSkill(env.deps.modules, skillId)!,
            action,
            idempotencyKey: key,
            policy: 'auto',
            locale: 'en',
          },
        ),
      );
    const mail = await suggest(
      'email.send',
      { to: ['friend@example.test'], cc: [], subject: 'Hello', text: 'Hi' },
      `abandoned-mail-${spaceId}`,
    );
    const task = await suggest('tasks.create', { title: 'Water the plants' }, `abandoned-task-${spaceId}`);
    // The email's worker had started sending; the task's never got that far. Each job used its last attempt.
    await sql`update suggestion set status = 'executing', attempts = 6 where id = ${mail.id}`.execute(env.deps.db);
    await sql`update graphile_worker._private_jobs set attempts = max_attempts, locked_by = null, locked_at = null
      where payload->>'suggestionId' in (${mail.id}, ${task.id})`.execute(env.deps.db);
    await env.worker();
    const status = async (id: string) =>
      await env.deps.db.selectFrom('suggestion').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow();
    await eventually(
      async () => (await status(mail.id)).status === 'unknown' && (await status(task.id)).status === 'failed',
      'both to end',
    );
    expect((await status(task.id)).error).toMatch(/nothing was done/);
    const open = await client.ok(listSuggestions, { query: { status: 'unknown' } });
    expect(open.items.map((s) => s.id)).toEqual([mail.id]);
    const notes = await env.deps.db.selectFrom('notification').select('kind').where('space_id', '=', spaceId).execute();
    expect(notes.map((n) => n.kind)).toContain('action.unknown');
  });
});
