import { CurrencyCode, InvoiceLanguage, IsoDate, Percentage, Quantity } from '@csme/contracts/invoices';
import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill, type SkillContext } from '#core/skill.js';
import { formatMoney } from './invoices.pdf.js';
import { findInvoice, listInvoiceRows } from './invoices.repository.js';
import {
  computeTotals,
  createInvoiceIn,
  localDay,
  presentInvoice,
  readDescription,
  reconcileInvoiceSend,
  sendInvoiceWith,
} from './invoices.service.js';

const Line = z.strictObject({
  description: z.string().trim().min(1).max(500),
  quantity: Quantity,
  unitPrice: z.number().int().min(0).max(1_000_000_000_000),
});
const Draft = z.strictObject({
  clientName: z.string().trim().min(1).max(200),
  clientEmail: z
    .union([z.literal(''), z.email().max(320)])
    .nullable()
    .optional(),
  clientDetails: z.string().max(1000).optional(),
  currency: CurrencyCode.nullable().optional(),
  lines: z.array(Line).min(1).max(100),
  taxRate: Percentage.nullable().optional(),
  discountRate: Percentage.nullable().optional(),
  dueDate: IsoDate.nullable().optional(),
  notes: z.string().max(2000).optional(),
  language: InvoiceLanguage.optional(),
});

const Summary = z.object({
  id: z.uuid(),
  reference: z.string().nullable(),
  status: z.enum(['draft', 'sent', 'paid', 'overdue']),
  clientName: z.string(),
  clientEmail: z.string(),
  currency: z.string(),
  total: z.number().int(),
  totalText: z.string(),
  issueDate: z.string().nullable(),
  dueDate: z.string().nullable(),
  lines: z.array(z.object({ description: z.string(), quantity: z.string(), unitPrice: z.number().int(), amount: z.number().int() })),
});

function summary(r: Parameters<typeof presentInvoice>[0]): z.input<typeof Summary> {
  const v = presentInvoice(r);
  return {
    id: v.id,
    reference: v.reference,
    status: v.status,
    clientName: v.clientName,
    clientEmail: v.clientEmail,
    currency: v.currency,
    total: v.total,
    totalText: formatMoney(v.total, v.currency),
    issueDate: v.issueDate,
    dueDate: v.dueDate,
    lines: v.lines,
  };
}

function needsSpace(sctx: SkillContext) {
  if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'This skill needs a space.');
}

const invoicesList = defineSkill({
  id: 'invoices.list',
  description: 'Your invoices to clients, newest first, optionally by status (draft, sent, paid, overdue)',
  kind: 'read',
  scopes: ['invoices:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    status: z.enum(['draft', 'sent', 'paid', 'overdue']).optional(),
    limit: z.number().int().min(1).max(200).default(50),
  }),
  output: z.object({ invoices: z.array(Summary) }),
  async run(sctx, input) {
    needsSpace(sctx);
    const rows = await sctx.inScope((db) => listInvoiceRows(db, sctx.spaceId!, { status: input.status, limit: input.limit }));
    return { invoices: rows.slice(0, input.limit).map(summary) };
  },
});

