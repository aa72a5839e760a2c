import * as S from '@csme/contracts/suggestions';
import { sql } from 'kysely';
import { systemCtx } from '../../src/core/ctx.js';
import { verifyChain } from '../../src/modules/activity/index.js';
import { type Admission, admitRun } from '../../src/modules/runs/index.js';
import { calendarSummaries, type Person, sentCopies, smtpReceived, tasksByTitle, type World } from './world.js';

/**
 * What every scenario must hold, checked on what a person and the far side would see: each admitted
 * run reached an end, the quota counted each admitted run once, and each run's task, calendar event
 * and email exist at most once (exactly once when the action says `done`); an email ends `done`,
 * `failed` or `unknown`, and an unknown one is in the person's inbox with a notification; the space's
 * hash-chained activity log still verifies from its first entry to its head.
 */

export type Figures = Record<string, number | string>;

export interface Outcome {
  figures: Figures;
  breaches: string[];
}

const EFFECT_SKILLS = ['tasks.create', 'calendar.create-event', 'email.send'] as const;
const TERMINAL_RUN = new Set(['succeeded', 'failed', 'cancelled', 'refused']);
const TERMINAL_ACTION = new Set(['done', 'failed', 'unknown', 'dismissed', 'rejected', 'expired']);

/** Runs of the chaos-effects agent admitted by a scenario, by tag ("k17" files "Chaos k17"). */
export class EffectsLedger {
  readonly person: Person;
  readonly prefix: string;
  private n = 0;
  readonly admitted = new Map<string, string>();
  refused = 0;
  /** Admissions the API did not confirm (it answered 503 while the database was away). */
  unconfirmed = 0;
  constructor(person: Person, prefix: string) {
    this.person = person;
    this.prefix = prefix;
  }

  next(): { tag: string; data: Record<string, unknown> } {
    const i = this.n++;
    const tag = `${this.prefix}${i}`;
    const start = new Date(Date.UTC(2026, 5, 1, 8) + i * 3_600_000);
    return {
      tag,
      data: {
        tag,
        to: this.person.recipient,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 30 * 60_000).toISOString(),
      },
    };
  }

  /** Admits `count` runs as a trigger would (one transaction each), concurrently. */
  async admit(world: World, count: number): Promise<Admission[]> {
    const ctx = systemCtx(world.deps);
    const out = await Promise.all(
      Array.from({ length: count }, async () => {
        const { tag, data } = this.next();
        const a = await admitRun(ctx, {
          spaceId: this.person.spaceId,
          agentId: this.person.agents.effects!,
          kind: 'manual',
          key: `chaos:${tag}`,
          data,
        });
        if (a.status === 'queued') this.admitted.set(a.runId, tag);
        else this.refused++;
        return a;
      }),
    );
    return out;
  }
}

async function runCounts(world: World, spaceId: string): Promise<Record<string, number>> {
  const r = await sql<{ status: string; n: number }>`
    select status, count(*)::int as n from agent_run where space_id = ${spaceId} group by status`.execute(world.deps.db);
  return Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
}

async function actionCounts(world: World, spaceId: string): Promise<Record<string, number>> {
  const r = await sql<{ status: string; n: number }>`
    select status, count(*)::int as n from suggestion where space_id = ${spaceId} group by status`.execute(world.deps.db);
  return Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
}

/** True when every run of the space has ended and every action it proposed has an outcome. */
export async function settled(world: World, spaceId: string): Promise<boolean> {
  const runs = await runCounts(world, spaceId);
  const actions = await actionCounts(world, spaceId);
  return Object.keys(runs).every((s) => TERMINAL_RUN.has(s)) && Object.keys(actions).every((s) => TERMINAL_ACTION.has(s));
}

export async function terminalRuns(world: World, spaceId: string): Promise<number> {
  const c = await runCounts(world, spaceId);
  return (c.succeeded ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0);
}

/** The quota counter of the space against the runs it admitted (refusals take nothing). */
export async function checkQuota(world: World, spaceId: string): Promise<Outcome> {
  const used = await sql<{ used: number }>`
    select coalesce(sum(used), 0)::int as used from usage_counter where space_id = ${spaceId} and metric = 'runs'`.execute(world.deps.db);
  const runs = await sql<{ n: number }>`
    select count(*)::int as n from agent_run where space_id = ${spaceId} and status <> 'refused'`.execute(world.deps.db);
  const u = used.rows[0]!.used;
  const n = runs.rows[0]!.n;
  return {
    figures: { quotaUsed: u, admittedRuns: n },
    breaches: u === n ? [] : [`quota counted ${u} runs for ${n} admitted (${u > n ? 'double-counted' : 'under-counted'})`],
  };
}

