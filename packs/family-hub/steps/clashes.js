// Calendar clashes: overlapping events in the next 14 days, each pair said once, in start order.

async function main(input, platform) {
  const agenda = await platform.call('calendar.agenda', { range: 'next-14-days', limit: 500 });
  const byKey = new Map(agenda.events.map((e) => [e.key, e]));
  const DAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const pairs = agenda.conflicts
    .map((c) => [byKey.get(c.a), byKey.get(c.b)])
    .filter(([a, b]) => a && b)
    .sort((x, y) => x[0].startsAt.localeCompare(y[0].startsAt));
  if (!pairs.length) return { title: null, clashes: 0 };
  const lines = pairs
    .slice(0, 20)
    .map(([a, b]) => `• ${DAYS[a.weekday]} ${a.localDate.slice(5)}: ${a.localTime} ${a.title} overlaps ${b.localTime} ${b.title}`);
  if (pairs.length > 20) lines.push(`and ${pairs.length - 20} more`);
  return {
    title: pairs.length === 1 ? 'A clash in the family calendar' : `${pairs.length} clashes in the family calendar`,
    body: lines.join('\n'),
    clashes: pairs.length,
  };
}
