import { z } from 'zod';
import { Id, Text, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['invoices'];

export const INVOICE_STATUSES = ['draft', 'sent', 'paid', 'overdue'] as const;
export const InvoiceStatus = z.enum(INVOICE_STATUSES);
export const InvoiceLanguage = z.enum(['en', 'he']);
/** ISO 4217 code, upper case (USD, EUR, ILS). */
export const CurrencyCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{3}$/, 'must be a three-letter currency code such as USD')
  .refine((c) => {
    try {
      new Intl.NumberFormat('en', { style: 'currency', currency: c });
      return true;
    } catch {
      return false;
    }
  }, 'is not a known currency');
export const IsoDate = z.iso.date();
/** A quantity as the person typed it: 1.5 hours; a decimal string or a number, at most 6 decimals. */
export const Quantity = z.union([z.number(), z.string().trim()]).transform((v, c) => {
  const s = typeof v === 'number' ? String(v) : v;
  if (!/^\d{1,9}(\.\d{1,6})?$/.test(s)) {
    c.addIssue({ code: 'custom', message: 'must be a positive decimal number such as 1.5 (at most 6 decimals)' });
    return z.NEVER;
  }
  return s.replace(/^0+(?=\d)/, '');
});
export const Percentage = z.number().min(0).max(100);

export const InvoiceLineInput = z.strictObject({
  description: Text(500).pipe(z.string().min(1, 'is required')),
  quantity: Quantity,
  /** In minor units (cents, agorot). */
  unitPrice: z.number().int().min(0).max(1_000_000_000_000),
});
export const InvoiceLine = z.object({
  description: z.string(),
  quantity: z.string(),
  unitPrice: z.number().int(),
  amount: z.number().int(),
});

export const InvoiceView = z.object({
  id: Id,
  number: z.number().int().nullable(),
  /** The number as printed (INV-0007), or null for a draft. */
  reference: z.string().nullable(),
  status: InvoiceStatus,
  language: InvoiceLanguage,
  clientContactId: Id.nullable(),
  clientName: z.string(),
  clientEmail: z.string(),
  clientDetails: z.string(),
  sellerName: z.string(),
  sellerDetails: z.string(),
  currency: z.string(),
  lines: z.array(InvoiceLine),
  taxRate: z.number(),
  discountRate: z.number(),
  subtotal: z.number().int(),
  discount: z.number().int(),
  tax: z.number().int(),
  total: z.number().int(),
  issueDate: z.string().nullable(),
  dueDate: z.string().nullable(),
  notes: z.string(),
  sentAt: z.string().nullable(),
  sentTo: z.string().nullable(),
  paidAt: z.string().nullable(),
  visibility: Visibility,
  createdByAgent: z.boolean(),
  createdAt: z.string(),
  pdfUrl: z.string(),
});
export type InvoiceView = z.infer<typeof InvoiceView>;

export const listClientInvoices = endpoint({
  method: 'GET',
  path: '/api/v1/invoices',
  summary: 'Your invoices to your clients, newest first (not shown to children)',
  tags,
  query: z.strictObject({
    status: InvoiceStatus.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(100),
    cursor: z.string().max(100).optional(),
  }),
  response: z.object({ items: z.array(InvoiceView), nextCursor: z.string().nullable() }),
});

export const CreateInvoiceInput = z.strictObject({
  clientName: Text(200).pipe(z.string().min(1, 'is required')),
  clientEmail: z.union([z.literal(''), z.email().max(320)]).optional(),
  clientDetails: Text(1000).optional(),
  clientContactId: Id.nullable().optional(),
  currency: CurrencyCode.optional(),
  lines: z.array(InvoiceLineInput).min(1, 'add at least one line').max(100),
  taxRate: Percentage.optional(),
  discountRate: Percentage.optional(),
  issueDate: IsoDate.optional(),
  dueDate: IsoDate.optional(),
  notes: Text(2000).optional(),
  language: InvoiceLanguage.optional(),
  visibility: Visibility.optional(),
});
export type CreateInvoiceInput = z.input<typeof CreateInvoiceInput>;
export const createClientInvoice = endpoint({
  method: 'POST',
  path: '/api/v1/invoices',
  summary: 'Create a draft invoice (totals computed exactly, in minor units)',
  tags,
  body: CreateInvoiceInput,
  response: InvoiceView,
  status: 201,
});

