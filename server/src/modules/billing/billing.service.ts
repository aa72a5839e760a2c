import type {
  AdminInvoiceView,
  BillingAction,
  BillingOverview,
  Charge,
  CheckoutResult,
  InvoiceView,
  OverLimit,
  PlanVersionView,
  Quote,
  ScheduledChangeView,
  SubscriptionView,
} from '@csme/contracts/billing';
import type { FullLimits, PlanLimits, PlanView, Price } from '@csme/contracts/plans';
import { Price as PriceSchema } from '@csme/contracts/plans';
import { z } from 'zod';
import { type ActorCtx, type Ctx, inSpace } from '#core/ctx.js';
import { type Db, inSystemTransaction } from '#core/db.js';
import { AppError, conflict, forbidden, invalidInput, notFound, pgCode } from '#core/errors.js';
import { isUuid, newId } from '#core/ids.js';
import { addJob } from '#core/jobs.js';
import { logActivity } from '#modules/activity/index.js';
import { notify } from '#modules/notifications/index.js';
import {
  addExtraRuns,
  addInterval,
  applyPlanLimits,
  createPlanVersion,
  endSubscription,
  findLiveSubscriptionByProviderRef,
  findSubscription,
  getEntitlements,
  getPlanVersion,
  listLiveSubscriptionsOf,
  listPastDue,
  listPlans,
  listPlanVersions,
  listSubscribersOnOlderVersions,
  listSubscriptionsDue,
  lockSpaceForLimits,
  type SubscriptionRow,
  startFreePlan,
  startSubscription,
  updateSubscription,
} from '#modules/plans/index.js';
import { createFamilySpace } from '#modules/spaces/index.js';
import { extraRunsSetting, pastDueSetting, providerSetting, sellerSetting, taxSetting, trialSetting } from './billing.config.js';
import { processEventJob } from './billing.jobs.js';
import {
  classifyChange,
  graceEndsAt,
  InvoiceAction,
  nextPeriodEnd,
  periodFraction,
  priceOf,
  taxOn,
  toYearlyCharge,
  unusedCredit,
  upgradeCharge,
} from './billing.policy.js';
import { formatMoney, presentAdminInvoice, presentInvoice, renderInvoicePdf } from './billing.presenter.js';
import {
  cancelPendingChange,
  findEvent,
  findInvoice,
  findInvoiceByNumber,
  findInvoiceByProviderRef,
  findInvoiceForUpdate,
  findPendingChange,
  findProfile,
  findSpaceName,
  findSpaceOwner,
  type InvoiceRow,
  insertEvent,
  insertScheduledChange,
  listInvoicesForOperators,
  listInvoicesOfSpace,
  listOpenInvoices,
  listOpenInvoicesOfKinds,
  listOpenInvoicesOfSpace,
  listUnsyncedMigrations,
  markChangeApplied,
  markChangeSynced,
  markInvoicePaid,
  markInvoiceVoid,
  type ScheduledChangeRow,
  updateEvent,
  upsertProfile,
} from './billing.repository.js';
import { issueInvoice, offlineProvider } from './providers/offline.js';
import type { PaymentProvider, PreparedInvoice, PurchaseRequest, ScheduledTarget } from './providers/provider.js';
import {
  fetchCheckoutSession,
  fetchInvoice,
  fetchSubscription,
  META,
  type ProviderCheckoutSession,
  type ProviderSubscription,
  refundCheckoutPayment,
  setSubscriptionSpace,
  startNextSubscription,
  stripeProvider,
  verifyWebhook,
} from './providers/stripe.js';

type Interval = 'month' | 'year';
const Prices = z.array(PriceSchema);
const pricesOf = (v: unknown): Price[] => Prices.parse(v);
const intervalWord = (i: Interval | null) => (i === 'year' ? 'yearly' : 'monthly');
const describePlan = (name: string, interval: Interval | null) => (interval ? `${name}, ${intervalWord(interval)}` : name);
const day = (d: Date) => d.toISOString().slice(0, 10);
const DAY_MS = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---------------------------------------------------------------- helpers

/** Billing is the owner's: adults and children of a family space get 403 (PRODUCT.md "Family roles"). */
function requireOwner(ctx: ActorCtx): void {
  if (ctx.actor.role !== 'owner') throw forbidden('Only the owner of this space manages its plan and billing.');
}

async function configuredProvider(ctx: Ctx): Promise<PaymentProvider> {
  const s = await ctx.deps.settings.get(providerSetting);
  return s.provider === 'stripe' ? stripeProvider : offlineProvider;
}

/** The provider that manages an existing subscription (a Stripe subscription changes at Stripe). */
const providerOf = (sub: { provider: string }): PaymentProvider => (sub.provider === 'stripe' ? stripeProvider : offlineProvider);

async function taxRate(ctx: Ctx, country: string | null): Promise<number> {
  if (!country) return 0;
  const t = await ctx.deps.settings.get(taxSetting);
  return t.rates[country] ?? 0;
}

function makeCharge(
  currency: string,
  lines: { description: string; amount: number }[],
  basisPoints: number,
  country: string | null,
): Charge {
  const subtotal = lines.reduce((s, l) => s + l.amount, 0);
  const tax = taxOn(subtotal, basisPoints);
  return { currency: currency as Charge['currency'], lines, subtotal, taxBasisPoints: basisPoints, tax, total: subtotal + tax, country };
}

async function ownerOf(db: Db, spaceId: string) {
  const o = await findSpaceOwner(db, spaceId);
  if (!o) throw notFound('That space');
  return o;
}

async function baseOf(db: Db, spaceId: string): Promise<SubscriptionRow> {
  const base = (await listLiveSubscriptionsOf(db, spaceId)).find((s) => s.kind === 'base');
  if (!base) throw new AppError('internal', `space ${spaceId} has no base plan`);
  return base;
}

async function addonOf(db: Db, spaceId: string): Promise<SubscriptionRow | undefined> {
  return (await listLiveSubscriptionsOf(db, spaceId)).find((s) => s.kind === 'addon' && s.plan_id === 'creator');
}

async function catalogPlan(db: Db, planId: string, kind: 'base' | 'addon'): Promise<PlanView> {
  const plan = (await listPlans(db)).find((p) => p.id === planId && p.kind === kind);
  if (!plan) throw invalidInput(`There is no ${kind === 'base' ? 'plan' : 'add-on'} "${planId}".`);
  return plan;
}

function fullLimits(limits: PlanLimits): FullLimits {
  return {
    packs: 1,
    agents: 3,
    runsPerMonth: 300,
    connectors: 'basic',
    historyDays: 30,
    queuePriority: 'normal',
    members: 1,
    publish: false,
    ...limits,
  } as FullLimits;
}

/** What is over a plan's countable limits in a space (paused, never deleted, when the change happens). */
async function overLimits(ctx: Ctx, spaceId: string, limits: FullLimits): Promise<OverLimit[]> {
  const out: OverLimit[] = [];
  for (const key of ['packs', 'agents', 'members'] as const) {
    const meter = ctx.deps.usageMeters[key];
    if (!meter) continue;
    const used = await meter(ctx.deps.db, spaceId, { packs: limits.packs });
    const limit = limits[key];
    if (used > limit) out.push({ key, used, limit, pause: used - limit });
  }
  return out;
}

function overLimitText(over: OverLimit[]): string {
  if (!over.length) return 'Everything you use fits the new limits.';
  const parts = over.map((o) => `${o.pause} of your ${o.used} ${o.key}`);
  return `${parts.join(', ')} will be paused (nothing is deleted); choose which stay active at /packs.`;
}

/** A subscription as the person sees it, with its pending change and grace period. */
async function presentSubscription(ctx: Ctx, sub: SubscriptionRow): Promise<SubscriptionView> {
  const pending = await findPendingChange(ctx.deps.db, sub.id);
  const grace = await ctx.deps.settings.get(pastDueSetting);
  const interval = sub.billing_interval as Interval | null;
  return {
    id: sub.id,
    planId: sub.plan_id,
    planName: sub.name,
    planVersion: sub.version,
    status: sub.status as SubscriptionView['status'],
    interval,
    currency: sub.currency as SubscriptionView['currency'],
    price: sub.currency && interval ? (priceOf(pricesOf(sub.prices), sub.currency, interval) ?? null) : null,
    periodStart: sub.current_period_start.toISOString(),
    periodEnd: sub.current_period_end?.toISOString() ?? null,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    trialEnd: sub.trial_end?.toISOString() ?? null,
    pastDueSince: sub.past_due_since?.toISOString() ?? null,
    graceEndsAt: sub.past_due_since ? graceEndsAt(sub.past_due_since, grace.graceDays).toISOString() : null,
    restricted: sub.restricted_at !== null,
    provider: sub.provider,
    scheduledChange: pending ? await presentChange(ctx.deps.db, pending) : null,
  };
}

async function presentChange(db: Db, c: ScheduledChangeRow): Promise<ScheduledChangeView> {
  let to: ScheduledChangeView['to'] = null;
  if (c.to_plan_id) {
    const v = c.to_plan_version_id ? await getPlanVersion(db, c.to_plan_version_id) : await catalogPlan(db, c.to_plan_id, 'base');
    to = { planId: v.id, planName: v.name, interval: c.to_interval as Interval | null };
  }
  return { kind: c.kind as ScheduledChangeView['kind'], to, effectiveAt: c.effective_at.toISOString() };
}

// ---------------------------------------------------------------- overview

export async function getBillingOverview(ctx: ActorCtx): Promise<BillingOverview> {
  requireOwner(ctx);
  const db = ctx.deps.db;
  const spaceId = ctx.actor.spaceId;
  const ent = await getEntitlements(db, spaceId, ctx.now());
  const subs = await listLiveSubscriptionsOf(db, spaceId);
  const base = subs.find((s) => s.kind === 'base')!;
  const profile = await findProfile(db, spaceId);
  const provider = (await ctx.deps.settings.get(providerSetting)).provider;
  const trials = await ctx.deps.settings.get(trialSetting);
  const extra = await ctx.deps.settings.get(extraRunsSetting);
  const subscription = await presentSubscription(ctx, base);
  const addons = await Promise.all(subs.filter((s) => s.kind === 'addon').map((s) => presentSubscription(ctx, s)));
  const open = await inSpace(ctx, (c) => listOpenInvoicesOfSpace(c.db, spaceId));
  return {
    spaceId,
    spaceKind: ctx.actor.spaceKind,
    provider,
    plan: ent.plan,
    subscription,
    addons,
    nextInvoice: await nextInvoice(ctx, base, profile?.country ?? null),
    openInvoices: open.map(presentInvoice),
    profile: { country: profile?.country ?? null, currency: (profile?.currency as 'USD' | 'ILS' | null) ?? null },
    trial: { enabled: trials.enabled, days: trials.days, available: trials.enabled && !profile?.trial_used_at },
    extraRuns: {
      runs: extra.runs,
      prices: [
        { currency: 'USD', amount: extra.prices.USD },
        { currency: 'ILS', amount: extra.prices.ILS },
      ],
    },
    portal: provider === 'stripe' && profile?.provider === 'stripe' && Boolean(profile.provider_customer_ref),
  };
}

/** What the space will pay next for its base plan, and when (none on Free or when it ends). */
async function nextInvoice(ctx: Ctx, base: SubscriptionRow, country: string | null): Promise<BillingOverview['nextInvoice']> {
  // Free has no invoices, and a plan an operator granted (provider `manual`) renews without one.
  if (!base.current_period_end || !base.currency || !base.billing_interval || base.provider === 'manual') return null;
  const pending = await findPendingChange(ctx.deps.db, base.id);
  if (base.cancel_at_period_end || pending?.kind === 'cancel') return null;
  let name = base.name;
  let interval = base.billing_interval as Interval;
  let prices = pricesOf(base.prices);
  if (pending?.to_plan_id && pending.to_plan_version_id) {
    const v = await getPlanVersion(ctx.deps.db, pending.to_plan_version_id);
    name = v.name;
    prices = v.prices;
    interval = (pending.to_interval as Interval | null) ?? interval;
  }
  const amount = priceOf(prices, base.currency, interval);
  if (amount === undefined) return null;
  const bp = await taxRate(ctx, country);
  const tax = taxOn(amount, bp);
  return {
    date: base.current_period_end.toISOString(),
    description: describePlan(name, interval),
    currency: base.currency as 'USD' | 'ILS',
    subtotal: amount,
    tax,
    total: amount + tax,
  };
}

