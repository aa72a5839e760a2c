// Inbox triage: one message (new mail) or the newest unread ones (run by hand), each read and
// classified by email.triage on the local engine; what to do is proposed, never done on its own.

const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const firstName = (name, address) => (name || address || '').split(/[\s@.]/)[0] || '';

/** A due date (YYYY-MM-DD) becomes midday UTC, the same calendar day in nearly every time zone. */
function dueAt(due) {
  if (!due) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(due)) return `${due}T12:00:00Z`;
  return /T\d{2}:\d{2}/.test(due) ? due : null;
}

async function main(input, platform) {
  const ids = [];
  if (input.messageId) ids.push(input.messageId);
  else {
    const found = await platform.call('email.search', { unreadOnly: true, limit: input.limit || 10 });
    for (const m of found.messages) ids.push(m.id);
  }
  const results = [];
  for (const id of ids) {
    const m = await platform.call('email.read', { messageId: id, maxChars: 8000 });
    const sender = m.fromName ? `${m.fromName} <${m.from}>` : m.from || '';
    const t = await platform.call('email.triage', {
      from: sender,
      to: m.to.map((a) => a.address),
      cc: m.cc.map((a) => a.address),
      subject: m.subject,
      text: m.text,
      date: m.date || input.now,
    });
    const proposed = [];
    if (t.category === 'newsletter') {
      await platform.call('email.move', { messageId: id, to: input.newsletterLabel || 'Newsletters', createIfMissing: true });
      proposed.push('label');
    } else if (t.category === 'receipt') {
      await platform.call('email.move', { messageId: id, to: input.receiptLabel || 'Receipts', createIfMissing: true });
      proposed.push('label');
    } else if (t.category === 'action') {
      const items = t.actionItems.slice(0, 2);
      for (const item of items) {
        await platform.call('tasks.create', {
          title: clip(item.text.replace(/\s+/g, ' ').trim(), 300),
          notes: `From ${sender}: “${clip(m.subject, 200)}”`,
          dueAt: dueAt(item.due),
          priority: t.priority === 'high' ? 'high' : 'normal',
        });
        proposed.push('task');
      }
      if (!items.length) {
        await platform.call('tasks.create', { title: clip(`Answer ${m.fromName || m.from}: ${m.subject}`, 300), notes: t.reason });
        proposed.push('task');
      }
      if (t.priority === 'high') {
        await platform.call('email.flag', { messageId: id, flagged: true });
        proposed.push('flag');
      }
    } else if (t.category === 'meeting') {
      const hi = firstName(m.fromName, m.from);
      await platform.call('email.draft-reply', {
        messageId: id,
        text: `Hi${hi ? ` ${hi}` : ''},\n\nThanks for the invitation — that works for me. See you then.\n\nBest regards`,
      });
      proposed.push('draft');
    }
    results.push({ messageId: id, subject: m.subject, category: t.category, priority: t.priority, proposed });
  }
  return { triaged: results.length, results };
}
