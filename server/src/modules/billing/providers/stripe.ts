import Stripe from 'stripe';
import { z } from 'zod';
import type { Ctx } from '#core/ctx.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import type { SubscriptionRow } from '#modules/plans/index.js';
import { providerSetting } from '../billing.config.js';
import { priceOf, taxOn } from '../billing.policy.js';
import { findProfile, upsertProfile } from '../billing.repository.js';
import type { PaymentProvider, PurchaseRequest, ScheduledTarget } from './provider.js';

// Stripe: Checkout Sessions to start paying, the Billing Portal for cards, subscription updates for
// upgrades, and webhooks (verified over the raw body) that make us fetch the current state and
// reconcile. Amounts are computed by us (PRODUCT.md formulas) and sent as explicit prices; tax is its
// own line (product `csme_tax`), so Stripe charges exactly what our invoice says.

const TAX_PRODUCT = 'csme_tax';
const EXTRA_RUNS_PRODUCT = 'csme_extra_runs';
const SALE_PRODUCT = 'csme_sale';
const planProduct = (planId: string) => `csme_plan_${planId}`;

/** Metadata keys we keep on Stripe objects (Stripe metadata values are strings; '' removes a key). */
export const META = {
  spaceId: 'csme_space_id',
  accountId: 'csme_account_id',
  kind: 'csme_kind',
  planId: 'csme_plan_id',
  planVersionId: 'csme_plan_version_id',
  interval: 'csme_interval',
  nextPlanId: 'csme_next_plan_id',
  nextPlanVersionId: 'csme_next_plan_version_id',
  nextInterval: 'csme_next_interval',
  nextSpaceId: 'csme_next_space_id',
  nextAt: 'csme_next_at',
  purchase: 'csme_purchase',
  runs: 'csme_runs',
  subtotal: 'csme_subtotal',
  tax: 'csme_tax',
  taxBasisPoints: 'csme_tax_bp',
  line: 'csme_line',
  module: 'csme_module',
  ref: 'csme_ref',
} as const;

async function stripeSettings(ctx: Ctx) {
  return ctx.deps.settings.get(providerSetting);
}

/** A Stripe client for the configured key and API address; refuses clearly when Stripe is not set up. */
async function stripeClient(ctx: Ctx): Promise<Stripe> {
  const s = await stripeSettings(ctx);
  if (!s.stripeSecretKey) throw new AppError('unavailable', 'Payments by card are not set up on this instance yet. Ask its operator.');
  const url = new URL(s.stripeApiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(s.stripeSecretKey, {
    host: url.hostname,
    port: url.port || (protocol === 'https' ? 443 : 80),
    protocol,
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: 'connectsoft.me' },
  });
}

/** Turns Stripe's failures into answers a person can act on (never a 500 for a declined card). */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Stripe.errors.StripeCardError)
      throw new AppError('conflict', `The payment was declined: ${e.message}`, { reason: 'payment_failed' });
    if (e instanceof Stripe.errors.StripeInvalidRequestError)
      throw new AppError('conflict', `Stripe refused to ${what}: ${e.message}`, { reason: 'provider_refused' });
    if (e instanceof Stripe.errors.StripeError)
      throw new AppError('unavailable', `Stripe could not ${what} right now; try again in a moment.`);
    throw e;
  }
}

const Ref = z.union([z.string(), z.looseObject({ id: z.string() })]).transform((v) => (typeof v === 'string' ? v : v.id));
const Meta = z
  .record(z.string(), z.string())
  .nullish()
  .transform((m) => m ?? {});

const StripeSubscription = z.looseObject({
  id: z.string(),
  status: z.string(),
  customer: Ref,
  currency: z.string(),
  cancel_at_period_end: z.boolean(),
  trial_end: z.number().nullish(),
  metadata: Meta,
  default_payment_method: Ref.nullish(),
  items: z.looseObject({
    data: z.array(
      z.looseObject({
        id: z.string(),
        current_period_start: z.number(),
        current_period_end: z.number(),
        metadata: Meta,
        price: z.looseObject({
          product: Ref,
          unit_amount: z.number().nullish(),
          recurring: z.looseObject({ interval: z.string() }).nullish(),
        }),
      }),
    ),
  }),
});