// ---------------------------------------------------------------- quotes: what an action would do

type Exec =
  | { kind: 'purchase'; provider: PaymentProvider; request: PurchaseRequest; invoice: PreparedInvoice }
  | {
      kind: 'schedule';
      sub: SubscriptionRow;
      change: Omit<ScheduledChangeRow, 'id' | 'created_at' | 'applied_at' | 'status' | 'provider_synced_at'>;
      target: ScheduledTarget | null;
    }
  | { kind: 'resume'; sub: SubscriptionRow }
  | { kind: 'apply'; action: InvoiceAction; trialDays: number | null };

interface Planned {
  quote: Quote;
  exec: Exec;
}

const emptyQuote = (action: string): Omit<Quote, 'timing' | 'summary'> => ({
  action,
  effectiveAt: null,
  from: null,
  to: null,
  charge: null,
  noRefund: false,
  trialDays: null,
  newPeriod: null,
  createsFamilySpace: false,
  personalSpaceToFree: false,
  limits: null,
  overLimit: [],
  extraRuns: null,
});

/** Works out what an action does and costs, for the active space, without changing anything. */
async function plan(ctx: ActorCtx, action: BillingAction): Promise<Planned> {
  const db = ctx.db;
  const spaceId = ctx.actor.spaceId;
  const now = ctx.now();
  const profile = await findProfile(db, spaceId);
  const country = ('country' in action ? action.country : undefined) ?? profile?.country ?? null;
  const bp = await taxRate(ctx, country);
  const owner = await ownerOf(db, spaceId);
  const buyer = { name: owner.display_name, email: owner.email };

  switch (action.action) {
    case 'change_plan':
    case 'cancel':
      return planBaseChange(ctx, action.action === 'cancel' ? { planId: 'free', interval: 'month' } : action, {
        country,
        bp,
        buyer,
        currencyWanted: action.action === 'change_plan' ? action.currency : undefined,
        profileCurrency: profile?.currency ?? null,
        trialUsed: Boolean(profile?.trial_used_at),
      });
    case 'resume': {
      const base = await baseOf(db, spaceId);
      const pending = await findPendingChange(db, base.id);
      if (!pending || pending.kind === 'version_migration') throw conflict('Nothing is scheduled to change on this plan.');
      const interval = base.billing_interval as Interval | null;
      return {
        quote: {
          ...emptyQuote('resume'),
          timing: 'now',
          from: { planId: base.plan_id, planName: base.name, interval },
          to: { planId: base.plan_id, planName: base.name, interval },
          summary: `${describePlan(base.name, interval)} continues after ${day(base.current_period_end ?? now)}; the scheduled change is undone.`,
        },
        exec: { kind: 'resume', sub: base },
      };
    }
    case 'addon_resume': {
      const addon = await addonOf(db, spaceId);
      const pending = addon ? await findPendingChange(db, addon.id) : undefined;
      if (!addon || !pending) throw conflict('Nothing is scheduled to change on the Creator add-on.');
      return {
        quote: {
          ...emptyQuote('addon_resume'),
          timing: 'now',
          summary: `The Creator add-on continues after ${day(addon.current_period_end ?? now)}.`,
        },
        exec: { kind: 'resume', sub: addon },
      };
    }
    case 'extra_runs': {
      const ent = await getEntitlements(db, spaceId, now);
      const settings = await ctx.deps.settings.get(extraRunsSetting);
      const currency = ent.subscription.currency ?? action.currency ?? profile?.currency ?? 'USD';
      const unit = settings.prices[currency as 'USD' | 'ILS'];
      const runs = settings.runs * action.packs;
      const charge = makeCharge(
        currency,
        [{ description: `${runs.toLocaleString('en-US')} extra runs until ${day(ent.quota.end)}`, amount: unit * action.packs }],
        bp,
        country,
      );
      const invoiceAction: InvoiceAction = { type: 'extra_runs', spaceId, runs };
      return {
        quote: {
          ...emptyQuote('extra_runs'),
          timing: 'on_payment',
          charge,
          extraRuns: { runs, validUntil: ent.quota.end.toISOString() },
          summary: `${runs.toLocaleString('en-US')} extra runs for ${formatMoney(charge.total, currency)}, added when paid and valid until ${day(ent.quota.end)} (the end of this quota month).`,
        },
        exec: {
          kind: 'purchase',
          provider: await configuredProvider(ctx),
          request: {
            type: 'extra_runs',
            spaceId,
            accountId: owner.account_id,
            runs,
            packs: action.packs,
            currency,
            unitAmount: unit,
            taxBasisPoints: bp,
            charge,
          },
          invoice: {
            spaceId,
            kind: 'extra_runs',
            charge,
            action: invoiceAction,
            buyer,
            period: { start: ent.quota.start, end: ent.quota.end },
          },
        },
      };
    }
    case 'addon':
    case 'addon_cancel':
      return planAddonChange(ctx, action.action === 'addon' ? action.interval : null, {
        country,
        bp,
        buyer,
        currencyWanted: action.action === 'addon' ? action.currency : undefined,
        profileCurrency: profile?.currency ?? null,
      });
  }
}

interface PlanContext {
  country: string | null;
  bp: number;
  buyer: { name: string; email: string };
  currencyWanted: string | undefined;
  profileCurrency: string | null;
  trialUsed?: boolean;
}

async function planBaseChange(ctx: ActorCtx, want: { planId: string; interval: Interval }, p: PlanContext): Promise<Planned> {
  const db = ctx.db;
  const now = ctx.now();
  const spaceId = ctx.actor.spaceId;
  const base = await baseOf(db, spaceId);
  const owner = await ownerOf(db, spaceId);
  const target = await catalogPlan(db, want.planId, 'base');
  const fromInterval = base.billing_interval as Interval | null;
  const from = { planId: base.plan_id, planName: base.name, interval: fromInterval };
  const to = { planId: target.id, planName: target.name, interval: target.id === 'free' ? null : want.interval };
  const kind = classifyChange({ planId: base.plan_id, interval: fromInterval }, { planId: target.id, interval: to.interval });

  // Plans attach to spaces: a personal space holds Free or Personal Pro, a family space holds Family.
  const spaceKind = ctx.actor.spaceKind;
  let targetSpaceId = spaceId;
  if (spaceKind === 'family' && target.id === 'pro') {
    if (base.plan_id !== 'family')
      throw invalidInput('A family space holds Family. Personal Pro is for your personal space: switch to it to buy Personal Pro.');
    if (!owner.personal_space_id) throw conflict('You have no personal space to move Personal Pro to.');
    const personal = await baseOf(db, owner.personal_space_id);
    if (personal.plan_id !== 'free')
      throw conflict(`Your personal space already has ${personal.name}. Cancel Family instead; your personal space keeps its plan.`);
    targetSpaceId = owner.personal_space_id;
  }
  const createsFamilySpace = target.id === 'family' && spaceKind === 'personal';

  if (kind === 'same') {
    const pending = await findPendingChange(db, base.id);
    if (pending && pending.kind !== 'version_migration')
      throw conflict(`You are on ${describePlan(base.name, fromInterval)} already; to keep it, undo the scheduled change ("resume").`);
    throw conflict(`You are on ${describePlan(base.name, fromInterval)} already.`);
  }
  if (base.status === 'past_due' && kind !== 'cancel')
    throw conflict('This plan has an unpaid invoice. Pay it first, then change plan; or cancel at the end of the period.');
  if (base.status === 'trialing' && kind !== 'cancel')
    throw conflict(`Your trial of ${base.name} runs until ${day(base.trial_end ?? now)}. Change plan after it, or cancel.`);

  const limits = fullLimits(target.limits);
  const currency = base.currency ?? p.currencyWanted ?? p.profileCurrency ?? 'USD';
  const newPrice = to.interval ? priceOf(target.prices, currency, to.interval) : 0;
  if (newPrice === undefined) throw invalidInput(`${target.name} is not sold ${intervalWord(to.interval)} in ${currency}.`);

  if (kind === 'new') {
    const trials = await ctx.deps.settings.get(trialSetting);
    const trialDays = trials.enabled && !p.trialUsed ? trials.days : null;
    const interval = to.interval as Interval;
    const charge = makeCharge(currency, [{ description: describePlan(target.name, interval), amount: newPrice }], p.bp, p.country);
    const action: InvoiceAction = { type: 'start_base', spaceId, planId: target.id, planVersionId: target.versionId, interval, currency };
    const provider = await configuredProvider(ctx);
    const quote: Quote = {
      ...emptyQuote('change_plan'),
      timing: trialDays && provider.name === 'offline' ? 'now' : 'on_payment',
      from,
      to,
      charge: trialDays ? null : charge,
      trialDays,
      newPeriod: trialDays
        ? { start: now.toISOString(), end: new Date(now.getTime() + trialDays * DAY_MS).toISOString() }
        : { start: now.toISOString(), end: addInterval(now, interval).toISOString() },
      createsFamilySpace,
      limits,
      summary: trialDays
        ? `${target.name} starts now with a ${trialDays}-day free trial; then ${formatMoney(charge.total, currency)} ${intervalWord(interval)}.`
        : `${describePlan(target.name, interval)} for ${formatMoney(charge.total, currency)}, starting when paid${createsFamilySpace ? ', in a new family space' : ''}.`,
    };
    if (trialDays && provider.name === 'offline') return { quote, exec: { kind: 'apply', action, trialDays } };
    return {
      quote,
      exec: {
        kind: 'purchase',
        provider,
        request: {
          type: 'subscribe',
          spaceId,
          accountId: owner.account_id,
          kind: 'base',
          planId: target.id,
          planName: target.name,
          planVersionId: target.versionId,
          interval,
          currency,
          price: newPrice,
          taxBasisPoints: p.bp,
          trialDays,
        },
        invoice: { spaceId, kind: 'subscription', charge, action, buyer: p.buyer, period: null },
      },
    };
  }

  const periodStart = base.current_period_start;
  const periodEnd = base.current_period_end!;
  const oldPrice = priceOf(pricesOf(base.prices), currency, fromInterval!) ?? 0;

  if (kind === 'upgrade' || kind === 'to_yearly') {
    const { left, total } = periodFraction(now, periodStart, periodEnd);
    const interval = to.interval as Interval;
    const newPeriod = kind === 'to_yearly';
    const lines = newPeriod
      ? [
          { description: describePlan(target.name, 'year'), amount: newPrice },
          ...(unusedCredit({ oldMonthly: oldPrice, left, total }) > 0
            ? [{ description: `Unused part of this month of ${base.name}`, amount: -unusedCredit({ oldMonthly: oldPrice, left, total }) }]
            : []),
        ]
      : [
          {
            description: `${base.name} to ${target.name} for the rest of this period (${(left / 86400).toFixed(1).replace(/\.0$/, '')} of ${(total / 86400).toFixed(1).replace(/\.0$/, '')} days)`,
            amount: upgradeCharge({ oldPrice, newPrice, left, total }),
          },
        ];
    const amount = newPeriod ? toYearlyCharge({ oldMonthly: oldPrice, newYearly: newPrice, left, total }) : lines[0]!.amount;
    const charge = makeCharge(currency, lines, p.bp, p.country);
    if (charge.subtotal !== amount) throw new AppError('internal', 'proration lines do not add up');
    const action: InvoiceAction = {
      type: 'upgrade',
      subscriptionId: base.id,
      planId: target.id,
      planVersionId: target.versionId,
      interval,
      newPeriod,
      computedForPeriodEnd: periodEnd.toISOString(),
    };
    const personalOver = createsFamilySpace
      ? await overLimits(ctx, spaceId, fullLimits((await catalogPlan(db, 'free', 'base')).limits))
      : [];
    const newPeriodRange = newPeriod ? { start: now.toISOString(), end: addInterval(now, 'year').toISOString() } : null;
    return {
      quote: {
        ...emptyQuote('change_plan'),
        timing: charge.total > 0 ? 'on_payment' : 'now',
        from,
        to,
        charge,
        newPeriod: newPeriodRange,
        createsFamilySpace,
        personalSpaceToFree: createsFamilySpace,
        limits,
        overLimit: personalOver,
        summary:
          `${describePlan(target.name, interval)} now for ${formatMoney(charge.total, currency)}` +
          (newPeriod
            ? `, a new yearly period from today (${formatMoney(unusedCredit({ oldMonthly: oldPrice, left, total }), currency)} credited for the unused month).`
            : `, the prorated difference until ${day(periodEnd)}; then ${formatMoney(newPrice, currency)} ${intervalWord(interval)}.`) +
          (createsFamilySpace
            ? ` Family gets a new family space; your personal space returns to Free. ${overLimitText(personalOver)}`
            : ''),
      },
      exec:
        charge.total > 0
          ? {
              kind: 'purchase',
              provider: providerOf(base),
              request: {
                type: 'change',
                subscription: base,
                kind: 'base',
                planId: target.id,
                planName: target.name,
                planVersionId: target.versionId,
                interval,
                price: newPrice,
                taxBasisPoints: p.bp,
                newPeriod,
                charge: newPeriod ? 0 : amount,
                credit: newPeriod ? unusedCredit({ oldMonthly: oldPrice, left, total }) : 0,
                targetSpaceId,
              },
              invoice: {
                spaceId,
                kind: 'change',
                charge,
                action,
                buyer: p.buyer,
                period: newPeriod ? { start: now, end: addInterval(now, 'year') } : { start: now, end: periodEnd },
              },
            }
          : { kind: 'apply', action, trialDays: null },
    };
  }

  // Downgrades, yearly to monthly and cancellations: at the end of the period, no refund.
  const effectiveAt = base.status === 'trialing' && base.trial_end ? base.trial_end : periodEnd;
  const over = await overLimits(ctx, spaceId, limits);
  const changeKind = kind === 'cancel' ? 'cancel' : kind === 'to_monthly' ? 'interval' : 'downgrade';
  const targetInfo: ScheduledTarget | null =
    kind === 'cancel'
      ? null
      : {
          planId: target.id,
          planName: target.name,
          planVersionId: target.versionId,
          interval: to.interval as Interval,
          price: newPrice,
          taxBasisPoints: p.bp,
          spaceId: targetSpaceId,
        };
  const moving = targetSpaceId !== spaceId;
  return {
    quote: {
      ...emptyQuote(kind === 'cancel' ? 'cancel' : 'change_plan'),
      timing: 'period_end',
      effectiveAt: effectiveAt.toISOString(),
      from,
      to,
      noRefund: true,
      limits,
      overLimit: over,
      summary:
        (kind === 'cancel'
          ? `${base.name} ends on ${day(effectiveAt)} and this space moves to Free.`
          : `${describePlan(target.name, to.interval)} from ${day(effectiveAt)}${moving ? ', in your personal space; this family space moves to Free' : ''}.`) +
        ` You keep ${base.name} until then; nothing is refunded. ${overLimitText(over)}`,
    },
    exec: {
      kind: 'schedule',
      sub: base,
      change: {
        space_id: spaceId,
        subscription_id: base.id,
        kind: changeKind,
        to_plan_id: kind === 'cancel' ? 'free' : target.id,
        to_plan_version_id: target.versionId,
        to_interval: to.interval,
        to_space_id: moving ? targetSpaceId : null,
        effective_at: effectiveAt,
        created_by_account_id: ctx.actor.accountId,
      },
      target: targetInfo,
    },
  };
}

