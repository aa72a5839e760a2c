import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';
import { findNote, listNotes, updateNote } from './notes.repository.js';
import { createNoteIn } from './notes.service.js';

const NoteOut = z.object({ id: z.uuid(), title: z.string(), body: z.string(), updatedAt: z.string() });

export const notesList = defineSkill({
  id: 'notes.list',
  description: 'The notes of the person (shared ones and their own), last changed first, optionally matching words',
  kind: 'read',
  scopes: ['notes:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ query: z.string().max(200).optional(), limit: z.number().int().min(1).max(100).default(20) }),
  output: z.object({ notes: z.array(NoteOut) }),
  async run(sctx, input) {
    const rows = await sctx.inScope((db) => listNotes(db, sctx.spaceId!, { limit: input.limit, search: input.query?.trim() || undefined }));
    return {
      notes: rows
        .slice(0, input.limit)
        .map((r) => ({ id: r.id, title: r.title, body: r.body.slice(0, 20_000), updatedAt: r.updated_at.toISOString() })),
    };
  },
});

export const notesCreate = defineSkill({
  id: 'notes.create',
  description: 'Write a note (Markdown)',
  kind: 'act',
  actionType: 'notes.create',
  scopes: ['notes:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ title: z.string().trim().min(1).max(300), body: z.string().max(100_000).default('') }),
  output: z.object({ noteId: z.uuid() }),
  preview: (i, locale) => ({
    title: locale === 'he' ? `לכתוב פתק: ${i.title}` : `Write a note: ${i.title}`,
    summary: i.body.slice(0, 400),
  }),
  async run(sctx, input) {
    if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'notes.create needs a space');
    const noteId = await sctx.inScope((db) =>
      createNoteIn(db, sctx.now, sctx.spaceId!, {
        ...input,
        visibility: sctx.visibility,
        ownerAccountId: sctx.accountId!,
        createdByAccountId: sctx.accountId,
        agentId: sctx.agentId,
        idempotencyKey: sctx.idempotencyKey,
      }),
    );
    return { noteId };
  },
});

export const notesAppend = defineSkill({
  id: 'notes.append',
  description: 'Add text to the end of a note',
  kind: 'act',
  actionType: 'notes.append',
  scopes: ['notes:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ noteId: z.uuid(), text: z.string().min(1).max(20_000) }),
  output: z.object({ noteId: z.uuid() }),
  preview: (i, locale) => ({ title: locale === 'he' ? 'להוסיף לפתק' : 'Add to a note', summary: i.text.slice(0, 400) }),
  async run(sctx, input) {
    await sctx.inScope(async (db) => {
      const n = await findNote(db, sctx.spaceId!, input.noteId);
      if (!n) throw new AppError('not_found', 'That note no longer exists.');
      // Idempotent by the action's key: the appended block carries it once.
      const marker = sctx.idempotencyKey ? `<!-- ${sctx.idempotencyKey} -->` : '';
      if (marker && n.body.includes(marker)) return;
      await updateNote(db, sctx.spaceId!, n.id, {
        body: `${n.body}${n.body ? '\n\n' : ''}${input.text}${marker ? `\n${marker}` : ''}`,
        updated_by: sctx.accountId,
        updated_at: sctx.now,
      });
    });
    return { noteId: input.noteId };
  },
});

export const notesSkills = [notesList, notesCreate, notesAppend];
