import type { ContactView } from '@csme/contracts/contacts';
import { sql } from 'kysely';
import type { ActorCtx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { assertMayCreate, assertMayEdit, visibilityFor } from '../apps.policy.js';
import {
  type ContactRow,
  deleteContact as deleteRow,
  findContact,
  findContactByEmail,
  insertContact,
  listContacts as listRows,
  updateContact as updateRow,
} from './contacts.repository.js';

export function presentContact(r: ContactRow): ContactView {
  return {
    id: r.id,
    name: r.name,
    emails: r.emails,
    company: r.company,
    stage: r.stage as ContactView['stage'],
    notes: r.notes,
    lastContactAt: r.last_contact_at?.toISOString() ?? null,
    nextFollowUpAt: r.next_follow_up_at?.toISOString() ?? null,
    source: r.source as ContactView['source'],
    visibility: r.visibility as ContactView['visibility'],
    createdBy: r.created_by_name,
    updatedBy: r.updated_by_name,
    createdAt: r.created_at.toISOString(),
    demo: r.demo,
  };
}

const FREE_MAIL = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'yahoo.com',
  'icloud.com',
  'me.com',
  'proton.me',
  'protonmail.com',
  'fastmail.com',
  'gmx.net',
  'aol.com',
  'walla.co.il',
]);

