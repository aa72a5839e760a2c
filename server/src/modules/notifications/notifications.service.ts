import type { NotificationPrefs } from '@csme/contracts/inbox';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import nodemailer from 'nodemailer';
import webpush from 'web-push';
import { z } from 'zod';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { addJob } from '#core/jobs.js';
import { defineSkill } from '#core/skill.js';
import { smtpSetting } from './notifications.config.js';
import { deliverEmailJob, sendPushJob } from './notifications.jobs.js';
import { ALWAYS_EMAIL, mergePrefs, topicOf } from './notifications.policy.js';
import { presentMailboxMessage, type RenderedEmail, renderEmail } from './notifications.presenter.js';
import {
  countUnread,
  deletePushSubscription,
  findAccountContact,
  findEmail,
  findNotification,
  findPrefs,
  insertEmail,
  insertNotification,
  listCapturedEmails,
  listNotifications,
  listPushSubscriptions,
  markRead,
  savePrefs,
  updateEmail,
  upsertPushSubscription,
} from './notifications.repository.js';

export interface QueueEmailInput {
  to: string;
  kind: string;
  email: RenderedEmail;
  accountId?: string | null;
  spaceId?: string | null;
}

/**
 * Puts a mail in the outbox and its delivery job in the same transaction (`ctx.db` may be one):
 * either both happen or neither. Links in mail are secrets, so mail is never logged.
 */
export async function queueEmail(ctx: Ctx, input: QueueEmailInput): Promise<string> {
  const id = newId();
  await insertEmail(ctx.db, {
    id,
    to_address: input.to.toLowerCase(),
    subject: input.email.subject,
    body_text: input.email.text,
    body_html: input.email.html,
    kind: input.kind,
    account_id: input.accountId ?? null,
    space_id: input.spaceId ?? null,
  });
  await addJob(ctx.db, deliverEmailJob, { emailId: id });
  return id;
}

export async function isSmtpConfigured(ctx: Ctx): Promise<boolean> {
  const smtp = await ctx.deps.settings.get(smtpSetting);
  return Boolean(smtp.host);
}

/** Sends one queued mail through SMTP, or keeps it in the development mailbox when none is configured. */
export async function deliverEmail(ctx: Ctx, emailId: string): Promise<void> {
  const row = await findEmail(ctx.db, emailId);
  if (!row || row.status === 'sent' || row.status === 'captured') return;
  const smtp = await ctx.deps.settings.get(smtpSetting);
  if (!smtp.host) {
    await updateEmail(ctx.db, emailId, { status: 'captured' });
    ctx.log.info({ emailId, kind: row.kind }, 'mail kept in the development mailbox');
    return;
  }
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tlsMode === 'tls',
    requireTLS: smtp.tlsMode === 'starttls',
    ignoreTLS: smtp.tlsMode === 'none',
    auth: smtp.username ? { user: smtp.username, pass: smtp.password ?? '' } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    await transport.sendMail({
      from: smtp.from,
      to: row.to_address,
      subject: row.subject,
      text: row.body_text,
      html: row.body_html ?? undefined,
      messageId: `<${row.id}@connectsoft.me>`,
    });
    // The body held one-time links: once delivered it is not kept.
    await updateEmail(ctx.db, emailId, { status: 'sent', sent_at: ctx.now(), body_text: '(delivered)', body_html: null, last_error: null });
    ctx.log.info({ emailId, kind: row.kind }, 'mail sent');
  } catch (e) {
    const message = e instanceof Error ? e.message.slice(0, 300) : 'unknown error';
    await updateEmail(ctx.db, emailId, { last_error: message, attempts: row.attempts + 1 });
    throw new Error(`SMTP delivery failed: ${message}`);
  } finally {
    transport.close();
  }
}

export async function listMailbox(ctx: ActorCtx, q: { limit: number; cursor?: string; to?: string }) {
  const rows = await listCapturedEmails(ctx.db, { limit: q.limit, before: q.cursor, to: q.to });
  const items = rows.slice(0, q.limit).map(presentMailboxMessage);
  return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
}

export interface NotifyInput {
  spaceId: string;
  /** The person it is for (a member of the space). */
  accountId: string;
  /** A stable kind people can set preferences for, e.g. `suggestion.created`, `quota.warning`. */
  kind: string;
  title: string;
  body?: string;
  /** A path in the web app, e.g. `/suggestions`. */
  url?: string | null;
  data?: Record<string, unknown>;
  /** Also send it by email (through the outbox). */
  email?: boolean;
}

