// Follow-ups: threads of the last 30 days whose last message is a few days old and asks something.
// Waiting on you: a task to answer. Waiting on them: a nudge to send (after you approve).
// The people you write with are kept in your contacts, with their next follow-up date.

const name = (n, a) => n || (a ? a.split('@')[0] : 'them');

async function main(input, platform) {
  const since = new Date(Date.parse(input.now) - 30 * 86400000).toISOString();
  const found = await platform.call('email.search', { since, limit: 100 });
  const newest = new Map();
  for (const m of found.messages) if (!newest.has(m.threadId)) newest.set(m.threadId, m);
  const threads = [];
  const seen = {};
  for (const m of [...newest.values()].slice(0, 25)) {
    const full = await platform.call('email.read', { messageId: m.id, maxChars: 4000 });
    for (const a of full.to) seen[a.address] = (seen[a.address] || 0) + 1;
    threads.push({ id: m.threadId, messageId: m.id, full });
  }
  // Your own address: the one the mail is written to most often.
  const me = Object.keys(seen)
    .sort((a, b) => seen[b] - seen[a])
    .slice(0, 1);
  if (input.keepContacts)
    for (const t of threads)
      await platform.call('contacts.upsert-from-mail', {
        from: { name: t.full.fromName, address: t.full.from || '' },
        to: t.full.to,
        cc: t.full.cc,
        date: t.full.date || input.now,
        me,
      });
  const waiting = await platform.call('followups.detect', {
    me: me.length ? me : ['me@invalid.invalid'],
    now: input.now,
    days: input.days || 3,
    threads: threads.map((t) => ({
      id: t.id,
      subject: t.full.subject,
      messages: [{ from: t.full.from || '', date: t.full.date || input.now, text: t.full.text }],
    })),
  });
  const lines = [];
  for (const w of waiting) {
    const t = threads.find((x) => x.id === w.threadId);
    if (!t) continue;
    const who = name(t.full.fromName, t.full.from);
    if (w.waitingOn === 'me') {
      await platform.call('tasks.create', { title: `Answer ${who}: ${t.full.subject}`.slice(0, 300), notes: w.nudge, priority: 'normal' });
      lines.push(`• ${who} is waiting for your answer: ${t.full.subject}`);
    } else {
      const to = t.full.to.map((a) => a.address).filter((a) => !me.includes(a));
      if (!to.length) continue;
      await platform.call('email.send', {
        to,
        subject: /^re:/i.test(t.full.subject) ? t.full.subject : `Re: ${t.full.subject}`,
        text: w.nudge,
        inReplyTo: t.messageId,
      });
      lines.push(`• You are waiting on ${to[0]}: ${t.full.subject}`);
    }
  }
  return {
    count: lines.length,
    title: lines.length ? `${lines.length} conversation${lines.length === 1 ? '' : 's'} to follow up` : '',
    body: lines.join('\n'),
  };
}
