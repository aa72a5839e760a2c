import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

/** Outgoing mail. With no host, mail is kept in the development mailbox that operators read in the web app. */
export const smtpSetting = defineSetting({
  key: 'smtp',
  description: 'SMTP server for outgoing mail; empty host keeps mail in the development mailbox',
  schema: z.object({
    host: z.string().max(253).nullable(),
    port: z.number().int().min(1).max(65535),
    tlsMode: z.enum(['tls', 'starttls', 'none']),
    username: z.string().max(254).nullable(),
    password: z.string().max(500).nullable(),
    from: z.string().max(254),
  }),
  defaults: {
    host: null,
    port: 587,
    tlsMode: 'starttls',
    username: null,
    password: null,
    from: 'connectsoft.me <no-reply@connectsoft.me.invalid>',
  },
  secretFields: ['password'],
});
