import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

export const connectorsSetting = defineSetting({
  key: 'connectors',
  description:
    'How often connectors are polled (seconds, per kind), how many messages an email sync indexes per page, the largest part of a message that is downloaded for indexing, and how long feed and calendar servers may take to answer.',
  schema: z.object({
    pollSeconds: z.object({
      email: z.number().int().min(30).max(86_400),
      ics: z.number().int().min(60).max(86_400),
      caldav: z.number().int().min(60).max(86_400),
      feed: z.number().int().min(300).max(86_400),
    }),
    emailPageSize: z.number().int().min(1).max(1000),
    maxMessageBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(50 * 1024 * 1024),
    /** How long a feed or calendar server may take to answer. */
    fetchTimeoutSeconds: z.number().int().min(1).max(300),
    /** IMAP IDLE: how many accounts one worker process watches at most, and how often it looks for new ones. */
    idleConnections: z.number().int().min(0).max(10_000),
    idleRefreshSeconds: z.number().int().min(1).max(3600),
  }),
  defaults: {
    pollSeconds: { email: 120, ics: 900, caldav: 600, feed: 1800 },
    emailPageSize: 200,
    maxMessageBytes: 2 * 1024 * 1024,
    fetchTimeoutSeconds: 30,
    idleConnections: 200,
    idleRefreshSeconds: 30,
  },
});