async function planAddonChange(ctx: ActorCtx, wantInterval: Interval | null, p: PlanContext): Promise<Planned> {
  const db = ctx.db;
  const now = ctx.now();
  const spaceId = ctx.actor.spaceId;
  const owner = await ownerOf(db, spaceId);
  const addonPlan = await catalogPlan(db, 'creator', 'addon');
  const current = await addonOf(db, spaceId);
  const base = await baseOf(db, spaceId);
  const currency = current?.currency ?? base.currency ?? p.currencyWanted ?? p.profileCurrency ?? 'USD';
  const fromInterval = (current?.billing_interval as Interval | null) ?? null;
  const from = current ? { planId: current.plan_id, planName: current.name, interval: fromInterval } : null;

  if (wantInterval === null) {
    if (!current) throw conflict('This space has no Creator add-on to cancel.');
    const effectiveAt = current.current_period_end ?? now;
    return {
      quote: {
        ...emptyQuote('addon_cancel'),
        timing: 'period_end',
        effectiveAt: effectiveAt.toISOString(),
        from,
        noRefund: true,
        summary: `The Creator add-on ends on ${day(effectiveAt)}; publishing stops then (your packs stay listed as they are). Nothing is refunded.`,
      },
      exec: {
        kind: 'schedule',
        sub: current,
        change: {
          space_id: spaceId,
          subscription_id: current.id,
          kind: 'cancel',
          to_plan_id: null,
          to_plan_version_id: null,
          to_interval: null,
          to_space_id: null,
          effective_at: effectiveAt,
          created_by_account_id: ctx.actor.accountId,
        },
        target: null,
      },
    };
  }

  const price = priceOf(addonPlan.prices, currency, wantInterval);
  if (price === undefined) throw invalidInput(`The Creator add-on is not sold ${intervalWord(wantInterval)} in ${currency}.`);
  const to = { planId: addonPlan.id, planName: addonPlan.name, interval: wantInterval };
  if (!current) {
    const charge = makeCharge(currency, [{ description: describePlan(addonPlan.name, wantInterval), amount: price }], p.bp, p.country);
    const action: InvoiceAction = {
      type: 'start_addon',
      spaceId,
      planId: addonPlan.id,
      planVersionId: addonPlan.versionId,
      interval: wantInterval,
      currency,
    };
    return {
      quote: {
        ...emptyQuote('addon'),
        timing: 'on_payment',
        to,
        charge,
        newPeriod: { start: now.toISOString(), end: addInterval(now, wantInterval).toISOString() },
        summary: `${describePlan(addonPlan.name, wantInterval)} for ${formatMoney(charge.total, currency)}, starting when paid.`,
      },
      exec: {
        kind: 'purchase',
        provider: await configuredProvider(ctx),
        request: {
          type: 'subscribe',
          spaceId,
          accountId: owner.account_id,
          kind: 'addon',
          planId: addonPlan.id,
          planName: addonPlan.name,
          planVersionId: addonPlan.versionId,
          interval: wantInterval,
          currency,
          price,
          taxBasisPoints: p.bp,
          trialDays: null,
        },
        invoice: { spaceId, kind: 'addon', charge, action, buyer: p.buyer, period: null },
      },
    };
  }
  if (fromInterval === wantInterval) throw conflict(`You have the Creator add-on ${intervalWord(wantInterval)} already.`);
  if (current.status === 'past_due') throw conflict('The Creator add-on has an unpaid invoice. Pay it first.');
  const periodEnd = current.current_period_end!;
  if (wantInterval === 'month') {
    return {
      quote: {
        ...emptyQuote('addon'),
        timing: 'period_end',
        effectiveAt: periodEnd.toISOString(),
        from,
        to,
        noRefund: true,
        summary: `The Creator add-on becomes monthly on ${day(periodEnd)}; nothing is refunded.`,
      },
      exec: {
        kind: 'schedule',
        sub: current,
        change: {
          space_id: spaceId,
          subscription_id: current.id,
          kind: 'interval',
          to_plan_id: addonPlan.id,
          to_plan_version_id: addonPlan.versionId,
          to_interval: 'month',
          to_space_id: null,
          effective_at: periodEnd,
          created_by_account_id: ctx.actor.accountId,
        },
        target: {
          planId: addonPlan.id,
          planName: addonPlan.name,
          planVersionId: addonPlan.versionId,
          interval: 'month',
          price,
          taxBasisPoints: p.bp,
          spaceId,
        },
      },
    };
  }
  const { left, total } = periodFraction(now, current.current_period_start, periodEnd);
  const oldMonthly = priceOf(pricesOf(current.prices), currency, 'month') ?? 0;
  const credit = unusedCredit({ oldMonthly, left, total });
  const charge = makeCharge(
    currency,
    [
      { description: describePlan(addonPlan.name, 'year'), amount: price },
      ...(credit > 0 ? [{ description: 'Unused part of this month of the Creator add-on', amount: -credit }] : []),
    ],
    p.bp,
    p.country,
  );
  const action: InvoiceAction = {
    type: 'upgrade',
    subscriptionId: current.id,
    planId: addonPlan.id,
    planVersionId: addonPlan.versionId,
    interval: 'year',
    newPeriod: true,
    computedForPeriodEnd: periodEnd.toISOString(),
  };
  return {
    quote: {
      ...emptyQuote('addon'),
      timing: 'on_payment',
      from,
      to,
      charge,
      newPeriod: { start: now.toISOString(), end: addInterval(now, 'year').toISOString() },
      summary: `The Creator add-on yearly now for ${formatMoney(charge.total, currency)} (${formatMoney(credit, currency)} credited for the unused month).`,
    },
    exec: {
      kind: 'purchase',
      provider: providerOf(current),
      request: {
        type: 'change',
        subscription: current,
        kind: 'addon',
        planId: addonPlan.id,
        planName: addonPlan.name,
        planVersionId: addonPlan.versionId,
        interval: 'year',
        price,
        taxBasisPoints: p.bp,
        newPeriod: true,
        charge: 0,
        credit,
        targetSpaceId: spaceId,
      },
      invoice: { spaceId, kind: 'addon', charge, action, buyer: p.buyer, period: { start: now, end: addInterval(now, 'year') } },
    },
  };
}

export async function quote(ctx: ActorCtx, action: BillingAction): Promise<Quote> {
  requireOwner(ctx);
  return (await plan({ ...ctx, db: ctx.deps.db }, action)).quote;
}

// ---------------------------------------------------------------- checkout: doing it

/** Invoice kinds a new purchase of the same sort replaces while still open (one pending purchase at a time). */
const REPLACED_KINDS: Record<string, readonly string[]> = {
  sale: [],
  subscription: ['subscription', 'change'],
  change: ['subscription', 'change'],
  addon: ['addon'],
  extra_runs: [],
};

export async function checkout(ctx: ActorCtx, action: BillingAction): Promise<CheckoutResult> {
  requireOwner(ctx);
  const spaceId = ctx.actor.spaceId;
  const outcome = await inSystemTransaction(ctx.deps.db, async (tx) => {
    const c: ActorCtx = { ...ctx, db: tx };
    // One billing change of a space at a time: two clicks cannot buy twice or schedule over each other.
    await lockSpaceForLimits(tx, spaceId);
    const planned = await plan(c, action);
    const q = planned.quote;
    const exec = planned.exec;
    if ('country' in action && action.country) await upsertProfile(tx, spaceId, { country: action.country }, c.now());

    if (exec.kind === 'schedule') {
      await scheduleChange(c, exec.sub, exec.change, exec.target);
      return { result: { status: 'scheduled', effectiveAt: q.effectiveAt!, quote: q } as CheckoutResult, spaces: [] as string[] };
    }
    if (exec.kind === 'resume') {
      await cancelPendingChange(tx, exec.sub.id);
      await updateSubscription(tx, exec.sub.id, { cancelAtPeriodEnd: false }, c.now());
      await providerOf(exec.sub).schedule(c, exec.sub, null, null);
      await logActivity(
        tx,
        {
          spaceId,
          actorKind: 'person',
          actorAccountId: ctx.actor.accountId,
          kind: 'billing.change_undone',
          objectType: 'subscription',
          objectId: exec.sub.id,
          summary: `Kept ${exec.sub.name}: the scheduled change was undone`,
        },
        c.now(),
      );
      return { result: { status: 'applied', quote: q } as CheckoutResult, spaces: [] as string[] };
    }
    if (exec.kind === 'apply') {
      const spaces = await applyAction(c, exec.action, { provider: 'offline', trialDays: exec.trialDays, actor: ctx.actor.accountId });
      if (exec.trialDays) await upsertProfile(tx, spaceId, { trial_used_at: c.now() }, c.now());
      return { result: { status: 'applied', quote: q } as CheckoutResult, spaces };
    }
    const currency = exec.invoice.charge.currency;
    await upsertProfile(tx, spaceId, { currency }, c.now());
    const outcome = await exec.provider.purchase(c, exec.request, exec.invoice);
    if (outcome.kind === 'redirect') return { result: { status: 'redirect', url: outcome.url } as CheckoutResult, spaces: [] as string[] };
    if (outcome.kind === 'changed')
      return { result: { status: 'applied', quote: q } as CheckoutResult, spaces: [] as string[], reconcile: outcome.providerRef };
    // Offline: this invoice replaces an earlier open one for the same kind of purchase.
    for (const old of await listOpenInvoicesOfKinds(tx, spaceId, REPLACED_KINDS[exec.invoice.kind] ?? [])) {
      if (old.id !== outcome.invoice.id) await markInvoiceVoid(tx, old.id, c.now());
    }
    await logActivity(
      tx,
      {
        spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'billing.invoice_issued',
        objectType: 'invoice',
        objectId: outcome.invoice.id,
        summary: `Invoice ${outcome.invoice.number} opened: ${q.summary}`.slice(0, 500),
      },
      c.now(),
    );
    return {
      result: { status: 'invoice_open', invoice: presentInvoice(outcome.invoice), quote: q } as CheckoutResult,
      spaces: [] as string[],
    };
  });
  if ('reconcile' in outcome && outcome.reconcile) await reconcileStripeSubscription(ctx, outcome.reconcile);
  return outcome.result;
}

