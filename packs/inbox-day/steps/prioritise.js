// The task prioritiser: overdue first, then due soonest, then priority, then age. Tasks that are
// overdue or due within a day and not yet high priority get a proposal to raise them.

const RANK = { high: 0, normal: 1, low: 2 };

async function main(input, platform) {
  const now = Date.parse(input.now);
  const { tasks } = await platform.call('tasks.list', { status: 'open', limit: 200 });
  if (!tasks.length) return { title: null, proposed: 0 };
  const score = (t) => {
    const due = t.dueAt ? Date.parse(t.dueAt) : Number.POSITIVE_INFINITY;
    return [due < now ? 0 : 1, due, RANK[t.priority] ?? 1];
  };
  const ranked = [...tasks].sort((a, b) => {
    const x = score(a);
    const y = score(b);
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  let proposed = 0;
  for (const t of ranked) {
    if (proposed >= 10 || t.priority === 'high' || !t.dueAt) continue;
    const due = Date.parse(t.dueAt);
    if (due - now > 24 * 3600 * 1000) continue;
    await platform.call('tasks.update', {
      taskId: t.id,
      priority: 'high',
      reason: due < now ? `“${t.title}” is overdue.` : `“${t.title}” is due within a day.`,
    });
    proposed++;
  }
  const top = ranked.slice(0, 3);
  return {
    title: `Focus today: ${top.map((t) => t.title).join(' · ')}`.slice(0, 300),
    body: top.map((t, i) => `${i + 1}. ${t.title}${t.dueAt ? ` (due ${t.dueAt.slice(0, 10)})` : ''}`).join('\n'),
    proposed,
  };
}
