// Email skills offered to packs: search and read the index (each read logged), and act on the real
// mailbox (flag, mark read, move, save a reply draft, send). Actions are idempotent by the action
// executor's key; sending over SMTP cannot be deduplicated by the far side, so the key becomes the
// Message-ID and `reconcile` looks for it in the Sent folder.
import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { sql } from 'kysely';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill, type SkillContext } from '#core/skill.js';
import type { ConnectorRow } from '../connectors.repository.js';
import { connectorForSkill, logRead, readCredentials } from '../connectors.service.js';
import { demoMessageId, demoMove, demoSetFlags } from './demo.js';
import { connectionFailure, type EmailConfig, openImap, smtpTransport } from './imap.js';

const Addr = z.object({ name: z.string(), address: z.string() });
const MessageSummary = z.object({
  id: z.uuid(),
  connectorId: z.uuid(),
  threadId: z.string(),
  subject: z.string(),
  from: z.string().nullable(),
  fromName: z.string().nullable(),
  date: z.string().nullable(),
  snippet: z.string(),
  flags: z.array(z.string()),
  unread: z.boolean(),
  hasAttachments: z.boolean(),
});

type IndexRow = {
  id: string;
  connector_id: string;
  folder: string;
  uid: string;
  uid_validity: string;
  message_id: string | null;
  thread_id: string;
  subject: string;
  from_address: string | null;
  from_name: string | null;
  sent_at: Date | null;
  snippet: string;
  flags: string[];
  attachments: unknown;
  body_text: string;
  to_addresses: unknown;
  cc_addresses: unknown;
  parse_error: string | null;
};

function summary(r: IndexRow): z.input<typeof MessageSummary> {
  return {
    id: r.id,
    connectorId: r.connector_id,
    threadId: r.thread_id,
    subject: r.subject,
    from: r.from_address,
    fromName: r.from_name,
    date: r.sent_at?.toISOString() ?? null,
    snippet: r.snippet,
    flags: r.flags,
    unread: !r.flags.includes('\\Seen'),
    hasAttachments: Array.isArray(r.attachments) && r.attachments.length > 0,
  };
}

async function messageRow(sctx: SkillContext, id: string): Promise<IndexRow> {
  const r = await sctx.inScope((db) =>
    db.selectFrom('mail_message').selectAll().where('space_id', '=', sctx.spaceId!).where('id', '=', id).executeTakeFirst(),
  );
  if (!r) throw new AppError('not_found', 'That message is not in the index (it may have been deleted or moved away).');
  return r as unknown as IndexRow;
}

/** The message when it belongs to the demo's sample mailbox (whose actions stay in the index), else null. */
async function demoRow(sctx: SkillContext, id: string): Promise<IndexRow | null> {
  const row = await messageRow(sctx, id);
  const conn = await connectorForSkill(sctx, ['email'], row.connector_id);
  return conn.demo ? row : null;
}

const emailSearch = defineSkill({
  id: 'email.search',
  description: 'Searches the indexed mail (subject, sender, text) of an email account, newest first',
  kind: 'read',
  scopes: ['email:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    connectorId: z.uuid().optional(),
    query: z.string().max(200).optional(),
    from: z.string().max(320).optional(),
    unreadOnly: z.boolean().default(false),
    since: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(100).default(20),
  }),
  output: z.object({ messages: z.array(MessageSummary) }),
  async run(sctx, input) {
    const conn = await connectorForSkill(sctx, ['email'], input.connectorId);
    const rows = await sctx.inScope((db) => {
      let q = db.selectFrom('mail_message').selectAll().where('space_id', '=', sctx.spaceId!).where('connector_id', '=', conn.id);
      if (input.query?.trim()) q = q.where(sql<boolean>`search @@ plainto_tsquery('simple', ${input.query.trim()})`);
      if (input.from) q = q.where('from_address', 'ilike', `%${input.from.replace(/[%_\\]/g, '\\$&')}%`);
      if (input.unreadOnly) q = q.where((eb) => eb.not(eb(eb.val('\\Seen'), '=', eb.fn.any('flags'))));
      if (input.since) q = q.where('sent_at', '>=', new Date(input.since));
      return q
        .orderBy('sent_at', (o) => o.desc().nullsLast())
        .orderBy('id', 'desc')
        .limit(input.limit)
        .execute();
    });
    await logRead(
      sctx,
      conn,
      'email.search',
      `Searched "${conn.name}"${input.query ? ` for "${input.query.slice(0, 60)}"` : ''}: ${rows.length} messages`,
      {
        count: rows.length,
      },
    );
    return { messages: rows.map((r) => summary(r as unknown as IndexRow)) };
  },
});

