import type { PayoutView, PurchaseView, ReviewView, SubmissionView } from '@csme/contracts/marketplace';
import type { PackManifest } from '@csme/sdk';
import type { PurchaseRow, ReviewRow, SubmissionRow } from './marketplace.repository.js';

export function presentSubmission(s: SubmissionRow): SubmissionView {
  return {
    id: s.id,
    packId: s.pack_id,
    version: s.version,
    status: s.status as SubmissionView['status'],
    checks: s.checks as SubmissionView['checks'],
    addedScopes: s.added_scopes,
    scopes: (s.manifest as PackManifest).scopes,
    reasons: s.reasons,
    autoApproved: s.auto_approved,
    changelog: s.changelog,
    bundleSha256: s.bundle_sha256,
    createdAt: s.created_at.toISOString(),
    reviewedAt: s.reviewed_at?.toISOString() ?? null,
  };
}

export function presentReview(r: ReviewRow, viewerAccountId: string): ReviewView {
  return {
    id: r.id,
    rating: r.rating,
    body: r.body,
    author: r.author,
    mine: r.account_id === viewerAccountId,
    reply: r.reply,
    repliedAt: r.replied_at?.toISOString() ?? null,
    hidden: r.hidden_at !== null,
    createdAt: r.created_at.toISOString(),
  };
}

export function presentPurchase(p: PurchaseRow & { title: string }): PurchaseView {
  return {
    id: p.id,
    packId: p.pack_id,
    title: p.title,
    priceModel: p.price_model as PurchaseView['priceModel'],
    currency: p.currency as PurchaseView['currency'],
    amount: p.amount,
    status: p.status as PurchaseView['status'],
    periodEnd: p.period_end?.toISOString() ?? null,
    createdAt: p.created_at.toISOString(),
  };
}

export function presentPayout(p: {
  id: string;
  period: string;
  currency: string;
  amount: number;
  entry_count: number;
  status: string;
  paid_at: Date | null;
  reference: string | null;
}): PayoutView {
  return {
    id: p.id,
    period: p.period,
    currency: p.currency as PayoutView['currency'],
    amount: p.amount,
    entryCount: p.entry_count,
    status: p.status as PayoutView['status'],
    paidAt: p.paid_at?.toISOString() ?? null,
    reference: p.reference,
  };
}
