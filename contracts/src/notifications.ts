import { z } from 'zod';
import { Id, PageQuery, pageOf } from './common.js';
import { endpoint } from './http.js';

const tags = ['notifications'];

export const MailboxMessage = z.object({
  id: Id,
  to: z.string(),
  subject: z.string(),
  kind: z.string(),
  status: z.enum(['queued', 'sent', 'captured', 'failed']),
  createdAt: z.string(),
  text: z.string(),
  html: z.string().nullable(),
});
export type MailboxMessage = z.infer<typeof MailboxMessage>;

/** The development mailbox: mail the instance would have sent, kept for operators when no SMTP is configured. */
export const listMailbox = endpoint({
  method: 'GET',
  path: '/api/v1/admin/mailbox',
  summary: 'Mail captured while no SMTP server is configured (operators only)',
  tags,
  query: PageQuery.extend({ to: z.string().max(254).optional() }),
  response: pageOf(MailboxMessage),
});
