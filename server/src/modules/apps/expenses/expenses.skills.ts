import { EXPENSE_CATEGORIES } from '@csme/contracts/expenses';
import { CurrencyCode, IsoDate } from '@csme/contracts/invoices';
import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';
import { runSkill } from '#modules/skills/index.js';
import { formatMoney } from '../invoices/invoices.pdf.js';
import { readReceipt } from './expenses.policy.js';
import { listExpenseRows, totalsByCurrency } from './expenses.repository.js';
import { createExpenseIn, presentExpense, readReceiptFrom } from './expenses.service.js';

const Reading = z.object({
  isReceipt: z.boolean(),
  amount: z.number().int().nullable(),
  currency: z.string().nullable(),
  spentOn: z.string().nullable(),
  merchant: z.string().nullable(),
  category: z.enum(EXPENSE_CATEGORIES),
  confidence: z.enum(['high', 'medium', 'low']),
  reason: z.string(),
  /** "Uber, $23.40 (travel), 2026-03-09": what a person reads in a suggestion. */
  label: z.string(),
});

function label(r: Omit<z.input<typeof Reading>, 'label'>): string {
  if (r.amount === null || !r.currency) return r.reason;
  return `${r.merchant ?? 'Unknown merchant'}, ${formatMoney(r.amount, r.currency)} (${r.category})${r.spentOn ? `, ${r.spentOn}` : ''}`;
}

/** The receipt rules on a text the caller already has (pure: `csme skill run` works without an instance). */
const expensesParseReceipt = defineSkill({
  id: 'expenses.parse-receipt',
  description: 'Reads a receipt text into amount (minor units), currency, date, merchant and category, on local rules',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: z.strictObject({
    text: z.string().max(1_048_576),
    from: z.string().max(320).nullable().optional(),
    fromName: z.string().max(320).nullable().optional(),
    subject: z.string().max(998).nullable().optional(),
    date: z.string().max(40).nullable().optional(),
    defaultCurrency: CurrencyCode.optional(),
  }),
  output: Reading,
  async run(sctx, input) {
    const dates = (await runSkill(sctx, 'dates.extract', {
      text: input.text.slice(0, 20_000),
      now: sctx.now.toISOString(),
      timeZone: sctx.timeZone,
    })) as Array<{
      text: string;
      start: string;
    }>;
    const r = readReceipt({ ...input, dates, defaultCurrency: input.defaultCurrency ?? null });
    return { ...r, category: r.category as 'other', label: label(r as never) };
  },
});

/** Reads an uploaded file or an indexed email as a receipt (through files.read-text / email.read, so each read is logged). */
const expensesReadReceipt = defineSkill({
  id: 'expenses.read-receipt',
  description: 'Reads an uploaded file or an indexed email as a receipt: amount, currency, date, merchant, category',
  kind: 'read',
  scopes: ['files:read', 'email:read'],
  costClass: 'free',
  pure: false,
  input: z.union([z.strictObject({ fileId: z.uuid() }), z.strictObject({ messageId: z.uuid() })]),
  output: Reading.extend({ fileId: z.uuid().nullable(), messageId: z.uuid().nullable() }),
  async run(sctx, input) {
    const r = await readReceiptFrom(sctx, input, sctx.locale === 'he' ? 'ILS' : 'USD');
    const { text: _text, ...rest } = r;
    return {
      ...rest,
      category: rest.category as 'other',
      label: label(rest as never),
      fileId: 'fileId' in input ? input.fileId : null,
      messageId: 'messageId' in input ? input.messageId : null,
    };
  },
});

const expensesAdd = defineSkill({
  id: 'expenses.add',
  description: 'Adds an expense to the ledger (once per receipt)',
  kind: 'act',
  actionType: 'expenses.add',
  scopes: ['expenses:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    spentOn: IsoDate,
    merchant: z.string().trim().min(1).max(200),
    amount: z.number().int().min(0).max(1_000_000_000_000),
    currency: CurrencyCode,
    category: z.enum(EXPENSE_CATEGORIES).optional(),
    note: z.string().max(2000).optional(),
    fileId: z.uuid().nullable().optional(),
    messageId: z.uuid().nullable().optional(),
  }),
  output: z.object({ expenseId: z.uuid() }),
  preview: (i, locale) => ({
    title:
      locale === 'he'
        ? `להוסיף הוצאה: ${i.merchant}, ${formatMoney(i.amount, i.currency)}`
        : `Add an expense: ${i.merchant}, ${formatMoney(i.amount, i.currency)}`,
    summary: [i.spentOn, i.category ?? '', i.note ?? ''].filter(Boolean).join(' · '),
  }),
  async run(sctx, input) {
    if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'expenses.add needs a space');
    const expenseId = await sctx.inScope((db) =>
      createExpenseIn(
        db,
        sctx.now,
        {
          spaceId: sctx.spaceId!,
          ownerAccountId: sctx.accountId!,
          visibility: sctx.visibility,
          accountId: sctx.agentId ? null : sctx.accountId,
          agentId: sctx.agentId,
          idempotencyKey: sctx.idempotencyKey,
        },
        {
          spentOn: input.spentOn,
          merchant: input.merchant,
          amount: input.amount,
          currency: input.currency,
          category: input.category,
          note: input.note,
          source: input.fileId ? 'file' : input.messageId ? 'email' : 'manual',
          sourceFileId: input.fileId ?? null,
          sourceMessageId: input.messageId ?? null,
        },
      ),
    );
    return { expenseId };
  },
});

const expensesList = defineSkill({
  id: 'expenses.list',
  description: 'The expense ledger for a date range, newest first, with totals per currency',
  kind: 'read',
  scopes: ['expenses:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ from: IsoDate.optional(), to: IsoDate.optional(), limit: z.number().int().min(1).max(500).default(100) }),
  output: z.object({
    expenses: z.array(
      z.object({
        id: z.uuid(),
        spentOn: z.string(),
        merchant: z.string(),
        amount: z.number().int(),
        currency: z.string(),
        category: z.string(),
      }),
    ),
    totals: z.array(z.object({ currency: z.string(), amount: z.number().int(), count: z.number().int(), text: z.string() })),
  }),
  async run(sctx, input) {
    const spaceId = sctx.spaceId!;
    const [rows, totals] = await sctx.inScope(
      async (db) =>
        [
          await listExpenseRows(db, spaceId, { from: input.from, to: input.to, limit: input.limit }),
          await totalsByCurrency(db, spaceId, { from: input.from, to: input.to }),
        ] as const,
    );
    return {
      expenses: rows.slice(0, input.limit).map((r) => {
        const v = presentExpense(r);
        return { id: v.id, spentOn: v.spentOn, merchant: v.merchant, amount: v.amount, currency: v.currency, category: v.category };
      }),
      totals: totals.map((t) => ({
        currency: t.currency,
        amount: Number(t.amount),
        count: Number(t.count),
        text: formatMoney(Number(t.amount), t.currency),
      })),
    };
  },
});

export const expenseSkills = [expensesParseReceipt, expensesReadReceipt, expensesAdd, expensesList];