export interface ProviderSubscription {
  id: string;
  status: 'trialing' | 'active' | 'past_due' | 'ended' | 'incomplete';
  customer: string;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  cancelAtPeriodEnd: boolean;
  trialEnd: Date | null;
  metadata: Record<string, string>;
  defaultPaymentMethod: string | null;
  planItemId: string | null;
  taxItemId: string | null;
}

const fromUnix = (s: number) => new Date(s * 1000);

function statusOf(s: string): ProviderSubscription['status'] {
  if (s === 'trialing' || s === 'active') return s;
  if (s === 'past_due' || s === 'unpaid' || s === 'paused') return 'past_due';
  if (s === 'incomplete') return 'incomplete';
  return 'ended';
}

/** The subscription as Stripe has it now (null when Stripe does not know it). */
export async function fetchSubscription(ctx: Ctx, id: string): Promise<ProviderSubscription | null> {
  const stripe = await stripeClient(ctx);
  let raw: unknown;
  try {
    raw = await stripe.subscriptions.retrieve(id);
  } catch (e) {
    if (e instanceof Stripe.errors.StripeInvalidRequestError && e.statusCode === 404) return null;
    throw e;
  }
  const s = StripeSubscription.parse(raw);
  const plan = s.items.data.find((i) => i.price.product !== TAX_PRODUCT) ?? null;
  const tax = s.items.data.find((i) => i.price.product === TAX_PRODUCT) ?? null;
  const first = plan ?? s.items.data[0];
  if (!first) throw new Error(`Stripe subscription ${id} has no items`);
  return {
    id: s.id,
    status: statusOf(s.status),
    customer: s.customer,
    currency: s.currency.toUpperCase(),
    periodStart: fromUnix(first.current_period_start),
    periodEnd: fromUnix(first.current_period_end),
    cancelAtPeriodEnd: s.cancel_at_period_end,
    trialEnd: s.trial_end ? fromUnix(s.trial_end) : null,
    metadata: s.metadata,
    defaultPaymentMethod: s.default_payment_method ?? null,
    planItemId: plan?.id ?? null,
    taxItemId: tax?.id ?? null,
  };
}

const StripeInvoice = z.looseObject({
  id: z.string(),
  status: z.string().nullish(),
  currency: z.string(),
  customer: Ref.nullish(),
  total: z.number(),
  amount_paid: z.number(),
  billing_reason: z.string().nullish(),
  status_transitions: z.looseObject({ paid_at: z.number().nullish() }).nullish(),
  metadata: Meta,
  parent: z
    .looseObject({
      subscription_details: z.looseObject({ subscription: Ref, metadata: Meta }).nullish(),
    })
    .nullish(),
  lines: z.looseObject({
    data: z.array(
      z.looseObject({
        amount: z.number(),
        description: z.string().nullish(),
        metadata: Meta,
        pricing: z.looseObject({ price_details: z.looseObject({ product: Ref }).nullish() }).nullish(),
        period: z.looseObject({ start: z.number(), end: z.number() }).nullish(),
      }),
    ),
  }),
});

export interface ProviderInvoice {
  id: string;
  status: string;
  currency: string;
  subscriptionId: string | null;
  billingReason: string | null;
  total: number;
  paidAt: Date | null;
  lines: Array<{ description: string; amount: number; isTax: boolean; period: { start: Date; end: Date } | null }>;
}

export async function fetchInvoice(ctx: Ctx, id: string): Promise<ProviderInvoice | null> {
  const stripe = await stripeClient(ctx);
  let raw: unknown;
  try {
    raw = await stripe.invoices.retrieve(id);
  } catch (e) {
    if (e instanceof Stripe.errors.StripeInvalidRequestError && e.statusCode === 404) return null;
    throw e;
  }
  const i = StripeInvoice.parse(raw);
  return {
    id: i.id,
    status: i.status ?? 'draft',
    currency: i.currency.toUpperCase(),
    subscriptionId: i.parent?.subscription_details?.subscription ?? null,
    billingReason: i.billing_reason ?? null,
    total: i.total,
    paidAt: i.status_transitions?.paid_at ? fromUnix(i.status_transitions.paid_at) : null,
    lines: i.lines.data.map((l) => ({
      description: l.description ?? '',
      amount: l.amount,
      isTax: l.metadata[META.line] === 'tax' || l.pricing?.price_details?.product === TAX_PRODUCT,
      period: l.period ? { start: fromUnix(l.period.start), end: fromUnix(l.period.end) } : null,
    })),
  };
}

