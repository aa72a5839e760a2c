import { z } from 'zod';
import { Id, IsoDateTime, Text } from './common.js';
import { endpoint } from './http.js';
import { BillingInterval, Currency, PlanLimits, PlanView, Price, UsageKey } from './plans.js';

const tags = ['billing'];
const adminTags = ['admin', 'billing'];

/** A two-letter country code (ISO 3166-1 alpha-2): the tax rate depends on it. */
export const Country = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as US or IL');

const PlanId = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be a plan id such as pro');
const Minor = z.number().int();

/** What a person asks billing to do. `quote` shows what would happen; `checkout` does it. */
export const BillingAction = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('change_plan'),
    planId: PlanId,
    interval: BillingInterval.default('month'),
    currency: Currency.optional(),
    country: Country.optional(),
  }),
  z.strictObject({ action: z.literal('cancel') }),
  z.strictObject({ action: z.literal('resume') }),
  z.strictObject({
    action: z.literal('extra_runs'),
    packs: z.number().int().min(1).max(10).default(1),
    currency: Currency.optional(),
    country: Country.optional(),
  }),
  z.strictObject({
    action: z.literal('addon'),
    interval: BillingInterval.default('month'),
    currency: Currency.optional(),
    country: Country.optional(),
  }),
  z.strictObject({ action: z.literal('addon_cancel') }),
  z.strictObject({ action: z.literal('addon_resume') }),
]);
export type BillingAction = z.infer<typeof BillingAction>;

/** One line of an invoice or a charge; negative for a credit. */
export const InvoiceLine = z.object({ description: z.string(), amount: Minor });
export type InvoiceLine = z.infer<typeof InvoiceLine>;

/** An amount to pay: integer minor units (cents, agorot); tax is a rate in basis points (1800 = 18%). */
export const Charge = z.object({
  currency: Currency,
  lines: z.array(InvoiceLine),
  subtotal: Minor,
  taxBasisPoints: Minor,
  tax: Minor,
  total: Minor,
  country: z.string().nullable(),
});
export type Charge = z.infer<typeof Charge>;

export const PlanRef = z.object({ planId: z.string(), planName: z.string(), interval: BillingInterval.nullable() });
export type PlanRef = z.infer<typeof PlanRef>;

/** What is over a new plan's limit and will be paused (never deleted); the person chooses what stays active. */
export const OverLimit = z.object({ key: UsageKey, used: z.number().int(), limit: z.number().int(), pause: z.number().int() });
export type OverLimit = z.infer<typeof OverLimit>;

export const QUOTE_TIMINGS = ['now', 'on_payment', 'period_end'] as const;
export const Quote = z.object({
  action: z.string(),
  /** now: takes effect at once; on_payment: when the invoice or checkout is paid; period_end: at effectiveAt. */
  timing: z.enum(QUOTE_TIMINGS),
  effectiveAt: z.string().nullable(),
  from: PlanRef.nullable(),
  to: PlanRef.nullable(),
  charge: Charge.nullable(),
  /** Nothing is refunded for the rest of the current period (downgrades, yearly to monthly, cancellations). */
  noRefund: z.boolean(),
  trialDays: z.number().int().nullable(),
  newPeriod: z.object({ start: z.string(), end: z.string() }).nullable(),
  /** A Family subscription creates a family space. */
  createsFamilySpace: z.boolean(),
  /** Moving Personal Pro to Family returns the personal space to Free. */
  personalSpaceToFree: z.boolean(),
  limits: PlanLimits.nullable(),
  overLimit: z.array(OverLimit),
  extraRuns: z.object({ runs: z.number().int(), validUntil: z.string() }).nullable(),
  /** The same in one English sentence, for API clients (the web app writes its own, translated). */
  summary: z.string(),
});
export type Quote = z.infer<typeof Quote>;

export const INVOICE_STATUSES = ['open', 'paid', 'void'] as const;
export const INVOICE_KINDS = ['subscription', 'change', 'renewal', 'extra_runs', 'addon', 'sale'] as const;
export const InvoiceView = z.object({
  id: Id,
  number: z.string(),
  status: z.enum(INVOICE_STATUSES),
  kind: z.enum(INVOICE_KINDS),
  currency: Currency,
  lines: z.array(InvoiceLine),
  subtotal: Minor,
  taxBasisPoints: Minor,
  tax: Minor,
  total: Minor,
  country: z.string().nullable(),
  buyerName: z.string(),
  buyerEmail: z.string(),
  periodStart: z.string().nullable(),
  periodEnd: z.string().nullable(),
  issuedAt: z.string(),
  dueAt: z.string().nullable(),
  paidAt: z.string().nullable(),
  voidedAt: z.string().nullable(),
  provider: z.string(),
  pdfUrl: z.string(),
  receiptUrl: z.string().nullable(),
});
export type InvoiceView = z.infer<typeof InvoiceView>;

