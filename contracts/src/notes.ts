import { z } from 'zod';
import { Id, Ok, pageOf, Text, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['notes'];

export const NoteView = z.object({
  id: Id,
  title: z.string(),
  /** Markdown; the web app renders it without raw HTML. */
  body: z.string(),
  visibility: Visibility,
  createdByAgent: z.boolean(),
  createdBy: z.string().nullable(),
  updatedBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  demo: z.boolean(),
});
export type NoteView = z.infer<typeof NoteView>;

export const listNotes = endpoint({
  method: 'GET',
  path: '/api/v1/notes',
  summary: 'Notes of the active space (shared ones and your own), last changed first',
  tags,
  query: z.strictObject({
    q: Text(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(100).optional(),
  }),
  response: pageOf(NoteView),
});

export const CreateNoteInput = z.strictObject({
  title: Text(300).pipe(z.string().min(1, 'is required')),
  body: Text(100_000).default(''),
  visibility: Visibility.optional(),
});
export const createNote = endpoint({
  method: 'POST',
  path: '/api/v1/notes',
  summary: 'Write a note',
  tags,
  body: CreateNoteInput,
  response: NoteView,
  status: 201,
});

const Params = z.strictObject({ noteId: Id });
export const getNote = endpoint({
  method: 'GET',
  path: '/api/v1/notes/:noteId',
  summary: 'One note',
  tags,
  params: Params,
  response: NoteView,
});
export const updateNote = endpoint({
  method: 'PATCH',
  path: '/api/v1/notes/:noteId',
  summary: 'Change a note',
  tags,
  params: Params,
  body: z.strictObject({ title: Text(300).pipe(z.string().min(1)).optional(), body: Text(100_000).optional() }),
  response: NoteView,
});
export const deleteNote = endpoint({
  method: 'DELETE',
  path: '/api/v1/notes/:noteId',
  summary: 'Delete a note',
  tags,
  params: Params,
  response: Ok,
});