/** A company name guessed from a work address (`dana@acme-tools.com` → "Acme Tools"); none for free mail. */
export function companyFromEmail(email: string): string {
  const domain = email.split('@')[1]?.toLowerCase() ?? '';
  if (!domain || FREE_MAIL.has(domain)) return '';
  const labels = domain.split('.');
  const core = labels.length > 2 && ['co', 'com', 'org', 'net', 'ac'].includes(labels.at(-2)!) ? labels.at(-3)! : (labels.at(-2) ?? '');
  return core
    .split(/[-_]/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

/** "Dana Levi <dana@x.com>" or "dana@x.com" → {name, address}. */
export function parseAddress(s: string | { name?: string | null; address: string }): { name: string; address: string } | null {
  if (typeof s !== 'string')
    return s.address.includes('@') ? { name: (s.name ?? '').trim(), address: s.address.trim().toLowerCase() } : null;
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(s);
  const address = (m ? m[2]! : s).trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) return null;
  return { name: (m?.[1] ?? '').trim(), address };
}

function nameFromAddress(a: { name: string; address: string }): string {
  if (a.name) return a.name.slice(0, 200);
  const local = a.address.split('@')[0]!;
  return local
    .split(/[._-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

/** Machine mailboxes are not people (no-reply@, notifications@, ...). */
const MACHINE =
  /^(no-?reply|do-?not-?reply|notifications?|mailer-daemon|postmaster|bounce[s]?|alerts?|news(letter)?|info|support|billing|receipts?)([+._-].*)?@/i;

/**
 * Creates or updates the contacts a message involves, in a tenant transaction: the sender when it is
 * not me, otherwise the people I wrote to. `lastContactAt` only moves forward. Machine mailboxes are skipped.
 */
export async function upsertFromMailIn(
  db: Db,
  now: Date,
  spaceId: string,
  m: {
    from: string | { name?: string | null; address: string };
    to: Array<string | { name?: string | null; address: string }>;
    date: Date;
    me: string[];
  },
  by: { ownerAccountId: string; visibility: 'shared' | 'private'; accountId: string | null; agentId?: string | null; demo?: boolean },
): Promise<Array<{ id: string; name: string; email: string; created: boolean }>> {
  const me = new Set(m.me.map((x) => x.toLowerCase()));
  const from = parseAddress(m.from);
  const people = (from && !me.has(from.address) ? [from] : m.to.map(parseAddress).filter((a): a is NonNullable<typeof a> => a !== null))
    .filter((a) => !me.has(a.address) && !MACHINE.test(a.address))
    .slice(0, 20);
  const out: Array<{ id: string; name: string; email: string; created: boolean }> = [];
  for (const p of people) {
    // Two runs on two messages of one person must not make two contacts.
    await sql`select pg_advisory_xact_lock(hashtext(${`contact:${spaceId}:${p.address}`}))`.execute(db);
    const found = await findContactByEmail(db, spaceId, p.address);
    if (found) {
      if (!found.last_contact_at || found.last_contact_at < m.date)
        await updateRow(db, spaceId, found.id, { last_contact_at: m.date, updated_at: now, updated_by: by.accountId });
      out.push({ id: found.id, name: found.name, email: p.address, created: false });
      continue;
    }
    const id = newId();
    const name = nameFromAddress(p);
    await insertContact(db, {
      id,
      space_id: spaceId,
      owner_account_id: by.ownerAccountId,
      visibility: by.visibility,
      name,
      emails: [p.address],
      company: companyFromEmail(p.address),
      stage: 'lead',
      last_contact_at: m.date,
      source: 'mail',
      created_by_account_id: by.accountId,
      created_by_agent_id: by.agentId ?? null,
      updated_by: by.accountId,
      demo: by.demo ?? false,
      created_at: now,
      updated_at: now,
    });
    out.push({ id, name, email: p.address, created: true });
  }
  return out;
}

export async function listContacts(ctx: ActorCtx, q: { q?: string; stage?: string; due?: string; limit: number }) {
  return inSpace(ctx, async (c) => ({
    items: (
      await listRows(c.db, ctx.actor.spaceId, {
        search: q.q || undefined,
        stage: q.stage,
        dueBy: q.due === 'true' ? ctx.now() : undefined,
        limit: q.limit,
      })
    ).map(presentContact),
  }));
}

async function getRow(ctx: ActorCtx, db: Db, id: string): Promise<ContactRow> {
  const r = await findContact(db, ctx.actor.spaceId, id);
  if (!r) throw new AppError('not_found', 'That contact was not found.');
  return r;
}

export async function getContact(ctx: ActorCtx, id: string): Promise<ContactView> {
  return inSpace(ctx, async (c) => presentContact(await getRow(ctx, c.db, id)));
}

const lower = (emails: string[]) => [...new Set(emails.map((e) => e.trim().toLowerCase()))];

export async function createContact(
  ctx: ActorCtx,
  input: {
    name: string;
    emails: string[];
    company?: string;
    stage?: ContactView['stage'];
    notes?: string;
    lastContactAt?: string | null;
    nextFollowUpAt?: string | null;
    visibility?: 'shared' | 'private';
  },
): Promise<ContactView> {
  const visibility = visibilityFor(ctx.actor, input.visibility);
  assertMayCreate(ctx.actor, 'contact', visibility);
  return inSpace(ctx, async (c) => {
    const id = newId();
    const now = ctx.now();
    const emails = lower(input.emails);
    await insertContact(c.db, {
      id,
      space_id: ctx.actor.spaceId,
      owner_account_id: ctx.actor.accountId,
      visibility,
      name: input.name,
      emails,
      company: input.company ?? (emails[0] ? companyFromEmail(emails[0]) : ''),
      stage: input.stage ?? 'lead',
      notes: input.notes ?? '',
      last_contact_at: input.lastContactAt ? new Date(input.lastContactAt) : null,
      next_follow_up_at: input.nextFollowUpAt ? new Date(input.nextFollowUpAt) : null,
      source: 'manual',
      created_by_account_id: ctx.actor.accountId,
      updated_by: ctx.actor.accountId,
      created_at: now,
      updated_at: now,
    });
    return presentContact(await getRow(ctx, c.db, id));
  });
}

export async function updateContact(
  ctx: ActorCtx,
  id: string,
  patch: Partial<{
    name: string;
    emails: string[];
    company: string;
    stage: ContactView['stage'];
    notes: string;
    lastContactAt: string | null;
    nextFollowUpAt: string | null;
  }>,
): Promise<ContactView> {
  return inSpace(ctx, async (c) => {
    assertMayEdit(ctx.actor, 'contact', await getRow(ctx, c.db, id));
    await updateRow(c.db, ctx.actor.spaceId, id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.emails !== undefined ? { emails: lower(patch.emails) } : {}),
      ...(patch.company !== undefined ? { company: patch.company } : {}),
      ...(patch.stage !== undefined ? { stage: patch.stage } : {}),
      ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
      ...(patch.lastContactAt !== undefined ? { last_contact_at: patch.lastContactAt ? new Date(patch.lastContactAt) : null } : {}),
      ...(patch.nextFollowUpAt !== undefined ? { next_follow_up_at: patch.nextFollowUpAt ? new Date(patch.nextFollowUpAt) : null } : {}),
      updated_by: ctx.actor.accountId,
      updated_at: ctx.now(),
    });
    return presentContact(await getRow(ctx, c.db, id));
  });
}

export async function deleteContact(ctx: ActorCtx, id: string): Promise<void> {
  await inSpace(ctx, async (c) => {
    assertMayEdit(ctx.actor, 'contact', await getRow(ctx, c.db, id));
    await deleteRow(c.db, ctx.actor.spaceId, id);
  });
}
