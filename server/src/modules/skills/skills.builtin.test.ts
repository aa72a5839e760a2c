import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AppError } from '#core/errors.js';
import type { ModelAccess, SkillContext } from '#core/skill.js';
import { runSkill, standaloneSkillContext } from './index.js';

const ctx = (o: Parameters<typeof standaloneSkillContext>[0] = {}) =>
  standaloneSkillContext({ now: new Date('2026-03-05T15:00:00Z'), timeZone: 'America/New_York', ...o });
const run = <T = any>(id: string, input: unknown, sctx: SkillContext = ctx()) => runSkill(sctx, id, input) as Promise<T>;
async function error(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an error');
}
const MB = 'The quarterly report is attached. Nothing else is needed from you at this point. '.repeat(13_000).slice(0, 1_048_000);

describe('email.triage', () => {
  const mail = (o: Record<string, unknown>) => ({
    from: 'Dana Levi <dana@gmail.com>',
    to: 'me@example.com',
    subject: '',
    text: '',
    date: '2026-03-10T09:00:00-05:00',
    ...o,
  });

  it('sorts mail into the six categories', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ subject: 'Budget', text: 'Could you review the budget and send me your comments by Friday?' }, 'action'],
      [
        {
          from: 'Google Calendar <calendar-notification@google.com>',
          subject: 'Invitation: Sync @ Thu Mar 12, 2026 10am',
          text: 'Join with Google Meet.',
        },
        'meeting',
      ],
      [{ from: 'Uber Receipts <noreply@uber.com>', subject: 'Your trip receipt', text: 'Total $18.42. Paid with Visa.' }, 'receipt'],
      [
        { from: 'Morning Brew <crew@morningbrew.com>', subject: 'The Fed blinks', text: 'Top stories today. Read more. Unsubscribe.' },
        'newsletter',
      ],
      [{ from: 'UPS <mcinfo@ups.com>', subject: 'Your package is out for delivery', text: 'Tracking number 1Z123.' }, 'notification'],
      [{ subject: 'Photos', text: 'Just sharing the photos from Saturday. No need to reply!' }, 'fyi'],
    ];
    for (const [m, category] of cases) expect((await run('email.triage', mail(m))).category, JSON.stringify(m)).toBe(category);
  });

  it('lists what the mail asks for, with its due date', async () => {
    const r = await run(
      'email.triage',
      mail({ subject: 'Contract', text: 'Hi,\nPlease sign page 4 and send it back by Wednesday. Thanks!' }),
    );
    expect(r.actionItems[0]).toEqual({ text: 'Please sign page 4 and send it back by Wednesday.', due: '2026-03-11' });
    expect(r.priority).toBe('high');
  });

  it('reads HTML-only mail, takes `to` as a plain string, and answers empty mail', async () => {
    const html = await run(
      'email.triage',
      mail({ from: 'Shop <news@shop.example.com>', text: '<html><body><h1>50% off</h1><a href="#">Unsubscribe</a></body></html>' }),
    );
    expect(html.category).toBe('newsletter');
    const empty = await run('email.triage', { from: '', subject: '', text: '' });
    expect(['fyi', 'notification']).toContain(empty.category);
    const viaHtmlField = await run(
      'email.triage',
      mail({ from: 'Billing <billing@host.example>', html: '<p>Payment received. Amount paid: $12.00</p>' }),
    );
    expect(viaHtmlField.category).toBe('receipt');
  });

  it('answers 1 MB of text quickly, and emoji or Hebrew without trouble', async () => {
    const t0 = performance.now();
    const big = await run('email.triage', mail({ subject: 'Report', text: MB }));
    expect(big.category).toBe('fyi');
    expect(performance.now() - t0).toBeLessThan(500);
    expect((await run('email.triage', mail({ subject: '🍕🍕', text: '🍕? 🍺? 7pm? 😂' }))).category).toBe('meeting');
    const he = await run('email.triage', mail({ subject: 'חדשות טובות', text: 'רק רציתי לספר שקיבלתי את העבודה! תודה' }));
    expect(he.category).toBe('fyi');
  });

  it('uses a configured model when its answer keeps the contract, and the local engine when it does not', async () => {
    const model = (answer: unknown): ModelAccess => ({ generateObject: async () => answer as never });
    const good = { category: 'receipt', priority: 'low', actionItems: [], reason: 'model says so' };
    const sctx = (m: ModelAccess | null): SkillContext => ctx({ model: m });
    expect(await run('email.triage', mail({ text: 'Could you call me?' }), sctx(model(good)))).toEqual(good);
    const bad = await run('email.triage', mail({ text: 'Could you call me?' }), sctx(model({ category: 'spam' })));
    expect(bad.category).toBe('action');
    const failing: ModelAccess = {
      generateObject: async () => {
        throw new Error('provider down');
      },
    };
    expect((await run('email.triage', mail({ text: 'Could you call me?' }), sctx(failing))).category).toBe('action');
  });
});