async function scheduleChange(
  ctx: ActorCtx,
  sub: SubscriptionRow,
  change: Extract<Exec, { kind: 'schedule' }>['change'],
  target: ScheduledTarget | null,
): Promise<void> {
  const now = ctx.now();
  await cancelPendingChange(ctx.db, sub.id);
  const row = { id: newId(), ...change, status: 'pending', created_at: now };
  await insertScheduledChange(ctx.db, row);
  await updateSubscription(ctx.db, sub.id, { cancelAtPeriodEnd: change.kind === 'cancel' }, now);
  await providerOf(sub).schedule(ctx, sub, { ...row, applied_at: null, provider_synced_at: null }, target);
  const what =
    change.kind === 'cancel'
      ? `${sub.name} ends on ${day(change.effective_at)}`
      : `${sub.name} changes to ${target?.planName ?? ''} ${intervalWord(target?.interval ?? null)} on ${day(change.effective_at)}`;
  await logActivity(
    ctx.db,
    {
      spaceId: sub.space_id,
      actorKind: 'person',
      actorAccountId: ctx.actor.accountId,
      kind: 'billing.change_scheduled',
      objectType: 'subscription',
      objectId: sub.id,
      summary: what,
      data: {
        kind: change.kind,
        toPlanId: change.to_plan_id,
        toInterval: change.to_interval,
        effectiveAt: change.effective_at.toISOString(),
      },
    },
    now,
  );
  await notify(ctx, {
    spaceId: sub.space_id,
    accountId: ctx.actor.accountId,
    kind: 'billing.change_scheduled',
    title: `${what}`,
    body: `You keep ${sub.name} until then; nothing is refunded. What is over the new limits will be paused (never deleted), and you choose which packs stay active.`,
    url: '/plans',
    email: true,
  });
}

// ---------------------------------------------------------------- applying what was paid for

interface ApplyOpts {
  provider: string;
  trialDays?: number | null;
  actor: string | null;
  /** The invoice being paid (a sale hands it to the module that sold). */
  invoice?: InvoiceRow;
}

/**
 * Makes what an invoice paid for happen, in the caller's transaction, and applies the new limits of
 * every space it touched (over-limit items are paused, never deleted). Throws conflict when the
 * invoice no longer fits the subscription (its period ended); nothing changes then.
 */
async function applyAction(ctx: Ctx, action: InvoiceAction, opts: ApplyOpts): Promise<string[]> {
  const db = ctx.db;
  const now = ctx.now();
  const touched: string[] = [];
  switch (action.type) {
    case 'start_base': {
      const owner = await ownerOf(db, action.spaceId);
      const trialEnd = opts.trialDays ? new Date(now.getTime() + opts.trialDays * DAY_MS) : null;
      const start = (spaceId: string) =>
        startSubscription(db, {
          spaceId,
          planId: action.planId,
          planVersionId: action.planVersionId,
          kind: 'base',
          status: trialEnd ? 'trialing' : 'active',
          interval: action.interval,
          currency: action.currency,
          anchor: now,
          periodStart: now,
          periodEnd: trialEnd ?? addInterval(now, action.interval),
          provider: opts.provider,
          trialEnd,
          now,
        });
      if (action.planId === 'family' && owner.kind === 'personal') {
        const familyId = await createFamilySpace(db, {
          ownerAccountId: owner.account_id,
          name: `${owner.display_name}'s family`,
          now,
          provider: opts.provider,
          startPlan: (d, id) =>
            startSubscription(d, {
              spaceId: id,
              planId: action.planId,
              planVersionId: action.planVersionId,
              kind: 'base',
              status: trialEnd ? 'trialing' : 'active',
              interval: action.interval,
              currency: action.currency,
              anchor: now,
              periodStart: now,
              periodEnd: trialEnd ?? addInterval(now, action.interval),
              provider: opts.provider,
              trialEnd,
              now,
            }),
        });
        await upsertProfile(db, familyId, { currency: action.currency }, now);
        touched.push(familyId);
      } else {
        const current = await baseOf(db, action.spaceId);
        if (current.plan_id !== 'free' && current.provider !== 'manual')
          throw conflict(`This space is on ${current.name} already: this invoice can no longer start a plan. Void it.`);
        await start(action.spaceId);
        touched.push(action.spaceId);
      }
      break;
    }
    case 'upgrade': {
      const cur = await findSubscription(db, action.subscriptionId);
      if (!cur || cur.ended_at || cur.current_period_end?.toISOString() !== action.computedForPeriodEnd)
        throw conflict('This invoice was for a period that has ended or a plan that has changed since: void it and check out again.', {
          reason: 'stale_invoice',
        });
      const owner = await ownerOf(db, cur.space_id);
      const kind = cur.kind as 'base' | 'addon';
      const periodStart = action.newPeriod ? now : cur.current_period_start;
      const periodEnd = action.newPeriod ? addInterval(now, action.interval) : cur.current_period_end!;
      await cancelPendingChange(db, cur.id);
      const base = {
        planId: action.planId,
        planVersionId: action.planVersionId,
        kind,
        status: 'active' as const,
        interval: action.interval,
        currency: cur.currency,
        periodStart,
        periodEnd,
        // Paid through this invoice: renewals are invoiced by the same provider (a granted plan becomes a paid one).
        provider: opts.provider,
        now,
      };
      if (kind === 'base' && action.planId === 'family' && owner.kind === 'personal') {
        const familyId = await createFamilySpace(db, {
          ownerAccountId: owner.account_id,
          name: `${owner.display_name}'s family`,
          now,
          provider: cur.provider,
          startPlan: (d, id) => startSubscription(d, { ...base, spaceId: id, anchor: now }),
        });
        await upsertProfile(db, familyId, { currency: cur.currency }, now);
        await startFreePlan(db, cur.space_id, now);
        touched.push(cur.space_id, familyId);
      } else {
        await startSubscription(db, { ...base, spaceId: cur.space_id, anchor: cur.quota_anchor });
        touched.push(cur.space_id);
      }
      break;
    }
    case 'renewal': {
      const cur = await findSubscription(db, action.subscriptionId);
      if (!cur || cur.ended_at) break;
      const stillOpen = (await listOpenInvoicesOfKinds(db, cur.space_id, ['renewal'])).filter((i) => {
        const a = InvoiceAction.safeParse(i.action);
        return a.success && a.data.type === 'renewal' && a.data.subscriptionId === cur.id;
      });
      // Paid up when no other renewal of this subscription is still open.
      if (stillOpen.length === 0) {
        await updateSubscription(db, cur.id, { status: 'active', pastDueSince: null, restrictedAt: null }, now);
        touched.push(cur.space_id);
      }
      break;
    }
    case 'extra_runs': {
      const ent = await getEntitlements(db, action.spaceId, now);
      await addExtraRuns(db, ent, action.runs);
      break;
    }
    case 'sale': {
      if (!opts.invoice) throw new AppError('internal', 'a sale is applied with its invoice');
      await tellSeller({ ...ctx, db }, action, opts.invoice, 0);
      break;
    }
    case 'start_addon': {
      await startSubscription(db, {
        spaceId: action.spaceId,
        planId: action.planId,
        planVersionId: action.planVersionId,
        kind: 'addon',
        status: 'active',
        interval: action.interval,
        currency: action.currency,
        anchor: now,
        periodStart: now,
        periodEnd: addInterval(now, action.interval),
        provider: opts.provider,
        now,
      });
      touched.push(action.spaceId);
      break;
    }
  }
  for (const spaceId of touched) await applyPlanLimits({ ...ctx, db }, spaceId);
  return touched;
}

/** A sentence for the person about what a paid invoice did. */
function paidMessage(action: InvoiceAction | null, plans: PlanView[]): string {
  if (!action) return 'Thank you.';
  const name = (id: string) => plans.find((p) => p.id === id)?.name ?? id;
  switch (action.type) {
    case 'start_base':
    case 'start_addon':
      return `${describePlan(name(action.planId), action.interval)} is active now. Your new limits apply at once.`;
    case 'upgrade':
      return `${describePlan(name(action.planId), action.interval)} is active now. Your new limits apply at once.`;
    case 'renewal':
      return 'Your plan continues; thank you.';
    case 'extra_runs':
      return `${action.runs.toLocaleString('en-US')} extra runs were added to this quota month.`;
    case 'sale':
      return 'Your purchase is ready to install.';
  }
}

/**
 * Marks an open invoice paid (an operator, or `csme admin invoice pay`) and makes what it paid for
 * take effect, in one transaction: paid if and only if applied.
 */
export async function payInvoice(ctx: Ctx, ref: string, byAccountId: string | null): Promise<AdminInvoiceView> {
  const id = await resolveInvoiceRef(ctx, ref);
  const row = await inSystemTransaction(ctx.deps.db, async (tx) => {
    const c = { ...ctx, db: tx };
    const inv = await findInvoiceForUpdate(tx, id);
    if (!inv) throw notFound('That invoice');
    if (inv.status === 'paid') throw conflict(`Invoice ${inv.number} is paid already.`);
    if (inv.status === 'void') throw conflict(`Invoice ${inv.number} is void: nothing is owed.`);
    if (inv.space_id) await lockSpaceForLimits(tx, inv.space_id);
    const action = inv.action ? InvoiceAction.parse(inv.action) : null;
    // Paid and applied in one transaction: a conflict while applying leaves the invoice open.
    const paid = (await markInvoicePaid(tx, inv.id, c.now(), byAccountId))!;
    if (action) await applyAction(c, action, { provider: inv.provider, actor: byAccountId, invoice: paid });
    if (inv.space_id) {
      const owner = await ownerOf(tx, inv.space_id);
      const message = paidMessage(action, await listPlans(tx));
      await logActivity(
        tx,
        {
          spaceId: inv.space_id,
          actorKind: byAccountId ? 'operator' : 'system',
          actorAccountId: byAccountId,
          kind: 'billing.invoice_paid',
          objectType: 'invoice',
          objectId: inv.id,
          summary: `Invoice ${inv.number} paid (${formatMoney(inv.total, inv.currency)}). ${message}`,
        },
        c.now(),
      );
      await notify(c, {
        spaceId:
          action?.type === 'start_base' || action?.type === 'upgrade'
            ? await resolvePlanSpace(tx, inv.space_id, owner.account_id)
            : inv.space_id,
        accountId: owner.account_id,
        kind: 'billing.payment_received',
        title: `Payment received: invoice ${inv.number}`,
        body: message,
        url: '/plans',
        email: true,
      });
    }
    return { ...paid, space_name: await findSpaceName(tx, paid.space_id) };
  });
  ctx.log.info({ invoiceId: row.id, by: byAccountId }, 'invoice marked paid');
  return presentAdminInvoice(row);
}

/** Where the notice about a plan purchase belongs: the space that holds the plan now (a new family space, or this one). */
async function resolvePlanSpace(db: Db, spaceId: string, accountId: string): Promise<string> {
  const base = await baseOf(db, spaceId);
  if (base.plan_id !== 'free') return spaceId;
  const family = await db
    .selectFrom('space')
    .select('id')
    .where('owner_account_id', '=', accountId)
    .where('kind', '=', 'family')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return family?.id ?? spaceId;
}