const StripeSession = z.looseObject({
  id: z.string(),
  mode: z.string(),
  status: z.string().nullish(),
  payment_status: z.string(),
  subscription: Ref.nullish(),
  customer: Ref.nullish(),
  client_reference_id: z.string().nullish(),
  amount_total: z.number().nullish(),
  currency: z.string().nullish(),
  metadata: Meta,
});
export type ProviderCheckoutSession = z.infer<typeof StripeSession>;

export async function fetchCheckoutSession(ctx: Ctx, id: string): Promise<ProviderCheckoutSession | null> {
  const stripe = await stripeClient(ctx);
  try {
    return StripeSession.parse(await stripe.checkout.sessions.retrieve(id));
  } catch (e) {
    if (e instanceof Stripe.errors.StripeInvalidRequestError && e.statusCode === 404) return null;
    throw e;
  }
}

/**
 * Verifies a webhook over the raw bytes with each configured secret (several during a rotation),
 * with Stripe's 300 s tolerance measured on our clock. Throws invalid_input on any mismatch.
 */
export async function verifyWebhook(ctx: Ctx, raw: Buffer, header: string | undefined): Promise<Stripe.Event> {
  const s = await stripeSettings(ctx);
  const secrets = (s.stripeWebhookSecret ?? '')
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
  if (!secrets.length) throw new AppError('invalid_input', 'Stripe webhooks are not configured on this instance (no signing secret).');
  if (!header) throw new AppError('invalid_input', 'The Stripe-Signature header is missing.');
  const verifier = new Stripe('sk_unused_for_verification', { telemetry: false });
  // Milliseconds: the library divides by 1000 itself.
  const receivedAt = ctx.now().getTime();
  for (const secret of secrets) {
    try {
      return verifier.webhooks.constructEvent(raw, header, secret, 300, undefined, receivedAt);
    } catch {
      // try the next secret
    }
  }
  throw new AppError('invalid_input', 'The Stripe signature does not match this payload (or it is older than 5 minutes).');
}

async function ensureProduct(stripe: Stripe, id: string, name: string): Promise<string> {
  try {
    await stripe.products.retrieve(id);
  } catch (e) {
    if (!(e instanceof Stripe.errors.StripeInvalidRequestError && e.statusCode === 404)) throw e;
    await stripe.products.create({ id, name }, { idempotencyKey: `csme-product-${id}` });
  }
  return id;
}

/** The space's Stripe customer, created once (the idempotency key makes a retried creation the same customer). */
async function ensureCustomer(ctx: Ctx, stripe: Stripe, spaceId: string, accountId: string): Promise<string> {
  const profile = await findProfile(ctx.db, spaceId);
  if (profile?.provider === 'stripe' && profile.provider_customer_ref) return profile.provider_customer_ref;
  const owner = await ctx.db.selectFrom('account').select(['email', 'display_name']).where('id', '=', accountId).executeTakeFirst();
  const customer = await stripe.customers.create(
    { email: owner?.email, name: owner?.display_name, metadata: { [META.spaceId]: spaceId } },
    { idempotencyKey: `csme-customer-${spaceId}` },
  );
  await upsertProfile(ctx.db, spaceId, { provider: 'stripe', provider_customer_ref: customer.id }, ctx.now());
  return customer.id;
}

const returnUrls = (ctx: Ctx) => {
  const base = ctx.deps.config.http.publicUrl;
  return {
    success_url: `${base}/plans?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${base}/plans?checkout=canceled`,
  };
};

function recurringItems(a: { currency: string; product: string; price: number; taxBasisPoints: number; interval: 'month' | 'year' }) {
  const currency = a.currency.toLowerCase();
  const tax = taxOn(a.price, a.taxBasisPoints);
  return {
    plan: { currency, product: a.product, unit_amount: a.price, recurring: { interval: a.interval } },
    tax: tax > 0 ? { currency, product: TAX_PRODUCT, unit_amount: tax, recurring: { interval: a.interval } } : null,
  };
}

