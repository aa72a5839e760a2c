// Meeting prep: who is coming (and what the contacts say of them) and the newest threads with each.

const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function ago(iso, now) {
  const days = Math.floor((Date.parse(now) - Date.parse(iso)) / 86400000);
  if (days <= 0) return 'today';
  return days === 1 ? 'yesterday' : `${days} days ago`;
}

async function main(input, platform) {
  const event = await platform.call('calendar.event', { eventId: input.eventId });
  if (!event) return { title: null, skipped: 'the event is gone' };
  if (!event.attendees.length) return { title: null, skipped: 'nobody else is invited' };
  const lines = [];
  const threads = new Map();
  for (const who of event.attendees.slice(0, 8)) {
    let contact = null;
    try {
      contact = await platform.call('contacts.find', { email: who });
    } catch (e) {
      platform.log(`contacts.find: ${e.message}`);
    }
    let found = { messages: [] };
    try {
      found = await platform.call('email.search', { from: who, limit: 5 });
    } catch (e) {
      platform.log(`email.search: ${e.message}`);
    }
    const name = contact ? contact.name : found.messages[0]?.fromName || who;
    lines.push(`• ${name}${contact && contact.company ? ` (${contact.company}, ${contact.stage})` : ''} <${who}>`);
    for (const m of found.messages) if (!threads.has(m.threadId)) threads.set(m.threadId, m);
  }
  const recent = [...threads.values()].sort((a, b) => Date.parse(b.date || 0) - Date.parse(a.date || 0)).slice(0, 5);
  const body = [`With:`, ...lines];
  if (recent.length) {
    body.push('', 'Recent mail:');
    for (const m of recent) body.push(`• ${m.subject} (${m.date ? ago(m.date, input.now) : 'undated'}): ${clip(m.snippet, 160)}`);
  } else body.push('', 'No recent mail with them.');
  if (event.location) body.push('', `Where: ${event.location}`);
  if (event.description) body.push('', clip(event.description, 400));
  return { title: `Soon: ${event.title}`, body: body.join('\n'), attendees: event.attendees.length, threads: recent.length };
}
