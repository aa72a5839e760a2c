import type { DemoStatus } from '@csme/contracts/demo';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { inTenant } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { logActivity } from '#modules/activity/index.js';
import { addItemsIn, addStapleIn, createListIn, createNoteIn, createReminderIn, createTaskIn } from '#modules/apps/index.js';
import {
  countDemoIndex,
  createDemoAccounts,
  type DemoMessage,
  deleteDemoAccounts,
  deleteDemoFiles,
  insertDemoFile,
} from '#modules/connectors/index.js';
import { raiseEvent } from '#modules/runs/index.js';
import { dismissPendingAbout } from '#modules/suggestions/index.js';

/** Whose space the sample data goes into, and in which zone "today" is. */
export interface DemoTarget {
  spaceId: string;
  accountId: string;
  email: string;
  displayName: string;
  timeZone: string;
  /** Family spaces share the list, calendar and reminder; the mailbox is always the person's own. */
  spaceKind: 'personal' | 'family';
}

/** Tables that hold rows marked `demo` (besides the sample accounts, whose index goes with them). */
const DEMO_TABLES = ['task', 'note', 'list', 'list_item', 'list_staple', 'reminder', 'contact', 'calendar_entry'] as const;

export async function demoStatus(db: Db, spaceId: string): Promise<DemoStatus> {
  const counts: Record<string, number> = {};
  for (const t of DEMO_TABLES) {
    const r = await sql<{ n: string }>`select count(*) as n from ${sql.table(t)} where space_id = ${spaceId} and demo`.execute(db);
    counts[t] = Number(r.rows[0]?.n ?? 0);
  }
  const index = await countDemoIndex(db, spaceId);
  const files = await sql<{ n: string }>`select count(*) as n from uploaded_file where space_id = ${spaceId} and demo`.execute(db);
  counts.mail_message = index.messages;
  counts.calendar_event = index.events;
  counts.uploaded_file = Number(files.rows[0]?.n ?? 0);
  return { present: Object.values(counts).some((n) => n > 0), counts };
}

/**
 * The study document of the demo, for Study Buddy: stored as an uploaded file marked `demo`, and
 * announced with `document.uploaded` like an upload, so Study Buddy's agent (if installed) makes it a
 * study document as it would any upload; that row goes with the file when the demo is removed (on
 * delete cascade). Returns the file's id.
 */
export async function addDemoStudyDocument(
  c: Ctx,
  t: DemoTarget,
  doc: { name: string; text: string } = SAMPLE_STUDY_DOCUMENT,
): Promise<string> {
  const visibility = t.spaceKind === 'family' ? 'shared' : 'private';
  const fileId = await insertDemoFile(c.db, {
    spaceId: t.spaceId,
    ownerAccountId: t.accountId,
    visibility,
    name: doc.name,
    mediaType: 'text/markdown',
    text: doc.text,
    now: c.now(),
  });
  await raiseEvent(c, {
    spaceId: t.spaceId,
    ownerAccountId: t.accountId,
    visibility,
    type: 'document.uploaded',
    source: 'demo',
    dedupeKey: fileId,
    data: { fileId, name: doc.name, mediaType: 'text/markdown' },
  });
  return fileId;
}

/**
 * Fills a space with the sample data (refused when it already has some). The mailbox and calendar are
 * sample accounts of the connectors (they never dial out); the rest goes through the apps. A few of the
 * newest unread messages are announced to agents as new mail, so an installed Inbox & Day reacts.
 */