function planMetadata(a: {
  spaceId: string;
  accountId?: string;
  kind: 'base' | 'addon';
  planId: string;
  planVersionId: string;
  interval: string;
}) {
  return {
    [META.spaceId]: a.spaceId,
    ...(a.accountId ? { [META.accountId]: a.accountId } : {}),
    [META.kind]: a.kind,
    [META.planId]: a.planId,
    [META.planVersionId]: a.planVersionId,
    [META.interval]: a.interval,
  };
}

const CLEAR_NEXT = {
  [META.nextPlanId]: '',
  [META.nextPlanVersionId]: '',
  [META.nextInterval]: '',
  [META.nextSpaceId]: '',
  [META.nextAt]: '',
};

async function subscribe(ctx: Ctx, stripe: Stripe, r: Extract<PurchaseRequest, { type: 'subscribe' }>): Promise<string> {
  const customer = await ensureCustomer(ctx, stripe, r.spaceId, r.accountId);
  const product = await ensureProduct(stripe, planProduct(r.planId), r.planName);
  const items = recurringItems({ ...r, product });
  if (items.tax) await ensureProduct(stripe, TAX_PRODUCT, 'Tax');
  const metadata = planMetadata(r);
  const session = await stripe.checkout.sessions.create(
    {
      mode: 'subscription',
      customer,
      client_reference_id: r.spaceId,
      line_items: [{ price_data: items.plan, quantity: 1 }, ...(items.tax ? [{ price_data: items.tax, quantity: 1 }] : [])],
      subscription_data: { metadata, ...(r.trialDays ? { trial_period_days: r.trialDays } : {}) },
      metadata,
      ...returnUrls(ctx),
    },
    { idempotencyKey: `csme-checkout-${newId()}` },
  );
  if (!session.url) throw new AppError('unavailable', 'Stripe did not return a checkout page; try again in a moment.');
  return session.url;
}

async function buyExtraRuns(ctx: Ctx, stripe: Stripe, r: Extract<PurchaseRequest, { type: 'extra_runs' }>): Promise<string> {
  const customer = await ensureCustomer(ctx, stripe, r.spaceId, r.accountId);
  await ensureProduct(stripe, EXTRA_RUNS_PRODUCT, 'Extra runs');
  if (r.charge.tax > 0) await ensureProduct(stripe, TAX_PRODUCT, 'Tax');
  const currency = r.currency.toLowerCase();
  const metadata = {
    [META.spaceId]: r.spaceId,
    [META.purchase]: 'extra_runs',
    [META.runs]: String(r.runs),
    [META.subtotal]: String(r.charge.subtotal),
    [META.tax]: String(r.charge.tax),
    [META.taxBasisPoints]: String(r.charge.taxBasisPoints),
  };
  const session = await stripe.checkout.sessions.create(
    {
      mode: 'payment',
      customer,
      client_reference_id: r.spaceId,
      line_items: [
        { price_data: { currency, product: EXTRA_RUNS_PRODUCT, unit_amount: r.unitAmount }, quantity: r.packs },
        ...(r.charge.tax > 0 ? [{ price_data: { currency, product: TAX_PRODUCT, unit_amount: r.charge.tax }, quantity: 1 }] : []),
      ],
      metadata,
      payment_intent_data: { metadata },
      ...returnUrls(ctx),
    },
    { idempotencyKey: `csme-checkout-${newId()}` },
  );
  if (!session.url) throw new AppError('unavailable', 'Stripe did not return a checkout page; try again in a moment.');
  return session.url;
}

/** A one-off sale of another module (a marketplace pack): one Checkout payment of the amount and its tax. */
async function buySale(ctx: Ctx, stripe: Stripe, r: Extract<PurchaseRequest, { type: 'sale' }>): Promise<string> {
  const customer = await ensureCustomer(ctx, stripe, r.spaceId, r.accountId);
  await ensureProduct(stripe, SALE_PRODUCT, 'Marketplace purchase');
  if (r.charge.tax > 0) await ensureProduct(stripe, TAX_PRODUCT, 'Tax');
  const currency = r.charge.currency.toLowerCase();
  const metadata = {
    [META.spaceId]: r.spaceId,
    [META.purchase]: 'sale',
    [META.module]: r.module,
    [META.ref]: r.ref,
    [META.subtotal]: String(r.charge.subtotal),
    [META.tax]: String(r.charge.tax),
    [META.taxBasisPoints]: String(r.charge.taxBasisPoints),
  };
  const base = ctx.deps.config.http.publicUrl;
  const session = await stripe.checkout.sessions.create(
    {
      mode: 'payment',
      customer,
      client_reference_id: r.spaceId,
      line_items: [
        { price_data: { currency, product: SALE_PRODUCT, unit_amount: r.charge.subtotal }, quantity: 1 },
        ...(r.charge.tax > 0 ? [{ price_data: { currency, product: TAX_PRODUCT, unit_amount: r.charge.tax }, quantity: 1 }] : []),
      ],
      metadata,
      payment_intent_data: { metadata, description: r.description.slice(0, 300) },
      success_url: `${base}${r.returnPath}?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${base}${r.returnPath}?checkout=canceled`,
    },
    { idempotencyKey: `csme-sale-${r.ref}-${newId()}` },
  );
  if (!session.url) throw new AppError('unavailable', 'Stripe did not return a checkout page; try again in a moment.');
  return session.url;
}