describe('dates.extract', () => {
  const at = (text: string, now = '2026-03-05T10:00:00-05:00', timeZone = 'America/New_York') =>
    run('dates.extract', { text, now, timeZone });

  it('gives timed values with the zone offset at that instant, across the spring-forward change', async () => {
    expect(await at("Let's do Monday at 9am, or Friday.")).toEqual([
      { text: 'Monday at 9am', start: '2026-03-09T09:00:00-04:00', allDay: false },
      { text: 'Friday', start: '2026-03-06', allDay: true },
    ]);
  });

  it('reads a bare weekday as the next such day after today, and ranges with their end', async () => {
    expect(await at('See you Thursday')).toEqual([{ text: 'Thursday', start: '2026-03-12', allDay: true }]);
    expect(await at('Offsite from March 23 to March 25')).toEqual([
      { text: 'March 23 to March 25', start: '2026-03-23', end: '2026-03-25', allDay: true },
    ]);
    expect(await at('call 3-5pm Friday')).toEqual([
      { text: '3-5pm Friday', start: '2026-03-06T15:00:00-05:00', end: '2026-03-06T17:00:00-05:00', allDay: false },
    ]);
  });

  it('keeps explicit zones and relative hours as instants', async () => {
    expect((await at('The call is at 10:00 UTC on March 10'))[0]!.start).toBe('2026-03-10T06:00:00-04:00');
    expect((await at('back in 2 hours'))[0]!.start).toBe('2026-03-05T12:00:00-05:00');
  });

  it('reads day-first numeric dates where people write them so', async () => {
    expect((await at('Invoice due 3/11/2026', '2026-10-20T14:30:00+01:00', 'Europe/London'))[0]!.start).toBe('2026-11-03');
    expect((await at('Invoice due 3/11/2026'))[0]!.start).toBe('2026-03-11');
  });

  it('never makes up a date: 31 February, Feb 29 of a common year, a month alone, no date at all', async () => {
    for (const text of [
      'It happened on 31 February.',
      'The Feb 29 2027 meeting',
      'Sometime in April',
      'No dates here.',
      '',
      'Merci beaucoup !',
      'נתראה בקרוב',
    ])
      expect(await at(text), text).toEqual([]);
  });

  it('reads emoji-laden text and answers 1 MB of text', { timeout: 30_000 }, async () => {
    expect(await at('Party on Saturday 🎉 at 8pm')).toEqual([
      { text: 'on Saturday 🎉 at 8pm', start: '2026-03-07T20:00:00-05:00', allDay: false },
    ]);
    const t0 = performance.now();
    const big = await at(`${MB} Lunch on March 12 at noon.`);
    expect(big.map((d: { start: string }) => d.start)).toEqual(['2026-03-12T12:00:00-04:00']);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(await error(at('x'.repeat(1_048_577)))).toMatchObject({ code: 'invalid_input' });
  });

  it('reads `now` without seconds or without an offset (then as wall-clock time in the zone), and refuses 30 February', async () => {
    expect((await at('tomorrow at 9', '2026-03-10T10:00'))[0]!.start).toBe('2026-03-11T09:00:00-04:00');
    expect((await at('tomorrow at 9', '2026-03-10T10:00-04:00'))[0]!.start).toBe('2026-03-11T09:00:00-04:00');
    expect(await error(at('tomorrow', '2026-02-30T10:00'))).toMatchObject({ code: 'invalid_input' });
  });

  it('refuses an unknown time zone with a clear message', async () => {
    const e = await error(run('dates.extract', { text: 'tomorrow', timeZone: 'Mars/Olympus' }));
    expect([e.code, e.message]).toEqual(['invalid_input', expect.stringContaining('timeZone')]);
  });
});

