// Invoicing: a plain description becomes an invoice to send (the person approves it, then it is
// numbered, printed and sent with its PDF); an overdue invoice becomes a payment reminder to approve.
// Amounts are exact (invoice.totals); nothing is sent without approval.

function describeOverdue(inv) {
  return `${inv.reference} to ${inv.clientName}: ${inv.totalText}, due ${inv.dueDate}`;
}

async function main(input, platform) {
  if (input.invoiceId) {
    const inv = await platform.call('invoices.get', { invoiceId: input.invoiceId });
    if (!inv || inv.status === 'paid') return { title: '', body: '' };
    await platform.call('invoices.send', { invoiceId: inv.id, reminder: true, about: describeOverdue(inv) });
    return {
      title: `Invoice ${inv.reference} is overdue`,
      body: `${inv.clientName} has not paid ${inv.totalText} (due ${inv.dueDate}). A reminder with the invoice attached waits for your approval.`,
    };
  }
  const text = String(input.text || '').trim();
  if (!text)
    return {
      title: 'Describe the invoice to make',
      body: 'Open Invoices and describe it, for example "2 hours of design for Acme at $80/h, due in 14 days".',
    };
  const d = await platform.call('invoices.draft-from-text', { text, currency: input.currency, taxRate: input.taxRate });
  if (!d.ok) return { title: 'That description could not be read as an invoice', body: d.summary };
  const draft = d.draft;
  if (!draft.clientEmail && input.useContacts) {
    // The client's address from the contacts (the CRM built from mail), when it knows them.
    const found = await platform.call('contacts.list', { query: draft.clientName, limit: 5 });
    const hit = (found.contacts || []).find((c) => c.email && c.name.toLowerCase().includes(draft.clientName.toLowerCase()));
    if (hit) draft.clientEmail = hit.email;
  }
  if (draft.clientEmail) {
    await platform.call('invoices.send', { draft, about: d.summary });
    return {
      title: `An invoice for ${draft.clientName} is ready to send`,
      body: `${d.summary}. Approve it in your Inbox to send it with its PDF.`,
    };
  }
  await platform.call('invoices.create', draft);
  return {
    title: `Draft invoice for ${draft.clientName} saved`,
    body: `${d.summary}. Add ${draft.clientName}'s email address under Invoices to send it.`,
  };
}
