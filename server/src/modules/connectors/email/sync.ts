// Incremental mailbox sync: UIDVALIDITY + the last indexed UID per folder. The first sync indexes what
// exists in pages (progress recorded after each, resumable, never the whole mailbox in memory) and
// raises no events; later arrivals raise `email.received`. A message that cannot be read is indexed
// with what its envelope says and counted as an item error; it never stops the sync.
import type { FetchMessageObject, ImapFlow, MessageStructureObject } from 'imapflow';
import { sql } from 'kysely';
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
/** The most of one message's text part that is downloaded for the index. */
const MAX_PART_BYTES = 1024 * 1024;

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

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * The text of an HTML-only message, for the index: cheap and good enough to search and summarise
 * (a full HTML-to-text conversion of every message costs more memory than the whole sync).
 */
function htmlText(html: string): string {
  return html
    .slice(0, 2_000_000)
    .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h[1-6])[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1]?.toLowerCase() === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n\n')
    .trim();
}

const validDate = (d: Date) => (Number.isNaN(d.getTime()) ? null : d);
const idOf = (s: string | undefined | null) => (s ? cleanText(s.trim(), 500) : null);

/** The part that carries the message's text: the first text/plain that is not an attachment, else the first text/html. */
function textPart(
  s: MessageStructureObject | undefined,
): { key: string; html: boolean; charset: string; encoding: string; size: number } | null {
  if (!s) return null;
  const found: Array<{ key: string; html: boolean; charset: string; encoding: string; size: number }> = [];
  const walk = (n: MessageStructureObject) => {
    if (n.childNodes?.length) {
      for (const c of n.childNodes) walk(c);
      return;
    }
    if (n.disposition === 'attachment') return;
    if (n.type !== 'text/plain' && n.type !== 'text/html') return;
    found.push({
      // A message that is not multipart has its body as part 1.
      key: n.part ?? '1',
      html: n.type === 'text/html',
      charset: String(n.parameters?.charset ?? 'utf-8'),
      encoding: String(n.encoding ?? '7bit').toLowerCase(),
      size: n.size ?? 0,
    });
  };
  walk(s);
  return found.find((f) => !f.html) ?? found[0] ?? null;
}

function decodeQuotedPrintable(raw: Buffer): Buffer {
  const s = raw.toString('latin1').replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d && /^[0-9a-f]{2}$/i.test(s.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

/** Decodes a body part to text: transfer encoding (unless the server already did, BINARY) and charset (an unknown one is read as UTF-8). */
function decodePart(raw: Buffer, part: { charset: string; encoding: string }, alreadyDecoded: boolean): string {
  let bytes = raw;
  if (!alreadyDecoded && part.encoding === 'base64') bytes = Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (!alreadyDecoded && part.encoding === 'quoted-printable') bytes = decodeQuotedPrintable(raw);
  try {
    return new TextDecoder(part.charset.toLowerCase().replace(/^"|"$/g, '')).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function referencesOf(headers: Buffer | undefined): string[] {
  if (!headers) return [];
  const line = /^references:\s*((?:.*(?:\r?\n[ \t].*)*))/im.exec(headers.toString('utf8'))?.[1] ?? '';
  return line.match(/<[^<>\s]+>/g) ?? [];
}

/**
 * Turns one message into an index row from what the server already parsed (envelope, body structure)
 * and the text part alone: attachments are listed, never downloaded. A message whose structure
 * cannot be read still gets a row from its envelope, with the problem noted.
 */
function toMessageRow(msg: FetchMessageObject, text: string | null, maxBytes: number): MessageRow {
  const env = msg.envelope;
  const from = envelopeAddrs(env?.from)[0];
  const row: MessageRow = {
    uid: msg.uid,
    message_id: idOf(env?.messageId),
    in_reply_to: idOf(env?.inReplyTo),
    thread_id: '',
    subject: cleanText(env?.subject, 1000),
    from_address: from?.address ?? null,
    from_name: from?.name ?? null,
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
  if (!msg.bodyStructure || !env)
    row.parse_error = 'This message could not be read (its structure is broken); only what its headers say was indexed.';
  else if ((msg.size ?? 0) > maxBytes)
    row.parse_error = `This message is ${Math.round((msg.size ?? 0) / 1024 / 1024)} MB: its text was indexed and its attachments listed, but they were not downloaded.`;
  const body = cleanText(text ?? '', MAX_TEXT);
  row.body_text = body;
  row.snippet = body.replace(/\s+/g, ' ').trim().slice(0, 240);
  row.thread_id = idOf(referencesOf(msg.headers)[0]) ?? row.in_reply_to ?? row.message_id ?? `uid:${msg.uid}`;
  return row;
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
      // What the server parsed (envelope, structure, references), then each message's text part alone.
      const metas: FetchMessageObject[] = [];
      for await (const m of client.fetch(
        page.join(','),
        { uid: true, flags: true, envelope: true, size: true, bodyStructure: true, headers: ['references'] },
        { uid: true },
      ))
        metas.push(m);
      const parts = new Map<number, NonNullable<ReturnType<typeof textPart>>>();
      const byKey = new Map<string, number[]>();
      for (const m of metas) {
        const p = textPart(m.bodyStructure);
        if (!p) continue;
        parts.set(m.uid, p);
        byKey.set(p.key, [...(byKey.get(p.key) ?? []), m.uid]);
      }
      const texts = new Map<number, string>();
      for (const [key, uids] of byKey) {
        for await (const m of client.fetch(uids.join(','), { uid: true, bodyParts: [{ key, maxLength: MAX_PART_BYTES }] }, { uid: true })) {
          const raw = m.bodyParts?.get(key);
          const p = parts.get(m.uid);
          if (!raw || !p) continue;
          const decoded = decodePart(raw, p, m.binaryParts?.has(key) ?? false);
          texts.set(m.uid, p.html ? htmlText(decoded) : decoded);
        }
      }
      const rows = metas.map((m) => toMessageRow(m, texts.get(m.uid) ?? null, maxBytes));
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
