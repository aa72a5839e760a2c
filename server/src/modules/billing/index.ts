// Billing: what a space buys and owes: checkout, plan changes with proration, cancellations, the
// Creator and extra-runs add-ons, invoices and receipts (PDF, kept by law), renewals, past-due grace,
// plan-version migrations, and the payment providers (offline, Stripe). It does not decide what a plan
// allows (plans does) nor pause what is over a limit (each module does, through applyPlanLimits).
// The `providers/` folder holds the one PaymentProvider interface and its two implementations.
import type { ModuleDef } from '#core/module.js';
import { billingSettings } from './billing.config.js';
import { processEventJob, sweepBillingJob } from './billing.jobs.js';
import { billingRoutes } from './billing.routes.js';

// For `csme admin invoice pay|list`.
// For the marketplace: pack purchases and their refunds go through the same providers and invoices.
export { checkoutSale, listInvoicesAsOperator, payInvoice, refundSale } from './billing.service.js';

export const billingModule: ModuleDef = {
  name: 'billing',
  routes: billingRoutes,
  jobs: [processEventJob, sweepBillingJob],
  cron: [{ job: sweepBillingJob, pattern: '*/5 * * * *', backfillMinutes: 60 }],
  settings: billingSettings,
};
