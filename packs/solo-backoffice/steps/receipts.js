// Receipts to the expense ledger: a receipt that arrives by mail or is uploaded is read on local rules
// (amount, currency, date, merchant, category) and proposed as an expense. Anything else is left alone.

async function fromMessage(platform, messageId, now) {
  const m = await platform.call('email.read', { messageId, maxChars: 8000 });
  const t = await platform.call('email.triage', {
    from: m.fromName ? `${m.fromName} <${m.from}>` : m.from || '',
    to: m.to.map((a) => a.address),
    cc: m.cc.map((a) => a.address),
    subject: m.subject,
    text: m.text,
    date: m.date || now,
  });
  if (t.category !== 'receipt') return null;
  return platform.call('expenses.read-receipt', { messageId });
}

async function main(input, platform) {
  const readings = [];
  if (input.messageId) readings.push(await fromMessage(platform, input.messageId, input.now));
  else if (input.fileId) readings.push(await platform.call('expenses.read-receipt', { fileId: input.fileId }));
  else {
    // Run by hand: the receipts among the last 30 days of mail.
    const since = new Date(Date.parse(input.now) - 30 * 86400000).toISOString();
    const found = await platform.call('email.search', { query: 'receipt', since, limit: 20 });
    for (const m of found.messages) readings.push(await fromMessage(platform, m.id, input.now));
  }
  const today = String(input.now).slice(0, 10);
  const added = [];
  for (const r of readings) {
    if (!r || !r.isReceipt || r.amount === null || !r.currency || r.confidence === 'low') continue;
    await platform.call('expenses.add', {
      spentOn: r.spentOn || today,
      merchant: r.merchant || 'Unknown merchant',
      amount: r.amount,
      currency: r.currency,
      category: r.category,
      fileId: r.fileId,
      messageId: r.messageId,
    });
    added.push(r.label);
  }
  return { proposed: added.length, labels: added };
}
