// Incremental mailbox sync: UIDVALIDITY + the last indexed UID per folder. The first sync indexes what
// exists in pages (progress recorded after each, resumable, never the whole mailbox in memory) and
// raises no events; later arrivals raise `email.received`. A message that cannot be read is indexed
// with what its envelope says and counted as an item error; it never stops the sync.
import type { FetchMessageObject, ImapFlow, MessageStructureObject } from 'imapflow';
import { sql } from 'kysely';
import { type AddressObject, simpleParser } from 'mailparser';
import type { Ctx } from '#core/ctx.js';
import { newId } from '#core/ids.js';
import { raiseEvent } from '#modules/runs/index.js';
import { connectorsSetting } from '../connectors.config.js';
import { cleanText } from '../connectors.policy.js';
import type { ConnectorRow } from '../connectors.repository.js';
import { asOwner, recordProgress } from '../connectors.service.js';
import { type Credentials, connectionFailure, type EmailConfig, openImap } from './imap.js';

const FOLDER = 'INBOX';
const MAX_TEXT = 200_000;
const BATCH_BYTES = 16 * 1024 * 1024;

interface Addr {
  name: string;
  address: string;
}

interface MessageRow {
  uid: number;
  message_id: string | null;
  in_reply_to: string | null;
  thread_id: string;
  subject: string;
  from_address: string | null;
  from_name: string | null;
  to_addresses: Addr[];
  cc_addresses: Addr[];
  sent_at: Date | null;
  flags: string[];
  snippet: string;
  body_text: string;
  attachments: Array<{ name: string; type: string; size: number }>;
  size: number;
  parse_error: string | null;
}

function addrs(a: AddressObject | AddressObject[] | undefined): Addr[] {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list
    .flatMap((x) => x.value)
    .filter((v) => v.address)
    .slice(0, 100)
    .map((v) => ({ name: cleanText(v.name, 200), address: cleanText(v.address, 320).toLowerCase() }));
}

function envelopeAddrs(list: Array<{ name?: string; address?: string }> | undefined): Addr[] {
  return (list ?? [])
    .filter((v) => v.address)
    .slice(0, 100)
    .map((v) => ({ name: cleanText(v.name, 200), address: cleanText(v.address, 320).toLowerCase() }));
}

function attachmentsOf(s: MessageStructureObject | undefined): Array<{ name: string; type: string; size: number }> {
  const out: Array<{ name: string; type: string; size: number }> = [];
  const walk = (n: MessageStructureObject) => {
    const name = n.dispositionParameters?.filename ?? n.parameters?.name;
    if (n.disposition === 'attachment' || (name && !n.type.startsWith('multipart/')))
      out.push({ name: cleanText(name ?? 'attachment', 200), type: n.type, size: n.size ?? 0 });
    for (const c of n.childNodes ?? []) walk(c);
  };
  if (s) walk(s);
  return out.slice(0, 50);
}

const validDate = (d: Date) => (Number.isNaN(d.getTime()) ? null : d);
const idOf = (s: string | undefined | null) => (s ? cleanText(s.trim(), 500) : null);

