// The morning briefing: today's meetings (with clashes), tasks overdue or due today, and the mail of
// the last day that asks something of you. Each part is left out quietly when its account is missing.

async function tryCall(platform, id, args) {
  try {
    return await platform.call(id, args);
  } catch (e) {
    platform.log(`${id}: ${e.message}`);
    return null;
  }
}

async function main(input, platform) {
  const lines = [];
  const agenda = await tryCall(platform, 'calendar.agenda', { range: 'today' });
  const meetings = agenda ? agenda.events.filter((e) => !e.allDay) : [];
  if (meetings.length) {
    lines.push(`Meetings today (${meetings.length}):`);
    for (const e of meetings.slice(0, 12))
      lines.push(
        `• ${e.localTime} ${e.title}${e.location ? ` — ${e.location}` : ''}${e.conflictsWith.length ? ' (clashes with another event)' : ''}`,
      );
  } else if (agenda) lines.push('No meetings today.');

  const tasks = await tryCall(platform, 'tasks.list', { status: 'open', limit: 200 });
  let digest = null;
  if (tasks) {
    digest = await platform.call('tasks.digest', { tasks: tasks.tasks });
    const urgent = tasks.tasks.filter((t) => t.dueAt && new Date(t.dueAt).getTime() < Date.parse(input.now) + 24 * 3600 * 1000);
    if (lines.length) lines.push('');
    if (urgent.length) {
      lines.push(`Tasks overdue or due today (${urgent.length}):`);
      for (const t of urgent.slice(0, 10)) lines.push(`• ${t.title}${t.priority === 'high' ? ' (high)' : ''}`);
    } else lines.push(`No tasks due today; ${tasks.tasks.length} open.`);
  }

  const since = new Date(Date.parse(input.now) - 24 * 3600 * 1000).toISOString();
  const mail = await tryCall(platform, 'email.search', { unreadOnly: true, since, limit: 15 });
  const needs = [];
  for (const m of mail ? mail.messages : []) {
    const full = await platform.call('email.read', { messageId: m.id, maxChars: 6000 });
    const t = await platform.call('email.triage', {
      from: full.fromName ? `${full.fromName} <${full.from}>` : full.from || '',
      to: full.to.map((a) => a.address),
      cc: full.cc.map((a) => a.address),
      subject: full.subject,
      text: full.text,
      date: full.date || input.now,
    });
    if (t.category === 'action' || t.category === 'meeting') needs.push({ m: full, t });
  }
  if (mail) {
    lines.push('');
    if (needs.length) {
      lines.push(`Mail that needs you (${needs.length}):`);
      for (const { m, t } of needs.slice(0, 10))
        lines.push(`• ${m.fromName || m.from} — ${m.subject}${t.priority === 'high' ? ' (urgent)' : ''}`);
    } else lines.push('No mail waiting on you.');
  }

  const parts = [];
  if (agenda) parts.push(`${meetings.length} meeting${meetings.length === 1 ? '' : 's'}`);
  if (digest) parts.push(`${digest.dueToday + digest.overdue} task${digest.dueToday + digest.overdue === 1 ? '' : 's'} due`);
  if (mail) parts.push(`${needs.length} email${needs.length === 1 ? '' : 's'} need${needs.length === 1 ? 's' : ''} you`);
  return {
    title: parts.length ? `Your day: ${parts.join(', ')}` : 'Your day',
    body: lines.join('\n') || 'Connect your email and calendar to get a fuller briefing.',
    meetings: meetings.length,
    mailNeedsYou: needs.length,
  };
}
