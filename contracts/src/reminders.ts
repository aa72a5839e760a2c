import { z } from 'zod';
import { Id, IsoDateTime, Ok, Text, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['reminders'];

export const ReminderView = z.object({
  id: Id,
  title: z.string(),
  notes: z.string(),
  /** The next time it is due (ISO 8601). */
  dueAt: z.string(),
  rrule: z.string().nullable(),
  /** The repeat in words ("Every Tuesday at 19:00"), or null for a one-off. */
  repeats: z.string().nullable(),
  timeZone: z.string(),
  status: z.enum(['active', 'done']),
  assignee: z.object({ accountId: Id, name: z.string() }),
  visibility: Visibility,
  createdBy: z.string().nullable(),
  updatedBy: z.string().nullable(),
  createdByAgent: z.boolean(),
  lastFiredAt: z.string().nullable(),
  demo: z.boolean(),
});
export type ReminderView = z.infer<typeof ReminderView>;

export const listReminders = endpoint({
  method: 'GET',
  path: '/api/v1/reminders',
  summary: 'Reminders of the active space (shared ones and your own), soonest first',
  tags,
  query: z.strictObject({
    status: z.enum(['active', 'done']).default('active'),
    limit: z.coerce.number().int().min(1).max(200).default(100),
  }),
  response: z.object({ items: z.array(ReminderView), members: z.array(z.object({ accountId: Id, name: z.string() })) }),
});

export const createReminder = endpoint({
  method: 'POST',
  path: '/api/v1/reminders',
  summary: 'Add a reminder, in plain words ("remind Dana to take the bins out every Tuesday at 7pm") or field by field',
  tags,
  body: z.union([
    z.strictObject({ text: Text(500).pipe(z.string().min(1, 'is required')), visibility: Visibility.optional() }),
    z.strictObject({
      title: Text(300).pipe(z.string().min(1, 'is required')),
      notes: Text(5000).optional(),
      dueAt: IsoDateTime,
      rrule: Text(300).optional(),
      assigneeAccountId: Id.optional(),
      visibility: Visibility.optional(),
    }),
  ]),
  response: ReminderView,
  status: 201,
});

const Params = z.strictObject({ reminderId: Id });
export const updateReminder = endpoint({
  method: 'PATCH',
  path: '/api/v1/reminders/:reminderId',
  summary: 'Change a reminder, snooze it, or mark it done (a repeating one moves to its next time)',
  tags,
  params: Params,
  body: z.strictObject({
    title: Text(300).pipe(z.string().min(1)).optional(),
    notes: Text(5000).optional(),
    dueAt: IsoDateTime.optional(),
    rrule: Text(300).nullable().optional(),
    snoozeMinutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 30)
      .optional(),
    done: z.literal(true).optional(),
  }),
  response: ReminderView,
});
export const deleteReminder = endpoint({
  method: 'DELETE',
  path: '/api/v1/reminders/:reminderId',
  summary: 'Delete a reminder',
  tags,
  params: Params,
  response: Ok,
});
