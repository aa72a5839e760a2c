import type { ExpenseView } from '@csme/contracts/expenses';
import { stringify } from 'csv-stringify/sync';
import type { Actor, ActorCtx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { createSkillContext, type SkillContext } from '#core/skill.js';
import { logActivity } from '#modules/activity/index.js';
import { runSkill } from '#modules/skills/index.js';
import { currencyDigits } from '../invoices/invoices.policy.js';
import { categorize, type ReceiptReading, readReceipt } from './expenses.policy.js';
import {
  deleteExpenseRow,
  type ExpenseRange,
  type ExpenseRow,
  findExpense,
  insertExpense,
  listExpenseRows,
  totalsByCurrency,
  updateExpenseRow,
} from './expenses.repository.js';

export function presentExpense(r: ExpenseRow): ExpenseView {
  return {
    id: r.id,
    spentOn: r.spent_day,
    merchant: r.merchant,
    amount: Number(r.amount),
    currency: r.currency,
    category: r.category as ExpenseView['category'],
    note: r.note,
    source: r.source as ExpenseView['source'],
    sourceFileId: r.source_file_id,
    sourceMessageId: r.source_message_id,
    visibility: r.visibility as 'shared' | 'private',
    createdByAgent: r.created_by_agent_id !== null,
    createdAt: r.created_at.toISOString(),
  };
}

/** Family roles: expenses are the adults' business; a child sees none and cannot add one. */
const isChild = (actor: Actor) => actor.role === 'child';
function assertAdult(actor: Actor) {
  if (isChild(actor)) throw new AppError('forbidden', 'Expenses are for the adults of the family.', { reason: 'child' });
}

export interface NewExpense {
  spentOn: string;
  merchant: string;
  amount: number;
  currency: string;
  category?: string;
  note?: string;
  source?: 'manual' | 'file' | 'email';
  sourceFileId?: string | null;
  sourceMessageId?: string | null;
}

/** Adds an expense in a tenant transaction, once per idempotency key and once per receipt. */
export async function createExpenseIn(
  db: Db,
  now: Date,
  o: {
    spaceId: string;
    ownerAccountId: string;
    visibility: 'shared' | 'private';
    accountId: string | null;
    agentId?: string | null;
    suggestionId?: string | null;
    idempotencyKey?: string | null;
  },
  e: NewExpense,
): Promise<string> {
  const id = await insertExpense(db, {
    id: newId(),
    space_id: o.spaceId,
    owner_account_id: o.ownerAccountId,
    visibility: o.visibility,
    spent_on: e.spentOn,
    merchant: e.merchant,
    amount: e.amount,
    currency: e.currency,
    category: e.category ?? categorize(e.merchant, e.note),
    note: e.note ?? '',
    source: e.source ?? 'manual',
    source_file_id: e.sourceFileId ?? null,
    source_message_id: e.sourceMessageId ?? null,
    created_by_account_id: o.accountId,
    created_by_agent_id: o.agentId ?? null,
    source_suggestion_id: o.suggestionId ?? null,
    idempotency_key: o.idempotencyKey ?? null,
    created_at: now,
    updated_at: now,
  });
  await logActivity(
    db,
    {
      spaceId: o.spaceId,
      ownerAccountId: o.visibility === 'private' ? o.ownerAccountId : null,
      actorKind: o.agentId ? 'agent' : 'person',
      actorAccountId: o.agentId ? null : o.accountId,
      agentId: o.agentId ?? null,
      kind: 'expense.added',
      objectType: 'expense',
      objectId: id,
      summary: `Added an expense: ${e.merchant}`,
    },
    now,
  );
  return id;
}

export async function listExpenses(ctx: ActorCtx, q: ExpenseRange & { limit: number; cursor?: string }) {
  if (isChild(ctx.actor)) return { items: [], nextCursor: null, totals: [] };
  return inSpace(ctx, async (c) => {
    const rows = await listExpenseRows(c.db, ctx.actor.spaceId, { ...q, before: q.cursor });
    const items = rows.slice(0, q.limit).map(presentExpense);
    const last = items.at(-1);
    const totals = (await totalsByCurrency(c.db, ctx.actor.spaceId, q)).map((t) => ({
      currency: t.currency,
      amount: Number(t.amount),
      count: Number(t.count),
    }));
    return { items, nextCursor: rows.length > q.limit && last ? `${last.spentOn}_${last.id}` : null, totals };
  });
}

async function mustFind(db: Db, actor: Actor, id: string) {
  const row = isChild(actor) ? undefined : await findExpense(db, actor.spaceId, id);
  if (!row) throw new AppError('not_found', 'That expense was not found.');
  return row;
}

export async function createExpense(ctx: ActorCtx, input: NewExpense & { visibility?: 'shared' | 'private' }): Promise<ExpenseView> {
  assertAdult(ctx.actor);
  const visibility = ctx.actor.spaceKind === 'family' ? (input.visibility ?? 'shared') : 'private';
  return inSpace(ctx, async (c) => {
    const id = await createExpenseIn(
      c.db,
      ctx.now(),
      { spaceId: ctx.actor.spaceId, ownerAccountId: ctx.actor.accountId, visibility, accountId: ctx.actor.accountId },
      input,
    );
    return presentExpense((await findExpense(c.db, ctx.actor.spaceId, id))!);
  });
}

export async function updateExpense(ctx: ActorCtx, id: string, patch: Partial<NewExpense>): Promise<ExpenseView> {
  // A child gets 404 from mustFind: these objects do not exist for them.
  return inSpace(ctx, async (c) => {
    await mustFind(c.db, ctx.actor, id);
    await updateExpenseRow(c.db, ctx.actor.spaceId, id, {
      ...(patch.spentOn !== undefined ? { spent_on: patch.spentOn } : {}),
      ...(patch.merchant !== undefined ? { merchant: patch.merchant } : {}),
      ...(patch.amount !== undefined ? { amount: patch.amount } : {}),
      ...(patch.currency !== undefined ? { currency: patch.currency } : {}),
      ...(patch.category !== undefined ? { category: patch.category } : {}),
      ...(patch.note !== undefined ? { note: patch.note } : {}),
      updated_at: ctx.now(),
    });
    return presentExpense((await findExpense(c.db, ctx.actor.spaceId, id))!);
  });
}

export async function deleteExpense(ctx: ActorCtx, id: string): Promise<void> {
  // A child gets 404 from mustFind: these objects do not exist for them.
  await inSpace(ctx, async (c) => {
    await mustFind(c.db, ctx.actor, id);
    await deleteExpenseRow(c.db, ctx.actor.spaceId, id);
  });
}

/**
 * Reads a receipt through the connectors' own skills (`files.read-text`, `email.read`: each read is
 * logged), then the local rules; the dates in the text come from `dates.extract`.
 */
export async function readReceiptFrom(
  sctx: SkillContext,
  src: { fileId: string } | { messageId: string },
  defaultCurrency: string | null,
): Promise<ReceiptReading & { text: string }> {
  let o: Parameters<typeof readReceipt>[0];
  if ('fileId' in src) {
    const f = (await runSkill(sctx, 'files.read-text', { fileId: src.fileId, maxChars: 50_000 })) as { text: string; name: string };
    o = { text: f.text, subject: f.name, date: null };
  } else {
    const m = (await runSkill(sctx, 'email.read', { messageId: src.messageId, maxChars: 50_000 })) as {
      text: string;
      subject: string;
      from: string | null;
      fromName: string | null;
      date: string | null;
    };
    o = { text: m.text, subject: m.subject, from: m.from, fromName: m.fromName, date: m.date };
  }
  const dates = (await runSkill(sctx, 'dates.extract', {
    text: o.text.slice(0, 20_000),
    now: sctx.now.toISOString(),
    timeZone: sctx.timeZone,
  })) as Array<{
    text: string;
    start: string;
  }>;
  return { ...readReceipt({ ...o, dates, defaultCurrency }), text: o.text };
}

export async function expenseFromReceipt(ctx: ActorCtx, src: { fileId: string } | { messageId: string }): Promise<ExpenseView> {
  assertAdult(ctx.actor);
  const sctx = await createSkillContext(ctx, { spaceId: ctx.actor.spaceId, accountId: ctx.actor.accountId });
  const r = await readReceiptFrom(sctx, src, ctx.actor.locale === 'he' ? 'ILS' : 'USD');
  if (r.amount === null || !r.currency)
    throw new AppError('invalid_input', `This does not read as a receipt: ${r.reason} Add the expense by hand instead.`, {
      reason: r.reason,
    });
  return createExpense(ctx, {
    spentOn: r.spentOn ?? ctx.now().toISOString().slice(0, 10),
    merchant: r.merchant ?? 'Unknown merchant',
    amount: r.amount,
    currency: r.currency,
    category: r.category,
    source: 'fileId' in src ? 'file' : 'email',
    sourceFileId: 'fileId' in src ? src.fileId : null,
    sourceMessageId: 'messageId' in src ? src.messageId : null,
  });
}

/** Minor units as a plain decimal for spreadsheets: 2340 USD -> "23.40" (exact, from the integer). */
function decimalAmount(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  if (!digits) return String(minor);
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  return `${minor < 0 ? '-' : ''}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** A cell a spreadsheet would run as a formula (=, +, -, @) is written as text. */
const safeCell = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);

/** The ledger as CSV: UTF-8 with a byte order mark (spreadsheets then read accents and Hebrew right), RFC 4180 quoting. */
export async function exportCsv(ctx: ActorCtx, q: ExpenseRange): Promise<{ csv: string; filename: string }> {
  assertAdult(ctx.actor);
  const rows = await inSpace(ctx, (c) => listExpenseRows(c.db, ctx.actor.spaceId, { ...q, limit: 100_000 }));
  const body = stringify(
    rows
      .slice()
      .reverse()
      .map((r) => [
        r.spent_day,
        safeCell(r.merchant),
        r.category,
        decimalAmount(Number(r.amount), r.currency),
        r.currency,
        safeCell(r.note),
        r.source,
      ]),
    {
      header: true,
      columns: ['date', 'merchant', 'category', 'amount', 'currency', 'note', 'source'],
      record_delimiter: 'windows',
      quoted_match: /^\s|\s$/,
    },
  );
  const span = [q.from, q.to].filter(Boolean).join('_to_') || 'all';
  return { csv: `\uFEFF${body}`, filename: `expenses-${span}.csv` };
}