export async function seedDemo(ctx: Ctx, t: DemoTarget): Promise<DemoStatus> {
  const now = ctx.now();
  const shared = t.spaceKind === 'family' ? 'shared' : 'private';
  await ctx.deps.db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`demo:${t.spaceId}`}))`.execute(tx);
    if ((await demoStatus(tx, t.spaceId)).present)
      throw new AppError('conflict', 'This space already has the sample data. Remove it first to start again.');
  });
  const day = DateTime.fromJSDate(now, { zone: t.timeZone }).startOf('day');
  await createDemoAccounts(ctx, {
    spaceId: t.spaceId,
    ownerAccountId: t.accountId,
    visibility: 'private',
    address: t.email,
    messages: sampleMailbox(t, now),
    calendarIcs: sampleCalendar(t, now),
    announce: 4,
  });
  await inTenant(ctx.deps.db, { spaceId: t.spaceId, accountId: t.accountId }, async (db) => {
    const c: Ctx = { ...ctx, db };
    const listId = await createListIn(db, now, t.spaceId, {
      name: 'Family shopping',
      kind: 'shopping',
      visibility: shared,
      ownerAccountId: t.accountId,
      createdByAccountId: t.accountId,
      demo: true,
    });
    const list = { id: listId, space_id: t.spaceId, owner_account_id: t.accountId, visibility: shared, kind: 'shopping' };
    await addItemsIn(
      c,
      db,
      list,
      [
        { name: 'milk', quantity: 2, unit: 'l', category: 'dairy' },
        { name: 'egg', quantity: 12, category: 'dairy' },
        { name: 'bread', quantity: 1, unit: 'loaf', category: 'bakery' },
        { name: 'apple', quantity: 6, category: 'produce' },
        { name: 'pasta', quantity: 500, unit: 'g', category: 'pantry' },
        { name: 'toilet paper', category: 'household' },
      ],
      { accountId: t.accountId, demo: true },
    );
    for (const s of [
      { name: 'milk', quantity: 2, unit: 'l', category: 'dairy' as const },
      { name: 'bread', quantity: 1, unit: 'loaf', category: 'bakery' as const },
      { name: 'coffee', category: 'drinks' as const },
      { name: 'banana', quantity: 6, category: 'produce' as const },
    ])
      await addStapleIn(db, list, { ...s, demo: true });
    const at = (days: number, hour: number, minute = 0) => day.plus({ days }).set({ hour, minute }).toJSDate();
    for (const task of [
      { title: 'Pay the electricity bill', dueAt: at(-1, 18), priority: 'normal' as const },
      { title: 'Send the signed contract to Yael', dueAt: at(0, 17), priority: 'high' as const },
      { title: 'Book a table for Friday dinner', dueAt: at(1, 12), priority: 'normal' as const },
      { title: 'Renew passport', dueAt: at(10, 9), priority: 'low' as const },
    ])
      await createTaskIn(db, c, t.spaceId, {
        ...task,
        dueAt: task.dueAt.toISOString(),
        visibility: 'private',
        ownerAccountId: t.accountId,
        createdByAccountId: t.accountId,
        demo: true,
      });
    let nextTuesday = day.plus({ days: (2 - day.weekday + 7) % 7 }).set({ hour: 19 });
    if (nextTuesday.toJSDate() <= now) nextTuesday = nextTuesday.plus({ days: 7 });
    await createReminderIn(db, now, t.spaceId, {
      title: 'Take the bins out',
      dueAt: nextTuesday.toJSDate(),
      rrule: 'FREQ=WEEKLY;BYDAY=TU',
      timeZone: t.timeZone,
      assigneeAccountId: t.accountId,
      visibility: shared,
      ownerAccountId: t.accountId,
      createdByAccountId: t.accountId,
      demo: true,
    });
    await createNoteIn(db, now, t.spaceId, {
      title: 'Ideas for the weekend',
      body: '## Saturday\n- Farmers market in the morning\n- **Picnic** in the park if it is sunny\n\n## Sunday\n1. Bike ride\n2. Call grandma',
      visibility: shared,
      ownerAccountId: t.accountId,
      createdByAccountId: t.accountId,
      demo: true,
    });
    await addDemoStudyDocument(c, t);
    await logActivity(
      db,
      {
        spaceId: t.spaceId,
        ownerAccountId: null,
        actorKind: 'person',
        actorAccountId: t.accountId,
        kind: 'demo.added',
        summary: 'Added the sample data (a mailbox, a calendar, a shopping list, tasks, a reminder, a note, a study document)',
      },
      now,
    );
  });
  return demoStatus(ctx.deps.db, t.spaceId);
}

/** Removes every row marked `demo` in the space and the sample accounts with their index, in one transaction. */
export async function removeDemo(ctx: Ctx, spaceId: string, by: string | null): Promise<DemoStatus> {
  await ctx.deps.db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`demo:${spaceId}`}))`.execute(tx);
    // Suggestions about sample objects would point at nothing: they are dismissed with them.
    const about = await sql<{ id: string }>`
      select m.id from mail_message m join connector c on c.id = m.connector_id where m.space_id = ${spaceId} and c.demo
      union all select id from list where space_id = ${spaceId} and demo
      union all select id from task where space_id = ${spaceId} and demo
      union all select e.id from calendar_event e join connector c on c.id = e.connector_id where e.space_id = ${spaceId} and c.demo`.execute(
      tx,
    );
    await dismissPendingAbout(
      tx,
      spaceId,
      about.rows.map((r) => r.id),
      ctx.now(),
    );
    await deleteDemoAccounts(tx, spaceId);
    await deleteDemoFiles(tx, spaceId);
    // Children before parents: items and staples of a demo list go with it anyway.
    for (const t of ['list_item', 'list_staple', 'list', 'task', 'note', 'reminder', 'contact', 'calendar_entry'] as const)
      await sql`delete from ${sql.table(t)} where space_id = ${spaceId} and demo`.execute(tx);
    await logActivity(
      tx,
      {
        spaceId,
        ownerAccountId: null,
        actorKind: by ? 'person' : 'operator',
        actorAccountId: by,
        kind: 'demo.removed',
        summary: 'Removed the sample data (what you made yourself stays)',
      },
      ctx.now(),
    );
  });
  return demoStatus(ctx.deps.db, spaceId);
}