export async function voidInvoice(ctx: Ctx, ref: string, byAccountId: string | null): Promise<AdminInvoiceView> {
  const id = await resolveInvoiceRef(ctx, ref);
  const row = await inSystemTransaction(ctx.deps.db, async (tx) => {
    const inv = await findInvoiceForUpdate(tx, id);
    if (!inv) throw notFound('That invoice');
    if (inv.status !== 'open') throw conflict(`Invoice ${inv.number} is ${inv.status}: only open invoices can be voided.`);
    const v = (await markInvoiceVoid(tx, inv.id, ctx.now()))!;
    if (inv.space_id)
      await logActivity(
        tx,
        {
          spaceId: inv.space_id,
          actorKind: byAccountId ? 'operator' : 'system',
          actorAccountId: byAccountId,
          kind: 'billing.invoice_voided',
          objectType: 'invoice',
          objectId: inv.id,
          summary: `Invoice ${inv.number} voided: nothing is owed and nothing changed`,
        },
        ctx.now(),
      );
    return { ...v, space_name: await findSpaceName(tx, v.space_id) };
  });
  return presentAdminInvoice(row);
}

/** An invoice id or its number (CSME-2026-000001), as operators type it. */
async function resolveInvoiceRef(ctx: Ctx, ref: string): Promise<string> {
  const text: string = ref.trim();
  if (UUID.test(text)) return text;
  const byNumber = await findInvoiceByNumber(ctx.deps.db, text.toUpperCase());
  if (!byNumber) throw notFound(`Invoice "${ref}"`);
  return byNumber.id;
}

// ---------------------------------------------------------------- sales of other modules (marketplace packs)

/** Hands a paid sale to the module that sold it, in the paying transaction. */
async function tellSeller(ctx: Ctx, action: Extract<InvoiceAction, { type: 'sale' }>, inv: InvoiceRow, fee: number): Promise<void> {
  const seller = ctx.deps.modules.find((m) => m.name === action.module);
  if (!seller?.onSalePaid) throw new AppError('internal', `module ${action.module} does not take sales`);
  await seller.onSalePaid(ctx, {
    ref: action.ref,
    invoiceId: inv.id,
    invoiceNumber: inv.number,
    currency: inv.currency as 'USD' | 'ILS',
    subtotal: inv.subtotal,
    tax: inv.tax,
    total: inv.total,
    provider: inv.provider,
    fee,
    paidAt: inv.paid_at ?? ctx.now(),
  });
}

export interface SaleCheckout {
  /** The module that sells (its ModuleDef's `onSalePaid` is called when paid) and its id for the purchase. */
  module: string;
  ref: string;
  description: string;
  currency: 'USD' | 'ILS';
  /** Before tax, minor units. */
  amount: number;
  country?: string;
  returnPath: string;
}

/**
 * Sells something of another module (a marketplace pack) through the configured provider, in the
 * caller's transaction: an open invoice (offline; it takes effect when an operator marks it paid) or a
 * Stripe Checkout page. Tax by the buyer's billing country. Only the space's owner buys.
 */
export async function checkoutSale(
  ctx: ActorCtx,
  sale: SaleCheckout,
): Promise<
  { kind: 'invoice'; invoice: { id: string; number: string; total: number; currency: 'USD' | 'ILS' } } | { kind: 'redirect'; url: string }
> {
  requireOwner(ctx);
  const spaceId = ctx.actor.spaceId;
  if (sale.country) await upsertProfile(ctx.db, spaceId, { country: sale.country }, ctx.now());
  const profile = await findProfile(ctx.db, spaceId);
  const country = sale.country ?? profile?.country ?? null;
  const charge = makeCharge(sale.currency, [{ description: sale.description, amount: sale.amount }], await taxRate(ctx, country), country);
  const owner = await ownerOf(ctx.db, spaceId);
  const action: InvoiceAction = { type: 'sale', module: sale.module, ref: sale.ref };
  const provider = await configuredProvider(ctx);
  const outcome = await provider.purchase(
    ctx,
    {
      type: 'sale',
      spaceId,
      accountId: ctx.actor.accountId,
      module: sale.module,
      ref: sale.ref,
      description: sale.description,
      charge,
      returnPath: sale.returnPath,
    },
    { spaceId, kind: 'sale', charge, action, buyer: { name: owner.display_name, email: owner.email }, period: null },
  );
  if (outcome.kind === 'redirect') return { kind: 'redirect', url: outcome.url };
  if (outcome.kind !== 'invoice') throw new AppError('internal', 'a sale is paid by invoice or at checkout');
  await logActivity(
    ctx.db,
    {
      spaceId,
      actorKind: 'person',
      actorAccountId: ctx.actor.accountId,
      kind: 'billing.invoice_issued',
      objectType: 'invoice',
      objectId: outcome.invoice.id,
      summary: `Invoice ${outcome.invoice.number} opened: ${sale.description}`.slice(0, 500),
    },
    ctx.now(),
  );
  const inv = outcome.invoice;
  return { kind: 'invoice', invoice: { id: inv.id, number: inv.number, total: inv.total, currency: inv.currency as 'USD' | 'ILS' } };
}

/**
 * Pays back part or all of a sale's invoice through the provider that took the money (Stripe refunds
 * the Checkout payment; offline, the operator pays it back by hand). `key` makes a retry refund once.
 */
export async function refundSale(ctx: Ctx, invoiceId: string, amount: number, key: string): Promise<{ providerRef: string | null }> {
  const inv = await ctx.deps.db.selectFrom('invoice').selectAll().where('id', '=', invoiceId).executeTakeFirst();
  if (inv?.kind !== 'sale') throw notFound('That sale invoice');
  if (inv.status !== 'paid') throw conflict(`Invoice ${inv.number} is not paid: there is nothing to refund.`);
  if (amount <= 0 || amount > inv.total) throw invalidInput(`body.amount: must be between 1 and ${inv.total}`);
  if (inv.provider === 'stripe' && inv.provider_ref)
    return { providerRef: await refundCheckoutPayment(ctx, inv.provider_ref, amount, key) };
  return { providerRef: null };
}

/** A sale paid at Stripe Checkout: our invoice (paid, once per session) and the seller told, in one transaction. */
async function recordStripeSale(ctx: Ctx, session: ProviderCheckoutSession): Promise<void> {
  const spaceId = session.metadata[META.spaceId];
  const module = session.metadata[META.module];
  const ref = session.metadata[META.ref];
  const subtotal = Number(session.metadata[META.subtotal]);
  const tax = Number(session.metadata[META.tax]);
  const bp = Number(session.metadata[META.taxBasisPoints] ?? 0);
  if (!spaceId || !isUuid(spaceId) || !module || !ref || !Number.isInteger(subtotal) || !Number.isInteger(tax)) return;
  const currency = (session.currency ?? 'usd').toUpperCase() as Charge['currency'];
  try {
    await inSystemTransaction(ctx.deps.db, async (tx) => {
      const c = { ...ctx, db: tx };
      const owner = await findSpaceOwner(tx, spaceId);
      if (!owner) return;
      await lockSpaceForLimits(tx, spaceId);
      // Once per checkout, however many times Stripe reports it.
      if (await findInvoiceByProviderRef(tx, 'stripe', session.id)) return;
      const profile = await findProfile(tx, spaceId);
      const action = { type: 'sale' as const, module, ref };
      const inv = await issueInvoice(
        c,
        {
          spaceId,
          kind: 'sale',
          charge: {
            currency,
            lines: [{ description: 'Marketplace purchase', amount: subtotal }],
            subtotal,
            taxBasisPoints: bp,
            tax,
            total: subtotal + tax,
            country: profile?.country ?? null,
          },
          action,
          buyer: { name: owner.display_name, email: owner.email },
          period: null,
        },
        { status: 'paid', provider: 'stripe', providerRef: session.id, paidAt: c.now() },
      );
      await tellSeller(c, action, inv, 0);
      await logActivity(
        tx,
        {
          spaceId,
          actorKind: 'system',
          kind: 'billing.invoice_paid',
          objectType: 'invoice',
          objectId: inv.id,
          summary: `Invoice ${inv.number} paid by card (${formatMoney(inv.total, inv.currency)})`,
        },
        c.now(),
      );
    });
  } catch (e) {
    // The same session reported twice at once: the unique index kept one invoice, and so one sale.
    if (pgCode(e) === '23505') return;
    throw e;
  }
}

// ---------------------------------------------------------------- invoices for the person

export async function listSpaceInvoices(ctx: ActorCtx, q: { limit: number; cursor?: string }) {
  requireOwner(ctx);
  if (q.cursor && !isUuid(q.cursor)) throw invalidInput('query.cursor: is not a cursor from this list');
  const rows = await inSpace(ctx, (c) => listInvoicesOfSpace(c.db, ctx.actor.spaceId, { limit: q.limit, before: q.cursor }));
  const items = rows.slice(0, q.limit).map(presentInvoice);
  return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
}

async function getSpaceInvoiceRow(ctx: ActorCtx, id: string): Promise<InvoiceRow> {
  requireOwner(ctx);
  const row = await inSpace(ctx, (c) => findInvoice(c.db, ctx.actor.spaceId, id));
  if (!row) throw notFound('That invoice');
  return row;
}

export async function getSpaceInvoice(ctx: ActorCtx, id: string): Promise<InvoiceView> {
  return presentInvoice(await getSpaceInvoiceRow(ctx, id));
}

export async function getSpaceInvoicePdf(
  ctx: ActorCtx,
  id: string,
  document: 'invoice' | 'receipt',
): Promise<{ pdf: Buffer; filename: string }> {
  const row = await getSpaceInvoiceRow(ctx, id);
  if (document === 'receipt' && row.status !== 'paid') throw conflict(`Invoice ${row.number} is not paid: there is no receipt yet.`);
  const seller = await ctx.deps.settings.get(sellerSetting);
  return {
    pdf: await renderInvoicePdf(row, seller, document),
    filename: `${document === 'receipt' ? 'receipt' : 'invoice'}-${row.number}.pdf`,
  };
}

export async function listInvoicesAsOperator(ctx: Ctx, q: { status?: string; limit: number; cursor?: string }) {
  if (q.cursor && !isUuid(q.cursor)) throw invalidInput('query.cursor: is not a cursor from this list');
  const rows = await listInvoicesForOperators(ctx.deps.db, { status: q.status, limit: q.limit, before: q.cursor });
  const items = rows.slice(0, q.limit).map(presentAdminInvoice);
  return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
}

export async function openBillingPortal(ctx: ActorCtx): Promise<{ url: string }> {
  requireOwner(ctx);
  const base = await baseOf(ctx.deps.db, ctx.actor.spaceId);
  const provider = base.provider === 'stripe' ? stripeProvider : await configuredProvider(ctx);
  return { url: await provider.portalUrl(ctx, ctx.actor.spaceId, `${ctx.deps.config.http.publicUrl}/plans`) };
}

/** After Stripe Checkout: reconcile this space's Stripe subscriptions (and the session) now, not only when the webhook comes. */
export async function syncBilling(ctx: ActorCtx, sessionId?: string): Promise<BillingOverview> {
  requireOwner(ctx);
  if (sessionId) {
    const session = await fetchCheckoutSession(ctx, sessionId);
    // Only a session started for this space: another space's session is not found.
    if (!session || session.metadata[META.spaceId] !== ctx.actor.spaceId) throw notFound('That checkout');
    await handleCheckoutSession(ctx, sessionId);
  }
  for (const sub of await listLiveSubscriptionsOf(ctx.deps.db, ctx.actor.spaceId))
    if (sub.provider === 'stripe' && sub.provider_ref) await reconcileStripeSubscription(ctx, sub.provider_ref);
  return getBillingOverview(ctx);
}

// ---------------------------------------------------------------- Stripe webhooks and reconciliation

/**
 * A Stripe event: verified over the raw body, stored once under its unique id together with the job
 * that processes it (same transaction), and answered at once. Repeats are answered 200 and do nothing.
 */
export async function receiveStripeEvent(
  ctx: Ctx,
  raw: Buffer,
  signature: string | undefined,
): Promise<{ received: true; duplicate: boolean }> {
  const event = await verifyWebhook(ctx, raw, signature);
  const object = (event.data?.object ?? {}) as { id?: unknown };
  const id = await inSystemTransaction(ctx.deps.db, async (tx) => {
    const rowId = await insertEvent(tx, {
      id: newId(),
      provider: 'stripe',
      event_id: event.id,
      type: event.type,
      object_id: typeof object.id === 'string' ? object.id.slice(0, 255) : null,
      received_at: ctx.now(),
    });
    if (rowId) await addJob(tx, processEventJob, { eventId: rowId }, { jobKey: `billing-event:${rowId}`, queueName: 'billing' });
    return rowId;
  });
  ctx.log.info({ eventId: event.id, type: event.type, duplicate: !id }, 'stripe event received');
  return { received: true, duplicate: !id };
}

