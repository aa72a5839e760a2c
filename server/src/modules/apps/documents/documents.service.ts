import type { DocumentView } from '@csme/contracts/documents';
import type { ActorCtx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { createSkillContext, type SkillContext } from '#core/skill.js';
import { runSkill } from '#modules/skills/index.js';
import {
  type DocumentRow,
  deleteDocumentRow,
  fileText,
  findDocument,
  findDocumentByFile,
  insertDocument,
  listDocumentRows,
  updateDocumentRow,
} from './documents.repository.js';

const MAX_SUMMARY_INPUT = 1_048_576;

export function presentDocument(r: DocumentRow): DocumentView {
  return {
    id: r.id,
    fileId: r.file_id,
    title: r.title,
    fileName: r.file_name,
    mediaType: r.media_type,
    pages: r.pages,
    summary: r.summary,
    keyPhrases: r.key_phrases as string[],
    textProblem: r.text_error,
    examDate: r.exam_day,
    deckId: r.deck_id,
    cardCount: Number(r.card_count ?? 0),
    visibility: r.visibility as 'shared' | 'private',
    createdByAgent: r.created_by_agent_id !== null,
    createdAt: r.created_at.toISOString(),
  };
}

/**
 * Makes a study document of an uploaded file, once per file: the text through `files.read-text` (the
 * read is logged; another member's private file is not found), the summary and key phrases through
 * `text.summarize`. The file keeps living in Files; the document adds what studying needs.
 */
export async function addDocumentWith(
  sctx: SkillContext,
  o: { fileId: string; title?: string | null; examDate?: string | null; visibility: 'shared' | 'private'; agentId?: string | null },
): Promise<string> {
  const spaceId = sctx.spaceId!;
  const existing = await sctx.inScope((db) => findDocumentByFile(db, spaceId, sctx.accountId!, o.fileId));
  if (existing) return existing.id;
  const file = (await runSkill(sctx, 'files.read-text', { fileId: o.fileId, maxChars: MAX_SUMMARY_INPUT })) as {
    name: string;
    text: string;
  };
  const s = file.text.trim()
    ? ((await runSkill(sctx, 'text.summarize', { text: file.text, maxSentences: 5 })) as { summary: string; keyPhrases: string[] })
    : { summary: '', keyPhrases: [] };
  const now = sctx.now;
  return sctx.inScope((db) =>
    insertDocument(db, {
      id: newId(),
      space_id: spaceId,
      owner_account_id: sctx.accountId!,
      visibility: o.visibility,
      file_id: o.fileId,
      title: (o.title?.trim() || file.name.replace(/\.[A-Za-z0-9]{1,5}$/, '')).slice(0, 200),
      summary: s.summary,
      key_phrases: JSON.stringify(s.keyPhrases.slice(0, 20)),
      exam_date: o.examDate ?? null,
      created_by_agent_id: o.agentId ?? null,
      created_at: now,
      updated_at: now,
    }),
  );
}

async function mustFind(db: Db, ctx: ActorCtx, id: string) {
  const row = await findDocument(db, ctx.actor.spaceId, ctx.actor.accountId, id);
  if (!row) throw new AppError('not_found', 'That document was not found.');
  return row;
}

/** Family roles: shared documents are for adults to change; a child keeps private ones of their own. */
function assertMayWrite(ctx: ActorCtx, visibility: string) {
  if (ctx.actor.role === 'child' && visibility !== 'private')
    throw new AppError('forbidden', 'Only an adult of the family can add or change shared documents.', { reason: 'child' });
}

export async function listDocuments(ctx: ActorCtx) {
  const rows = await inSpace(ctx, (c) => listDocumentRows(c.db, ctx.actor.spaceId, ctx.actor.accountId));
  return { items: rows.map(presentDocument) };
}

export async function addDocument(
  ctx: ActorCtx,
  input: { fileId: string; title?: string; examDate?: string | null; visibility?: 'shared' | 'private' },
) {
  // PRODUCT.md "Family roles": a child keeps lists, notes, reminders and study cards of their own, not documents.
  if (ctx.actor.role === 'child')
    throw new AppError('forbidden', 'Only an adult of the family can add documents; you can make study cards of your own.', {
      reason: 'child',
    });
  const visibility = ctx.actor.spaceKind === 'family' ? (input.visibility ?? 'shared') : 'private';
  assertMayWrite(ctx, visibility);
  const sctx = await createSkillContext(ctx, { spaceId: ctx.actor.spaceId, accountId: ctx.actor.accountId, visibility });
  const id = await addDocumentWith(sctx, { fileId: input.fileId, title: input.title, examDate: input.examDate, visibility });
  return inSpace(ctx, async (c) => presentDocument(await mustFind(c.db, ctx, id)));
}

export async function getDocument(ctx: ActorCtx, id: string) {
  return inSpace(ctx, async (c) => {
    const row = await mustFind(c.db, ctx, id);
    const f = await fileText(c.db, ctx.actor.spaceId, row.file_id);
    return { ...presentDocument(row), excerpt: (f?.text ?? '').slice(0, 4000) };
  });
}

export async function updateDocument(ctx: ActorCtx, id: string, patch: { title?: string; examDate?: string | null }) {
  return inSpace(ctx, async (c) => {
    const row = await mustFind(c.db, ctx, id);
    assertMayWrite(ctx, row.visibility);
    await updateDocumentRow(c.db, ctx.actor.spaceId, id, {
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.examDate !== undefined ? { exam_date: patch.examDate } : {}),
      updated_at: ctx.now(),
    });
    return presentDocument(await mustFind(c.db, ctx, id));
  });
}

export async function deleteDocument(ctx: ActorCtx, id: string) {
  await inSpace(ctx, async (c) => {
    const row = await mustFind(c.db, ctx, id);
    assertMayWrite(ctx, row.visibility);
    await deleteDocumentRow(c.db, ctx.actor.spaceId, id);
  });
}

/** The text of a document's file, for making cards (RLS: only what this person may read). */
export async function documentText(db: Db, spaceId: string, accountId: string, id: string) {
  const row = await findDocument(db, spaceId, accountId, id);
  if (!row) return null;
  const f = await fileText(db, spaceId, row.file_id);
  return { row, text: f?.text ?? '' };
}