describe('reminders.parse', () => {
  const members = ['Dana', 'Noa', 'Ben'];
  const parse = (text: string, now = '2026-03-10T10:00:00-04:00', timeZone = 'America/New_York', m: string[] | undefined = members) =>
    run('reminders.parse', { text, now, timeZone, ...(m ? { members: m } : {}) });

  it('reads the examples of the contract', async () => {
    expect(await parse('remind Dana to take the bins out every Tuesday at 7pm')).toEqual({
      title: 'Take the bins out',
      assignee: 'Dana',
      due: '2026-03-10T19:00:00-04:00',
      rrule: 'FREQ=WEEKLY;BYDAY=TU',
    });
    expect(await parse('pay rent on the 1st of every month')).toEqual({
      title: 'Pay rent',
      due: '2026-04-01T09:00:00-04:00',
      rrule: 'FREQ=MONTHLY;BYMONTHDAY=1',
    });
    expect(await parse('call mom in 2 hours')).toEqual({ title: 'Call mom', due: '2026-03-10T12:00:00-04:00' });
  });

  it('puts the first occurrence after a daylight-saving change at the same wall-clock time', async () => {
    // Saturday 7 March, before the US change on Sunday 8 March: Monday 9:00 is EDT.
    expect(await parse('standup every weekday at 9am', '2026-03-07T12:00:00-05:00')).toMatchObject({
      due: '2026-03-09T09:00:00-04:00',
      rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
    });
    // London falls back on 25 October: Sunday 11:00 is GMT.
    expect((await parse('call Gran on Sunday at 11am', '2026-10-21T20:00:00+01:00', 'Europe/London')).due).toBe(
      '2026-10-25T11:00:00+00:00',
    );
  });

  it('matches members regardless of case and leaves reminders for oneself unassigned', async () => {
    expect((await parse('REMIND NOA TO FEED THE CAT')).assignee).toBe('Noa');
    expect((await parse('remind me to call Dana tomorrow')).assignee).toBeUndefined();
    expect((await parse('remind Zoe to call', undefined, undefined, undefined)).assignee).toBeUndefined();
    const sctx = ctx({ members: ['Avi'] });
    expect(
      (
        await run(
          'reminders.parse',
          { text: 'Avi: dentist on Thursday', now: '2026-03-10T10:00:00-04:00', timeZone: 'America/New_York' },
          sctx,
        )
      ).assignee,
    ).toBe('Avi');
  });

  it('with no time in the text is due at 09:00 local', async () => {
    expect((await parse('renew passport on June 3')).due).toBe('2026-06-03T09:00:00-04:00');
  });

  it('refuses "31 February" and empty text instead of inventing a date', async () => {
    expect(await error(parse('renew my license on February 31'))).toMatchObject({ code: 'invalid_input' });
    expect(await error(parse('   '))).toMatchObject({ code: 'invalid_input' });
  });

  it('reads emoji and gives a valid answer for another language', async () => {
    expect((await parse('call the dentist 📞 tomorrow at 10am')).due).toBe('2026-03-11T10:00:00-04:00');
    const es = await parse('llamar a mamá mañana');
    expect(es.title).toBe('Llamar a mamá mañana');
  });
});

describe('shopping.parse', () => {
  it('reads quantities, units and aisles', async () => {
    expect(await run('shopping.parse', { text: '2 litres of milk, a dozen eggs and some bananas' })).toEqual([
      { name: 'milk', quantity: 2, unit: 'l', category: 'dairy' },
      { name: 'egg', quantity: 12, category: 'dairy' },
      { name: 'banana', category: 'produce' },
    ]);
    expect(await run('shopping.parse', { text: 'a jar of pickles, a couple of lemons, 500g minced beef, frozen peas' })).toEqual([
      { name: 'pickle', quantity: 1, unit: 'jar', category: 'pantry' },
      { name: 'lemon', quantity: 2, category: 'produce' },
      { name: 'minced beef', quantity: 500, unit: 'g', category: 'meat and fish' },
      { name: 'frozen pea', category: 'frozen' },
    ]);
  });

  it('answers empty text, emoji and Hebrew, and refuses text longer than a list can be', async () => {
    expect(await run('shopping.parse', { text: '' })).toEqual([]);
    expect(await run('shopping.parse', { text: '🍌 bananas, 🥛 milk' })).toEqual([
      { name: 'banana', category: 'produce' },
      { name: 'milk', category: 'dairy' },
    ]);
    expect(await run('shopping.parse', { text: 'חלב, לחם' })).toEqual([
      { name: 'חלב', category: 'dairy' },
      { name: 'לחם', category: 'bakery' },
    ]);
    expect(await error(run('shopping.parse', { text: MB }))).toMatchObject({ code: 'invalid_input' });
  });
});

