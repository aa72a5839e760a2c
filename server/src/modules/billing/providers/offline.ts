import type { Ctx } from '#core/ctx.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { sellerSetting } from '../billing.config.js';
import { invoiceNumber } from '../billing.policy.js';
import { type InvoiceRow, insertInvoice, nextCounterValue } from '../billing.repository.js';
import type { PaymentProvider, PreparedInvoice } from './provider.js';

/**
 * Numbers and stores an invoice (gapless per instance and year), in the caller's transaction.
 * Every invoice is kept by law for the seller's retention years.
 */
export async function issueInvoice(
  ctx: Ctx,
  inv: PreparedInvoice,
  opts: { status: 'open' | 'paid'; provider: string; providerRef?: string | null; paidAt?: Date | null; dueAt?: Date | null },
): Promise<InvoiceRow> {
  const seller = await ctx.deps.settings.get(sellerSetting);
  const now = ctx.now();
  const year = now.getUTCFullYear();
  const n = await nextCounterValue(ctx.db, `invoice:${seller.invoicePrefix}:${year}`);
  const retainUntil = new Date(now);
  retainUntil.setUTCFullYear(year + seller.retainYears);
  return insertInvoice(ctx.db, {
    id: newId(),
    space_id: inv.spaceId,
    number: invoiceNumber(seller.invoicePrefix, year, n),
    status: opts.status,
    kind: inv.kind,
    currency: inv.charge.currency,
    subtotal: inv.charge.subtotal,
    tax_basis_points: inv.charge.taxBasisPoints,
    tax: inv.charge.tax,
    total: inv.charge.total,
    lines: JSON.stringify(inv.charge.lines),
    country: inv.charge.country,
    buyer_name: inv.buyer.name,
    buyer_email: inv.buyer.email,
    period_start: inv.period?.start ?? null,
    period_end: inv.period?.end ?? null,
    action: inv.action ? JSON.stringify(inv.action) : null,
    provider: opts.provider,
    provider_ref: opts.providerRef ?? null,
    issued_at: now,
    due_at: opts.dueAt ?? (opts.status === 'open' ? now : null),
    paid_at: opts.paidAt ?? null,
    kept_by_law: true,
    retain_until: retainUntil,
    created_at: now,
  });
}

/** For self-hosters and tests: checkout opens an invoice; an operator marks it paid (web or `csme admin invoice pay`). */
export const offlineProvider: PaymentProvider = {
  name: 'offline',
  async purchase(ctx, _request, invoice) {
    return { kind: 'invoice', invoice: await issueInvoice(ctx, invoice, { status: 'open', provider: 'offline' }) };
  },
  async schedule() {
    // Nothing to tell: offline renewals read the pending change when the period ends.
  },
  async portalUrl() {
    throw new AppError('conflict', 'This instance takes payments offline: there is no card to change. Ask its operator about payment.');
  },
};
