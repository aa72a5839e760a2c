import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import * as Cal from '@csme/contracts/calendar';
import * as C from '@csme/contracts/connectors';
import * as D from '@csme/contracts/demo';
import * as L from '@csme/contracts/lists';
import * as N from '@csme/contracts/notes';
import * as P from '@csme/contracts/packs';
import { getUsage } from '@csme/contracts/plans';
import * as R from '@csme/contracts/reminders';
import { getRun, listRuns, runAgentNow } from '@csme/contracts/runs';
import { approveSuggestion, listSuggestions } from '@csme/contracts/suggestions';
import { listTasks } from '@csme/contracts/tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { fromSources, generateKeysFile, keysAsEnv } from '#core/keys.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { runSync } from '#modules/connectors/index.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';

// The demo's sample data, and the Inbox & Day and Family Hub packs running end to end on it with the
// local engine (no model): what each agent proposes or says, and what approving does.

let env: TestEnv;
const keysFile = generateKeysFile();
const INBOX_SCOPES = ['email:read', 'email:write', 'calendar:read', 'tasks:read', 'tasks:write', 'contacts:read', 'notify'];
const FAMILY_SCOPES = ['calendar:read', 'lists:read', 'lists:write', 'reminders:read', 'reminders:write', 'notify'];

beforeAll(async () => {
  env = await createTestEnv({ keys: fromSources({}, keysFile) });
  await env.worker();
});
afterAll(() => env.close());

async function finished(client: TestClient, runId: string) {
  return eventually(
    async () => {
      const r = await client.ok(getRun, { params: { runId } });
      return ['succeeded', 'failed', 'cancelled', 'refused'].includes(r.status) ? r : undefined;
    },
    `run ${runId} to finish`,
    30_000,
  );
}

async function runNow(client: TestClient, agentId: string, input?: Record<string, unknown>) {
  const run = await client.ok(runAgentNow, { params: { agentId }, body: input ? { input } : {} });
  const done = await finished(client, run.id);
  expect(done.error).toBeNull();
  expect(done.status).toBe('succeeded');
  return done;
}

const pending = async (client: TestClient) => (await client.ok(listSuggestions, { query: { status: 'pending', limit: 100 } })).items;
const notifications = (accountId: string) =>
  env.deps.db
    .selectFrom('notification')
    .select(['title', 'body', 'kind'])
    .where('owner_account_id', '=', accountId)
    .orderBy('created_at')
    .execute();
/** A notification an agent sent (notify.person is an action: it is performed just after the run). */
const notified = (accountId: string, match: (title: string) => boolean) =>
  eventually(async () => (await notifications(accountId)).find((n) => match(n.title)), 'the notification');