/** Processes one stored provider event (the job; runs one at a time in the `billing` queue). */
export async function processProviderEvent(ctx: Ctx, eventRowId: string): Promise<void> {
  const row = await findEvent(ctx.deps.db, eventRowId);
  if (!row || row.status === 'processed' || row.status === 'ignored') return;
  try {
    const handled = await handleStripeEvent(ctx, row.type, row.object_id);
    await updateEvent(ctx.deps.db, row.id, {
      status: handled ? 'processed' : 'ignored',
      processed_at: ctx.now(),
      attempts: row.attempts + 1,
      error: null,
    });
  } catch (e) {
    await updateEvent(ctx.deps.db, row.id, {
      status: 'failed',
      attempts: row.attempts + 1,
      error: (e instanceof Error ? e.message : String(e)).slice(0, 300),
    });
    throw e;
  }
}

async function handleStripeEvent(ctx: Ctx, type: string, objectId: string | null): Promise<boolean> {
  if (!objectId) return false;
  if (type.startsWith('customer.subscription.')) {
    await reconcileStripeSubscription(ctx, objectId);
    return true;
  }
  if (type === 'invoice.paid' || type === 'invoice.payment_succeeded') {
    await mirrorStripeInvoice(ctx, objectId);
    return true;
  }
  if (type === 'invoice.payment_failed') {
    const inv = await fetchInvoice(ctx, objectId);
    if (inv?.subscriptionId) await reconcileStripeSubscription(ctx, inv.subscriptionId);
    return true;
  }
  if (type === 'checkout.session.completed' || type === 'checkout.session.async_payment_succeeded') {
    await handleCheckoutSession(ctx, objectId);
    return true;
  }
  return false;
}

async function handleCheckoutSession(ctx: Ctx, sessionId: string): Promise<void> {
  const session = await fetchCheckoutSession(ctx, sessionId);
  if (!session) return;
  if (session.mode === 'subscription' && session.subscription) {
    await reconcileStripeSubscription(ctx, session.subscription);
    return;
  }
  if (session.mode === 'payment' && session.payment_status === 'paid' && session.metadata[META.purchase] === 'sale') {
    await recordStripeSale(ctx, session);
    return;
  }
  if (session.mode !== 'payment' || session.payment_status !== 'paid' || session.metadata[META.purchase] !== 'extra_runs') return;
  const spaceId = session.metadata[META.spaceId];
  const runs = Number(session.metadata[META.runs]);
  const subtotal = Number(session.metadata[META.subtotal]);
  const tax = Number(session.metadata[META.tax]);
  const bp = Number(session.metadata[META.taxBasisPoints] ?? 0);
  if (!spaceId || !isUuid(spaceId) || !Number.isInteger(runs) || runs <= 0 || !Number.isInteger(subtotal) || !Number.isInteger(tax)) return;
  const currency = (session.currency ?? 'usd').toUpperCase();
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    const c = { ...ctx, db: tx };
    const owner = await findSpaceOwner(tx, spaceId);
    if (!owner) return;
    await lockSpaceForLimits(tx, spaceId);
    // Once per checkout, however many times Stripe reports it.
    if (await findInvoiceByProviderRef(tx, 'stripe', session.id)) return;
    const profile = await findProfile(tx, spaceId);
    const ent = await getEntitlements(tx, spaceId, c.now());
    const charge: Charge = {
      currency: currency as Charge['currency'],
      lines: [{ description: `${runs.toLocaleString('en-US')} extra runs until ${day(ent.quota.end)}`, amount: subtotal }],
      subtotal,
      taxBasisPoints: bp,
      tax,
      total: subtotal + tax,
      country: profile?.country ?? null,
    };
    const inv = await issueInvoice(
      c,
      {
        spaceId,
        kind: 'extra_runs',
        charge,
        action: { type: 'extra_runs', spaceId, runs },
        buyer: { name: owner.display_name, email: owner.email },
        period: { start: ent.quota.start, end: ent.quota.end },
      },
      { status: 'paid', provider: 'stripe', providerRef: session.id, paidAt: c.now() },
    );
    await addExtraRuns(tx, ent, runs);
    await logActivity(
      tx,
      {
        spaceId,
        actorKind: 'system',
        kind: 'billing.invoice_paid',
        objectType: 'invoice',
        objectId: inv.id,
        summary: `Invoice ${inv.number} paid by card: ${runs} extra runs added`,
      },
      c.now(),
    );
    await notify(c, {
      spaceId,
      accountId: owner.account_id,
      kind: 'billing.payment_received',
      title: `Payment received: invoice ${inv.number}`,
      body: `${runs.toLocaleString('en-US')} extra runs were added to this quota month.`,
      url: '/plans',
      email: true,
    });
  });
}

/** Stripe's paid invoice as one of ours: numbered here, kept, shown with the others (once per Stripe invoice). */
async function mirrorStripeInvoice(ctx: Ctx, invoiceId: string): Promise<void> {
  const inv = await fetchInvoice(ctx, invoiceId);
  if (inv?.status !== 'paid') return;
  if (await findInvoiceByProviderRef(ctx.deps.db, 'stripe', inv.id)) return;
  // The subscription may not be known yet (invoice.paid before customer.subscription.created).
  if (inv.subscriptionId) await reconcileStripeSubscription(ctx, inv.subscriptionId);
  const sub = inv.subscriptionId ? await findSubscriptionByRefAnyState(ctx.deps.db, inv.subscriptionId) : undefined;
  if (!sub) return;
  const subtotal = inv.lines.filter((l) => !l.isTax).reduce((s, l) => s + l.amount, 0);
  const tax = inv.lines.filter((l) => l.isTax).reduce((s, l) => s + l.amount, 0);
  if (subtotal < 0 || tax < 0 || subtotal + tax !== inv.total) {
    ctx.log.warn({ invoiceId: inv.id }, 'stripe invoice lines do not add up; not mirrored');
    return;
  }
  const kind =
    inv.billingReason === 'subscription_create' ? 'subscription' : inv.billingReason === 'subscription_cycle' ? 'renewal' : 'change';
  const periods = inv.lines.map((l) => l.period).filter((p): p is { start: Date; end: Date } => p !== null);
  try {
    await inSystemTransaction(ctx.deps.db, async (tx) => {
      const c = { ...ctx, db: tx };
      const owner = await ownerOf(tx, sub.space_id);
      const profile = await findProfile(tx, sub.space_id);
      const row = await issueInvoice(
        c,
        {
          spaceId: sub.space_id,
          kind: sub.kind === 'addon' && kind === 'subscription' ? 'addon' : kind,
          charge: {
            currency: inv.currency as Charge['currency'],
            lines: inv.lines
              .filter((l) => !l.isTax)
              .map((l) => ({ description: l.description || describePlan(sub.name, sub.billing_interval as Interval), amount: l.amount })),
            subtotal,
            taxBasisPoints: await taxRate(c, profile?.country ?? null),
            tax,
            total: subtotal + tax,
            country: profile?.country ?? null,
          },
          action: null,
          buyer: { name: owner.display_name, email: owner.email },
          period: periods[0] ?? null,
        },
        { status: 'paid', provider: 'stripe', providerRef: inv.id, paidAt: inv.paidAt ?? c.now() },
      );
      await logActivity(
        tx,
        {
          spaceId: sub.space_id,
          actorKind: 'system',
          kind: 'billing.invoice_paid',
          objectType: 'invoice',
          objectId: row.id,
          summary: `Invoice ${row.number} paid by card (${formatMoney(row.total, row.currency)})`,
        },
        c.now(),
      );
    });
  } catch (e) {
    // The same Stripe invoice reported twice at once: the unique index kept one.
    if (pgCode(e) === '23505') return;
    throw e;
  }
}

async function findSubscriptionByRefAnyState(db: Db, ref: string) {
  const live = await findLiveSubscriptionByProviderRef(db, 'stripe', ref);
  if (live) return live;
  const row = await db
    .selectFrom('subscription')
    .select('id')
    .where('provider', '=', 'stripe')
    .where('provider_ref', '=', ref)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return row ? findSubscription(db, row.id) : undefined;
}

/**
 * Makes our subscription equal to Stripe's current one (fetched, never taken from the event), so
 * duplicate and out-of-order events converge on the same state. Serialised per space by its lock.
 */