/** Refunds part or all of a Checkout payment (the session's payment intent); one refund per key. */
export async function refundCheckoutPayment(ctx: Ctx, sessionId: string, amount: number, key: string): Promise<string> {
  const stripe = await stripeClient(ctx);
  return call('refund the payment', async () => {
    const session = await stripe.checkout.sessions.retrieve(sessionId);
    const intent = typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id;
    if (!intent) throw new AppError('conflict', 'Stripe has no payment for this purchase to refund.');
    const refund = await stripe.refunds.create({ payment_intent: intent, amount }, { idempotencyKey: `csme-refund-${key}` });
    return refund.id;
  });
}

/**
 * An upgrade of a Stripe subscription, charged by our formula. Same interval: the prorated difference
 * is invoiced and paid first, then the price changes with no Stripe proration (a declined card changes
 * nothing). Monthly to yearly: the unused month is credited and the yearly period starts now, paid at
 * once or not at all (`error_if_incomplete`).
 */
async function changeNow(ctx: Ctx, stripe: Stripe, r: Extract<PurchaseRequest, { type: 'change' }>): Promise<string> {
  const ref = r.subscription.provider_ref;
  if (!ref) throw new AppError('conflict', 'This subscription is not known to Stripe.');
  const current = await fetchSubscription(ctx, ref);
  if (!current || current.status === 'ended') throw new AppError('conflict', 'This subscription has ended at Stripe; start a new one.');
  const currency = current.currency.toLowerCase();
  const product = await ensureProduct(stripe, planProduct(r.planId), r.planName);
  const items = recurringItems({ currency, product, price: r.price, taxBasisPoints: r.taxBasisPoints, interval: r.interval });
  if (items.tax || r.taxBasisPoints > 0) await ensureProduct(stripe, TAX_PRODUCT, 'Tax');
  const changeId = newId();
  const metadata = {
    ...planMetadata({
      spaceId: r.targetSpaceId,
      kind: r.kind,
      planId: r.planId,
      planVersionId: r.planVersionId,
      interval: r.interval,
    }),
    ...CLEAR_NEXT,
  };
  const updateItems: Stripe.SubscriptionUpdateParams.Item[] = [
    current.planItemId ? { id: current.planItemId, price_data: items.plan } : { price_data: items.plan },
  ];
  if (items.tax) updateItems.push(current.taxItemId ? { id: current.taxItemId, price_data: items.tax } : { price_data: items.tax });
  else if (current.taxItemId) updateItems.push({ id: current.taxItemId, deleted: true });

  if (r.newPeriod) {
    const credits: string[] = [];
    if (r.credit > 0) {
      const c = await stripe.invoiceItems.create(
        { customer: current.customer, subscription: ref, currency, amount: -r.credit, description: 'Unused part of the current month' },
        { idempotencyKey: `csme-credit-${changeId}` },
      );
      credits.push(c.id);
      const creditTax = taxOn(r.credit, r.taxBasisPoints);
      if (creditTax > 0) {
        const t = await stripe.invoiceItems.create(
          {
            customer: current.customer,
            subscription: ref,
            currency,
            amount: -creditTax,
            description: 'Tax on the credit',
            metadata: { [META.line]: 'tax' },
          },
          { idempotencyKey: `csme-credit-tax-${changeId}` },
        );
        credits.push(t.id);
      }
    }
    try {
      await stripe.subscriptions.update(
        ref,
        {
          items: updateItems,
          billing_cycle_anchor: { type: 'now' },
          proration_behavior: 'none',
          payment_behavior: 'error_if_incomplete',
          cancel_at_period_end: false,
          metadata,
        } satisfies Stripe.SubscriptionUpdateParams,
        { idempotencyKey: `csme-change-${changeId}` },
      );
    } catch (e) {
      for (const id of credits) await stripe.invoiceItems.del(id).catch(() => undefined);
      throw e;
    }
    return ref;
  }

  if (r.charge > 0) {
    await stripe.invoiceItems.create(
      {
        customer: current.customer,
        subscription: ref,
        currency,
        amount: r.charge,
        description: `Upgrade to ${r.planName} for the rest of this period`,
      },
      { idempotencyKey: `csme-prorate-${changeId}` },
    );
    const tax = taxOn(r.charge, r.taxBasisPoints);
    if (tax > 0)
      await stripe.invoiceItems.create(
        { customer: current.customer, subscription: ref, currency, amount: tax, description: 'Tax', metadata: { [META.line]: 'tax' } },
        { idempotencyKey: `csme-prorate-tax-${changeId}` },
      );
    const invoice = await stripe.invoices.create(
      {
        customer: current.customer,
        subscription: ref,
        pending_invoice_items_behavior: 'include',
        auto_advance: false,
        metadata: { [META.kind]: 'change' },
      },
      { idempotencyKey: `csme-prorate-invoice-${changeId}` },
    );
    try {
      await stripe.invoices.pay(invoice.id, {}, { idempotencyKey: `csme-prorate-pay-${changeId}` });
    } catch (e) {
      await stripe.invoices.voidInvoice(invoice.id).catch(() => undefined);
      throw e;
    }
  }
  await stripe.subscriptions.update(
    ref,
    { items: updateItems, proration_behavior: 'none', cancel_at_period_end: false, metadata },
    { idempotencyKey: `csme-change-${changeId}` },
  );
  return ref;
}