export const draftInvoiceFromText = endpoint({
  method: 'POST',
  path: '/api/v1/invoices/from-text',
  summary: 'Create a draft from a plain description ("2 hours of design for Acme at $80/h, due in 14 days")',
  tags,
  body: z.strictObject({ text: Text(2000).pipe(z.string().min(1, 'is required')) }),
  response: InvoiceView,
  status: 201,
});

const Params = z.strictObject({ invoiceId: Id });
export const getClientInvoice = endpoint({
  method: 'GET',
  path: '/api/v1/invoices/:invoiceId',
  summary: 'One invoice',
  tags,
  params: Params,
  response: InvoiceView,
});
export const updateClientInvoice = endpoint({
  method: 'PATCH',
  path: '/api/v1/invoices/:invoiceId',
  summary: 'Change a draft (an issued invoice only changes status: paid)',
  tags,
  params: Params,
  body: CreateInvoiceInput.partial().omit({ visibility: true }),
  response: InvoiceView,
});
export const issueClientInvoice = endpoint({
  method: 'POST',
  path: '/api/v1/invoices/:invoiceId/issue',
  summary: 'Give a draft its number and mark it sent (you sent it yourself)',
  tags,
  params: Params,
  response: InvoiceView,
});
export const sendClientInvoice = endpoint({
  method: 'POST',
  path: '/api/v1/invoices/:invoiceId/send',
  summary: 'Send the invoice by email with its PDF attached, through your connected email account (at most once)',
  tags,
  params: Params,
  body: z.strictObject({ to: z.email().max(320).optional(), message: Text(5000).optional() }),
  response: InvoiceView,
});
export const markClientInvoicePaid = endpoint({
  method: 'POST',
  path: '/api/v1/invoices/:invoiceId/paid',
  summary: 'Mark an issued invoice paid',
  tags,
  params: Params,
  response: InvoiceView,
});
export const deleteClientInvoice = endpoint({
  method: 'DELETE',
  path: '/api/v1/invoices/:invoiceId',
  summary: 'Delete a draft (issued invoices are kept: their numbers must stay gapless)',
  tags,
  params: Params,
  response: z.object({ ok: z.literal(true) }),
});
export const getClientInvoicePdf = endpoint({
  method: 'GET',
  path: '/api/v1/invoices/:invoiceId/pdf',
  summary: 'The invoice as PDF (right-to-left text such as Hebrew laid out right to left)',
  tags,
  params: Params,
  response: z.string().describe('application/pdf'),
});

export const InvoiceProfile = z.object({
  businessName: z.string(),
  details: z.string(),
  email: z.string(),
  currency: z.string(),
  taxRate: z.number(),
  paymentDays: z.number().int(),
  language: InvoiceLanguage,
});
export type InvoiceProfile = z.infer<typeof InvoiceProfile>;
export const getInvoiceProfile = endpoint({
  method: 'GET',
  path: '/api/v1/invoice-profile',
  summary: 'Who your invoices are from, and their defaults',
  tags,
  response: InvoiceProfile,
});
export const updateInvoiceProfile = endpoint({
  method: 'PUT',
  path: '/api/v1/invoice-profile',
  summary: 'Change who your invoices are from, and their defaults',
  tags,
  body: z.strictObject({
    businessName: Text(200),
    details: Text(1000),
    email: z.union([z.literal(''), z.email().max(320)]),
    currency: CurrencyCode,
    taxRate: Percentage,
    paymentDays: z.number().int().min(0).max(365),
    language: InvoiceLanguage,
  }),
  response: InvoiceProfile,
});
