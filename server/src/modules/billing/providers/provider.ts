import type { Charge } from '@csme/contracts/billing';
import type { Ctx } from '#core/ctx.js';
import type { SubscriptionRow } from '#modules/plans/index.js';
import type { InvoiceAction } from '../billing.policy.js';
import type { InvoiceRow, ScheduledChangeRow } from '../billing.repository.js';

// The one interface both payment providers implement. The billing service decides what a person
// buys and what it costs; a provider only collects the money: `offline` opens an invoice that an
// operator marks paid, `stripe` sends the person to Stripe Checkout or changes their Stripe subscription.

type InvoiceKind = 'subscription' | 'change' | 'renewal' | 'extra_runs' | 'addon' | 'sale';

/** An invoice ready to be numbered and stored (the offline provider issues it; Stripe's are mirrored). */
export interface PreparedInvoice {
  spaceId: string;
  kind: InvoiceKind;
  charge: Charge;
  action: InvoiceAction | null;
  buyer: { name: string; email: string };
  period: { start: Date; end: Date } | null;
}

/** What to buy, in the terms a provider needs to charge for it. */
export type PurchaseRequest =
  | {
      type: 'subscribe';
      spaceId: string;
      accountId: string;
      kind: 'base' | 'addon';
      planId: string;
      planName: string;
      planVersionId: string;
      interval: 'month' | 'year';
      currency: string;
      price: number;
      taxBasisPoints: number;
      trialDays: number | null;
    }
  | {
      type: 'change';
      subscription: SubscriptionRow;
      kind: 'base' | 'addon';
      planId: string;
      planName: string;
      planVersionId: string;
      interval: 'month' | 'year';
      price: number;
      taxBasisPoints: number;
      /** Monthly to yearly: a new period starts now and the unused part of the month is credited. */
      newPeriod: boolean;
      /** Same interval: the prorated difference charged now. */
      charge: number;
      credit: number;
      /** The space the subscription belongs to afterwards (a family space for Personal Pro to Family). */
      targetSpaceId: string;
    }
  | {
      /** A one-off sale of another module (a marketplace pack), paid once at Checkout. */
      type: 'sale';
      spaceId: string;
      accountId: string;
      module: string;
      ref: string;
      description: string;
      charge: Charge;
      /** Where Stripe sends the person back (a path of the web app). */
      returnPath: string;
    }
  | {
      type: 'extra_runs';
      spaceId: string;
      accountId: string;
      runs: number;
      packs: number;
      currency: string;
      unitAmount: number;
      taxBasisPoints: number;
      charge: Charge;
    };

type PurchaseOutcome =
  /** Pay this invoice; the change takes effect when it is marked paid. */
  | { kind: 'invoice'; invoice: InvoiceRow }
  /** Continue at the provider's checkout page. */
  | { kind: 'redirect'; url: string }
  /** The provider charged and changed the subscription; the service reconciles from it. */
  | { kind: 'changed'; providerRef: string };

export interface PaymentProvider {
  readonly name: 'offline' | 'stripe';
  purchase(ctx: Ctx, request: PurchaseRequest, invoice: PreparedInvoice): Promise<PurchaseOutcome>;
  /**
   * Tells the provider about a change at the end of the current period (null: the pending change was
   * undone), so that its next invoice charges the right plan.
   */
  schedule(ctx: Ctx, subscription: SubscriptionRow, change: ScheduledChangeRow | null, target: ScheduledTarget | null): Promise<void>;
  /** Where the person manages their card (Stripe's Billing Portal). */
  portalUrl(ctx: Ctx, spaceId: string, returnUrl: string): Promise<string>;
}

/** The plan a scheduled change moves to, with its price (null target: cancel). */
export interface ScheduledTarget {
  planId: string;
  planName: string;
  planVersionId: string;
  interval: 'month' | 'year';
  price: number;
  taxBasisPoints: number;
  spaceId: string;
}