export async function reconcileStripeSubscription(ctx: Ctx, ref: string): Promise<void> {
  const remote = await fetchSubscription(ctx, ref);
  if (!remote) return;
  const metaSpace = remote.metadata[META.spaceId];
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    const c: Ctx = { ...ctx, db: tx };
    const now = c.now();
    const localBefore = await findLiveSubscriptionByProviderRef(tx, 'stripe', ref);
    const spaceIds = [...new Set([localBefore?.space_id, metaSpace].filter((s): s is string => Boolean(s && isUuid(s))))].sort();
    for (const s of spaceIds) await lockSpaceForLimits(tx, s);
    const local = await findLiveSubscriptionByProviderRef(tx, 'stripe', ref);
    const touched = new Set<string>();

    if (remote.status === 'incomplete') return;
    if (remote.status === 'ended') {
      if (!local) return;
      await endSubscription(tx, local.id, now);
      const pending = await findPendingChange(tx, local.id);
      if (pending) await markChangeApplied(tx, pending.id, now);
      const owner = await ownerOf(tx, local.space_id);
      const next = await successorOf(c, remote, local);
      if (next) {
        const newRef = await startNextSubscription(c, remote, next);
        const created = await fetchSubscription(c, newRef);
        if (next.spaceId !== local.space_id && local.kind === 'base') {
          await startFreePlan(tx, local.space_id, now);
          touched.add(local.space_id);
        }
        await startSubscription(tx, {
          spaceId: next.spaceId,
          planId: next.planId,
          planVersionId: next.planVersionId,
          kind: next.kind,
          status: created?.status === 'past_due' || created?.status === 'incomplete' ? 'past_due' : 'active',
          interval: next.interval,
          currency: remote.currency,
          anchor: next.spaceId === local.space_id ? local.quota_anchor : now,
          periodStart: created?.periodStart ?? now,
          periodEnd: created?.periodEnd ?? addInterval(now, next.interval),
          provider: 'stripe',
          providerRef: newRef,
          pastDueSince: created?.status === 'past_due' || created?.status === 'incomplete' ? now : null,
          now,
        });
        touched.add(next.spaceId);
      } else if (local.kind === 'base') {
        await startFreePlan(tx, local.space_id, now);
        touched.add(local.space_id);
      } else touched.add(local.space_id);
      for (const s of touched) await applyPlanLimits(c, s);
      await notify(c, {
        spaceId: local.space_id,
        accountId: owner.account_id,
        kind: 'billing.plan_changed',
        title: next ? `${next.planName} starts now` : `${local.name} has ended`,
        body: next
          ? 'The change you scheduled took effect. What is over the new limits is paused (never deleted); choose which packs stay active.'
          : 'This space is on Free now. What is over its limits is paused (never deleted); choose which packs stay active, or upgrade again.',
        url: touched.size ? '/packs' : '/plans',
        email: true,
      });
      return;
    }

    // A live Stripe subscription: which plan, version, interval and space it stands for now.
    const meta = remote.metadata;
    if (!metaSpace || !isUuid(metaSpace)) {
      ctx.log.warn({ ref }, 'stripe subscription without a space; ignored');
      return;
    }
    let planId = meta[META.planId] ?? '';
    let versionId = meta[META.planVersionId] ?? '';
    let interval = (meta[META.interval] === 'year' ? 'year' : 'month') as Interval;
    const nextAt = Number(meta[META.nextAt] ?? '');
    if (meta[META.nextPlanVersionId] && nextAt && remote.periodStart.getTime() / 1000 >= nextAt && !remote.cancelAtPeriodEnd) {
      planId = meta[META.nextPlanId] ?? planId;
      versionId = meta[META.nextPlanVersionId] ?? versionId;
      interval = (meta[META.nextInterval] === 'year' ? 'year' : 'month') as Interval;
    }
    const kind = meta[META.kind] === 'addon' ? 'addon' : 'base';
    const version = versionId && isUuid(versionId) ? await getPlanVersion(tx, versionId).catch(() => null) : null;
    if (!version || version.id !== planId) {
      ctx.log.warn({ ref, planId }, 'stripe subscription names no known plan version; ignored');
      return;
    }
    const metaOwner = await findSpaceOwner(tx, metaSpace);
    if (!metaOwner) return;
    let targetSpace = metaSpace;
    // Family bought from a personal space: its family space is created once, then Stripe is told.
    if (kind === 'base' && planId === 'family' && metaOwner.kind === 'personal') {
      if (local && local.plan_id === 'family' && (await findSpaceOwner(tx, local.space_id))?.kind === 'family')
        targetSpace = local.space_id;
      else {
        targetSpace = await createFamilySpace(tx, {
          ownerAccountId: metaOwner.account_id,
          name: `${metaOwner.display_name}'s family`,
          now,
          provider: 'stripe',
          startPlan: async () => undefined,
        });
      }
      if (targetSpace !== metaSpace) await setSubscriptionSpace(c, ref, targetSpace);
    }
    const status = remote.status as 'trialing' | 'active' | 'past_due';
    const owner = await ownerOf(tx, targetSpace);
    const same =
      local &&
      local.space_id === targetSpace &&
      local.plan_id === planId &&
      local.plan_version_id === versionId &&
      local.billing_interval === interval;
    if (same) {
      const becamePastDue = status === 'past_due' && local.status !== 'past_due';
      const wasRestricted = local.restricted_at !== null;
      await updateSubscription(
        tx,
        local.id,
        {
          status,
          periodStart: remote.periodStart,
          periodEnd: remote.periodEnd,
          cancelAtPeriodEnd: remote.cancelAtPeriodEnd,
          trialEnd: remote.trialEnd,
          pastDueSince: status === 'past_due' ? (local.past_due_since ?? now) : null,
          ...(status !== 'past_due' ? { restrictedAt: null } : {}),
        },
        now,
      );
      if (wasRestricted && status !== 'past_due') touched.add(targetSpace);
      if (becamePastDue) await pastDueNotice(c, targetSpace, owner.account_id, local.name, now);
    } else {
      if (local && local.space_id !== targetSpace && local.kind === 'base') {
        await startFreePlan(tx, local.space_id, now);
        touched.add(local.space_id);
      }
      if (local) {
        const pending = await findPendingChange(tx, local.id);
        if (pending) await markChangeApplied(tx, pending.id, now);
      }
      const started = await startSubscription(tx, {
        spaceId: targetSpace,
        planId,
        planVersionId: versionId,
        kind,
        status,
        interval,
        currency: remote.currency,
        anchor: local && local.space_id === targetSpace ? local.quota_anchor : remote.periodStart,
        periodStart: remote.periodStart,
        periodEnd: remote.periodEnd,
        provider: 'stripe',
        providerRef: ref,
        trialEnd: remote.trialEnd,
        pastDueSince: status === 'past_due' ? now : null,
        now,
      });
      await upsertProfile(
        tx,
        targetSpace,
        {
          provider: 'stripe',
          provider_customer_ref: remote.customer,
          currency: remote.currency,
          ...(remote.trialEnd ? { trial_used_at: now } : {}),
        },
        now,
      );
      // A trial is used once, also when it was bought from the personal space for a new family space.
      if (remote.trialEnd && metaSpace !== targetSpace) await upsertProfile(tx, metaSpace, { trial_used_at: now }, now);
      touched.add(targetSpace);
      await notify(c, {
        spaceId: targetSpace,
        accountId: owner.account_id,
        kind: 'billing.plan_changed',
        title: `${describePlan(version.name, interval)} is active`,
        body: 'Your new limits apply now.',
        url: '/plans',
        email: true,
      });
      await logActivity(
        tx,
        {
          spaceId: targetSpace,
          actorKind: 'system',
          kind: 'billing.plan_changed',
          objectType: 'subscription',
          objectId: started,
          summary: `${describePlan(version.name, interval)} started (Stripe ${ref})`,
        },
        now,
      );
    }
    for (const s of touched) await applyPlanLimits(c, s);
  });
}

/** The plan a Stripe subscription that ended should continue as (a scheduled downgrade or interval change). */
async function successorOf(ctx: Ctx, remote: ProviderSubscription, local: SubscriptionRow) {
  const m = remote.metadata;
  const versionId = m[META.nextPlanVersionId];
  const planId = m[META.nextPlanId];
  if (!versionId || !planId || !isUuid(versionId)) return null;
  const version = await getPlanVersion(ctx.db, versionId).catch(() => null);
  if (!version || version.id !== planId) return null;
  const interval = (m[META.nextInterval] === 'year' ? 'year' : 'month') as Interval;
  const price = priceOf(version.prices, remote.currency, interval);
  if (price === undefined) return null;
  const spaceId = m[META.nextSpaceId] && isUuid(m[META.nextSpaceId]!) ? m[META.nextSpaceId]! : local.space_id;
  const profile = await findProfile(ctx.db, local.space_id);
  return {
    spaceId,
    kind: local.kind as 'base' | 'addon',
    planId,
    planName: version.name,
    planVersionId: versionId,
    interval,
    price,
    taxBasisPoints: await taxRate(ctx, profile?.country ?? null),
  };
}

async function pastDueNotice(ctx: Ctx, spaceId: string, accountId: string, planName: string, since: Date): Promise<void> {
  const grace = await ctx.deps.settings.get(pastDueSetting);
  const until = graceEndsAt(since, grace.graceDays);
  await notify(ctx, {
    spaceId,
    accountId,
    kind: 'billing.past_due',
    title: `Payment for ${planName} is due`,
    body: `We could not collect the payment for ${planName}. Pay by ${day(until)} to keep its limits; after that this space has Free's limits until it is paid. Nothing is deleted and your subscription is kept.`,
    url: '/plans',
    email: true,
  });
  await logActivity(
    ctx.db,
    { spaceId, actorKind: 'system', kind: 'billing.past_due', summary: `${planName} is past due; grace until ${day(until)}` },
    ctx.now(),
  );
}

// ---------------------------------------------------------------- the sweep: renewals, scheduled changes, grace

interface SweepReport {
  renewed: number;
  changed: number;
  ended: number;
  restricted: number;
  voided: number;
  synced: number;
}

/**
 * What time alone changes (run every few minutes, idempotent): offline and granted subscriptions roll
 * over at their period end (a scheduled change takes effect, or a renewal invoice opens and the
 * subscription is past due until it is paid), past-due spaces drop to Free limits when their grace
 * ends, stale upgrade invoices are voided, and operator migrations are pushed to Stripe in time.
 */
export async function sweepBilling(ctx: Ctx): Promise<SweepReport> {
  const report: SweepReport = { renewed: 0, changed: 0, ended: 0, restricted: 0, voided: 0, synced: 0 };
  const now = ctx.now();
  for (const sub of await listSubscriptionsDue(ctx.deps.db, now, 200)) {
    if (sub.provider === 'stripe') {
      // Stripe renews; if its event is late by an hour, ask it.
      if (sub.provider_ref && sub.current_period_end && now.getTime() - sub.current_period_end.getTime() > 3_600_000)
        await reconcileStripeSubscription(ctx, sub.provider_ref).catch((e) =>
          ctx.log.warn({ err: e, subscriptionId: sub.id }, 'stripe reconcile failed'),
        );
      continue;
    }
    const r = await rollOver(ctx, sub.id);
    report[r]++;
  }
  await migrateFreeSubscriptions(ctx, report);
  const grace = await ctx.deps.settings.get(pastDueSetting);
  for (const sub of await listPastDue(ctx.deps.db, 500)) {
    if (!sub.past_due_since || graceEndsAt(sub.past_due_since, grace.graceDays) > now) continue;
    if (await restrict(ctx, sub.id, grace.graceDays)) report.restricted++;
  }
  for (const inv of await listOpenInvoices(ctx.deps.db, ['change', 'addon'], 500)) {
    const a = InvoiceAction.safeParse(inv.action);
    if (!a.success || a.data.type !== 'upgrade') continue;
    const sub = await findSubscription(ctx.deps.db, a.data.subscriptionId);
    if (sub && !sub.ended_at && new Date(a.data.computedForPeriodEnd) > now) continue;
    if (await markInvoiceVoid(ctx.deps.db, inv.id, now)) report.voided++;
  }
  for (const change of await listUnsyncedMigrations(ctx.deps.db, 200)) {
    const sub = await findSubscription(ctx.deps.db, change.subscription_id);
    if (!sub || sub.ended_at || sub.provider !== 'stripe') {
      await markChangeSynced(ctx.deps.db, change.id, now);
      continue;
    }
    // The price must change after the last renewal at the old price and before the first at the new one.
    if (sub.current_period_end?.getTime() !== change.effective_at.getTime()) continue;
    const target = await targetOf(ctx, sub, change);
    await providerOf(sub).schedule(ctx, sub, change, target);
    await markChangeSynced(ctx.deps.db, change.id, now);
    report.synced++;
  }
  if (Object.values(report).some((n) => n > 0)) ctx.log.info({ ...report }, 'billing sweep');
  return report;
}

async function targetOf(ctx: Ctx, sub: SubscriptionRow, change: ScheduledChangeRow): Promise<ScheduledTarget | null> {
  if (!change.to_plan_id || !change.to_plan_version_id) return null;
  const v = await getPlanVersion(ctx.deps.db, change.to_plan_version_id);
  const interval = (change.to_interval ?? sub.billing_interval ?? 'month') as Interval;
  const profile = await findProfile(ctx.deps.db, sub.space_id);
  return {
    planId: v.id,
    planName: v.name,
    planVersionId: v.versionId,
    interval,
    price: priceOf(v.prices, sub.currency ?? 'USD', interval) ?? 0,
    taxBasisPoints: await taxRate(ctx, profile?.country ?? null),
    spaceId: change.to_space_id ?? sub.space_id,
  };
}