/**
 * Tells one person something: an in-app notification, and by email when asked. Runs in the caller's
 * transaction (`ctx.db`), so a notification exists if and only if what caused it committed.
 */
export async function notify(ctx: Ctx, n: NotifyInput): Promise<string> {
  const id = newId();
  await insertNotification(ctx.db, {
    id,
    space_id: n.spaceId,
    owner_account_id: n.accountId,
    kind: n.kind,
    title: n.title.slice(0, 300),
    body: (n.body ?? '').slice(0, 4000),
    url: n.url ?? null,
    data: n.data ?? {},
  });
  const stored = await findPrefs(ctx.db, n.accountId);
  const prefs = mergePrefs(stored?.prefs);
  // The caller's `email` is the default for this kind until the person sets their own; with a daily digest,
  // mail waits for the digest. Some kinds must reach them by email whatever the settings.
  const wantsEmail =
    ALWAYS_EMAIL.has(n.kind) || (!prefs.dailyDigest.enabled && (stored ? prefs.topics[topicOf(n.kind)].email : n.email === true));
  if (prefs.topics[topicOf(n.kind)].push || n.kind === 'push.test') {
    const hasBrowser = await ctx.db
      .selectFrom('push_subscription')
      .select('id')
      .where('account_id', '=', n.accountId)
      .limit(1)
      .executeTakeFirst();
    if (hasBrowser && n.kind !== 'push.test') await addJob(ctx.db, sendPushJob, { notificationId: id });
  }
  if (wantsEmail) {
    const person = await findAccountContact(ctx.db, n.accountId);
    if (person) {
      const base = ctx.deps.config.http.publicUrl;
      await queueEmail(ctx, {
        to: person.email,
        kind: `notification.${n.kind}`,
        accountId: person.id,
        spaceId: n.spaceId,
        email: renderEmail({
          locale: person.locale === 'he' ? 'he' : 'en',
          subject: n.title,
          greeting: person.locale === 'he' ? `שלום ${person.display_name},` : `Hello ${person.display_name},`,
          paragraphs: n.body ? [n.body] : [],
          action: n.url ? { label: person.locale === 'he' ? 'פתיחה' : 'Open', url: `${base}${n.url}` } : undefined,
          footer:
            person.locale === 'he'
              ? 'connectsoft.me — אפשר לשנות את העדפות ההתראות בהגדרות.'
              : 'connectsoft.me — you can change which notifications you get in Settings.',
        }),
      });
    }
  }
  return id;
}

export const notifyPersonSkill = defineSkill({
  id: 'notify.person',
  description: 'Send the person a notification (in the app, and by email if they want)',
  kind: 'act',
  actionType: 'notify.person',
  scopes: ['notify'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    title: z.string().trim().min(1).max(300),
    body: z.string().max(4000).optional(),
    url: z
      .string()
      .max(300)
      .regex(/^\/[^/]/, 'must be a path in the web app, such as /tasks')
      .optional(),
    email: z.boolean().optional(),
  }),
  output: z.object({ notificationId: z.uuid() }),
  preview: (i, locale) => ({
    title: locale === 'he' ? `לשלוח לך התראה: ${i.title}` : `Notify you: ${i.title}`,
    summary: i.body?.slice(0, 300) ?? '',
  }),
  async run(sctx, input) {
    if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'notify.person needs a space and a person');
    const id = await sctx.ctx.deps.db.transaction().execute((tx) =>
      notify(
        { ...sctx.ctx, db: tx },
        {
          spaceId: sctx.spaceId!,
          accountId: sctx.accountId!,
          kind: 'agent.message',
          title: input.title,
          body: input.body,
          url: input.url ?? null,
          email: input.email ?? false,
          data: { agentId: sctx.agentId },
        },
      ),
    );
    return { notificationId: id };
  },
});