describe('the demo data', () => {
  it('fills a space with marked sample data whose accounts never dial out and do not count against the plan, and removes it all in one step', async () => {
    const { client, spaceId, accountId } = await signedUpClient(await env.app(), { name: 'Noa Cohen' });
    expect((await client.ok(D.getDemo)).present).toBe(false);
    const made = await client.ok(D.createDemo);
    expect(made.present).toBe(true);
    expect(made.counts).toMatchObject({
      mail_message: 10,
      calendar_event: 6,
      list: 1,
      list_item: 6,
      list_staple: 4,
      task: 4,
      reminder: 1,
      note: 1,
      uploaded_file: 1,
    });
    expect((await client.call(D.createDemo)).status).toBe(409);
    // The sample accounts: marked, never synced (no connection is tried), outside the plan's count.
    const accounts = (await client.ok(C.listConnectors)).items;
    expect(accounts.map((a) => [a.kind, a.name, a.settings.demo])).toEqual([
      ['email', 'Sample mailbox (demo)', true],
      ['ics', 'Sample calendar (demo)', true],
    ]);
    const before = await env.deps.db.selectFrom('connector').select(['id', 'last_sync_at']).where('space_id', '=', spaceId).execute();
    for (const a of before) await runSync(systemCtx(env.deps), spaceId, a.id);
    expect(await env.deps.db.selectFrom('connector').select(['id', 'last_sync_at']).where('space_id', '=', spaceId).execute()).toEqual(
      before,
    );
    expect((await client.ok(C.syncConnector, { params: { connectorId: accounts[0]!.id } })).id).toBe(accounts[0]!.id);
    expect((await client.ok(getUsage)).meters.find((m) => m.key === 'connectors')?.used).toBe(0);
    expect(env.logs.join('\n')).not.toMatch(/demo\.invalid.*(connect|ENOTFOUND)/);
    // What the person sees: the family list by aisle with staples missing, the calendar with its clash.
    const list = (await client.ok(L.listLists)).items[0]!;
    const detail = await client.ok(L.getList, { params: { listId: list.id } });
    expect(detail.missingStaples.map((s) => s.name)).toEqual(['banana', 'coffee']);
    const week = await client.ok(Cal.getAgenda, { query: { from: '2026-03-10T00:00:00Z', to: '2026-03-17T00:00:00Z' } });
    expect(week.conflicts.length).toBeGreaterThanOrEqual(1);
    expect((await client.ok(R.listReminders)).items[0]).toMatchObject({
      title: 'Take the bins out',
      repeats: 'Every Tuesday at 19:00',
      demo: true,
    });
    // Something the person made stays when the demo goes.
    const mine = await client.ok(N.createNote, { body: { title: 'My own note' } });
    const gone = await client.ok(D.deleteDemo);
    expect(gone.present).toBe(false);
    expect(Object.values(gone.counts).every((n) => n === 0)).toBe(true);
    expect((await client.ok(C.listConnectors)).items).toEqual([]);
    expect((await client.ok(N.listNotes)).items.map((n) => n.id)).toEqual([mine.id]);
    expect((await client.ok(listTasks)).items).toEqual([]);
    for (const t of ['mail_message', 'calendar_event', 'calendar_occurrence', 'mail_folder', 'uploaded_file'] as const)
      expect(await env.deps.db.selectFrom(t).select('space_id').where('space_id', '=', spaceId).execute()).toEqual([]);
    const log = await env.deps.db.selectFrom('activity').select('kind').where('space_id', '=', spaceId).execute();
    expect(log.map((l) => l.kind)).toEqual(expect.arrayContaining(['demo.added', 'demo.removed']));
    // It can be added again after removal, and another space's demo is not touched by this one.
    const other = await signedUpClient(await env.app());
    await other.client.ok(D.createDemo);
    await client.ok(D.createDemo);
    await client.ok(D.deleteDemo);
    expect((await other.client.ok(D.getDemo)).present).toBe(true);
    expect(accountId).toBeTruthy();
  });
});