const invoicesGet = defineSkill({
  id: 'invoices.get',
  description: 'One invoice by id: client, lines, totals, status and dates',
  kind: 'read',
  scopes: ['invoices:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ invoiceId: z.uuid() }),
  output: Summary.nullable(),
  async run(sctx, input) {
    needsSpace(sctx);
    const r = await sctx.inScope((db) => findInvoice(db, sctx.spaceId!, input.invoiceId));
    return r ? summary(r) : null;
  },
});

/** Plain description -> draft fields, on the local engine (rules + dates.extract); nothing is stored. */
const invoicesDraftFromText = defineSkill({
  id: 'invoices.draft-from-text',
  description:
    'Reads a plain description ("2 hours of design for Acme at $80/h, due in 14 days") into a draft invoice, with its exact totals',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: z.strictObject({
    text: z.string().max(20_000),
    now: z.iso.datetime({ offset: true }).optional(),
    timeZone: z.string().max(64).optional(),
    currency: CurrencyCode.optional(),
    taxRate: Percentage.optional(),
  }),
  output: z.object({
    ok: z.boolean(),
    draft: Draft.nullable(),
    totals: z.object({ subtotal: z.number().int(), discount: z.number().int(), tax: z.number().int(), total: z.number().int() }).nullable(),
    summary: z.string(),
    problems: z.array(z.string()),
  }),
  async run(sctx, input) {
    const now = input.now ? new Date(input.now) : sctx.now;
    const tz = input.timeZone ?? sctx.timeZone;
    const d = await readDescription(input.text, { now, timeZone: tz, defaultCurrency: input.currency ?? null });
    if (!d.lines.length || !d.clientName)
      return { ok: false, draft: null, totals: null, summary: d.problems.join(' '), problems: d.problems };
    const currency = d.currency ?? input.currency ?? 'USD';
    const taxRate = d.taxRate ?? input.taxRate ?? 0;
    const t = await computeTotals(d.lines, taxRate, d.discountRate ?? 0, currency);
    const money = (n: number) => formatMoney(n, currency);
    const he = sctx.locale === 'he';
    const lineText = t.lines.map((l) => `${l.description}: ${l.quantity} × ${money(l.unitPrice)} = ${money(l.amount)}`).join('; ');
    const parts = [
      `${d.clientName}${d.clientEmail ? ` <${d.clientEmail}>` : ''}`,
      lineText,
      t.discount ? `${he ? 'הנחה' : 'discount'} ${money(t.discount)}` : '',
      t.tax ? `${he ? 'מס' : 'tax'} ${money(t.tax)}` : '',
      `${he ? 'סה"כ' : 'total'} ${money(t.total)}`,
      d.dueDate ? `${he ? 'לתשלום עד' : 'due'} ${d.dueDate}` : '',
    ].filter(Boolean);
    return {
      ok: true,
      draft: {
        clientName: d.clientName,
        clientEmail: d.clientEmail,
        currency,
        lines: d.lines,
        taxRate,
        discountRate: d.discountRate ?? 0,
        dueDate: d.dueDate,
      },
      totals: { subtotal: t.subtotal, discount: t.discount, tax: t.tax, total: t.total },
      summary: parts.join(' · '),
      problems: d.problems,
    };
  },
});

function draftPreview(d: z.output<typeof Draft>): string {
  const lines = d.lines.map((l) => `${l.description} × ${l.quantity}`).join(', ');
  return [lines, d.dueDate ? `due ${d.dueDate}` : ''].filter(Boolean).join(' · ');
}

async function createFromDraft(sctx: SkillContext, d: z.output<typeof Draft>): Promise<string> {
  return sctx.inScope((db) =>
    createInvoiceIn(
      db,
      { now: () => sctx.now },
      {
        spaceId: sctx.spaceId!,
        ownerAccountId: sctx.accountId!,
        visibility: sctx.visibility,
        locale: sctx.locale,
        createdByAccountId: sctx.agentId ? null : sctx.accountId,
        agentId: sctx.agentId,
        idempotencyKey: sctx.idempotencyKey ? `draft:${sctx.idempotencyKey}` : null,
      },
      {
        clientName: d.clientName,
        clientEmail: d.clientEmail ?? '',
        clientDetails: d.clientDetails,
        currency: d.currency ?? undefined,
        lines: d.lines,
        taxRate: d.taxRate ?? undefined,
        discountRate: d.discountRate ?? undefined,
        dueDate: d.dueDate ?? null,
        notes: d.notes,
        language: d.language,
      },
    ),
  );
}

const invoicesCreate = defineSkill({
  id: 'invoices.create',
  description: 'Saves a draft invoice (nothing is sent; drafts have no number until issued)',
  kind: 'act',
  actionType: 'invoices.create',
  scopes: ['invoices:write'],
  costClass: 'free',
  pure: false,
  input: Draft,
  output: z.object({ invoiceId: z.uuid(), total: z.number().int(), currency: z.string() }),
  preview: (i, locale) => ({
    title: locale === 'he' ? `טיוטת חשבונית ל${i.clientName}` : `Save a draft invoice for ${i.clientName}`,
    summary: draftPreview(i),
  }),
  async run(sctx, input) {
    needsSpace(sctx);
    const invoiceId = await createFromDraft(sctx, input);
    const r = (await sctx.inScope((db) => findInvoice(db, sctx.spaceId!, invoiceId)))!;
    return { invoiceId, total: Number(r.total), currency: r.currency };
  },
});

const SendInput = z
  .strictObject({
    /** An existing invoice, or `draft` to create one on approval and send it. */
    invoiceId: z.uuid().optional(),
    draft: Draft.optional(),
    to: z.email().max(320).optional(),
    message: z.string().max(5000).optional(),
    /** A payment reminder for an invoice already sent (sent once per action). */
    reminder: z.boolean().default(false),
    /** What the person approves, in words (shown in the suggestion). */
    about: z.string().max(1000).optional(),
  })
  .refine((i) => Boolean(i.invoiceId) !== Boolean(i.draft), { message: 'give exactly one of invoiceId or draft' })
  .refine((i) => !(i.reminder && i.draft), { message: 'a reminder is for an invoice already sent' });

const invoicesSend = defineSkill({
  id: 'invoices.send',
  description:
    'Sends an invoice to the client by email with its PDF attached (or a payment reminder), at most once, through your email account',
  kind: 'act',
  actionType: 'invoices.send',
  external: true,
  scopes: ['invoices:write', 'email:send'],
  costClass: 'free',
  pure: false,
  input: SendInput,
  output: z.object({ invoiceId: z.uuid(), reference: z.string(), messageId: z.string(), to: z.string(), alreadySent: z.boolean() }),
  preview: (i, locale) => {
    const who = i.draft?.clientName ?? '';
    const to = i.to ?? i.draft?.clientEmail ?? '';
    const he = locale === 'he';
    const title = i.reminder
      ? he
        ? `שליחת תזכורת תשלום${to ? ` אל ${to}` : ''}`
        : `Send a payment reminder${to ? ` to ${to}` : ''}`
      : he
        ? `שליחת חשבונית${who ? ` ל${who}` : ''}${to ? ` (${to})` : ''}, עם PDF`
        : `Send an invoice${who ? ` to ${who}` : ''}${to ? ` (${to})` : ''}, PDF attached`;
    return { title, summary: i.about ?? (i.draft ? draftPreview(i.draft) : '') };
  },
  async run(sctx, input) {
    needsSpace(sctx);
    const invoiceId = input.invoiceId ?? (await createFromDraft(sctx, input.draft!));
    return sendInvoiceWith(sctx, {
      invoiceId,
      to: input.to,
      message: input.message,
      reminderKey: input.reminder ? (sctx.idempotencyKey ?? localDay(sctx.now, sctx.timeZone)) : null,
      accountId: sctx.accountId,
      agentId: sctx.agentId,
    });
  },
  async reconcile(sctx, input, key) {
    let invoiceId = input.invoiceId;
    if (!invoiceId) {
      const r = await sctx.inScope((db) =>
        db
          .selectFrom('client_invoice')
          .select('id')
          .where('space_id', '=', sctx.spaceId!)
          .where('idempotency_key', '=', `draft:${key}`)
          .executeTakeFirst(),
      );
      if (!r) return { state: 'not_found' };
      invoiceId = r.id;
    }
    const r = await reconcileInvoiceSend(sctx, invoiceId, input.reminder ? key : null);
    return r ? { state: 'done', result: r } : { state: 'not_found' };
  },
});

export const invoiceSkills = [invoicesList, invoicesGet, invoicesDraftFromText, invoicesCreate, invoicesSend];