function assertAdult(ctx: ActorCtx) {
  if (ctx.actor.role === 'child')
    throw new AppError('forbidden', 'Only an adult of the family can add or remove the sample data.', { reason: 'child' });
}

export async function seedDemoAsPerson(ctx: ActorCtx): Promise<DemoStatus> {
  assertAdult(ctx);
  const a = ctx.actor;
  return seedDemo(ctx, {
    spaceId: a.spaceId,
    accountId: a.accountId,
    email: a.email,
    displayName: a.displayName,
    timeZone: a.timeZone,
    spaceKind: a.spaceKind,
  });
}

export async function removeDemoAsPerson(ctx: ActorCtx): Promise<DemoStatus> {
  assertAdult(ctx);
  return removeDemo(ctx, ctx.actor.spaceId, ctx.actor.accountId);
}

// ---------------------------------------------------------------- the sample data

const SAMPLE_STUDY_DOCUMENT = {
  name: 'Photosynthesis (sample study notes).md',
  text: `# Photosynthesis

Photosynthesis is the process by which green plants, algae and some bacteria turn light energy into chemical energy. It takes place mainly in the chloroplasts of leaf cells, which contain the green pigment chlorophyll.

The overall reaction uses carbon dioxide and water and produces glucose and oxygen. Six molecules of carbon dioxide and six molecules of water make one molecule of glucose and six molecules of oxygen.

Photosynthesis has two stages. The light-dependent reactions happen in the thylakoid membranes: chlorophyll absorbs light, water is split, oxygen is released, and the energy is stored in ATP and NADPH. The Calvin cycle happens in the stroma: the enzyme RuBisCO fixes carbon dioxide, and ATP and NADPH are used to build glucose.

The rate of photosynthesis depends on light intensity, the concentration of carbon dioxide and temperature. When one of these factors is in short supply it limits the rate, whatever the others are.

Photosynthesis is the source of almost all the oxygen in the atmosphere and of the energy in nearly every food chain.
`,
};

function sampleMailbox(t: DemoTarget, now: Date): DemoMessage[] {
  const me = { name: t.displayName, address: t.email };
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
  const id = (n: string) => `<demo-${n}@demo.invalid>`;
  const dana = { name: 'Dana Levi', address: 'dana.levi@acme-tools.com' };
  const maya = { name: 'Maya Cohen', address: 'maya@northwind.io' };
  const yael = { name: 'Yael Mizrahi', address: 'yael@brightside.studio' };
  return [
    {
      messageId: id('yael-1'),
      from: yael,
      to: [me],
      subject: 'Proposal for the website redesign',
      text: 'Hi,\n\nAttached is our proposal for the website redesign: a new home page, a simpler checkout and a blog. The budget is in section 4.\n\nBest,\nYael',
      sentAt: ago(3 * 24 * 60),
      unread: false,
    },
    {
      messageId: id('yael-2'),
      inReplyTo: id('yael-1'),
      threadId: id('yael-1'),
      from: me,
      to: [yael],
      subject: 'Re: Proposal for the website redesign',
      text: 'Thanks Yael, this looks good. Can we go through the timeline when we meet?\n\n> Attached is our proposal for the website redesign',
      sentAt: ago(2 * 24 * 60),
      unread: false,
    },
    {
      messageId: id('yael-3'),
      inReplyTo: id('yael-2'),
      threadId: id('yael-1'),
      from: yael,
      to: [me],
      subject: 'Re: Proposal for the website redesign',
      text: 'Sure! I will bring the timeline and two design options for the home page.\n\nYael',
      sentAt: ago(20 * 60),
      unread: false,
    },
    {
      messageId: id('news-1'),
      from: { name: 'The Weekly Brief', address: 'news@weeklybrief.example' },
      to: [me],
      subject: 'This week: 5 ideas to run better meetings',
      text: 'The Weekly Brief — issue 112.\n\nFive ideas to run better meetings, a reading list and our top links of the week.\n\nYou are receiving this newsletter because you subscribed. Unsubscribe or manage your preferences at any time.',
      sentAt: ago(9 * 60),
      unread: true,
    },
    {
      messageId: id('receipt-1'),
      from: { name: 'Green Grocer Orders', address: 'orders@greengrocer.example' },
      to: [me],
      subject: 'Your order #4821 is confirmed',
      text: 'Thank you for your order #4821.\n\nOrder total: $42.90, paid with your card ending 4242. Your receipt is attached. Delivery on Thursday between 8:00 and 10:00.',
      sentAt: ago(7 * 60),
      unread: true,
    },
    {
      messageId: id('alert-1'),
      from: { name: 'Cloudbox Security', address: 'no-reply@cloudbox.example' },
      to: [me],
      subject: 'New sign-in to your account',
      text: 'We noticed a new sign-in to your Cloudbox account from Chrome on Linux. If this was you, you can ignore this alert. If not, reset your password.',
      sentAt: ago(5 * 60),
      unread: true,
    },
    {
      messageId: id('omer-1'),
      from: { name: 'Omer Bar', address: 'omer.bar@gmail.com' },
      to: [me],
      subject: 'Photos from the weekend',
      text: 'Hey! Here are the photos from Saturday, it was such a fun day. No need to reply, just enjoy them.\n\nOmer',
      sentAt: ago(4 * 60),
      unread: true,
    },
    {
      messageId: id('school-1'),
      from: { name: 'Ms. Rivka Adler', address: 'rivka.adler@oakwood-school.org' },
      to: [me],
      subject: 'Class trip: permission slip',
      text: 'Dear parents,\n\nThe class trip to the science museum is next Thursday. Please sign the permission slip and return it by Wednesday.\n\nThank you,\nRivka Adler',
      sentAt: ago(3 * 60),
      unread: true,
    },
    {
      messageId: id('maya-1'),
      from: maya,
      to: [me],
      subject: 'Q3 planning meeting',
      text: 'Hi,\n\nCan we meet tomorrow at 10:00 to plan Q3? I would like to agree on the three main goals. Let me know if that time works for you.\n\nMaya',
      sentAt: ago(90),
      unread: true,
    },
    {
      messageId: id('dana-1'),
      from: dana,
      to: [me],
      subject: 'Budget draft: your comments by Friday?',
      text: 'Hi,\n\nCould you review the budget draft and send me your comments by Friday? The numbers for marketing are the ones I am least sure about.\n\nThanks,\nDana',
      sentAt: ago(40),
      unread: true,
    },
  ];
}

