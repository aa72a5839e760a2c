import { IsoDate } from '@csme/contracts/invoices';
import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';
import { findDocument, listDocumentRows } from './documents.repository.js';
import { addDocumentWith, presentDocument } from './documents.service.js';

const DocOut = z.object({
  id: z.uuid(),
  fileId: z.uuid(),
  title: z.string(),
  summary: z.string(),
  keyPhrases: z.array(z.string()),
  examDate: z.string().nullable(),
  deckId: z.uuid().nullable(),
  cardCount: z.number().int(),
});
const out = (r: Parameters<typeof presentDocument>[0]): z.input<typeof DocOut> => {
  const v = presentDocument(r);
  return {
    id: v.id,
    fileId: v.fileId,
    title: v.title,
    summary: v.summary,
    keyPhrases: v.keyPhrases,
    examDate: v.examDate,
    deckId: v.deckId,
    cardCount: v.cardCount,
  };
};

const documentsList = defineSkill({
  id: 'documents.list',
  description: 'Your study documents with their summaries, key phrases and exam dates (optionally only those with an exam ahead)',
  kind: 'read',
  scopes: ['documents:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ examAfter: IsoDate.optional(), limit: z.number().int().min(1).max(200).default(50) }),
  output: z.object({ documents: z.array(DocOut) }),
  async run(sctx, input) {
    const rows = await sctx.inScope((db) => listDocumentRows(db, sctx.spaceId!, sctx.accountId!));
    const wanted = input.examAfter ? rows.filter((r) => r.exam_day && r.exam_day > input.examAfter!) : rows;
    return { documents: wanted.slice(0, input.limit).map(out) };
  },
});

const documentsGet = defineSkill({
  id: 'documents.get',
  description: 'One study document by id',
  kind: 'read',
  scopes: ['documents:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ documentId: z.uuid() }),
  output: DocOut.nullable(),
  async run(sctx, input) {
    const r = await sctx.inScope((db) => findDocument(db, sctx.spaceId!, sctx.accountId!, input.documentId));
    return r ? out(r) : null;
  },
});

const documentsAdd = defineSkill({
  id: 'documents.add',
  description: 'Adds an uploaded file to your study documents, with its summary and key phrases (text.summarize); once per file',
  kind: 'act',
  actionType: 'documents.add',
  scopes: ['documents:write', 'files:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ fileId: z.uuid(), title: z.string().max(200).optional(), examDate: IsoDate.nullable().optional() }),
  output: z.object({ documentId: z.uuid() }),
  preview: (i, locale) => ({
    title:
      locale === 'he'
        ? `להוסיף לחומרי הלימוד${i.title ? `: ${i.title}` : ''}`
        : `Add to your study documents${i.title ? `: ${i.title}` : ''}`,
    summary: locale === 'he' ? 'עם סיכום ומושגי מפתח' : 'With a summary and key phrases',
  }),
  async run(sctx, input) {
    if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'documents.add needs a space');
    const documentId = await addDocumentWith(sctx, { ...input, visibility: sctx.visibility, agentId: sctx.agentId });
    return { documentId };
  },
});

export const documentSkills = [documentsList, documentsGet, documentsAdd];