/**
 * Changes at the end of the period. A different plan or interval: Stripe cancels the subscription at
 * the period end, and the reconciliation starts the next plan (metadata `csme_next_*`) when Stripe ends
 * it. A new version of the same plan: the price changes with no proration, so the next invoice has it.
 */
async function schedule(
  ctx: Ctx,
  sub: SubscriptionRow,
  change: { kind: string; effective_at: Date } | null,
  target: ScheduledTarget | null,
) {
  if (!sub.provider_ref) return;
  const stripe = await stripeClient(ctx);
  const key = `csme-schedule-${newId()}`;
  if (!change) {
    // Undo: keep renewing the current plan at the current price.
    const current = await fetchSubscription(ctx, sub.provider_ref);
    if (!current) return;
    const price = priceOf(z.array(z.any()).parse(sub.prices), current.currency, (sub.billing_interval ?? 'month') as 'month' | 'year');
    const params: Stripe.SubscriptionUpdateParams = { cancel_at_period_end: false, metadata: CLEAR_NEXT };
    if (price !== undefined && current.planItemId) {
      const product = await ensureProduct(stripe, planProduct(sub.plan_id), sub.name);
      params.items = [
        {
          id: current.planItemId,
          price_data: {
            currency: current.currency.toLowerCase(),
            product,
            unit_amount: price,
            recurring: { interval: (sub.billing_interval ?? 'month') as 'month' | 'year' },
          },
        },
      ];
      params.proration_behavior = 'none';
    }
    await stripe.subscriptions.update(sub.provider_ref, params, { idempotencyKey: key });
    return;
  }
  if (change.kind === 'version_migration' && target) {
    const current = await fetchSubscription(ctx, sub.provider_ref);
    if (!current?.planItemId) return;
    const product = await ensureProduct(stripe, planProduct(target.planId), target.planName);
    const items = recurringItems({
      currency: current.currency,
      product,
      price: target.price,
      taxBasisPoints: target.taxBasisPoints,
      interval: target.interval,
    });
    const updateItems: Stripe.SubscriptionUpdateParams.Item[] = [{ id: current.planItemId, price_data: items.plan }];
    if (items.tax) {
      await ensureProduct(stripe, TAX_PRODUCT, 'Tax');
      updateItems.push(current.taxItemId ? { id: current.taxItemId, price_data: items.tax } : { price_data: items.tax });
    }
    await stripe.subscriptions.update(
      sub.provider_ref,
      {
        items: updateItems,
        proration_behavior: 'none',
        metadata: {
          [META.nextPlanId]: target.planId,
          [META.nextPlanVersionId]: target.planVersionId,
          [META.nextInterval]: target.interval,
          [META.nextSpaceId]: target.spaceId,
          [META.nextAt]: String(Math.floor(change.effective_at.getTime() / 1000)),
        },
      },
      { idempotencyKey: key },
    );
    return;
  }
  await stripe.subscriptions.update(
    sub.provider_ref,
    {
      cancel_at_period_end: true,
      metadata: target
        ? {
            [META.nextPlanId]: target.planId,
            [META.nextPlanVersionId]: target.planVersionId,
            [META.nextInterval]: target.interval,
            [META.nextSpaceId]: target.spaceId,
            [META.nextAt]: String(Math.floor(change.effective_at.getTime() / 1000)),
          }
        : CLEAR_NEXT,
    },
    { idempotencyKey: key },
  );
}

