import type { CreateInvoiceInput as CreateInvoiceSchema, InvoiceProfile, InvoiceView } from '@csme/contracts/invoices';
import type { z } from 'zod';
import type { Actor, ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { createSkillContext, type SkillContext } from '#core/skill.js';
import { logActivity } from '#modules/activity/index.js';
import { findSentMail, sendMail } from '#modules/connectors/index.js';
import { raiseEvent } from '#modules/runs/index.js';
import { runSkill, standaloneSkillContext } from '#modules/skills/index.js';
import { formatMoney, renderInvoicePdf } from './invoices.pdf.js';
import { currencyDigits, type DraftFromText, parseInvoiceDescription } from './invoices.policy.js';
import {
  deleteInvoiceRow,
  findInvoice,
  findProfile,
  type InvoiceRow,
  insertInvoice,
  listInvoiceRows,
  listNewlyOverdueAsSystem,
  nextInvoiceNumber,
  type ProfileRow,
  updateInvoiceRow,
  upsertProfile,
} from './invoices.repository.js';

type CreateInput = z.output<typeof CreateInvoiceSchema>;
type Lines = Array<{ description: string; quantity: string; unitPrice: number; amount: number }>;

/** A `date` column: pg returns local midnight; the date is what the person typed, so read it in the process's zone. */
const dateText = (d: Date | null) =>
  d ? `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}` : null;

const reference = (n: number | null) => (n === null ? null : `INV-${String(n).padStart(4, '0')}`);

/** Today's date in a time zone, YYYY-MM-DD. */
export function localDay(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
const addDays = (isoDay: string, n: number) => {
  const d = new Date(`${isoDay}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};

export function presentInvoice(r: InvoiceRow): InvoiceView {
  return {
    id: r.id,
    number: r.number,
    reference: reference(r.number),
    status: r.status as InvoiceView['status'],
    language: r.language as 'en' | 'he',
    clientContactId: r.client_contact_id,
    clientName: r.client_name,
    clientEmail: r.client_email,
    clientDetails: r.client_details,
    sellerName: r.seller_name,
    sellerDetails: r.seller_details,
    currency: r.currency,
    lines: r.lines as Lines,
    taxRate: Number(r.tax_rate),
    discountRate: Number(r.discount_rate),
    subtotal: Number(r.subtotal),
    discount: Number(r.discount),
    tax: Number(r.tax),
    total: Number(r.total),
    issueDate: dateText(r.issue_date),
    dueDate: dateText(r.due_date),
    notes: r.notes,
    sentAt: r.sent_at?.toISOString() ?? null,
    sentTo: r.sent_to,
    paidAt: r.paid_at?.toISOString() ?? null,
    visibility: r.visibility as 'shared' | 'private',
    createdByAgent: r.created_by_agent_id !== null,
    createdAt: r.created_at.toISOString(),
    pdfUrl: `/api/v1/invoices/${r.id}/pdf`,
  };
}

/** Family roles: invoices are the adults' business; a child sees none and cannot make one. */
function isChild(actor: Actor | null) {
  return actor?.role === 'child';
}
function assertAdult(actor: Actor) {
  if (isChild(actor)) throw new AppError('forbidden', 'Invoices are for the adults of the family.', { reason: 'child' });
}

/**
 * Totals through the `invoice.totals` skill (exact integer minor units, half away from zero), and each
 * line's amount the same way, so what is stored, shown and printed is the contract's arithmetic.
 */
export async function computeTotals(
  lines: Array<{ description: string; quantity: string; unitPrice: number }>,
  taxRate: number,
  discountRate: number,
  currency: string,
) {
  const sctx = standaloneSkillContext();
  const amounts: Lines = [];
  for (const l of lines) {
    const r = (await runSkill(sctx, 'invoice.totals', { lines: [l], taxRate: 0, currency })) as { subtotal: number };
    amounts.push({ description: l.description, quantity: l.quantity, unitPrice: l.unitPrice, amount: r.subtotal });
  }
  const t = (await runSkill(sctx, 'invoice.totals', { lines, taxRate, discount: discountRate, currency })) as {
    subtotal: number;
    discount: number;
    tax: number;
    total: number;
  };
  return { lines: amounts, ...t };
}

export interface NewInvoice {
  clientName: string;
  clientEmail?: string;
  clientDetails?: string;
  clientContactId?: string | null;
  currency?: string;
  lines: Array<{ description: string; quantity: string; unitPrice: number }>;
  taxRate?: number;
  discountRate?: number;
  issueDate?: string;
  dueDate?: string | null;
  notes?: string;
  language?: 'en' | 'he';
}

function profileDefaults(p: ProfileRow | undefined, locale: 'en' | 'he') {
  return {
    businessName: p?.business_name ?? '',
    details: p?.details ?? '',
    email: p?.email ?? '',
    currency: p?.currency ?? (locale === 'he' ? 'ILS' : 'USD'),
    taxRate: p ? Number(p.tax_rate) : 0,
    paymentDays: p?.payment_days ?? 14,
    language: (p?.language as 'en' | 'he' | undefined) ?? locale,
  };
}

/** Creates a draft in a tenant transaction (`db`), once per idempotency key. */
export async function createInvoiceIn(
  db: Db,
  ctx: { now(): Date },
  o: {
    spaceId: string;
    ownerAccountId: string;
    visibility: 'shared' | 'private';
    locale: 'en' | 'he';
    createdByAccountId: string | null;
    agentId?: string | null;
    suggestionId?: string | null;
    idempotencyKey?: string | null;
  },
  input: NewInvoice,
): Promise<string> {
  const prof = profileDefaults(await findProfile(db, o.spaceId, o.ownerAccountId), o.locale);
  const currency = input.currency ?? prof.currency;
  const taxRate = input.taxRate ?? prof.taxRate;
  const discountRate = input.discountRate ?? 0;
  const t = await computeTotals(input.lines, taxRate, discountRate, currency);
  const now = ctx.now();
  return insertInvoice(db, {
    id: newId(),
    space_id: o.spaceId,
    owner_account_id: o.ownerAccountId,
    visibility: o.visibility,
    status: 'draft',
    language: input.language ?? prof.language,
    client_contact_id: input.clientContactId ?? null,
    client_name: input.clientName,
    client_email: input.clientEmail ?? '',
    client_details: input.clientDetails ?? '',
    seller_name: prof.businessName,
    seller_details: [prof.details, prof.email].filter(Boolean).join('\n'),
    currency,
    lines: JSON.stringify(t.lines),
    tax_rate: taxRate,
    discount_rate: discountRate,
    subtotal: t.subtotal,
    discount: t.discount,
    tax: t.tax,
    total: t.total,
    issue_date: input.issueDate ?? null,
    due_date: input.dueDate ?? null,
    notes: input.notes ?? '',
    created_by_account_id: o.createdByAccountId,
    created_by_agent_id: o.agentId ?? null,
    source_suggestion_id: o.suggestionId ?? null,
    idempotency_key: o.idempotencyKey ?? null,
    created_at: now,
    updated_at: now,
  });
}

function normalLines(lines: CreateInput['lines']) {
  return lines.map((l) => ({ description: l.description, quantity: String(l.quantity), unitPrice: l.unitPrice }));
}

async function mustFind(db: Db, actor: Actor, id: string, lock = false) {
  const row = isChild(actor) ? undefined : await findInvoice(db, actor.spaceId, id, { lock });
  if (!row) throw new AppError('not_found', 'That invoice was not found.');
  return row;
}

export async function listInvoices(ctx: ActorCtx, q: { status?: string; limit: number; cursor?: string }) {
  if (isChild(ctx.actor)) return { items: [], nextCursor: null };
  return inSpace(ctx, async (c) => {
    const rows = await listInvoiceRows(c.db, ctx.actor.spaceId, { status: q.status, limit: q.limit, before: q.cursor });
    const items = rows.slice(0, q.limit).map(presentInvoice);
    return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
  });
}

export async function getInvoice(ctx: ActorCtx, id: string): Promise<InvoiceView> {
  return inSpace(ctx, async (c) => presentInvoice(await mustFind(c.db, ctx.actor, id)));
}

export async function createInvoice(ctx: ActorCtx, input: CreateInput): Promise<InvoiceView> {
  assertAdult(ctx.actor);
  const visibility = ctx.actor.spaceKind === 'family' ? (input.visibility ?? 'shared') : 'private';
  return inSpace(ctx, async (c) => {
    const id = await createInvoiceIn(
      c.db,
      c,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: ctx.actor.accountId,
        visibility,
        locale: ctx.actor.locale,
        createdByAccountId: ctx.actor.accountId,
      },
      { ...input, lines: normalLines(input.lines) },
    );
    return presentInvoice((await findInvoice(c.db, ctx.actor.spaceId, id))!);
  });
}

/** Reads a plain description into a draft (dates through `dates.extract`, amounts exactly). */
export async function readDescription(
  text: string,
  o: { now: Date; timeZone: string; defaultCurrency: string | null },
): Promise<DraftFromText> {
  const sctx = standaloneSkillContext({ now: o.now, timeZone: o.timeZone });
  const dates = (await runSkill(sctx, 'dates.extract', { text, now: o.now.toISOString(), timeZone: o.timeZone })) as Array<{
    text: string;
    start: string;
    allDay: boolean;
  }>;
  return parseInvoiceDescription(text, { dates, today: localDay(o.now, o.timeZone), defaultCurrency: o.defaultCurrency });
}

export async function createInvoiceFromText(ctx: ActorCtx, text: string): Promise<InvoiceView> {
  assertAdult(ctx.actor);
  const prof = profileDefaults(await inSpace(ctx, (c) => findProfile(c.db, ctx.actor.spaceId, ctx.actor.accountId)), ctx.actor.locale);
  const d = await readDescription(text, { now: ctx.now(), timeZone: ctx.actor.timeZone, defaultCurrency: prof.currency });
  if (!d.lines.length || !d.clientName) throw new AppError('invalid_input', d.problems.join(' '), { problems: d.problems, field: 'text' });
  return createInvoice(ctx, {
    clientName: d.clientName,
    clientEmail: d.clientEmail ?? undefined,
    currency: d.currency ?? undefined,
    lines: d.lines,
    taxRate: d.taxRate ?? undefined,
    discountRate: d.discountRate ?? undefined,
    dueDate: d.dueDate ?? undefined,
  } as never);
}

export async function updateInvoice(ctx: ActorCtx, id: string, patch: Partial<CreateInput>) {
  // A child gets 404 from mustFind: these objects do not exist for them.
  return inSpace(ctx, async (c) => {
    const row = await mustFind(c.db, ctx.actor, id, true);
    if (row.number !== null)
      throw new AppError('conflict', `Invoice ${reference(row.number)} is issued and cannot change; only its payment can be recorded.`);
    const lines = patch.lines ? normalLines(patch.lines) : (row.lines as Lines).map(({ amount: _, ...l }) => l);
    const currency = patch.currency ?? row.currency;
    const taxRate = patch.taxRate ?? Number(row.tax_rate);
    const discountRate = patch.discountRate ?? Number(row.discount_rate);
    const t = await computeTotals(lines, taxRate, discountRate, currency);
    await updateInvoiceRow(c.db, ctx.actor.spaceId, id, {
      ...(patch.clientName !== undefined ? { client_name: patch.clientName } : {}),
      ...(patch.clientEmail !== undefined ? { client_email: patch.clientEmail } : {}),
      ...(patch.clientDetails !== undefined ? { client_details: patch.clientDetails } : {}),
      ...(patch.clientContactId !== undefined ? { client_contact_id: patch.clientContactId } : {}),
      ...(patch.issueDate !== undefined ? { issue_date: patch.issueDate } : {}),
      ...(patch.dueDate !== undefined ? { due_date: patch.dueDate } : {}),
      ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
      ...(patch.language !== undefined ? { language: patch.language } : {}),
      currency,
      tax_rate: taxRate,
      discount_rate: discountRate,
      lines: JSON.stringify(t.lines),
      subtotal: t.subtotal,
      discount: t.discount,
      tax: t.tax,
      total: t.total,
      updated_at: ctx.now(),
    });
    return presentInvoice((await findInvoice(c.db, ctx.actor.spaceId, id))!);
  });
}

export async function deleteInvoice(ctx: ActorCtx, id: string): Promise<void> {
  // A child gets 404 from mustFind: these objects do not exist for them.
  await inSpace(ctx, async (c) => {
    const row = await mustFind(c.db, ctx.actor, id, true);
    if (row.number !== null)
      throw new AppError('conflict', `Invoice ${reference(row.number)} is issued: it is kept, so that invoice numbers stay without gaps.`);
    await deleteInvoiceRow(c.db, ctx.actor.spaceId, id);
  });
}

/**
 * Gives a draft its number (the space's next, gapless) and its dates; an invoice that has one keeps it.
 * Runs in the caller's transaction, with the invoice row locked.
 */
async function numberIn(db: Db, row: InvoiceRow, now: Date, timeZone: string): Promise<InvoiceRow> {
  if (row.number !== null) return row;
  const number = await nextInvoiceNumber(db, row.space_id);
  const prof = profileDefaults(await findProfile(db, row.space_id, row.owner_account_id), 'en');
  const issue = dateText(row.issue_date) ?? localDay(now, timeZone);
  await updateInvoiceRow(db, row.space_id, row.id, {
    number,
    issue_date: issue,
    due_date: dateText(row.due_date) ?? addDays(issue, prof.paymentDays),
    updated_at: now,
  });
  return (await findInvoice(db, row.space_id, row.id))!;
}

async function logInvoice(
  db: Db,
  row: InvoiceRow,
  o: { accountId: string | null; agentId?: string | null; kind: string; summary: string },
  now: Date,
) {
  await logActivity(
    db,
    {
      spaceId: row.space_id,
      ownerAccountId: row.visibility === 'private' ? row.owner_account_id : null,
      actorKind: o.agentId ? 'agent' : 'person',
      actorAccountId: o.agentId ? null : o.accountId,
      agentId: o.agentId ?? null,
      kind: o.kind,
      objectType: 'invoice',
      objectId: row.id,
      summary: o.summary,
    },
    now,
  );
}

/** Issues a draft without sending it (the person sent it some other way): numbered, status sent. */
export async function issueInvoice(ctx: ActorCtx, id: string): Promise<InvoiceView> {
  // A child gets 404 from mustFind: these objects do not exist for them.
  return inSpace(ctx, async (c) => {
    let row = await mustFind(c.db, ctx.actor, id, true);
    if (row.status !== 'draft') return presentInvoice(row);
    row = await numberIn(c.db, row, ctx.now(), ctx.actor.timeZone);
    await updateInvoiceRow(c.db, ctx.actor.spaceId, id, { status: 'sent', sent_at: ctx.now(), updated_at: ctx.now() });
    await logInvoice(
      c.db,
      row,
      { accountId: ctx.actor.accountId, kind: 'invoice.issued', summary: `Issued invoice ${reference(row.number)} to ${row.client_name}` },
      ctx.now(),
    );
    return presentInvoice((await findInvoice(c.db, ctx.actor.spaceId, id))!);
  });
}

export async function markInvoicePaid(ctx: ActorCtx, id: string): Promise<InvoiceView> {
  // A child gets 404 from mustFind: these objects do not exist for them.
  return inSpace(ctx, async (c) => {
    const row = await mustFind(c.db, ctx.actor, id, true);
    if (row.status === 'draft') throw new AppError('conflict', 'Issue or send the invoice before recording its payment.');
    if (row.status !== 'paid') {
      await updateInvoiceRow(c.db, ctx.actor.spaceId, id, { status: 'paid', paid_at: ctx.now(), updated_at: ctx.now() });
      await logInvoice(
        c.db,
        row,
        { accountId: ctx.actor.accountId, kind: 'invoice.paid', summary: `Invoice ${reference(row.number)} was paid` },
        ctx.now(),
      );
    }
    return presentInvoice((await findInvoice(c.db, ctx.actor.spaceId, id))!);
  });
}

function pdfData(row: InvoiceRow) {
  return {
    reference: reference(row.number),
    status: row.status as 'draft',
    language: row.language as 'en' | 'he',
    seller: { name: row.seller_name, details: row.seller_details, email: '' },
    client: { name: row.client_name, email: row.client_email, details: row.client_details },
    currency: row.currency,
    lines: row.lines as Lines,
    taxRate: Number(row.tax_rate),
    discountRate: Number(row.discount_rate),
    subtotal: Number(row.subtotal),
    discount: Number(row.discount),
    tax: Number(row.tax),
    total: Number(row.total),
    issueDate: dateText(row.issue_date),
    dueDate: dateText(row.due_date),
    notes: row.notes,
  };
}

const fileName = (row: InvoiceRow) => `${reference(row.number) ?? 'draft-invoice'}.pdf`;

export async function invoicePdf(ctx: ActorCtx, id: string): Promise<{ pdf: Buffer; filename: string }> {
  const row = await inSpace(ctx, (c) => mustFind(c.db, ctx.actor, id));
  return { pdf: await renderInvoicePdf(pdfData(row)), filename: fileName(row) };
}

const EMAIL_TEXT = {
  en: (r: InvoiceRow, seller: string) =>
    `Hello ${r.client_name},\n\nPlease find attached invoice ${reference(r.number)} for ${formatMoney(Number(r.total), r.currency)}, due ${dateText(r.due_date)}.\n\nThank you,\n${seller}`,
  he: (r: InvoiceRow, seller: string) =>
    `שלום ${r.client_name},\n\nמצורפת חשבונית ${reference(r.number)} על סך ${formatMoney(Number(r.total), r.currency)}, לתשלום עד ${dateText(r.due_date)}.\n\nתודה,\n${seller}`,
};
const REMINDER_TEXT = {
  en: (r: InvoiceRow, seller: string) =>
    `Hello ${r.client_name},\n\nA friendly reminder that invoice ${reference(r.number)} for ${formatMoney(Number(r.total), r.currency)} was due on ${dateText(r.due_date)}. The invoice is attached again for convenience.\n\nThank you,\n${seller}`,
  he: (r: InvoiceRow, seller: string) =>
    `שלום ${r.client_name},\n\nתזכורת ידידותית: חשבונית ${reference(r.number)} על סך ${formatMoney(Number(r.total), r.currency)} הייתה לתשלום עד ${dateText(r.due_date)}. החשבונית מצורפת שוב.\n\nתודה,\n${seller}`,
};

/** The key a send is made under: one per invoice for the invoice itself, one per action for each reminder. */
const sendKey = (invoiceId: string, reminderKey: string | null) =>
  reminderKey ? `invoice:${invoiceId}:reminder:${reminderKey}` : `invoice:${invoiceId}`;

/**
 * Sends an invoice with its PDF through the person's email connector, at most once: the invoice row
 * is locked while it is sent, an invoice already sent is not sent again, and the Message-ID is derived
 * from the invoice (`sendKey`) so that a crash between sending and recording can be reconciled from
 * the Sent folder. A reminder is sent once per `reminderKey`. Numbers a draft first (committed on its
 * own, so a failed send keeps the number with its invoice).
 */
export async function sendInvoiceWith(
  sctx: SkillContext,
  o: { invoiceId: string; to?: string; message?: string; reminderKey?: string | null; accountId: string | null; agentId?: string | null },
) {
  const spaceId = sctx.spaceId!;
  const numbered = await sctx.inScope(async (db) => {
    const row = await findInvoice(db, spaceId, o.invoiceId, { lock: true });
    if (!row) throw new AppError('not_found', 'That invoice no longer exists.');
    return numberIn(db, row, sctx.now, sctx.timeZone);
  });
  const to = o.to ?? numbered.client_email;
  if (!to) throw new AppError('invalid_input', `Add ${numbered.client_name}'s email address to the invoice to send it.`);
  const reminder = Boolean(o.reminderKey);
  return sctx.inScope(async (db) => {
    const row = (await findInvoice(db, spaceId, o.invoiceId, { lock: true }))!;
    if (!reminder && row.sent_message_id)
      return {
        invoiceId: row.id,
        reference: reference(row.number)!,
        messageId: row.sent_message_id,
        to: row.sent_to ?? to,
        alreadySent: true,
      };
    if (reminder && row.status === 'paid')
      throw new AppError('conflict', `Invoice ${reference(row.number)} is paid: no reminder is needed.`);
    const lang = row.language as 'en' | 'he';
    const seller = row.seller_name || (lang === 'he' ? 'בברכה' : 'Best regards');
    const subject = reminder
      ? lang === 'he'
        ? `תזכורת: חשבונית ${reference(row.number)}`
        : `Reminder: invoice ${reference(row.number)}`
      : lang === 'he'
        ? `חשבונית ${reference(row.number)}`
        : `Invoice ${reference(row.number)}`;
    const text = o.message ?? (reminder ? REMINDER_TEXT : EMAIL_TEXT)[lang](row, seller);
    const pdf = await renderInvoicePdf(pdfData(row));
    const sent = await sendMail(
      sctx,
      { to: [to], subject, text, attachments: [{ filename: fileName(row), content: pdf, contentType: 'application/pdf' }] },
      sendKey(row.id, o.reminderKey ?? null),
    );
    const now = sctx.now;
    if (!reminder)
      await updateInvoiceRow(db, spaceId, row.id, {
        status: row.status === 'draft' ? 'sent' : row.status,
        sent_at: now,
        sent_to: to,
        sent_message_id: sent.messageId,
        updated_at: now,
      });
    await logInvoice(
      db,
      row,
      {
        accountId: o.accountId,
        agentId: o.agentId,
        kind: reminder ? 'invoice.reminded' : 'invoice.sent',
        summary: `${reminder ? 'Sent a reminder for' : 'Sent'} invoice ${reference(row.number)} to ${to}`,
      },
      now,
    );
    return { invoiceId: row.id, reference: reference(row.number)!, messageId: sent.messageId, to, alreadySent: false };
  });
}

/** After a crash mid-send: was it sent? (the Message-ID in the Sent folder); if so the invoice is recorded as sent. */
export async function reconcileInvoiceSend(sctx: SkillContext, invoiceId: string, reminderKey: string | null) {
  const messageId = await findSentMail(sctx, undefined, sendKey(invoiceId, reminderKey));
  if (!messageId) return null;
  return sctx.inScope(async (db) => {
    const row = await findInvoice(db, sctx.spaceId!, invoiceId, { lock: true });
    if (!row) return null;
    if (!reminderKey && !row.sent_message_id)
      await updateInvoiceRow(db, row.space_id, row.id, {
        status: row.status === 'draft' ? 'sent' : row.status,
        sent_at: sctx.now,
        sent_to: row.client_email,
        sent_message_id: messageId,
        updated_at: sctx.now,
      });
    return { invoiceId: row.id, reference: reference(row.number)!, messageId, to: row.client_email, alreadySent: true };
  });
}

export async function sendInvoice(ctx: ActorCtx, id: string, body: { to?: string; message?: string }): Promise<InvoiceView> {
  // A child gets 404 from mustFind: these objects do not exist for them.
  await inSpace(ctx, (c) => mustFind(c.db, ctx.actor, id));
  const sctx = await createSkillContext(ctx, { spaceId: ctx.actor.spaceId, accountId: ctx.actor.accountId });
  await sendInvoiceWith(sctx, { invoiceId: id, to: body.to, message: body.message, accountId: ctx.actor.accountId });
  return getInvoice(ctx, id);
}

export async function getProfile(ctx: ActorCtx): Promise<InvoiceProfile> {
  assertAdult(ctx.actor);
  const p = await inSpace(ctx, (c) => findProfile(c.db, ctx.actor.spaceId, ctx.actor.accountId));
  return profileDefaults(p, ctx.actor.locale);
}

export async function updateProfile(ctx: ActorCtx, body: InvoiceProfile): Promise<InvoiceProfile> {
  assertAdult(ctx.actor);
  currencyDigits(body.currency);
  await inSpace(ctx, (c) =>
    upsertProfile(c.db, {
      space_id: ctx.actor.spaceId,
      owner_account_id: ctx.actor.accountId,
      business_name: body.businessName,
      details: body.details,
      email: body.email,
      currency: body.currency,
      tax_rate: body.taxRate,
      payment_days: body.paymentDays,
      language: body.language,
      updated_at: ctx.now(),
    }),
  );
  return getProfile(ctx);
}

/**
 * The overdue sweep (system work across spaces): issued invoices whose due date has passed in their
 * owner's time zone become `overdue`, once, and raise `invoice.overdue` for agents (reminders).
 */
export async function markOverdueInvoices(ctx: Ctx): Promise<number> {
  const now = ctx.now();
  let total = 0;
  for (;;) {
    const rows = await listNewlyOverdueAsSystem(ctx.deps.db, now, 200);
    if (!rows.length) return total;
    for (const r of rows) {
      await ctx.deps.db.transaction().execute(async (tx) => {
        const n = await tx
          .updateTable('client_invoice')
          .set({ status: 'overdue', overdue_at: now, updated_at: now })
          .where('id', '=', r.id)
          .where('status', '=', 'sent')
          .executeTakeFirst();
        if (!Number(n.numUpdatedRows)) return;
        await raiseEvent(
          { ...ctx, db: tx },
          {
            spaceId: r.space_id,
            ownerAccountId: r.owner_account_id,
            visibility: r.visibility as 'shared' | 'private',
            type: 'invoice.overdue',
            source: 'app:invoices',
            dedupeKey: `overdue:${r.id}`,
            data: { invoiceId: r.id, reference: reference(r.number), dueDate: dateText(r.due_date) },
          },
        );
        await logActivity(
          tx,
          {
            spaceId: r.space_id,
            ownerAccountId: r.visibility === 'private' ? r.owner_account_id : null,
            actorKind: 'system',
            kind: 'invoice.overdue',
            objectType: 'invoice',
            objectId: r.id,
            summary: `Invoice ${reference(r.number)} is overdue (it was due ${dateText(r.due_date)})`,
          },
          now,
        );
      });
      total++;
    }
  }
}