export const AdminInvoiceView = InvoiceView.extend({ spaceId: Id.nullable(), spaceName: z.string().nullable() });
export type AdminInvoiceView = z.infer<typeof AdminInvoiceView>;

export const ScheduledChangeView = z.object({
  kind: z.enum(['downgrade', 'interval', 'cancel', 'version_migration']),
  to: PlanRef.nullable(),
  effectiveAt: z.string(),
});
export type ScheduledChangeView = z.infer<typeof ScheduledChangeView>;

export const SubscriptionView = z.object({
  id: Id,
  planId: z.string(),
  planName: z.string(),
  planVersion: z.number().int(),
  status: z.enum(['trialing', 'active', 'past_due', 'canceled']),
  interval: BillingInterval.nullable(),
  currency: Currency.nullable(),
  price: Minor.nullable(),
  periodStart: z.string(),
  periodEnd: z.string().nullable(),
  cancelAtPeriodEnd: z.boolean(),
  trialEnd: z.string().nullable(),
  pastDueSince: z.string().nullable(),
  /** When the grace period of a past-due subscription ends (then the space gets Free's limits). */
  graceEndsAt: z.string().nullable(),
  /** The grace period ran out: Free's limits apply until the open invoice is paid. */
  restricted: z.boolean(),
  provider: z.string(),
  scheduledChange: ScheduledChangeView.nullable(),
});
export type SubscriptionView = z.infer<typeof SubscriptionView>;

export const BillingOverview = z.object({
  spaceId: Id,
  spaceKind: z.enum(['personal', 'family']),
  provider: z.enum(['offline', 'stripe']),
  plan: PlanView,
  subscription: SubscriptionView,
  addons: z.array(SubscriptionView),
  nextInvoice: z
    .object({ date: z.string(), description: z.string(), currency: Currency, subtotal: Minor, tax: Minor, total: Minor })
    .nullable(),
  openInvoices: z.array(InvoiceView),
  profile: z.object({ country: z.string().nullable(), currency: Currency.nullable() }),
  trial: z.object({ enabled: z.boolean(), days: z.number().int(), available: z.boolean() }),
  extraRuns: z.object({ runs: z.number().int(), prices: z.array(z.object({ currency: Currency, amount: Minor })) }),
  portal: z.boolean(),
});
export type BillingOverview = z.infer<typeof BillingOverview>;

export const CheckoutResult = z.discriminatedUnion('status', [
  /** Offline provider: an invoice to pay; the change takes effect when an operator marks it paid. */
  z.object({ status: z.literal('invoice_open'), invoice: InvoiceView, quote: Quote }),
  /** Stripe: continue at Stripe Checkout. */
  z.object({ status: z.literal('redirect'), url: z.string() }),
  z.object({ status: z.literal('scheduled'), effectiveAt: z.string(), quote: Quote }),
  z.object({ status: z.literal('applied'), quote: Quote }),
]);
export type CheckoutResult = z.infer<typeof CheckoutResult>;

export const getBilling = endpoint({
  method: 'GET',
  path: '/api/v1/billing',
  summary: "The active space's subscription, add-ons, next invoice and open invoices (owner only)",
  tags,
  response: BillingOverview,
});

export const quoteBilling = endpoint({
  method: 'POST',
  path: '/api/v1/billing/quote',
  summary: 'What a plan change, cancellation or purchase would do and cost, without doing it (owner only)',
  tags,
  body: BillingAction,
  response: Quote,
});

export const checkout = endpoint({
  method: 'POST',
  path: '/api/v1/billing/checkout',
  summary: 'Buy, change or cancel: opens an invoice (offline), a Stripe Checkout, or schedules the change (owner only)',
  tags,
  body: BillingAction,
  response: CheckoutResult,
});

export const InvoiceListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(200).optional(),
});
export const listInvoices = endpoint({
  method: 'GET',
  path: '/api/v1/billing/invoices',
  summary: "The active space's invoices, newest first (owner only)",
  tags,
  query: InvoiceListQuery,
  response: z.object({ items: z.array(InvoiceView), nextCursor: z.string().nullable() }),
});

export const InvoiceParams = z.strictObject({ invoiceId: Id });
export const getInvoice = endpoint({
  method: 'GET',
  path: '/api/v1/billing/invoices/:invoiceId',
  summary: 'One invoice (owner only)',
  tags,
  params: InvoiceParams,
  response: InvoiceView,
});