describe('csme demo', () => {
  it('fills a space named by its owner’s email from the command line, and removes the sample data with --remove', async () => {
    const { client, email } = await signedUpClient(await env.app());
    const keyEnv = Object.fromEntries(
      keysAsEnv(keysFile)
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const csme = (...args: string[]) =>
      execFileSync(process.execPath, [join(resolve(import.meta.dirname, '../../../..'), 'server/bin/csme.js'), ...args], {
        env: { ...process.env, ...keyEnv, DATABASE_URL: env.databaseUrl, LOG_LEVEL: 'warn' },
        encoding: 'utf8',
      });
    expect(csme('demo', email)).toMatch(/^Added the sample data to space [0-9a-f-]+: .*10 mail_message, 6 calendar_event/m);
    expect((await client.ok(D.getDemo)).present).toBe(true);
    expect(csme('demo', email, '--remove')).toMatch(/^Removed the sample data from space/m);
    expect((await client.ok(D.getDemo)).present).toBe(false);
  });
});

describe('Inbox & Day on the demo mailbox (Free: one pack, three agents)', () => {
  it('turns on triage, briefing and meeting prep; triages new demo mail into suggestions; approving a task creates it', async () => {
    const { client, spaceId, accountId } = await signedUpClient(await env.app(), { name: 'Noa Cohen' });
    const inst = await client.ok(P.installPack, { params: { packId: 'inbox-day' }, body: { settings: {}, grantedScopes: INBOX_SCOPES } });
    const byKey = Object.fromEntries(inst.agents.map((a) => [a.key, a]));
    expect(
      Object.values(byKey)
        .filter((a) => a.enabled)
        .map((a) => a.key),
    ).toEqual(['inbox-triage', 'daily-briefing', 'meeting-prep']);
    expect(byKey['task-prioritiser']!.enabled).toBe(false);
    // The demo announces its four newest unread messages as new mail: the triage agent gets a run for each.
    await client.ok(D.createDemo);
    const runs = await eventually(
      async () => {
        const items = (await client.ok(listRuns, { query: { agentId: byKey['inbox-triage']!.id } })).items;
        return items.length === 4 && items.every((r) => r.status === 'succeeded') ? items : undefined;
      },
      'four triage runs',
      60_000,
    );
    expect(runs.every((r) => r.triggerKind === 'event')).toBe(true);
    let open = await pending(client);
    const titles = open.map((s) => s.title).sort();
    expect(titles).toEqual(
      [
        'Create a task: Could you review the budget draft and send me your comments by Friday?',
        'Create a task: Please sign the permission slip and return it by Wednesday.',
        'Flag a message',
        'Save a reply draft',
      ].sort(),
    );
    // "Run now": the newest unread messages, the other categories too (labels for newsletters and receipts).
    await runNow(client, byKey['inbox-triage']!.id);
    open = await pending(client);
    expect(open.map((s) => s.title)).toEqual(expect.arrayContaining(['Move a message to Newsletters', 'Move a message to Receipts']));
    const budget = open.find((s) => s.title.includes('budget draft'))!;
    expect(budget.action).toMatchObject({ dueAt: '2026-03-13T12:00:00Z', priority: 'normal' });
    await client.ok(approveSuggestion, { params: { suggestionId: budget.id }, body: { hash: budget.actionHash } });
    const task = await eventually(
      async () => (await client.ok(listTasks)).items.find((t) => t.title.startsWith('Could you review the budget')),
      'the approved task',
    );
    expect(task).toMatchObject({ createdByAgent: true, dueAt: '2026-03-13T12:00:00.000Z' });
    // Approving a label on the sample mailbox changes the index only (the account never dials out).
    const move = open.find((s) => s.title === 'Move a message to Newsletters')!;
    await client.ok(approveSuggestion, { params: { suggestionId: move.id }, body: { hash: move.actionHash } });
    await eventually(
      async () =>
        (
          await env.deps.db
            .selectFrom('mail_message')
            .select('folder')
            .where('space_id', '=', spaceId)
            .where('folder', '=', 'Newsletters')
            .execute()
        ).length === 1,
      'the newsletter moved in the index',
    );
    // The meeting 40 minutes away: 30 minutes before it, meeting prep gathers the thread with Yael.
    const prep = await eventually(
      async () => (await notifications(accountId)).find((n) => n.title === 'Soon: Website redesign review'),
      'the meeting prep note',
      60_000,
    );
    expect(prep.body).toContain('yael@brightside.studio');
    expect(prep.body).toContain('Proposal for the website redesign');
    // The morning briefing, run now: today's meetings, tasks due, the mail that needs you.
    await runNow(client, byKey['daily-briefing']!.id);
    const brief = await notified(accountId, (t) => t.startsWith('Your day:'));
    expect(brief.title).toMatch(/^Your day: \d+ meetings?, \d+ tasks? due, [1-9]\d* emails? needs? you$/);
    expect(brief.body).toContain('Website redesign review');
    expect(brief.body).toContain('Pay the electricity bill');
    expect(brief.body).toContain('Dana Levi — Budget draft: your comments by Friday?');
    // Stand-up has nobody invited: no prep note for it.
    expect((await notifications(accountId)).some((n) => n.title === 'Soon: Team stand-up')).toBe(false);
    // Removing the sample data dismisses what was proposed about its messages; proposed tasks stay.
    await client.ok(D.deleteDemo);
    const left = await pending(client);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((x) => x.actionType === 'tasks.create')).toBe(true);
  }, 180_000);

  it('on Personal Pro, the task prioritiser proposes raising overdue tasks and names three to focus on', async () => {
    const { client, email, accountId } = await signedUpClient(await env.app());
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    const inst = await client.ok(P.installPack, {
      params: { packId: 'inbox-day' },
      body: { settings: {}, grantedScopes: INBOX_SCOPES, enableAgents: ['task-prioritiser'] },
    });
    await client.ok(D.createDemo);
    await runNow(client, inst.agents.find((a) => a.key === 'task-prioritiser')!.id);
    const props = (await pending(client)).filter((s) => s.actionType === 'tasks.update');
    expect(props.map((s) => s.summary)).toEqual(['“Pay the electricity bill” is overdue.']);
    const focus = await notified(accountId, (t) => t.startsWith('Focus today'));
    expect(focus.title).toBe('Focus today: Pay the electricity bill · Send the signed contract to Yael · Book a table for Friday dinner');
  });
});

