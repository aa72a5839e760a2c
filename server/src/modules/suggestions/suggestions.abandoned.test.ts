import { listSuggestions } from '@csme/contracts/suggestions';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { findSkill } from '#core/skill.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { finishSuggestion, releaseClaimedAction } from './suggestions.repository.js';
import { createSuggestion } from './suggestions.service.js';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

/** A private action of one person, proposed by no agent (`auto`: approved and queued; `suggest`: pending). */
const suggestAs = (p: { spaceId: string; accountId: string }, skillId: string, action: unknown, key: string, policy: 'auto' | 'suggest') =>
  env.deps.db.transaction().execute((tx) =>
    createSuggestion(
      { ...systemCtx(env.deps), db: tx },
      {
        spaceId: p.spaceId,
        ownerAccountId: p.accountId,
        visibility: 'private',
        agentId: null,
        runId: null,
        skill: findSkill(env.deps.modules, skillId)!,
        action,
        idempotencyKey: key,
        policy,
        locale: 'en',
      },
    ),
  );

describe('an action whose every worker died', () => {
  it('ends: unknown for the person to resend or dismiss when it had started, failed when it never had', async () => {
    // Regression (the fault suite): a job whose last attempt died with its worker is never taken again, and
    // its action stayed `executing`: an email neither sent, failed nor unknown, silently lost.
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const suggest = (skillId: string, action: unknown, key: string) => suggestAs({ spaceId, accountId }, skillId, action, key, 'auto');
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

describe('a worker frozen past its lease that wakes up', () => {
  it('cannot bring back an action another worker took over and recorded, nor overwrite its outcome', async () => {
    // Regression (the fault suite, freeze): worker A claimed an email (attempt 1) and froze; B took the action
    // over (attempt 2) and recorded `unknown`; A woke, its send failed as "unavailable", and it put the action
    // back to `approved` with no job left to run it: stuck, and the person's "please check" undone.
    const { spaceId, accountId } = await signedUpClient(await env.app());
    const s = await suggestAs(
      { spaceId, accountId },
      'email.send',
      { to: ['friend@example.test'], cc: [], subject: 'Hello', text: 'Hi' },
      `frozen-${spaceId}`,
      'suggest',
    );
    const row = () => env.deps.db.selectFrom('suggestion').select(['status', 'attempts']).where('id', '=', s.id).executeTakeFirstOrThrow();
    await sql`update suggestion set status = 'unknown', attempts = 2 where id = ${s.id}`.execute(env.deps.db);
    // A, holding attempt 1: its retry release and its own outcome change nothing.
    expect(await releaseClaimedAction(env.deps.db, spaceId, s.id, 1, { error: 'refused' })).toBe(0);
    expect(await finishSuggestion(env.deps.db, spaceId, s.id, ['executing'], { status: 'failed' }, 1)).toBe(0);
    expect(await row()).toEqual({ status: 'unknown', attempts: 2 });
    // While B is still at it (executing, attempt 2), A cannot release or end it either.
    await sql`update suggestion set status = 'executing' where id = ${s.id}`.execute(env.deps.db);
    expect(await releaseClaimedAction(env.deps.db, spaceId, s.id, 1, { error: 'refused' })).toBe(0);
    expect(await finishSuggestion(env.deps.db, spaceId, s.id, ['executing'], { status: 'failed' }, 1)).toBe(0);
    // B, whose claim holds, can give it back for a later attempt.
    expect(await releaseClaimedAction(env.deps.db, spaceId, s.id, 2, { error: 'refused' })).toBe(1);
    expect(await row()).toEqual({ status: 'approved', attempts: 2 });
  });
});