/** The space's activity log: every entry links to the one before it, and the head is the last one. */
export async function checkChain(world: World, spaceId: string): Promise<Outcome> {
  const chain = await verifyChain(systemCtx(world.deps), spaceId);
  return {
    figures: { activityEntries: chain.entries, activityChainBroken: chain.valid ? 0 : 1 },
    breaches: chain.valid
      ? []
      : [`the activity log's hash chain is broken at entry ${chain.brokenAtSeq} (of ${chain.entries} that verify)`],
  };
}

/** Every invariant over the runs of a ledger and what the tasks table, Radicale and the SMTP server hold. */
export async function checkEffects(world: World, ledger: EffectsLedger): Promise<Outcome> {
  const p = ledger.person;
  const breaches: string[] = [];
  const note = (b: string) => {
    if (breaches.length < 40) breaches.push(b);
    else if (breaches.length === 40) breaches.push('… more breaches left out');
  };
  const runs = await sql<{ id: string; status: string; error: string | null; tag: string; attempts: number }>`
    select id, status, error, trigger_data->>'tag' as tag, attempts from agent_run
    where space_id = ${p.spaceId} and agent_id = ${p.agents.effects!} and status <> 'refused'`.execute(world.deps.db);
  // Runs the API admitted without confirming (503 after commit) are runs all the same: they are checked too.
  for (const r of runs.rows) if (!ledger.admitted.has(r.id)) ledger.admitted.set(r.id, r.tag);
  const byStatus: Record<string, number> = {};
  for (const r of runs.rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const lost = runs.rows.filter((r) => !TERMINAL_RUN.has(r.status));
  for (const r of lost.slice(0, 10)) note(`run ${r.tag} (${r.id}) is lost: still ${r.status} after the drain`);
  for (const r of runs.rows.filter((x) => x.status === 'failed').slice(0, 10)) note(`run ${r.tag} failed: ${r.error}`);
  const missing = [...ledger.admitted.keys()].filter((id) => !runs.rows.some((r) => r.id === id));
  for (const id of missing.slice(0, 10)) note(`run ${ledger.admitted.get(id)} (${id}) was admitted but is not in the database`);

  const actions = await sql<{
    id: string;
    run_id: string;
    skill_id: string;
    status: string;
    title: string;
    error: string | null;
  }>`select id, run_id, skill_id, status, title, error from suggestion where space_id = ${p.spaceId}`.execute(world.deps.db);
  const byRun = new Map<string, typeof actions.rows>();
  for (const a of actions.rows) byRun.set(a.run_id, [...(byRun.get(a.run_id) ?? []), a]);
  const actionStatus: Record<string, number> = {};
  const outcome = new Map<string, string>(); // `${tag}/${skill}` -> status
  for (const r of runs.rows) {
    const mine = byRun.get(r.id) ?? [];
    for (const skill of EFFECT_SKILLS) {
      const of = mine.filter((a) => a.skill_id === skill);
      if (of.length > 1) note(`run ${r.tag} proposed ${skill} ${of.length} times`);
      if (of.length === 0 && r.status === 'succeeded') note(`run ${r.tag} succeeded without its ${skill} action`);
      const a = of[0];
      if (!a) continue;
      actionStatus[`${skill}:${a.status}`] = (actionStatus[`${skill}:${a.status}`] ?? 0) + 1;
      outcome.set(`${r.tag}/${skill}`, a.status);
      if (!TERMINAL_ACTION.has(a.status)) note(`${skill} of run ${r.tag} is stuck ${a.status}`);
      if (a.status === 'failed') note(`${skill} of run ${r.tag} failed: ${a.error}`);
    }
  }

  // The far side: the tasks table, Radicale's collection, the SMTP server and the Sent folder.
  const tasks = await tasksByTitle(world, p.spaceId);
  const events = await calendarSummaries(world, p);
  const mail = smtpReceived(world, p);
  const sent = await sentCopies(world, p);
  let dupTasks = 0;
  let dupEvents = 0;
  let dupMail = 0;
  let dupSent = 0;
  let lostEffects = 0;
  let unknownMailArrived = 0;
  for (const r of runs.rows) {
    const name = `Chaos ${r.tag}`;
    const t = tasks.get(name) ?? 0;
    const e = events.get(name) ?? 0;
    const m = mail.bySubject.get(name) ?? 0;
    const c = sent.get(name) ?? 0;
    if (t > 1) {
      dupTasks++;
      note(`${t} tasks "${name}"`);
    }
    if (e > 1) {
      dupEvents++;
      note(`${e} calendar events "${name}"`);
    }
    if (m > 1) {
      dupMail++;
      note(`the SMTP server received "${name}" ${m} times`);
    }
    if (c > 1) {
      dupSent++;
      note(`${c} copies of "${name}" in Sent`);
    }
    const ts = outcome.get(`${r.tag}/tasks.create`);
    const es = outcome.get(`${r.tag}/calendar.create-event`);
    const ms = outcome.get(`${r.tag}/email.send`);
    if (ts === 'done' && t !== 1) {
      lostEffects++;
      note(`task "${name}" is recorded done but the tasks app has ${t}`);
    }
    if (es === 'done' && e !== 1) {
      lostEffects++;
      note(`event "${name}" is recorded done but Radicale has ${e}`);
    }
    if (ms === 'done' && m !== 1) {
      lostEffects++;
      note(`email "${name}" is recorded sent but the SMTP server received it ${m} times`);
    }
    if (ms === 'failed' && m > 0) note(`email "${name}" is recorded failed but the SMTP server received it`);
    if (ms === 'unknown' && m > 0) unknownMailArrived++;
  }
  for (const [id, n] of mail.byMessageId) if (n > 1) note(`the SMTP server received Message-ID ${id} ${n} times`);

  // An email (or event) whose outcome is unknown is in front of the person: in the inbox, with a notification.
  const unknown = actions.rows.filter((a) => a.status === 'unknown');
  if (unknown.length) {
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await p.client.ok(S.listSuggestions, { query: { status: 'unknown', limit: 100, cursor } });
      listed.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const notes = await sql<{ title: string }>`
      select title from notification where space_id = ${p.spaceId} and kind = 'action.unknown'`.execute(world.deps.db);
    for (const a of unknown) {
      if (!listed.includes(a.id)) note(`unknown action "${a.title}" is not in the person's inbox`);
      if (!notes.rows.some((n) => n.title.endsWith(a.title))) note(`unknown action "${a.title}" has no notification`);
    }
  }
  // The activity log says "Done" once per action.
  const performed = await sql<{ object_id: string; n: number }>`
    select object_id, count(*)::int as n from activity where space_id = ${p.spaceId} and kind = 'action.performed'
    group by object_id having count(*) > 1`.execute(world.deps.db);
  for (const r of performed.rows.slice(0, 5)) note(`the activity log says action ${r.object_id} was done ${r.n} times`);

  const quota = await checkQuota(world, p.spaceId);
  breaches.push(...quota.breaches);
  const chain = await checkChain(world, p.spaceId);
  breaches.push(...chain.breaches);
  const retried = runs.rows.filter((r) => r.attempts > 1).length;
  return {
    figures: {
      runs: runs.rows.length,
      succeeded: byStatus.succeeded ?? 0,
      failed: byStatus.failed ?? 0,
      lost: lost.length + missing.length,
      runsResumed: retried,
      tasks: [...tasks.values()].reduce((a, b) => a + b, 0),
      calendarEvents: [...events.values()].reduce((a, b) => a + b, 0),
      emailsReceived: [...mail.bySubject.values()].reduce((a, b) => a + b, 0),
      emailsDone: actionStatus['email.send:done'] ?? 0,
      emailsUnknown: actionStatus['email.send:unknown'] ?? 0,
      emailsFailed: actionStatus['email.send:failed'] ?? 0,
      unknownEmailsThatArrived: unknownMailArrived,
      eventsUnknown: actionStatus['calendar.create-event:unknown'] ?? 0,
      duplicateTasks: dupTasks,
      duplicateEvents: dupEvents,
      duplicateEmails: dupMail,
      duplicateSentCopies: dupSent,
      lostEffects,
      ...quota.figures,
      ...chain.figures,
    },
    breaches,
  };
}