describe('text.summarize and quiz.generate', () => {
  const text =
    'Photosynthesis is the process by which green plants use sunlight to make food. It takes place in the chloroplasts, which contain chlorophyll. In 1779, Jan Ingenhousz discovered that light is essential to the process. The Calvin cycle produces glucose from carbon dioxide. Oxygen is released as a by-product of photosynthesis.';

  it('summarises with sentences of the text, at most maxSentences of them', async () => {
    const r = await run('text.summarize', { text, maxSentences: 2 });
    const sentences = r.summary.split(/(?<=\.)\s+/);
    expect(sentences.length).toBeLessThanOrEqual(2);
    for (const s of sentences) expect(text).toContain(s);
    expect(r.keyPhrases.length).toBeGreaterThan(0);
    expect(await run('text.summarize', { text: '', maxSentences: 3 })).toEqual({ summary: '', keyPhrases: [] });
    expect((await run('text.summarize', { text: `<p>${text}</p>`, maxSentences: 1 })).summary).not.toContain('<');
  });

  it('summarises 1 MB of text', async () => {
    const r = await run('text.summarize', { text: MB, maxSentences: 2 });
    expect(r.summary.length).toBeGreaterThan(0);
  }, 30_000);

  it('asks questions whose answers are words of the text', async () => {
    const qs = await run<Array<{ type: string; question: string; answer: string; choices?: string[] }>>('quiz.generate', {
      text,
      count: 4,
    });
    expect(qs.length).toBeGreaterThan(0);
    expect(qs.length).toBeLessThanOrEqual(4);
    for (const q of qs) {
      expect(text).toContain(q.answer);
      expect(q.question).toContain('_____');
      if (q.type === 'choice') expect(q.choices).toContain(q.answer);
    }
    expect(await run('quiz.generate', { text: '🙂', count: 3 })).toEqual([]);
  });
});

describe('invoice.totals', () => {
  const totals = (lines: Array<[number | string, number]>, taxRate: number | string, discount?: number | string) =>
    run('invoice.totals', {
      lines: lines.map(([quantity, unitPrice]) => ({ description: 'x', quantity, unitPrice })),
      taxRate,
      ...(discount !== undefined ? { discount } : {}),
      currency: 'ils',
    });

  it('rounds every step half away from zero, exactly', async () => {
    expect(
      await totals(
        [
          [1.5, 12345],
          ['0.333', 999],
        ],
        17,
        '2.5',
      ),
    ).toEqual({ subtotal: 18851, discount: 471, tax: 3125, total: 21505 });
    expect(await totals([[0.5, 1]], 0)).toEqual({ subtotal: 1, discount: 0, tax: 0, total: 1 });
    expect(await totals([[-0.5, 1]], 0)).toEqual({ subtotal: -1, discount: 0, tax: 0, total: -1 });
  });

  it('has none of binary floating point’s errors (1.005 × 1000, 1.15 × 100, 0.1 + 0.2)', async () => {
    expect((await totals([[1.005, 1000]], 0)).subtotal).toBe(1005);
    expect((await totals([[1.15, 100]], 0)).subtotal).toBe(115);
    // round(0.3) + round(0.6): 0 + 1
    expect(
      (
        await totals(
          [
            [0.1, 3],
            [0.2, 3],
          ],
          0,
        )
      ).subtotal,
    ).toBe(1);
    expect((await totals([['1e-3', 1000]], 0)).subtotal).toBe(1);
  });

  it('refuses totals too large to represent exactly and discounts over 100%', async () => {
    expect(await error(totals([[1e12, 1e9]], 0))).toMatchObject({ code: 'invalid_input' });
    expect(await error(totals([[1, 100]], 0, 120))).toMatchObject({ code: 'invalid_input' });
  });
});