describe('Family Hub on the demo data (Personal Pro)', () => {
  it('tells about calendar clashes, proposes missing staples, writes the weekly digest, and takes plain messages', async () => {
    const { client, email, accountId } = await signedUpClient(await env.app(), { name: 'Noa Cohen' });
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    await client.ok(D.createDemo);
    const inst = await client.ok(P.installPack, {
      params: { packId: 'family-hub' },
      body: {
        settings: {},
        grantedScopes: FAMILY_SCOPES,
        enableAgents: ['calendar-clashes', 'shopping-staples', 'weekly-digest', 'plain-messages'],
      },
    });
    const agent = (key: string) => inst.agents.find((a) => a.key === key)!.id;
    await runNow(client, agent('calendar-clashes'));
    // Tomorrow's planning meeting and the dentist overlap (and today's stand-up runs into the review).
    const clash = await notified(accountId, (t) => /clash(es)? in the family calendar$/.test(t));
    expect(clash.body).toMatch(/Wed 03-11: 10:00 Q3 planning with Maya overlaps 10:30 Dentist/);

    await runNow(client, agent('shopping-staples'));
    const staples = (await pending(client)).find((s) => s.actionType === 'lists.add-items')!;
    expect(staples.title).toBe('Add to the list: 6 banana, coffee');
    await client.ok(approveSuggestion, { params: { suggestionId: staples.id }, body: { hash: staples.actionHash } });
    const list = (await client.ok(L.listLists)).items[0]!;
    await eventually(
      async () => (await client.ok(L.getList, { params: { listId: list.id } })).missingStaples.length === 0,
      'staples added',
    );

    await runNow(client, agent('weekly-digest'));
    const digest = await notified(accountId, (t) => t.startsWith('The week ahead'));
    expect(digest.body).toContain('Dinner with the Levis');
    expect(digest.body).toContain('Take the bins out — Noa Cohen (Every Tuesday at 19:00)');
    expect(digest.body).toMatch(/Shopping list: 8 items/);

    await runNow(client, agent('plain-messages'), { body: { text: 'remind me to water the plants every Friday at 6pm' } });
    await runNow(client, agent('plain-messages'), { body: { text: '2 litres of orange juice and a jar of honey' } });
    await eventually(
      async () =>
        (await client.ok(R.listReminders)).items.find((r) => r.title === 'Water the plants' && r.repeats === 'Every Friday at 18:00'),
      'the reminder from a message',
    );
    await eventually(async () => {
      const d = await client.ok(L.getList, { params: { listId: list.id } });
      return d.items.some((i) => i.name === 'orange juice') && d.items.some((i) => i.name === 'honey');
    }, 'the items from a message');
  }, 120_000);
});