export async function listMyNotifications(ctx: ActorCtx, q: { limit: number; cursor?: string; unread?: string }) {
  return inSpace(ctx, async (c) => {
    const rows = await listNotifications(c.db, ctx.actor.spaceId, ctx.actor.accountId, {
      limit: q.limit,
      before: q.cursor,
      unread: q.unread === 'true',
    });
    const items = rows.slice(0, q.limit).map((r) => ({
      id: r.id,
      kind: r.kind,
      title: r.title,
      body: r.body,
      url: r.url,
      read: r.read_at !== null,
      createdAt: r.created_at.toISOString(),
    }));
    return {
      items,
      nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null,
      unreadCount: await countUnread(c.db, ctx.actor.spaceId, ctx.actor.accountId),
    };
  });
}

export async function markMyNotificationsRead(ctx: ActorCtx, ids?: string[]) {
  return inSpace(ctx, async (c) => {
    await markRead(c.db, ctx.actor.spaceId, ctx.actor.accountId, ids, ctx.now());
    return { ok: true as const, unreadCount: await countUnread(c.db, ctx.actor.spaceId, ctx.actor.accountId) };
  });
}

export async function getMyPrefs(ctx: ActorCtx): Promise<NotificationPrefs> {
  const p = mergePrefs((await findPrefs(ctx.db, ctx.actor.accountId))?.prefs);
  return { topics: p.topics, dailyDigest: p.dailyDigest };
}

export async function setMyPrefs(ctx: ActorCtx, prefs: NotificationPrefs): Promise<NotificationPrefs> {
  const current = mergePrefs((await findPrefs(ctx.db, ctx.actor.accountId))?.prefs);
  await savePrefs(
    ctx.db,
    ctx.actor.accountId,
    { ...prefs, ...(current.lastDigestAt ? { lastDigestAt: current.lastDigestAt } : {}) },
    ctx.now(),
  );
  return getMyPrefs(ctx);
}

/**
 * The daily digest: for each person who chose it, once a day after their chosen time (in their time
 * zone), one email with what is unread across their spaces. Runs every 15 minutes.
 */
export async function sendDailyDigests(ctx: Ctx): Promise<number> {
  const rows = await ctx.db
    .selectFrom('notification_preference as p')
    .innerJoin('account as a', 'a.id', 'p.account_id')
    .select(['a.id', 'a.email', 'a.display_name', 'a.locale', 'a.time_zone', 'p.prefs'])
    .where(sql<boolean>`(p.prefs->'dailyDigest'->>'enabled')::boolean`)
    .execute();
  let sent = 0;
  const now = ctx.now();
  for (const r of rows) {
    const prefs = mergePrefs(r.prefs);
    const local = DateTime.fromJSDate(now, { zone: r.time_zone });
    const [h, m] = prefs.dailyDigest.time.split(':').map(Number) as [number, number];
    const due = local.set({ hour: h, minute: m, second: 0, millisecond: 0 });
    if (local < due) continue;
    if (prefs.lastDigestAt && DateTime.fromISO(prefs.lastDigestAt, { zone: r.time_zone }) >= due) continue;
    const since = prefs.lastDigestAt ? new Date(prefs.lastDigestAt) : new Date(now.getTime() - 86_400_000);
    const items = await ctx.db
      .selectFrom('notification')
      .select(['title', 'body', 'url', 'created_at'])
      .where('owner_account_id', '=', r.id)
      .where('read_at', 'is', null)
      .where('created_at', '>', since)
      .orderBy('created_at', 'desc')
      .limit(30)
      .execute();
    await ctx.db.transaction().execute(async (tx) => {
      await savePrefs(tx, r.id, { ...prefs, lastDigestAt: now.toISOString() }, now);
      if (!items.length) return;
      const he = r.locale === 'he';
      await queueEmail(
        { ...ctx, db: tx },
        {
          to: r.email,
          kind: 'notification.daily_digest',
          accountId: r.id,
          email: renderEmail({
            locale: he ? 'he' : 'en',
            subject: he
              ? `הסיכום היומי שלך: ${items.length} עדכונים`
              : `Your daily digest: ${items.length} update${items.length === 1 ? '' : 's'}`,
            greeting: he ? `שלום ${r.display_name},` : `Hello ${r.display_name},`,
            paragraphs: items.map((i) => (i.body ? `${i.title} — ${i.body.split('\n')[0]}` : i.title)),
            action: { label: he ? 'פתיחת connectsoft.me' : 'Open connectsoft.me', url: `${ctx.deps.config.http.publicUrl}/suggestions` },
            footer: he
              ? 'בחרת לקבל סיכום יומי. אפשר לשנות זאת בהגדרות ההתראות.'
              : 'You chose a daily digest. You can change this in your notification settings.',
          }),
        },
      );
      sent++;
    });
  }
  return sent;
}