describe('calendar.conflicts', () => {
  it('keeps recurring events at their wall-clock time across daylight saving', async () => {
    const events = (oneOffStart: string, oneOffEnd: string) => [
      {
        id: 'standup',
        start: '2026-03-02T09:00:00-05:00',
        end: '2026-03-02T10:00:00-05:00',
        rrule: 'FREQ=WEEKLY;BYDAY=MO',
        timeZone: 'America/New_York',
      },
      { id: 'dentist', start: oneOffStart, end: oneOffEnd, timeZone: 'America/New_York' },
    ];
    const window = { from: '2026-03-01T00:00:00-05:00', to: '2026-03-31T00:00:00-04:00' };
    expect(
      await run('calendar.conflicts', { events: events('2026-03-09T09:30:00-04:00', '2026-03-09T10:00:00-04:00'), ...window }),
    ).toEqual([{ a: 'standup', b: 'dentist' }]);
    expect(
      await run('calendar.conflicts', { events: events('2026-03-09T10:00:00-04:00', '2026-03-09T11:00:00-04:00'), ...window }),
    ).toEqual([]);
  });

  it('refuses a window that ends before it starts, duplicate ids and broken rules', async () => {
    const ev = { id: 'a', start: '2026-03-02T09:00:00Z', end: '2026-03-02T10:00:00Z', timeZone: 'UTC' };
    expect(
      await error(run('calendar.conflicts', { events: [ev], from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' })),
    ).toMatchObject({ code: 'invalid_input' });
    expect(
      await error(run('calendar.conflicts', { events: [ev, ev], from: '2026-03-01T00:00:00Z', to: '2026-03-09T00:00:00Z' })),
    ).toMatchObject({ code: 'invalid_input' });
    const e = await error(
      run('calendar.conflicts', { events: [{ ...ev, rrule: 'FREQ=SOMETIMES' }], from: '2026-03-01T00:00:00Z', to: '2026-03-09T00:00:00Z' }),
    );
    expect([e.code, e.message]).toEqual(['invalid_input', expect.stringContaining('events.0.rrule')]);
    const many = { ...ev, rrule: 'FREQ=MINUTELY' };
    expect(
      await error(run('calendar.conflicts', { events: [many], from: '2026-03-01T00:00:00Z', to: '2027-03-01T00:00:00Z' })),
    ).toMatchObject({ code: 'invalid_input' });
  });
});

describe('followups.detect', () => {
  const thread = (id: string, messages: Array<[string, string, string]>) => ({
    id,
    subject: `Thread ${id}`,
    messages: messages.map(([from, date, text]) => ({ from, date, text })),
  });
  const me = 'Sam <sam@example.com>';
  const grace = 'Grace Kim <grace@client.example>';

  it('finds threads waiting on me and on them, older than the given days', async () => {
    const r = await run<Array<{ threadId: string; waitingOn: string; since: string; nudge: string }>>('followups.detect', {
      me: 'sam@example.com',
      now: '2026-03-10T12:00:00Z',
      days: 3,
      threads: [
        thread('theirs', [
          [me, '2026-03-01T10:00:00Z', 'Sent the proposal.'],
          [grace, '2026-03-02T10:00:00Z', 'Thanks! Is the price per seat or per month?'],
        ]),
        thread('mine', [[me, '2026-03-03T10:00:00Z', 'Could you confirm the delivery date?']]),
        thread('recent', [[me, '2026-03-09T10:00:00Z', 'Could you confirm?']]),
        thread('closed', [[grace, '2026-03-01T10:00:00Z', 'All done, thanks.']]),
        thread('quoted', [[grace, '2026-03-01T10:00:00Z', 'Great, works for me.\n\nOn Mon, Mar 1, 2026 Sam wrote:\n> Does Tuesday work?']]),
      ],
    });
    expect(r.map((x) => [x.threadId, x.waitingOn, x.since])).toEqual([
      ['theirs', 'me', '2026-03-02T10:00:00Z'],
      ['mine', 'them', '2026-03-03T10:00:00Z'],
    ]);
    expect(r[1]!.nudge).toMatch(/following up/i);
  });

  it('answers no threads with no follow-ups', async () => {
    expect(await run('followups.detect', { me: 'sam@example.com', threads: [] })).toEqual([]);
  });
});

describe('every built-in skill', () => {
  it('answers each odd input with a valid result or a clear error, never a crash', async () => {
    const odd = ['', ' ', '🙂🙃🎉', 'נתראה מחר בשעה 10', '<html><body><p>only html</p></body></html>', 'It is due 31 February.'];
    const inputs: Array<[string, (t: string) => unknown]> = [
      ['email.triage', (t) => ({ from: 'a@b.c', subject: t, text: t })],
      ['dates.extract', (t) => ({ text: t })],
      ['reminders.parse', (t) => ({ text: t })],
      ['shopping.parse', (t) => ({ text: t })],
      ['text.summarize', (t) => ({ text: t, maxSentences: 2 })],
      ['quiz.generate', (t) => ({ text: t, count: 2 })],
    ];
    for (const [id, make] of inputs)
      for (const t of odd) {
        try {
          await run(id, make(t));
        } catch (e) {
          expect(e, `${id} on ${JSON.stringify(t)}`).toBeInstanceOf(AppError);
          expect((e as AppError).code, `${id} on ${JSON.stringify(t)}`).toBe('invalid_input');
        }
      }
  });
});

export type { z };
