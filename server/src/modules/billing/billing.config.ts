import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as IL');

export const providerSetting = defineSetting({
  key: 'billing.provider',
  description:
    'Payment provider: "offline" (checkout opens an invoice; an operator marks it paid) or "stripe". Stripe keys are stored encrypted; the webhook secret may list several secrets (comma-separated) while one is rotated. Leave the Stripe API URL as it is unless you use a Stripe-compatible proxy.',
  schema: z.object({
    provider: z.enum(['offline', 'stripe']),
    stripeSecretKey: z.string().min(1).nullable(),
    stripeWebhookSecret: z.string().min(1).nullable(),
    stripeApiUrl: z.url({ protocol: /^https?$/ }),
  }),
  defaults: { provider: 'offline', stripeSecretKey: null, stripeWebhookSecret: null, stripeApiUrl: 'https://api.stripe.com' },
  secretFields: ['stripeSecretKey', 'stripeWebhookSecret'],
});

export const trialSetting = defineSetting({
  key: 'billing.trials',
  description: 'Free trials of paid plans: off by default; when on, a space gets one trial of this many days.',
  schema: z.object({ enabled: z.boolean(), days: z.number().int().min(1).max(90) }),
  defaults: { enabled: false, days: 14 },
});

export const taxSetting = defineSetting({
  key: 'billing.taxes',
  description: 'Tax rate per billing country in basis points (1800 = 18%); countries not listed pay 0%. Shown on invoices.',
  schema: z.object({ rates: z.record(CountryCode, z.number().int().min(0).max(10_000)) }),
  defaults: { rates: {} as Record<string, number> },
});

export const pastDueSetting = defineSetting({
  key: 'billing.pastDue',
  description: 'Days a past-due subscription keeps its limits; after them the space has Free limits (nothing is deleted) until it pays.',
  schema: z.object({ graceDays: z.number().int().min(0).max(60) }),
  defaults: { graceDays: 7 },
});

export const extraRunsSetting = defineSetting({
  key: 'billing.extraRuns',
  description: 'The extra-runs add-on: runs per pack and its price per currency in minor units; valid until the end of the quota month.',
  schema: z.object({
    runs: z.number().int().min(1).max(1_000_000),
    prices: z.object({ USD: z.number().int().min(0), ILS: z.number().int().min(0) }),
  }),
  defaults: { runs: 1000, prices: { USD: 500, ILS: 1900 } },
});

export const sellerSetting = defineSetting({
  key: 'billing.seller',
  description:
    'Who issues the invoices (name, address, tax id), the invoice number prefix, and for how many years invoices are kept by law.',
  schema: z.object({
    name: z.string().min(1).max(120),
    address: z.string().max(300),
    taxId: z.string().max(60),
    invoicePrefix: z.string().regex(/^[A-Z0-9]{1,10}$/, 'must be 1-10 capital letters or digits'),
    retainYears: z.number().int().min(1).max(30),
  }),
  defaults: { name: 'connectsoft.me', address: '', taxId: '', invoicePrefix: 'CSME', retainYears: 7 },
});

export const billingSettings = [providerSetting, trialSetting, taxSetting, pastDueSetting, extraRunsSetting, sellerSetting];