// ---------------------------------------------------------------- Web Push

/**
 * Registers a browser for Web Push. The endpoint is where the platform will send: it must be a public
 * https address (the egress guard decides when sending; here an obviously unusable one is refused early).
 */
export async function subscribePush(
  ctx: ActorCtx,
  sub: { endpoint: string; keys: { p256dh: string; auth: string } },
  userAgent: string | null,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(sub.endpoint);
  } catch {
    throw new AppError('invalid_input', 'The push endpoint is not a valid address.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new AppError('invalid_input', 'The push endpoint must be an https address.');
  if (Buffer.from(sub.keys.p256dh, 'base64url').length !== 65)
    throw new AppError('invalid_input', 'The subscription key (p256dh) is not a P-256 public key.');
  if (Buffer.from(sub.keys.auth, 'base64url').length !== 16)
    throw new AppError('invalid_input', 'The subscription secret (auth) must be 16 bytes.');
  await upsertPushSubscription(ctx.db, {
    id: newId(),
    account_id: ctx.actor.accountId,
    endpoint: sub.endpoint,
    p256dh: sub.keys.p256dh,
    auth: sub.keys.auth,
    user_agent: userAgent?.slice(0, 300) ?? null,
  });
}

export async function unsubscribePush(ctx: ActorCtx, endpoint: string): Promise<void> {
  await deletePushSubscription(ctx.db, ctx.actor.accountId, endpoint);
}

/**
 * Sends one notification to every browser of its person. Payloads are encrypted for each subscription
 * (RFC 8291) and signed with the instance's VAPID key by web-push; the request itself goes through the
 * egress guard, like every outbound path. Gone subscriptions (404/410) are removed.
 */
export async function sendPush(ctx: Ctx, notificationId: string): Promise<number> {
  const n = await findNotification(ctx.db, notificationId);
  if (!n) return 0;
  const subs = await listPushSubscriptions(ctx.db, n.owner_account_id);
  const payload = JSON.stringify({ title: n.title, body: n.body.slice(0, 500), url: n.url ?? '/', tag: n.kind });
  let sent = 0;
  for (const s of subs) {
    const details = webpush.generateRequestDetails({ endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }, payload, {
      vapidDetails: {
        subject: ctx.deps.config.http.publicUrl.startsWith('https')
          ? ctx.deps.config.http.publicUrl
          : 'mailto:operator@connectsoft.me.invalid',
        publicKey: ctx.deps.keys.vapid.publicKey,
        privateKey: ctx.deps.keys.vapid.privateKey,
      },
      TTL: 24 * 3600,
      contentEncoding: 'aes128gcm',
    });
    try {
      const res = await ctx.deps.egress.request(details.endpoint, {
        method: details.method,
        headers: details.headers as Record<string, string>,
        body: details.body ?? undefined,
        timeoutMs: 10_000,
        maxBytes: 64 * 1024,
        maxRedirects: 0,
      });
      if (res.status === 404 || res.status === 410) {
        await ctx.db.deleteFrom('push_subscription').where('id', '=', s.id).execute();
      } else if (res.status >= 200 && res.status < 300) {
        sent++;
        await ctx.db.updateTable('push_subscription').set({ last_success_at: ctx.now(), failures: 0 }).where('id', '=', s.id).execute();
      } else {
        await ctx.db
          .updateTable('push_subscription')
          .set({ failures: s.failures + 1 })
          .where('id', '=', s.id)
          .execute();
      }
    } catch (e) {
      ctx.log.warn({ notificationId, err: { message: (e as Error).message } }, 'push not delivered');
      await ctx.db
        .updateTable('push_subscription')
        .set({ failures: s.failures + 1 })
        .where('id', '=', s.id)
        .execute();
    }
  }
  return sent;
}

export async function testPush(ctx: ActorCtx): Promise<number> {
  const id = await notify(ctx, {
    spaceId: ctx.actor.spaceId,
    accountId: ctx.actor.accountId,
    kind: 'push.test',
    title: ctx.actor.locale === 'he' ? 'ההתראות פועלות' : 'Notifications work',
    body: '',
    url: '/notifications',
  });
  return sendPush(ctx, id);
}