/** One subscription at its period end: a scheduled change, an end, or a renewal (offline and granted). */
async function rollOver(ctx: Ctx, subscriptionId: string): Promise<'renewed' | 'changed' | 'ended'> {
  return inSystemTransaction(ctx.deps.db, async (tx) => {
    const c: Ctx = { ...ctx, db: tx };
    const now = c.now();
    const first = await findSubscription(tx, subscriptionId);
    if (!first) return 'ended';
    await lockSpaceForLimits(tx, first.space_id);
    let sub = (await findSubscription(tx, subscriptionId))!;
    if (sub.ended_at || !sub.current_period_end || sub.current_period_end > now) return 'renewed';
    const end = sub.current_period_end;
    const owner = await ownerOf(tx, sub.space_id);
    const pending = await findPendingChange(tx, sub.id);
    const touched = new Set<string>();
    let outcome: 'renewed' | 'changed' | 'ended' = 'renewed';

    if ((pending && pending.effective_at <= now && pending.kind === 'cancel') || (!pending && sub.cancel_at_period_end)) {
      if (pending) await markChangeApplied(tx, pending.id, now);
      if (sub.kind === 'base') await startFreePlan(tx, sub.space_id, end);
      else await endSubscription(tx, sub.id, end);
      touched.add(sub.space_id);
      await applyLimitsAndTell(c, touched, {
        spaceId: sub.space_id,
        accountId: owner.account_id,
        title: `${sub.name} has ended`,
        body:
          sub.kind === 'base'
            ? 'This space is on Free now. What is over its limits is paused (never deleted): choose which packs stay active, or upgrade again.'
            : 'The Creator add-on has ended: publishing new packs and versions stops.',
      });
      return 'ended';
    }

    if (pending && pending.effective_at <= now && (pending.kind === 'downgrade' || pending.kind === 'interval')) {
      await markChangeApplied(tx, pending.id, now);
      const targetSpace = pending.to_space_id ?? sub.space_id;
      const version = pending.to_plan_version_id
        ? await getPlanVersion(tx, pending.to_plan_version_id)
        : await catalogPlan(tx, pending.to_plan_id!, sub.kind as 'base' | 'addon');
      const interval = (pending.to_interval ?? sub.billing_interval) as Interval;
      if (targetSpace !== sub.space_id) {
        await startFreePlan(tx, sub.space_id, end);
        touched.add(sub.space_id);
      }
      const newId_ = await startSubscription(tx, {
        spaceId: targetSpace,
        planId: version.id,
        planVersionId: version.versionId,
        kind: sub.kind as 'base' | 'addon',
        status: sub.provider === 'manual' ? 'active' : 'past_due',
        interval,
        currency: sub.currency,
        anchor: targetSpace === sub.space_id ? sub.quota_anchor : end,
        periodStart: end,
        periodEnd: addInterval(end, interval),
        provider: sub.provider,
        pastDueSince: sub.provider === 'manual' ? null : end,
        now,
      });
      touched.add(targetSpace);
      sub = (await findSubscription(tx, newId_))!;
      if (sub.provider !== 'manual') await issueRenewal(c, sub, owner);
      await applyLimitsAndTell(c, touched, {
        spaceId: targetSpace,
        accountId: owner.account_id,
        title: `${describePlan(version.name, interval)} starts now`,
        body:
          sub.provider === 'manual'
            ? 'The change you scheduled took effect.'
            : `The change you scheduled took effect. Invoice for the first ${interval === 'year' ? 'year' : 'month'} is open; what is over the new limits is paused (never deleted).`,
      });
      outcome = 'changed';
      // The new subscription's first period may also be over (a long outage): the next sweep renews it.
      return outcome;
    }

    if (pending && pending.effective_at <= now && pending.kind === 'version_migration' && pending.to_plan_version_id) {
      await markChangeApplied(tx, pending.id, now);
      await updateSubscription(tx, sub.id, { planVersionId: pending.to_plan_version_id }, now);
      sub = (await findSubscription(tx, sub.id))!;
      touched.add(sub.space_id);
      outcome = 'changed';
    }

    // Renewal: the next period, and (offline) its invoice; granted plans renew silently.
    const interval = (sub.billing_interval ?? 'month') as Interval;
    const nextStart = sub.current_period_end!;
    const nextEnd = nextPeriodEnd(sub.current_period_start, nextStart, interval);
    const paid = sub.provider !== 'manual';
    await updateSubscription(
      tx,
      sub.id,
      {
        periodStart: nextStart,
        periodEnd: nextEnd,
        ...(paid ? { status: 'past_due' as const, pastDueSince: sub.past_due_since ?? nextStart } : { status: 'active' as const }),
      },
      now,
    );
    sub = (await findSubscription(tx, sub.id))!;
    if (paid) {
      const inv = await issueRenewal(c, sub, owner);
      const grace = await c.deps.settings.get(pastDueSetting);
      await notify(c, {
        spaceId: sub.space_id,
        accountId: owner.account_id,
        kind: 'billing.invoice_open',
        title: `Invoice ${inv.number} for ${describePlan(sub.name, interval)} is open`,
        body: `Your next ${interval} of ${sub.name} (${day(nextStart)} to ${day(nextEnd)}) costs ${formatMoney(inv.total, inv.currency)}. Pay by ${day(graceEndsAt(sub.past_due_since ?? nextStart, grace.graceDays))} to keep ${sub.name}'s limits; nothing is deleted either way.`,
        url: '/plans',
        email: true,
      });
    }
    for (const s of touched) await applyPlanLimits(c, s);
    return outcome;
  });
}

async function issueRenewal(ctx: Ctx, sub: SubscriptionRow, owner: { display_name: string; email: string }): Promise<InvoiceRow> {
  const interval = (sub.billing_interval ?? 'month') as Interval;
  const currency = sub.currency ?? 'USD';
  const price = priceOf(pricesOf(sub.prices), currency, interval) ?? 0;
  const profile = await findProfile(ctx.db, sub.space_id);
  const country = profile?.country ?? null;
  const charge = makeCharge(
    currency,
    [
      {
        description: `${describePlan(sub.name, interval)} (${day(sub.current_period_start)} to ${day(sub.current_period_end!)})`,
        amount: price,
      },
    ],
    await taxRate(ctx, country),
    country,
  );
  return issueInvoice(
    ctx,
    {
      spaceId: sub.space_id,
      kind: 'renewal',
      charge,
      action: {
        type: 'renewal',
        subscriptionId: sub.id,
        periodStart: sub.current_period_start.toISOString(),
        periodEnd: sub.current_period_end!.toISOString(),
      },
      buyer: { name: owner.display_name, email: owner.email },
      period: { start: sub.current_period_start, end: sub.current_period_end! },
    },
    { status: 'open', provider: 'offline' },
  );
}

async function applyLimitsAndTell(
  ctx: Ctx,
  spaces: Set<string>,
  n: { spaceId: string; accountId: string; title: string; body: string },
): Promise<void> {
  for (const s of spaces) await applyPlanLimits(ctx, s);
  await notify(ctx, {
    spaceId: n.spaceId,
    accountId: n.accountId,
    kind: 'billing.plan_changed',
    title: n.title,
    body: n.body,
    url: '/packs',
    email: true,
  });
  await logActivity(ctx.db, { spaceId: n.spaceId, actorKind: 'system', kind: 'billing.plan_changed', summary: n.title }, ctx.now());
}

/** The grace period ran out: the space gets Free's limits (over-limit items paused), the subscription is kept. */
async function restrict(ctx: Ctx, subscriptionId: string, graceDays: number): Promise<boolean> {
  return inSystemTransaction(ctx.deps.db, async (tx) => {
    const c: Ctx = { ...ctx, db: tx };
    const now = c.now();
    const first = await findSubscription(tx, subscriptionId);
    if (!first) return false;
    await lockSpaceForLimits(tx, first.space_id);
    const sub = (await findSubscription(tx, subscriptionId))!;
    if (sub.ended_at || sub.status !== 'past_due' || sub.restricted_at || !sub.past_due_since) return false;
    if (graceEndsAt(sub.past_due_since, graceDays) > now) return false;
    await updateSubscription(tx, sub.id, { restrictedAt: now }, now);
    await applyPlanLimits(c, sub.space_id);
    const owner = await ownerOf(tx, sub.space_id);
    await notify(c, {
      spaceId: sub.space_id,
      accountId: owner.account_id,
      kind: 'billing.restricted',
      title:
        sub.kind === 'base' ? `This space has Free's limits until ${sub.name} is paid` : `The Creator add-on is paused until it is paid`,
      body:
        sub.kind === 'base'
          ? `The invoice for ${sub.name} is still open after ${graceDays} days. What is over Free's limits is paused (nothing is deleted, your subscription is kept); it resumes as soon as the invoice is paid.`
          : 'Publishing is paused until the open invoice is paid; nothing is deleted.',
      url: '/plans',
      email: true,
    });
    await logActivity(
      tx,
      {
        spaceId: sub.space_id,
        actorKind: 'system',
        kind: 'billing.restricted',
        objectType: 'subscription',
        objectId: sub.id,
        summary: `${sub.name} unpaid after ${graceDays} days: Free's limits apply`,
      },
      now,
    );
    return true;
  });
}

/** Operator migrations of Free subscriptions (no period end): at their date. */
async function migrateFreeSubscriptions(ctx: Ctx, report: SweepReport): Promise<void> {
  const due = await ctx.deps.db
    .selectFrom('scheduled_change as c')
    .innerJoin('subscription as s', 's.id', 'c.subscription_id')
    .select(['c.id', 'c.subscription_id', 'c.to_plan_version_id', 's.space_id'])
    .where('c.status', '=', 'pending')
    .where('c.kind', '=', 'version_migration')
    .where('c.effective_at', '<=', ctx.now())
    .where('s.current_period_end', 'is', null)
    .limit(500)
    .execute();
  for (const d of due) {
    await inSystemTransaction(ctx.deps.db, async (tx) => {
      await lockSpaceForLimits(tx, d.space_id);
      if (!(await markChangeApplied(tx, d.id, ctx.now())) || !d.to_plan_version_id) return;
      await updateSubscription(tx, d.subscription_id, { planVersionId: d.to_plan_version_id }, ctx.now());
      await applyPlanLimits({ ...ctx, db: tx }, d.space_id);
    });
    report.changed++;
  }
}

// ---------------------------------------------------------------- plan versions (operators)

const presentVersion = (v: PlanView & { note: string | null; createdAt: Date; subscribers: number }): PlanVersionView => ({
  ...v,
  createdAt: v.createdAt.toISOString(),
});

export async function listVersionsAsOperator(ctx: Ctx): Promise<PlanVersionView[]> {
  return (await listPlanVersions(ctx.deps.db)).map(presentVersion);
}

export async function createVersionAsOperator(
  ctx: ActorCtx,
  planId: string,
  input: { prices?: Price[]; limits?: PlanLimits; note: string },
): Promise<PlanVersionView> {
  const current = (await listPlans(ctx.deps.db)).find((p) => p.id === planId);
  if (!current) throw notFound(`Plan "${planId}"`);
  if (input.prices) {
    const seen = new Set<string>();
    for (const p of input.prices) {
      const k = `${p.currency}/${p.interval}`;
      if (seen.has(k)) throw invalidInput(`body.prices: ${k} is listed twice`);
      seen.add(k);
    }
    if (planId === 'free' && input.prices.length) throw invalidInput('body.prices: Free has no prices');
  }
  const v = await inSystemTransaction(ctx.deps.db, (tx) =>
    createPlanVersion(tx, {
      planId,
      prices: input.prices,
      limits: input.limits,
      note: input.note,
      by: ctx.actor.accountId,
      now: ctx.now(),
    }),
  );
  ctx.log.info({ planId, version: v.version, by: ctx.actor.accountId }, 'plan version created');
  const all = await listPlanVersions(ctx.deps.db);
  return presentVersion(all.find((x) => x.versionId === v.versionId)!);
}

/**
 * Moves the subscribers of older versions of a plan to its current version, with notice: each one
 * changes at their first renewal on or after `noticeDays` from now, and is told today. A person's own
 * pending change (a downgrade, a cancellation) wins and is not overridden.
 */
export async function migrateSubscribers(ctx: ActorCtx, planId: string, noticeDays: number) {
  const current = (await listPlans(ctx.deps.db)).find((p) => p.id === planId);
  if (!current) throw notFound(`Plan "${planId}"`);
  const now = ctx.now();
  const notBefore = new Date(now.getTime() + noticeDays * DAY_MS);
  let scheduled = 0;
  let skipped = 0;
  for (const sub of await listSubscribersOnOlderVersions(ctx.deps.db, planId, current.versionId)) {
    const done = await inSystemTransaction(ctx.deps.db, async (tx) => {
      await lockSpaceForLimits(tx, sub.space_id);
      const s = await findSubscription(tx, sub.id);
      if (!s || s.ended_at || (await findPendingChange(tx, s.id))) return false;
      let effective = notBefore;
      if (s.current_period_end) {
        const interval = (s.billing_interval ?? 'month') as Interval;
        let start = s.current_period_start;
        let end = s.current_period_end;
        while (end < notBefore) {
          const next = nextPeriodEnd(start, end, interval);
          start = end;
          end = next;
        }
        effective = end;
      }
      await insertScheduledChange(tx, {
        id: newId(),
        space_id: s.space_id,
        subscription_id: s.id,
        kind: 'version_migration',
        to_plan_id: planId,
        to_plan_version_id: current.versionId,
        to_interval: s.billing_interval,
        to_space_id: null,
        effective_at: effective,
        status: 'pending',
        created_by_account_id: ctx.actor.accountId,
        created_at: now,
      });
      const owner = await ownerOf(tx, s.space_id);
      const newPrice = s.currency && s.billing_interval ? priceOf(current.prices, s.currency, s.billing_interval as Interval) : undefined;
      await notify(
        { ...ctx, db: tx },
        {
          spaceId: s.space_id,
          accountId: owner.account_id,
          kind: 'billing.plan_terms_changing',
          title: `${s.name} changes on ${day(effective)}`,
          body:
            `From ${day(effective)}, ${s.name} moves to its current terms` +
            (newPrice !== undefined ? ` (${formatMoney(newPrice, s.currency!)} ${intervalWord(s.billing_interval as Interval)})` : '') +
            `: ${current.limits.runsPerMonth?.toLocaleString('en-US') ?? '—'} runs a month, ${current.limits.packs ?? '—'} packs, ${current.limits.agents ?? '—'} agents. Your current terms apply until then; you can change or cancel your plan before it.`,
          url: '/plans',
          email: true,
        },
      );
      return true;
    });
    if (done) scheduled++;
    else skipped++;
  }
  ctx.log.info({ planId, scheduled, skipped }, 'plan subscribers scheduled for migration');
  return { scheduled, skipped, notBefore: notBefore.toISOString() };
}
