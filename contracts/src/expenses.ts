import { z } from 'zod';
import { Id, Text, Visibility } from './common.js';
import { endpoint } from './http.js';
import { CurrencyCode, IsoDate } from './invoices.js';

const tags = ['expenses'];

/** Categories a freelancer's accountant expects; receipts are sorted into them by local rules. */
export const EXPENSE_CATEGORIES = [
  'meals',
  'travel',
  'lodging',
  'software',
  'office',
  'equipment',
  'phone and internet',
  'utilities',
  'professional services',
  'marketing',
  'education',
  'fees',
  'other',
] as const;
export const ExpenseCategory = z.enum(EXPENSE_CATEGORIES);
export const ExpenseSource = z.enum(['manual', 'file', 'email']);

export const ExpenseView = z.object({
  id: Id,
  spentOn: z.string(),
  merchant: z.string(),
  /** Minor units (cents, agorot). */
  amount: z.number().int(),
  currency: z.string(),
  category: ExpenseCategory,
  note: z.string(),
  source: ExpenseSource,
  sourceFileId: Id.nullable(),
  sourceMessageId: Id.nullable(),
  visibility: Visibility,
  createdByAgent: z.boolean(),
  createdAt: z.string(),
});
export type ExpenseView = z.infer<typeof ExpenseView>;

const Range = z.strictObject({
  from: IsoDate.optional(),
  to: IsoDate.optional(),
  category: ExpenseCategory.optional(),
});

export const listExpenses = endpoint({
  method: 'GET',
  path: '/api/v1/expenses',
  summary: 'The expense ledger, newest first, with totals per currency (not shown to children)',
  tags,
  query: Range.extend({ limit: z.coerce.number().int().min(1).max(500).default(200), cursor: z.string().max(100).optional() }),
  response: z.object({
    items: z.array(ExpenseView),
    nextCursor: z.string().nullable(),
    totals: z.array(z.object({ currency: z.string(), amount: z.number().int(), count: z.number().int() })),
  }),
});

export const CreateExpenseInput = z.strictObject({
  spentOn: IsoDate,
  merchant: Text(200).pipe(z.string().min(1, 'is required')),
  amount: z.number().int().min(0).max(1_000_000_000_000),
  currency: CurrencyCode,
  category: ExpenseCategory.optional(),
  note: Text(2000).optional(),
  visibility: Visibility.optional(),
});
export const createExpense = endpoint({
  method: 'POST',
  path: '/api/v1/expenses',
  summary: 'Add an expense by hand (the category is guessed from the merchant when not given)',
  tags,
  body: CreateExpenseInput,
  response: ExpenseView,
  status: 201,
});

export const expenseFromReceipt = endpoint({
  method: 'POST',
  path: '/api/v1/expenses/from-receipt',
  summary: 'Read a receipt (an uploaded file or an indexed email) into an expense: amount, currency, date, merchant, category',
  tags,
  body: z.union([z.strictObject({ fileId: Id }), z.strictObject({ messageId: Id })]),
  response: ExpenseView,
  status: 201,
});

const Params = z.strictObject({ expenseId: Id });
export const updateExpense = endpoint({
  method: 'PATCH',
  path: '/api/v1/expenses/:expenseId',
  summary: 'Correct an expense',
  tags,
  params: Params,
  body: CreateExpenseInput.partial().omit({ visibility: true }),
  response: ExpenseView,
});
export const deleteExpense = endpoint({
  method: 'DELETE',
  path: '/api/v1/expenses/:expenseId',
  summary: 'Delete an expense',
  tags,
  params: Params,
  response: z.object({ ok: z.literal(true) }),
});
export const exportExpensesCsv = endpoint({
  method: 'GET',
  path: '/api/v1/expenses/export.csv',
  summary: 'The ledger as CSV (UTF-8 with a byte order mark, so spreadsheets read it right), optionally for a date range',
  tags,
  query: Range,
  response: z.string().describe('text/csv'),
});
