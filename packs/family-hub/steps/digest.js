// The weekly digest: the week ahead day by day, the reminders due in it, and the shopping list.

async function main(input, platform) {
  const DAYS = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  const agenda = await platform.call('calendar.agenda', { range: 'next-7-days', limit: 300 });
  const lines = [];
  let day = '';
  for (const e of agenda.events) {
    if (e.localDate !== day) {
      day = e.localDate;
      lines.push('', `${DAYS[e.weekday]} ${day.slice(5)}`);
    }
    lines.push(`• ${e.allDay ? 'all day' : e.localTime} ${e.title}${e.conflictsWith.length ? ' (clash)' : ''}`);
  }
  if (!agenda.events.length) lines.push('Nothing in the calendar this week.');
  const { reminders } = await platform.call('reminders.list', { withinDays: 7, limit: 50 });
  lines.push('', reminders.length ? `Reminders (${reminders.length}):` : 'No reminders this week.');
  for (const r of reminders.slice(0, 15)) lines.push(`• ${r.title} — ${r.assignee}${r.repeats ? ` (${r.repeats})` : ''}`);
  const list = await platform.call('lists.get', {});
  if (list.list) {
    const open = list.aisles.reduce((n, a) => n + a.items.length, 0);
    lines.push(
      '',
      `Shopping list: ${open} item${open === 1 ? '' : 's'}${list.missingStaples.length ? `; staples missing: ${list.missingStaples.map((s) => s.name).join(', ')}` : ''}`,
    );
  }
  return {
    title: `The week ahead: ${agenda.events.length} event${agenda.events.length === 1 ? '' : 's'}, ${reminders.length} reminder${reminders.length === 1 ? '' : 's'}`,
    body: lines.join('\n').trim(),
  };
}