/**
 * Starts the plan a scheduled change named, after Stripe ended the old subscription at its period
 * end: a new subscription on the same customer and card, charged at once.
 */
export async function startNextSubscription(
  ctx: Ctx,
  old: ProviderSubscription,
  next: {
    spaceId: string;
    kind: 'base' | 'addon';
    planId: string;
    planName: string;
    planVersionId: string;
    interval: 'month' | 'year';
    price: number;
    taxBasisPoints: number;
  },
): Promise<string> {
  const stripe = await stripeClient(ctx);
  const product = await ensureProduct(stripe, planProduct(next.planId), next.planName);
  const items = recurringItems({
    currency: old.currency,
    product,
    price: next.price,
    taxBasisPoints: next.taxBasisPoints,
    interval: next.interval,
  });
  if (items.tax) await ensureProduct(stripe, TAX_PRODUCT, 'Tax');
  const created = await stripe.subscriptions.create(
    {
      customer: old.customer,
      items: [{ price_data: items.plan }, ...(items.tax ? [{ price_data: items.tax }] : [])],
      ...(old.defaultPaymentMethod ? { default_payment_method: old.defaultPaymentMethod } : {}),
      metadata: planMetadata(next),
      off_session: true,
      payment_behavior: 'allow_incomplete',
    },
    // One successor per ended subscription, however often its end is reported.
    { idempotencyKey: `csme-successor-${old.id}` },
  );
  return created.id;
}

/** Records which space a Stripe subscription belongs to now (after a family space was created for it). */
export async function setSubscriptionSpace(ctx: Ctx, id: string, spaceId: string): Promise<void> {
  const stripe = await stripeClient(ctx);
  await stripe.subscriptions.update(id, { metadata: { [META.spaceId]: spaceId } }, { idempotencyKey: `csme-space-${id}-${spaceId}` });
}

export const stripeProvider: PaymentProvider = {
  name: 'stripe',
  async purchase(ctx, request) {
    const stripe = await stripeClient(ctx);
    if (request.type === 'subscribe')
      return { kind: 'redirect', url: await call('start a checkout', () => subscribe(ctx, stripe, request)) };
    if (request.type === 'extra_runs')
      return { kind: 'redirect', url: await call('start a checkout', () => buyExtraRuns(ctx, stripe, request)) };
    if (request.type === 'sale') return { kind: 'redirect', url: await call('start a checkout', () => buySale(ctx, stripe, request)) };
    return { kind: 'changed', providerRef: await call('change the subscription', () => changeNow(ctx, stripe, request)) };
  },
  async schedule(ctx, sub, change, target) {
    await call('schedule the change', () => schedule(ctx, sub, change, target));
  },
  async portalUrl(ctx, spaceId, returnUrl) {
    const profile = await findProfile(ctx.db, spaceId);
    if (profile?.provider !== 'stripe' || !profile.provider_customer_ref)
      throw new AppError('conflict', 'There is no card on file for this space yet: it is added when you first pay by card.');
    const stripe = await stripeClient(ctx);
    const session = await call('open the billing portal', () =>
      stripe.billingPortal.sessions.create({ customer: profile.provider_customer_ref!, return_url: returnUrl }),
    );
    return session.url;
  },
};