/** The sample calendar as an ICS feed in the person's zone: today, tomorrow and this week, with a clash. */
function sampleCalendar(t: DemoTarget, now: Date): string {
  const zone = t.timeZone;
  const day = DateTime.fromJSDate(now, { zone }).startOf('day');
  const local = (d: DateTime) => d.toFormat("yyyyLLdd'T'HHmmss");
  const stamp = DateTime.fromJSDate(now, { zone: 'UTC' }).toFormat("yyyyLLdd'T'HHmmss'Z'");
  // The review starts a little over half an hour from now, so the meeting-prep agent runs within minutes.
  const soon = DateTime.fromJSDate(now, { zone }).plus({ minutes: 40 }).startOf('minute');
  const review = soon.set({ minute: Math.min(55, Math.ceil(soon.minute / 5) * 5) });
  const events = [
    {
      uid: 'standup',
      summary: 'Team stand-up',
      start: day.set({ hour: 9, minute: 30 }),
      minutes: 15,
      rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
    },
    {
      uid: 'review',
      summary: 'Website redesign review',
      start: review,
      minutes: 60,
      attendees: ['yael@brightside.studio'],
      location: 'Video call',
    },
    {
      uid: 'q3',
      summary: 'Q3 planning with Maya',
      start: day.plus({ days: 1 }).set({ hour: 10 }),
      minutes: 60,
      attendees: ['maya@northwind.io'],
    },
    {
      uid: 'dentist',
      summary: 'Dentist',
      start: day.plus({ days: 1 }).set({ hour: 10, minute: 30 }),
      minutes: 45,
      location: 'Dr. Katz, Herzl St. 12',
    },
    { uid: 'swim', summary: 'Swimming lesson (kids)', start: day.plus({ days: 2 }).set({ hour: 17 }), minutes: 60, rrule: 'FREQ=WEEKLY' },
    { uid: 'dinner', summary: 'Dinner with the Levis', start: day.plus({ days: 3 }).set({ hour: 19, minute: 30 }), minutes: 150 },
  ];
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//connectsoft.me//demo//EN', 'X-WR-CALNAME:Sample calendar'];
  for (const e of events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:demo-${e.uid}@demo.invalid`,
      `DTSTAMP:${stamp}`,
      `DTSTART;TZID=${zone}:${local(e.start)}`,
      `DTEND;TZID=${zone}:${local(e.start.plus({ minutes: e.minutes }))}`,
      `SUMMARY:${e.summary}`,
    );
    if (e.location) lines.push(`LOCATION:${e.location.replace(/,/g, '\\,')}`);
    if (e.rrule) lines.push(`RRULE:${e.rrule}`);
    if (e.attendees) {
      lines.push(`ORGANIZER;CN=${t.displayName.replace(/[;:,]/g, ' ')}:mailto:${t.email}`);
      for (const a of e.attendees) lines.push(`ATTENDEE:mailto:${a}`);
    }
    lines.push('END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return `${lines.join('\r\n')}\r\n`;
}
