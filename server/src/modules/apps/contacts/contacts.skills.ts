import { CONTACT_STAGES } from '@csme/contracts/contacts';
import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';
import { findContact, findContactByEmail, listContacts, updateContact } from './contacts.repository.js';
import { upsertFromMailIn } from './contacts.service.js';

const ContactOut = z.object({
  id: z.uuid(),
  name: z.string(),
  emails: z.array(z.string()),
  company: z.string(),
  stage: z.string(),
  lastContactAt: z.string().nullable(),
  nextFollowUpAt: z.string().nullable(),
});
const out = (r: {
  id: string;
  name: string;
  emails: string[];
  company: string;
  stage: string;
  last_contact_at: Date | null;
  next_follow_up_at: Date | null;
}) => ({
  id: r.id,
  name: r.name,
  emails: r.emails,
  company: r.company,
  stage: r.stage,
  lastContactAt: r.last_contact_at?.toISOString() ?? null,
  nextFollowUpAt: r.next_follow_up_at?.toISOString() ?? null,
});

export const contactsList = defineSkill({
  id: 'contacts.list',
  description: 'Contacts (the small CRM): by words, stage, or those whose follow-up date has come',
  kind: 'read',
  scopes: ['contacts:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    query: z.string().max(200).optional(),
    stage: z.enum(CONTACT_STAGES).optional(),
    followUpDue: z.boolean().default(false),
    limit: z.number().int().min(1).max(500).default(100),
  }),
  output: z.object({ contacts: z.array(ContactOut) }),
  async run(sctx, i) {
    const rows = await sctx.inScope((db) =>
      listContacts(db, sctx.spaceId!, {
        search: i.query?.trim() || undefined,
        stage: i.stage,
        dueBy: i.followUpDue ? sctx.now : undefined,
        limit: i.limit,
      }),
    );
    return { contacts: rows.map(out) };
  },
});

export const contactsFind = defineSkill({
  id: 'contacts.find',
  description: 'The contact with this email address, or null',
  kind: 'read',
  scopes: ['contacts:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ email: z.string().max(320) }),
  output: ContactOut.nullable(),
  async run(sctx, i) {
    const r = await sctx.inScope((db) => findContactByEmail(db, sctx.spaceId!, i.email.trim()));
    return r ? out(r) : null;
  },
});

const Address = z.union([z.string().max(400), z.object({ name: z.string().max(200).nullable().optional(), address: z.string().max(320) })]);

export const contactsUpsertFromMail = defineSkill({
  id: 'contacts.upsert-from-mail',
  description:
    'Creates or updates contacts from a message’s headers: the sender, or the people written to when the person sent it; last contact moves forward; machine mailboxes are skipped',
  kind: 'act',
  actionType: 'contacts.upsert',
  scopes: ['contacts:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    from: Address,
    to: z.array(Address).max(100).default([]),
    cc: z.array(Address).max(100).default([]),
    date: z.iso.datetime({ offset: true }),
    /** The person's own addresses (the sender is then "me"). */
    me: z.array(z.string().max(320)).max(20).default([]),
  }),
  output: z.object({ contacts: z.array(z.object({ id: z.uuid(), name: z.string(), email: z.string(), created: z.boolean() })) }),
  preview: (i, locale) => {
    const who = typeof i.from === 'string' ? i.from : i.from.address;
    return { title: locale === 'he' ? `לעדכן אנשי קשר מהמייל של ${who}` : `Update contacts from the mail of ${who}`, summary: '' };
  },
  async run(sctx, i) {
    if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'contacts skills need a space');
    const contacts = await sctx.inScope(async (db) => {
      const me = i.me.length
        ? i.me
        : [(await db.selectFrom('account').select('email').where('id', '=', sctx.accountId!).executeTakeFirst())?.email ?? ''];
      return upsertFromMailIn(
        db,
        sctx.now,
        sctx.spaceId!,
        { from: i.from, to: [...i.to, ...i.cc], date: new Date(i.date), me },
        {
          ownerAccountId: sctx.accountId!,
          visibility: sctx.visibility,
          accountId: sctx.accountId,
          agentId: sctx.agentId,
        },
      );
    });
    return { contacts };
  },
});

export const contactsUpdate = defineSkill({
  id: 'contacts.update',
  description: 'Change a contact’s stage, next follow-up date or notes (notes are added to the end)',
  kind: 'act',
  actionType: 'contacts.update',
  scopes: ['contacts:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    contactId: z.uuid(),
    stage: z.enum(CONTACT_STAGES).optional(),
    nextFollowUpAt: z.iso.datetime({ offset: true }).nullable().optional(),
    addNote: z.string().max(5000).optional(),
  }),
  output: z.object({ contactId: z.uuid() }),
  preview: (i, locale) => ({
    title: locale === 'he' ? 'לעדכן איש קשר' : 'Update a contact',
    summary: [i.stage, i.nextFollowUpAt?.slice(0, 10), i.addNote?.slice(0, 200)].filter(Boolean).join(' · '),
  }),
  async run(sctx, i) {
    await sctx.inScope(async (db) => {
      const c = await findContact(db, sctx.spaceId!, i.contactId);
      if (!c) throw new AppError('not_found', 'That contact no longer exists.');
      await updateContact(db, sctx.spaceId!, c.id, {
        ...(i.stage ? { stage: i.stage } : {}),
        ...(i.nextFollowUpAt !== undefined ? { next_follow_up_at: i.nextFollowUpAt ? new Date(i.nextFollowUpAt) : null } : {}),
        ...(i.addNote && !c.notes.includes(i.addNote) ? { notes: `${c.notes}${c.notes ? '\n' : ''}${i.addNote}` } : {}),
        updated_by: sctx.accountId,
        updated_at: sctx.now,
      });
    });
    return { contactId: i.contactId };
  },
});

export const contactsSkills = [contactsList, contactsFind, contactsUpsertFromMail, contactsUpdate];
