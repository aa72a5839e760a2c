import { z } from 'zod';
import { Id, Text, Visibility } from './common.js';
import { endpoint } from './http.js';
import { IsoDate } from './invoices.js';

const tags = ['documents'];

export const DocumentView = z.object({
  id: Id,
  fileId: Id,
  title: z.string(),
  fileName: z.string(),
  mediaType: z.string(),
  pages: z.number().int().nullable(),
  summary: z.string(),
  keyPhrases: z.array(z.string()),
  /** Set when the file has no text to study (a scan without a text layer). */
  textProblem: z.string().nullable(),
  examDate: z.string().nullable(),
  deckId: Id.nullable(),
  cardCount: z.number().int(),
  visibility: Visibility,
  createdByAgent: z.boolean(),
  createdAt: z.string(),
});
export type DocumentView = z.infer<typeof DocumentView>;

export const listDocuments = endpoint({
  method: 'GET',
  path: '/api/v1/documents',
  summary: 'Your study material, newest first',
  tags,
  response: z.object({ items: z.array(DocumentView) }),
});

export const addDocument = endpoint({
  method: 'POST',
  path: '/api/v1/documents',
  summary: 'Study an uploaded file: its summary and key phrases are made at once (text.summarize)',
  tags,
  body: z.strictObject({
    fileId: Id,
    title: Text(200).optional(),
    examDate: IsoDate.nullable().optional(),
    visibility: Visibility.optional(),
  }),
  response: DocumentView,
  status: 201,
});

const Params = z.strictObject({ documentId: Id });
export const getDocument = endpoint({
  method: 'GET',
  path: '/api/v1/documents/:documentId',
  summary: 'One document with the start of its text',
  tags,
  params: Params,
  response: DocumentView.extend({ excerpt: z.string() }),
});
export const updateDocument = endpoint({
  method: 'PATCH',
  path: '/api/v1/documents/:documentId',
  summary: 'Rename a document or set its exam date',
  tags,
  params: Params,
  body: z.strictObject({ title: Text(200).pipe(z.string().min(1)).optional(), examDate: IsoDate.nullable().optional() }),
  response: DocumentView,
});
export const deleteDocument = endpoint({
  method: 'DELETE',
  path: '/api/v1/documents/:documentId',
  summary: 'Stop studying a document (its deck stays; the file stays under Files)',
  tags,
  params: Params,
  response: z.object({ ok: z.literal(true) }),
});
export const makeDocumentCards = endpoint({
  method: 'POST',
  path: '/api/v1/documents/:documentId/cards',
  summary: 'Make study cards from a document (quiz.generate: cloze and multiple choice), into its deck',
  tags,
  params: Params,
  body: z.strictObject({ count: z.number().int().min(1).max(50).default(10) }),
  response: z.object({ deckId: Id, added: z.number().int(), cardCount: z.number().int() }),
});