export const InvoicePdfQuery = z.strictObject({ document: z.enum(['invoice', 'receipt']).default('invoice') });
export const getInvoicePdf = endpoint({
  method: 'GET',
  path: '/api/v1/billing/invoices/:invoiceId/pdf',
  summary: 'The invoice, or the receipt of a paid invoice, as PDF (owner only)',
  tags,
  params: InvoiceParams,
  query: InvoicePdfQuery,
  response: z.string().describe('application/pdf'),
});

export const openPortal = endpoint({
  method: 'POST',
  path: '/api/v1/billing/portal',
  summary: "Stripe's Billing Portal for card changes (owner only; Stripe only)",
  tags,
  body: z.strictObject({}),
  response: z.object({ url: z.string() }),
});

export const syncBilling = endpoint({
  method: 'POST',
  path: '/api/v1/billing/sync',
  summary: 'Bring this space in line with the payment provider now (after returning from Stripe Checkout)',
  tags,
  body: z.strictObject({
    sessionId: z
      .string()
      .regex(/^cs_[A-Za-z0-9_]{1,250}$/)
      .optional(),
  }),
  response: BillingOverview,
});

export const stripeWebhook = endpoint({
  method: 'POST',
  path: '/api/v1/billing/stripe/webhook',
  summary: 'Stripe events, verified with the signing secret over the raw body',
  tags,
  response: z.object({ received: z.literal(true), duplicate: z.boolean() }),
});

// ---------------------------------------------------------------- operators

export const AdminInvoiceQuery = z.strictObject({
  status: z.enum(INVOICE_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
export const adminListInvoices = endpoint({
  method: 'GET',
  path: '/api/v1/admin/billing/invoices',
  summary: 'Invoices of every space, newest first, by status (operators only)',
  tags: adminTags,
  query: AdminInvoiceQuery,
  response: z.object({ items: z.array(AdminInvoiceView), nextCursor: z.string().nullable() }),
});

export const adminPayInvoice = endpoint({
  method: 'POST',
  path: '/api/v1/admin/billing/invoices/:invoiceId/pay',
  summary: 'Mark an open invoice paid; what it pays for takes effect (operators only)',
  tags: adminTags,
  params: InvoiceParams,
  body: z.strictObject({}),
  response: AdminInvoiceView,
});

export const adminVoidInvoice = endpoint({
  method: 'POST',
  path: '/api/v1/admin/billing/invoices/:invoiceId/void',
  summary: 'Void an open invoice: nothing is owed and nothing changes (operators only)',
  tags: adminTags,
  params: InvoiceParams,
  body: z.strictObject({}),
  response: AdminInvoiceView,
});

export const PlanVersionView = PlanView.extend({ note: z.string().nullable(), createdAt: z.string(), subscribers: z.number().int() });
export type PlanVersionView = z.infer<typeof PlanVersionView>;

export const adminListPlanVersions = endpoint({
  method: 'GET',
  path: '/api/v1/admin/plans',
  summary: 'Every version of every plan, with its live subscribers (operators only)',
  tags: adminTags,
  response: z.object({ versions: z.array(PlanVersionView) }),
});

export const PlanParams = z.strictObject({ planId: PlanId });
export const CreatePlanVersionInput = z
  .strictObject({
    prices: z.array(Price).max(8).optional(),
    limits: PlanLimits.optional(),
    note: Text(300).pipe(z.string().min(1, 'is required')),
  })
  .refine((v) => v.prices !== undefined || v.limits !== undefined, 'change the prices, the limits or both');
export const adminCreatePlanVersion = endpoint({
  method: 'POST',
  path: '/api/v1/admin/plans/:planId/versions',
  summary: 'A new version of a plan (new prices and/or limits); existing subscribers keep theirs (operators only)',
  tags: adminTags,
  params: PlanParams,
  body: CreatePlanVersionInput,
  response: PlanVersionView,
  status: 201,
});

export const MigratePlanInput = z.strictObject({ noticeDays: z.number().int().min(0).max(365).default(30) });
export const adminMigratePlan = endpoint({
  method: 'POST',
  path: '/api/v1/admin/plans/:planId/migrate',
  summary: "Move a plan's subscribers to its current version at their first renewal after the notice (operators only)",
  tags: adminTags,
  params: PlanParams,
  body: MigratePlanInput,
  response: z.object({ scheduled: z.number().int(), skipped: z.number().int(), notBefore: IsoDateTime }),
});