/** Turns one fetched message into an index row; a broken one still gives a row from its envelope. */
export async function toMessageRow(msg: FetchMessageObject, maxBytes: number): Promise<MessageRow> {
  const env = msg.envelope;
  const base: MessageRow = {
    uid: msg.uid,
    message_id: idOf(env?.messageId),
    in_reply_to: idOf(env?.inReplyTo),
    thread_id: '',
    subject: cleanText(env?.subject, 1000),
    from_address: envelopeAddrs(env?.from)[0]?.address ?? null,
    from_name: envelopeAddrs(env?.from)[0]?.name ?? null,
    to_addresses: envelopeAddrs(env?.to),
    cc_addresses: envelopeAddrs(env?.cc),
    sent_at: env?.date ? validDate(new Date(env.date)) : null,
    flags: [...(msg.flags ?? [])].map((f) => cleanText(f, 100)),
    snippet: '',
    body_text: '',
    attachments: attachmentsOf(msg.bodyStructure),
    size: msg.size ?? 0,
    parse_error: null,
  };
  try {
    if (!msg.source) throw new Error('no source');
    const parsed = await simpleParser(msg.source, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
    const text = cleanText(parsed.text ?? '', MAX_TEXT);
    const refs = Array.isArray(parsed.references) ? parsed.references : parsed.references ? [parsed.references] : [];
    base.message_id = idOf(parsed.messageId) ?? base.message_id;
    base.in_reply_to = idOf(parsed.inReplyTo) ?? base.in_reply_to;
    base.thread_id = idOf(refs[0]) ?? base.in_reply_to ?? '';
    base.subject = cleanText(parsed.subject ?? base.subject, 1000);
    const from = addrs(parsed.from)[0];
    if (from) {
      base.from_address = from.address;
      base.from_name = from.name;
    }
    const to = addrs(parsed.to);
    if (to.length) base.to_addresses = to;
    const cc = addrs(parsed.cc);
    if (cc.length) base.cc_addresses = cc;
    if (parsed.date && !Number.isNaN(parsed.date.getTime())) base.sent_at = parsed.date;
    base.body_text = text;
    base.snippet = text.replace(/\s+/g, ' ').trim().slice(0, 240);
    if ((msg.size ?? 0) > maxBytes)
      base.parse_error = `This message is ${Math.round((msg.size ?? 0) / 1024 / 1024)} MB; only its first ${Math.round(maxBytes / 1024 / 1024)} MB were read (attachments are listed, not stored).`;
  } catch {
    base.parse_error = 'This message could not be read (its structure is broken); only its envelope was indexed.';
  }
  if (!base.thread_id) base.thread_id = base.message_id ?? `uid:${msg.uid}`;
  return base;
}

function chunk<T>(list: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

export interface MailSyncResult {
  indexed: number;
  itemErrors: number;
  initialDone: boolean;
}

/** Syncs the inbox of one email connector. Throws an AppError in plain words when the server cannot be used. */
export async function syncMailbox(ctx: Ctx, row: ConnectorRow, creds: Credentials): Promise<MailSyncResult> {
  const settings = await ctx.deps.settings.get(connectorsSetting);
  const cfg = row.config as unknown as EmailConfig;
  const client = await openImap(ctx.deps.egress, cfg, creds);
  try {
    return await syncOpen(ctx, row, client, settings.emailPageSize, settings.maxMessageBytes);
  } catch (e) {
    throw connectionFailure(e, cfg.imap.host, 'mail server');
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function syncOpen(ctx: Ctx, row: ConnectorRow, client: ImapFlow, pageSize: number, maxBytes: number): Promise<MailSyncResult> {
  const lock = await client.getMailboxLock(FOLDER);
  try {
    const mailbox = client.mailbox;
    if (!mailbox) throw new Error('mailbox not open');
    const uidValidity = String(mailbox.uidValidity);
    const folder = await ctx.deps.db
      .selectFrom('mail_folder')
      .selectAll()
      .where('connector_id', '=', row.id)
      .where('path', '=', FOLDER)
      .executeTakeFirst();
    const renumbered = folder !== undefined && String(folder.uid_validity) !== uidValidity;
    if (renumbered) {
      // The server renumbered the folder (UIDVALIDITY changed): index it again, quietly.
      await asOwner(ctx, row, (c) =>
        c.db.deleteFrom('mail_message').where('connector_id', '=', row.id).where('folder', '=', FOLDER).execute(),
      );
    }
    const lastUid = folder && !renumbered ? Number(folder.last_uid) : 0;
    const initial = row.initial_synced_at === null || renumbered;
    const found = (await client.search({ uid: `${lastUid + 1}:*` }, { uid: true })) || [];
    const fresh = found.filter((u) => u > lastUid).sort((a, b) => a - b);
    let done = initial ? Number((folder && !renumbered ? await countIndexed(ctx, row.id) : 0) ?? 0) : 0;
    if (initial) await recordProgress(ctx, row, { phase: 'initial', done, total: done + fresh.length });
    let itemErrors = 0;
    let indexed = 0;
    for (const page of chunk(fresh, pageSize)) {
      // Sizes first, so that a page of large messages is fetched in batches of bounded size.
      const sizes = new Map<number, number>();
      for await (const m of client.fetch(page.join(','), { uid: true, size: true }, { uid: true })) sizes.set(m.uid, m.size ?? 0);
      const batches: number[][] = [];
      let cur: number[] = [];
      let bytes = 0;
      for (const uid of page) {
        const b = Math.min(sizes.get(uid) ?? 0, maxBytes);
        if (cur.length && bytes + b > BATCH_BYTES) {
          batches.push(cur);
          cur = [];
          bytes = 0;
        }
        cur.push(uid);
        bytes += b;
      }
      if (cur.length) batches.push(cur);
      const rows: MessageRow[] = [];
      for (const batch of batches) {
        const fetched: FetchMessageObject[] = [];
        for await (const m of client.fetch(
          batch.join(','),
          { uid: true, flags: true, envelope: true, size: true, bodyStructure: true, source: { maxLength: maxBytes } },
          { uid: true },
        ))
          fetched.push(m);
        for (const m of fetched) rows.push(await toMessageRow(m, maxBytes));
      }
      const maxUid = page[page.length - 1]!;
      await asOwner(ctx, row, async (c) => {
        const inserted = rows.length
          ? await c.db
              .insertInto('mail_message')
              .values(
                rows.map((r) => ({
                  id: newId(),
                  space_id: row.space_id,
                  owner_account_id: row.owner_account_id,
                  visibility: row.visibility,
                  connector_id: row.id,
                  folder: FOLDER,
                  uid_validity: uidValidity,
                  uid: String(r.uid),
                  message_id: r.message_id,
                  in_reply_to: r.in_reply_to,
                  thread_id: r.thread_id,
                  subject: r.subject,
                  from_address: r.from_address,
                  from_name: r.from_name,
                  to_addresses: JSON.stringify(r.to_addresses),
                  cc_addresses: JSON.stringify(r.cc_addresses),
                  sent_at: r.sent_at,
                  flags: r.flags,
                  snippet: r.snippet,
                  body_text: r.body_text,
                  attachments: JSON.stringify(r.attachments),
                  size: r.size,
                  parse_error: r.parse_error,
                })),
              )
              .onConflict((oc) => oc.constraint('mail_message_uid_key').doNothing())
              .returning(['id', 'uid', 'thread_id', 'from_address'])
              .execute()
          : [];
        if (!initial) {
          for (const m of inserted)
            await raiseEvent(c, {
              spaceId: row.space_id,
              ownerAccountId: row.owner_account_id,
              visibility: row.visibility as 'shared' | 'private',
              type: 'email.received',
              source: `connector:${row.id}`,
              dedupeKey: `${row.id}:${uidValidity}:${m.uid}`,
              data: { connectorId: row.id, messageId: m.id, threadId: m.thread_id, from: m.from_address },
            });
        }
        await sql`insert into mail_folder (connector_id, path, space_id, owner_account_id, visibility, uid_validity, last_uid, synced_at)
          values (${row.id}, ${FOLDER}, ${row.space_id}, ${row.owner_account_id}, ${row.visibility}, ${uidValidity}, ${maxUid}, ${ctx.now()})
          on conflict (connector_id, path) do update set uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, synced_at = excluded.synced_at`.execute(
          c.db,
        );
        done += page.length;
        if (initial) await recordProgress(c, row, { done });
      });
      itemErrors += rows.filter((r) => r.parse_error).length;
      indexed += rows.length;
    }
    if (!folder || renumbered || !fresh.length) {
      await sql`insert into mail_folder (connector_id, path, space_id, owner_account_id, visibility, uid_validity, last_uid, synced_at)
        values (${row.id}, ${FOLDER}, ${row.space_id}, ${row.owner_account_id}, ${row.visibility}, ${uidValidity}, ${fresh.at(-1) ?? lastUid}, ${ctx.now()})
        on conflict (connector_id, path) do update set uid_validity = excluded.uid_validity, synced_at = excluded.synced_at`.execute(
        ctx.deps.db,
      );
    }
    if (!initial && lastUid > 0) await refreshFlags(ctx, row, client, uidValidity, lastUid);
    return { indexed, itemErrors, initialDone: initial };
  } finally {
    lock.release();
  }
}

async function countIndexed(ctx: Ctx, connectorId: string): Promise<number> {
  const r = await ctx.deps.db
    .selectFrom('mail_message')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('connector_id', '=', connectorId)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Flags changed elsewhere (read on the phone, flagged on the laptop) on the most recent messages. */
async function refreshFlags(ctx: Ctx, row: ConnectorRow, client: ImapFlow, uidValidity: string, lastUid: number): Promise<void> {
  const from = Math.max(1, lastUid - 500);
  const seen = new Map<number, string[]>();
  for await (const m of client.fetch(`${from}:*`, { uid: true, flags: true }, { uid: true })) seen.set(m.uid, [...(m.flags ?? [])].sort());
  const known = await ctx.deps.db
    .selectFrom('mail_message')
    .select(['id', 'uid', 'flags'])
    .where('connector_id', '=', row.id)
    .where('folder', '=', FOLDER)
    .where('uid_validity', '=', uidValidity)
    .where('uid', '>=', String(from))
    .execute();
  const changed = known.filter((k) => {
    const now = seen.get(Number(k.uid));
    return now && JSON.stringify(now) !== JSON.stringify([...k.flags].sort());
  });
  if (!changed.length) return;
  await asOwner(ctx, row, async (c) => {
    for (const k of changed)
      await c.db
        .updateTable('mail_message')
        .set({ flags: seen.get(Number(k.uid))! })
        .where('space_id', '=', row.space_id)
        .where('id', '=', k.id)
        .execute();
  });
}
