import { z } from 'zod';
import { Id, IsoDateTime, Ok, Text, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['contacts'];

export const CONTACT_STAGES = ['lead', 'active', 'customer', 'past', 'other'] as const;
export const ContactStage = z.enum(CONTACT_STAGES);

export const ContactView = z.object({
  id: Id,
  name: z.string(),
  emails: z.array(z.string()),
  company: z.string(),
  stage: ContactStage,
  notes: z.string(),
  lastContactAt: z.string().nullable(),
  nextFollowUpAt: z.string().nullable(),
  source: z.enum(['manual', 'mail', 'agent']),
  visibility: Visibility,
  createdBy: z.string().nullable(),
  updatedBy: z.string().nullable(),
  createdAt: z.string(),
  demo: z.boolean(),
});
export type ContactView = z.infer<typeof ContactView>;

export const listContacts = endpoint({
  method: 'GET',
  path: '/api/v1/contacts',
  summary: 'Contacts of the active space; `due=true`: those whose follow-up date has come',
  tags,
  query: z.strictObject({
    q: Text(200).optional(),
    stage: ContactStage.optional(),
    due: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(200),
  }),
  response: z.object({ items: z.array(ContactView) }),
});

const Fields = {
  name: Text(200).pipe(z.string().min(1, 'is required')),
  emails: z.array(z.email().max(320)).max(10),
  company: Text(200),
  stage: ContactStage,
  notes: Text(10_000),
  lastContactAt: IsoDateTime.nullable(),
  nextFollowUpAt: IsoDateTime.nullable(),
};
export const createContact = endpoint({
  method: 'POST',
  path: '/api/v1/contacts',
  summary: 'Add a contact',
  tags,
  body: z.strictObject({
    name: Fields.name,
    emails: Fields.emails.default([]),
    company: Fields.company.optional(),
    stage: Fields.stage.optional(),
    notes: Fields.notes.optional(),
    lastContactAt: Fields.lastContactAt.optional(),
    nextFollowUpAt: Fields.nextFollowUpAt.optional(),
    visibility: Visibility.optional(),
  }),
  response: ContactView,
  status: 201,
});
const Params = z.strictObject({ contactId: Id });
export const getContact = endpoint({
  method: 'GET',
  path: '/api/v1/contacts/:contactId',
  summary: 'One contact',
  tags,
  params: Params,
  response: ContactView,
});
export const updateContact = endpoint({
  method: 'PATCH',
  path: '/api/v1/contacts/:contactId',
  summary: 'Change a contact (stage, follow-up date, notes, ...)',
  tags,
  params: Params,
  body: z.strictObject({
    name: Fields.name.optional(),
    emails: Fields.emails.optional(),
    company: Fields.company.optional(),
    stage: Fields.stage.optional(),
    notes: Fields.notes.optional(),
    lastContactAt: Fields.lastContactAt.optional(),
    nextFollowUpAt: Fields.nextFollowUpAt.optional(),
  }),
  response: ContactView,
});
export const deleteContact = endpoint({
  method: 'DELETE',
  path: '/api/v1/contacts/:contactId',
  summary: 'Delete a contact',
  tags,
  params: Params,
  response: Ok,
});
