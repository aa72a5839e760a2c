import { z } from 'zod';
import { Id } from './common.js';
import { endpoint } from './http.js';

const tags = ['notifications'];

export const NotificationView = z.object({
  id: Id,
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  url: z.string().nullable(),
  read: z.boolean(),
  createdAt: z.string(),
});
export type NotificationView = z.infer<typeof NotificationView>;

export const listNotifications = endpoint({
  method: 'GET',
  path: '/api/v1/notifications',
  summary: 'Your notifications in the active space, newest first',
  tags,
  query: z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(30),
    cursor: z.string().max(100).optional(),
    unread: z.enum(['true', 'false']).optional(),
  }),
  response: z.object({ items: z.array(NotificationView), nextCursor: z.string().nullable(), unreadCount: z.number().int() }),
});

export const markNotificationsRead = endpoint({
  method: 'POST',
  path: '/api/v1/notifications/read',
  summary: 'Mark notifications read (all of them when no ids are given)',
  tags,
  body: z.strictObject({ ids: z.array(Id).max(200).optional() }),
  response: z.object({ ok: z.literal(true), unreadCount: z.number().int() }),
});

export const NOTIFICATION_TOPICS = ['suggestions', 'actions', 'agents', 'plan', 'family'] as const;
export const Topic = z.enum(NOTIFICATION_TOPICS);
export const ChannelPrefs = z.object({ email: z.boolean(), push: z.boolean() });
export const NotificationPrefs = z.object({
  topics: z.record(Topic, ChannelPrefs),
  /** One email a day with what is waiting, instead of separate emails. */
  dailyDigest: z.object({ enabled: z.boolean(), time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/) }),
});
export type NotificationPrefs = z.infer<typeof NotificationPrefs>;

export const getNotificationPrefs = endpoint({
  method: 'GET',
  path: '/api/v1/notifications/preferences',
  summary: 'How you want to be told',
  tags,
  response: NotificationPrefs,
});
export const updateNotificationPrefs = endpoint({
  method: 'PUT',
  path: '/api/v1/notifications/preferences',
  summary: 'Change how you want to be told',
  tags,
  body: NotificationPrefs.strict(),
  response: NotificationPrefs,
});

export const PushSubscriptionInput = z.strictObject({
  endpoint: z.url({ protocol: /^https?$/ }).max(2000),
  keys: z.strictObject({ p256dh: z.string().min(20).max(200), auth: z.string().min(8).max(100) }),
});
export const getPushKey = endpoint({
  method: 'GET',
  path: '/api/v1/notifications/push/key',
  summary: 'The VAPID public key to subscribe with',
  tags,
  response: z.object({ publicKey: z.string() }),
});
export const subscribePush = endpoint({
  method: 'POST',
  path: '/api/v1/notifications/push/subscriptions',
  summary: 'Register this browser for Web Push',
  tags,
  body: PushSubscriptionInput,
  response: z.object({ ok: z.literal(true) }),
  status: 201,
});
export const unsubscribePush = endpoint({
  method: 'POST',
  path: '/api/v1/notifications/push/unsubscribe',
  summary: 'Stop Web Push for this browser',
  tags,
  body: z.strictObject({ endpoint: z.string().max(2000) }),
  response: z.object({ ok: z.literal(true) }),
});
export const testPush = endpoint({
  method: 'POST',
  path: '/api/v1/notifications/push/test',
  summary: 'Send a test push to your browsers',
  tags,
  response: z.object({ sent: z.number().int() }),
});