const emailRead = defineSkill({
  id: 'email.read',
  description: 'Reads one indexed message: headers, text, attachments and the other messages of its thread',
  kind: 'read',
  scopes: ['email:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ messageId: z.uuid(), maxChars: z.number().int().min(100).max(200_000).default(20_000) }),
  output: MessageSummary.extend({
    to: z.array(Addr),
    cc: z.array(Addr),
    text: z.string(),
    truncated: z.boolean(),
    attachments: z.array(z.object({ name: z.string(), type: z.string(), size: z.number() })),
    problem: z.string().nullable(),
    thread: z.array(MessageSummary),
  }),
  async run(sctx, input) {
    const r = await messageRow(sctx, input.messageId);
    const conn = await connectorForSkill(sctx, ['email'], r.connector_id);
    const thread = await sctx.inScope((db) =>
      db
        .selectFrom('mail_message')
        .selectAll()
        .where('space_id', '=', sctx.spaceId!)
        .where('thread_id', '=', r.thread_id)
        .orderBy('sent_at')
        .limit(50)
        .execute(),
    );
    await logRead(sctx, conn, 'email.read', `Read the message "${r.subject.slice(0, 80)}" from ${r.from_address ?? 'unknown sender'}`, {
      messageId: r.id,
    });
    return {
      ...summary(r),
      to: r.to_addresses as Array<{ name: string; address: string }>,
      cc: r.cc_addresses as Array<{ name: string; address: string }>,
      text: r.body_text.slice(0, input.maxChars),
      truncated: r.body_text.length > input.maxChars,
      attachments: r.attachments as Array<{ name: string; type: string; size: number }>,
      problem: r.parse_error,
      thread: thread.map((t) => summary(t as unknown as IndexRow)),
    };
  },
});

/** Opens the mailbox of a message's connector and selects its folder; `uid` is null when the message is no longer there. */
async function withMessage<T>(
  sctx: SkillContext,
  messageId: string,
  fn: (o: { client: ImapFlow; row: IndexRow; conn: ConnectorRow; uid: number | null }) => Promise<T>,
): Promise<T> {
  const row = await messageRow(sctx, messageId);
  const conn = await connectorForSkill(sctx, ['email'], row.connector_id);
  const cfg = conn.config as unknown as EmailConfig;
  const client = await openImap(sctx.ctx.deps.egress, cfg, await readCredentials(sctx.ctx, conn));
  try {
    const lock = await client.getMailboxLock(row.folder);
    try {
      let uid: number | null = Number(row.uid);
      const box = client.mailbox;
      if (!box || String(box.uidValidity) !== String(row.uid_validity)) uid = null;
      if (uid !== null) {
        const still = (await client.search({ uid: String(uid) }, { uid: true })) || [];
        if (!still.includes(uid)) uid = null;
      }
      if (uid === null && row.message_id) {
        const found = (await client.search({ header: { 'message-id': row.message_id } }, { uid: true })) || [];
        uid = found[0] ?? null;
      }
      return await fn({ client, row, conn, uid });
    } finally {
      lock.release();
    }
  } catch (e) {
    throw connectionFailure(e, cfg.imap.host, 'mail server');
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function setFlag(sctx: SkillContext, messageId: string, flag: string, on: boolean) {
  const demo = await demoRow(sctx, messageId);
  if (demo) return demoSetFlags(sctx, demo, flag, on);
  return withMessage(sctx, messageId, async ({ client, row, uid }) => {
    if (uid === null) throw new AppError('not_found', 'That message is no longer in its folder on the server.');
    if (on) await client.messageFlagsAdd(String(uid), [flag], { uid: true });
    else await client.messageFlagsRemove(String(uid), [flag], { uid: true });
    const flags = on ? [...new Set([...row.flags, flag])] : row.flags.filter((f) => f !== flag);
    await sctx.inScope((db) =>
      db.updateTable('mail_message').set({ flags }).where('space_id', '=', sctx.spaceId!).where('id', '=', row.id).execute(),
    );
    return { messageId: row.id, flags };
  });
}

const FlagsOut = z.object({ messageId: z.uuid(), flags: z.array(z.string()) });

const emailFlag = defineSkill({
  id: 'email.flag',
  description: 'Flags (stars) or unflags a message in the mailbox',
  kind: 'act',
  actionType: 'email.flag',
  scopes: ['email:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ messageId: z.uuid(), flagged: z.boolean().default(true) }),
  output: FlagsOut,
  run: (sctx, input) => setFlag(sctx, input.messageId, '\\Flagged', input.flagged),
  preview: (input, locale) =>
    locale === 'he'
      ? { title: input.flagged ? 'סימון הודעה בדגל' : 'הסרת דגל מהודעה', summary: '' }
      : { title: input.flagged ? 'Flag a message' : 'Unflag a message', summary: '' },
});

const emailMarkRead = defineSkill({
  id: 'email.mark-read',
  description: 'Marks a message read (or unread) in the mailbox',
  kind: 'act',
  actionType: 'email.mark-read',
  scopes: ['email:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ messageId: z.uuid(), read: z.boolean().default(true) }),
  output: FlagsOut,
  run: (sctx, input) => setFlag(sctx, input.messageId, '\\Seen', input.read),
  preview: (input, locale) =>
    locale === 'he'
      ? { title: input.read ? 'סימון הודעה כנקראה' : 'סימון הודעה כלא נקראה', summary: '' }
      : { title: input.read ? 'Mark a message read' : 'Mark a message unread', summary: '' },
});

async function findFolder(client: ImapFlow, want: string): Promise<string> {
  const list = await client.list();
  const special: Record<string, string> = { archive: '\\Archive', trash: '\\Trash', junk: '\\Junk', sent: '\\Sent', drafts: '\\Drafts' };
  const use = special[want.toLowerCase()];
  const hit =
    (use && list.find((m) => m.specialUse === use)) ||
    list.find((m) => m.path === want) ||
    list.find((m) => m.path.toLowerCase() === want.toLowerCase() || m.name.toLowerCase() === want.toLowerCase());
  if (!hit) throw new AppError('not_found', `There is no folder "${want}" in this mailbox.`);
  return hit.path;
}

const emailMove = defineSkill({
  id: 'email.move',
  description: 'Moves a message to another folder (archive, trash, or a folder/label by name; made on the server with createIfMissing)',
  kind: 'act',
  actionType: 'email.move',
  scopes: ['email:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ messageId: z.uuid(), to: z.string().min(1).max(200), createIfMissing: z.boolean().default(false) }),
  output: z.object({ messageId: z.uuid(), folder: z.string() }),
  async run(sctx, input) {
    const demo = await demoRow(sctx, input.messageId);
    if (demo) return demoMove(sctx, demo, input.to);
    return withMessage(sctx, input.messageId, async ({ client, row, uid }) => {
      const dest = await findFolder(client, input.to).catch(async (e) => {
        // A label the person approved that the mailbox does not have yet: made, then used.
        if (!input.createIfMissing || !(e instanceof AppError) || e.code !== 'not_found') throw e;
        return (await client.mailboxCreate(input.to)).path;
      });
      if (dest === row.folder) return { messageId: row.id, folder: dest };
      let newUid: number | undefined;
      let destValidity: string | undefined;
      if (uid !== null) {
        const r = await client.messageMove(String(uid), dest, { uid: true });
        newUid = r ? r.uidMap?.get(uid) : undefined;
        destValidity = r && r.uidValidity !== undefined ? String(r.uidValidity) : undefined;
      } else {
        // Already moved (a retried action): it must be in the destination.
        const st = await client.status(dest, { uidValidity: true });
        destValidity = st && st.uidValidity !== undefined ? String(st.uidValidity) : undefined;
      }
      if (uid === null && !row.message_id) throw new AppError('not_found', 'That message is no longer in its folder on the server.');
      await sctx.inScope((db) =>
        db
          .updateTable('mail_message')
          .set({ folder: dest, ...(newUid ? { uid: String(newUid) } : {}), ...(destValidity ? { uid_validity: destValidity } : {}) })
          .where('space_id', '=', sctx.spaceId!)
          .where('id', '=', row.id)
          .execute(),
      );
      return { messageId: row.id, folder: dest };
    });
  },
  preview: (input, locale) =>
    locale === 'he' ? { title: `העברת הודעה אל ${input.to}`, summary: '' } : { title: `Move a message to ${input.to}`, summary: '' },
});

function keyedMessageId(key: string, from: string): string {
  const domain = from.split('@')[1] ?? 'connectsoft.me';
  return `<csme.${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${domain}>`;
}

function fromOf(conn: ConnectorRow): { address: string; name?: string } {
  const cfg = conn.config as unknown as EmailConfig & { fromAddress?: string | null; fromName?: string | null };
  const address = cfg.fromAddress || (cfg.username.includes('@') ? cfg.username : null);
  if (!address) throw new AppError('invalid_input', `Set the "from" address of "${conn.name}" under Connectors to send from it.`);
  return { address, name: cfg.fromName ?? undefined };
}

async function compose(o: {
  from: { address: string; name?: string };
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  messageId: string;
  inReplyTo?: string | null;
  references?: string[];
  date: Date;
  attachments?: MailAttachment[];
}): Promise<Buffer> {
  const mail = new MailComposer({
    attachments: o.attachments?.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
    from: o.from,
    to: o.to,
    cc: o.cc,
    subject: o.subject,
    text: o.text,
    messageId: o.messageId,
    inReplyTo: o.inReplyTo ?? undefined,
    references: o.references,
    date: o.date,
  });
  return new Promise((res, rej) => mail.compile().build((err, buf) => (err ? rej(err) : res(buf))));
}

async function hasMessageId(client: ImapFlow, folder: string, messageId: string): Promise<boolean> {
  const lock = await client.getMailboxLock(folder);
  try {
    const found = (await client.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
    return found.length > 0;
  } finally {
    lock.release();
  }
}

const emailDraftReply = defineSkill({
  id: 'email.draft-reply',
  description: 'Saves a reply to a message as a draft in the Drafts folder (nothing is sent)',
  kind: 'act',
  actionType: 'email.draft-reply',
  scopes: ['email:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ messageId: z.uuid(), text: z.string().min(1).max(100_000), replyAll: z.boolean().default(false) }),
  output: z.object({ draftMessageId: z.string(), folder: z.string() }),
  async run(sctx, input) {
    const key = sctx.idempotencyKey ?? `draft:${input.messageId}:${createHash('sha256').update(input.text).digest('hex')}`;
    const row = await messageRow(sctx, input.messageId);
    const conn = await connectorForSkill(sctx, ['email'], row.connector_id);
    if (conn.demo) return { draftMessageId: demoMessageId(key), folder: 'Drafts' };
    const cfg = conn.config as unknown as EmailConfig;
    const client = await openImap(sctx.ctx.deps.egress, cfg, await readCredentials(sctx.ctx, conn));
    try {
      const from = fromOf(conn);
      const drafts = await findFolder(client, 'drafts');
      const messageId = keyedMessageId(key, from.address);
      const cc = input.replyAll
        ? [...(row.to_addresses as Array<{ address: string }>), ...(row.cc_addresses as Array<{ address: string }>)]
            .map((a) => a.address)
            .filter((a) => a !== from.address.toLowerCase() && a !== row.from_address)
        : [];
      const raw = await compose({
        from,
        to: row.from_address ? [row.from_address] : [],
        cc,
        subject: /^re:/i.test(row.subject) ? row.subject : `Re: ${row.subject}`,
        text: input.text,
        messageId,
        inReplyTo: row.message_id,
        references: [row.thread_id, row.message_id].filter((x): x is string => Boolean(x) && x!.startsWith('<')),
        date: sctx.now,
      });
      if (!(await hasMessageId(client, drafts, messageId))) await client.append(drafts, raw, ['\\Draft', '\\Seen'], sctx.now);
      return { draftMessageId: messageId, folder: drafts };
    } catch (e) {
      throw connectionFailure(e, cfg.imap.host, 'mail server');
    } finally {
      await client.logout().catch(() => client.close());
    }
  },
  preview: (input, locale) =>
    locale === 'he'
      ? { title: 'שמירת טיוטת תשובה', summary: input.text.slice(0, 300) }
      : { title: 'Save a reply draft', summary: input.text.slice(0, 300) },
});

const SendInput = z.strictObject({
  connectorId: z.uuid().optional(),
  to: z.array(z.email().max(320)).min(1).max(50),
  cc: z.array(z.email().max(320)).max(50).default([]),
  subject: z.string().max(998),
  text: z.string().max(200_000),
  /** The indexed message this answers (threading headers are set from it). */
  inReplyTo: z.uuid().optional(),
});
const SendOutput = z.object({ messageId: z.string(), accepted: z.array(z.string()), sentCopy: z.boolean() });

async function sentFolderHas(sctx: SkillContext, conn: ConnectorRow, messageId: string): Promise<boolean> {
  const cfg = conn.config as unknown as EmailConfig;
  const client = await openImap(sctx.ctx.deps.egress, cfg, await readCredentials(sctx.ctx, conn));
  try {
    const sent = await findFolder(client, 'sent');
    return await hasMessageId(client, sent, messageId);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}
export interface OutgoingMail {
  connectorId?: string;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  /** The indexed message this answers (threading headers are set from it). */
  inReplyTo?: string;
  attachments?: MailAttachment[];
}

/**
 * Sends one message through an email connector's SMTP server and files a copy in Sent. The key becomes
 * the Message-ID, so `findSentMail` can tell afterwards whether it went out; callers keep the key stable
 * per action so that a retry never sends twice. Used by `email.send` and by apps that send (invoices).
 */
export async function sendMail(sctx: SkillContext, input: OutgoingMail, key: string): Promise<z.output<typeof SendOutput>> {
  const conn = await connectorForSkill(sctx, ['email'], input.connectorId);
  // Sample accounts never dial out: the message is accepted as if sent.
  if (conn.demo) return { messageId: demoMessageId(key), accepted: [...input.to, ...(input.cc ?? [])], sentCopy: false };
  const cfg = conn.config as unknown as EmailConfig;
  const creds = await readCredentials(sctx.ctx, conn);
  const from = fromOf(conn);
  const messageId = keyedMessageId(key, from.address);
  let reply: IndexRow | null = null;
  if (input.inReplyTo) reply = await messageRow(sctx, input.inReplyTo);
  const raw = await compose({
    from,
    to: input.to,
    cc: input.cc ?? [],
    attachments: input.attachments,
    subject: input.subject,
    text: input.text,
    messageId,
    inReplyTo: reply?.message_id,
    references: reply ? [reply.thread_id, reply.message_id].filter((x): x is string => Boolean(x) && x!.startsWith('<')) : undefined,
    date: sctx.now,
  });
  const target = await sctx.ctx.deps.egress.check(cfg.smtp.host, cfg.smtp.port, 'smtp');
  const transport = smtpTransport(target, cfg, creds);
  let accepted: string[];
  try {
    const info = await transport.sendMail({ envelope: { from: from.address, to: [...input.to, ...(input.cc ?? [])] }, raw });
    accepted = ((info.accepted ?? []) as Array<string | { address: string }>).map((a) => (typeof a === 'string' ? a : a.address));
  } catch (e) {
    const err = e as { code?: string; command?: string; responseCode?: number; message?: string };
    // Nothing reached the server: safe to try again later.
    if (err.command === 'CONN' || err.code === 'ECONNECTION' || err.code === 'EDNS' || /ECONNREFUSED/.test(err.message ?? ''))
      throw new AppError('unavailable', `The outgoing mail server ${target.host} could not be reached; the message was not sent.`);
    if (err.code === 'EAUTH')
      throw new AppError('forbidden', `The outgoing mail server ${target.host} did not accept the password; the message was not sent.`);
    if (err.code === 'EENVELOPE' || err.code === 'EMESSAGE' || (err.responseCode && err.responseCode >= 500))
      throw new AppError(
        'invalid_input',
        `The outgoing mail server refused the message (${err.responseCode ?? 'rejected'}); it was not sent.`,
      );
    // The connection broke while the message was on its way: its fate is unknown (reconcile decides).
    throw new Error('the connection dropped while sending');
  } finally {
    transport.close();
  }
  let sentCopy = false;
  try {
    const client = await openImap(sctx.ctx.deps.egress, cfg, creds);
    try {
      const sent = await findFolder(client, 'sent');
      // Some providers (Gmail) file a copy in Sent themselves: do not add a second one.
      if (!(await hasMessageId(client, sent, messageId))) await client.append(sent, raw, ['\\Seen'], sctx.now);
      sentCopy = true;
    } finally {
      await client.logout().catch(() => client.close());
    }
  } catch {
    sentCopy = false;
  }
  return { messageId, accepted, sentCopy };
}

/** Whether the message sent under `key` is in the Sent folder (its Message-ID), for reconciling after a crash. */
export async function findSentMail(sctx: SkillContext, connectorId: string | undefined, key: string): Promise<string | null> {
  const conn = await connectorForSkill(sctx, ['email'], connectorId);
  if (conn.demo) return demoMessageId(key);
  const messageId = keyedMessageId(key, fromOf(conn).address);
  return (await sentFolderHas(sctx, conn, messageId)) ? messageId : null;
}

const emailSend = defineSkill({
  id: 'email.send',
  description: 'Sends an email through the account’s SMTP server and keeps a copy in Sent',
  kind: 'act',
  actionType: 'email.send',
  external: true,
  scopes: ['email:send'],
  costClass: 'free',
  pure: false,
  input: SendInput,
  output: SendOutput,
  run: (sctx, input) =>
    sendMail(sctx, input, sctx.idempotencyKey ?? `send:${createHash('sha256').update(JSON.stringify(input)).digest('hex')}`),
  async reconcile(sctx, input, idempotencyKey) {
    const messageId = await findSentMail(sctx, input.connectorId, idempotencyKey);
    return messageId ? { state: 'done', result: { messageId, accepted: [], sentCopy: true } } : { state: 'not_found' };
  },
  preview: (input, locale) =>
    locale === 'he'
      ? { title: `שליחת מייל אל ${input.to.join(', ')}: ${input.subject}`, summary: input.text.slice(0, 400) }
      : { title: `Send an email to ${input.to.join(', ')}: ${input.subject}`, summary: input.text.slice(0, 400) },
});

export const emailSkills = [emailSearch, emailRead, emailFlag, emailMarkRead, emailMove, emailDraftReply, emailSend];
