// Uploaded files: PDF, DOCX, Markdown and plain text, type decided from the bytes, text extracted
// (unpdf, mammoth), stored in PostgreSQL with the file. `document.uploaded` tells agents.
import { createHash } from 'node:crypto';
import { MAX_FILE_BYTES } from '@csme/contracts/connectors';
import mammoth from 'mammoth';
import { extractText, getDocumentProxy } from 'unpdf';
import type { ActorCtx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { logActivity } from '#modules/activity/index.js';
import { raiseEvent } from '#modules/runs/index.js';
import { cleanText, detectFileType } from '../connectors.policy.js';
import { presentFile } from '../connectors.presenter.js';
import { deleteFileRow, findFile, insertFile, listFileRows } from '../connectors.repository.js';

const MAX_TEXT = 2_000_000;

/** The text of a file; `error` in plain words when none could be taken out (the file is still kept). */
async function extractFileText(bytes: Buffer, mediaType: string): Promise<{ text: string; pages: number | null; error: string | null }> {
  try {
    if (mediaType === 'application/pdf') {
      const pdf = await getDocumentProxy(new Uint8Array(bytes));
      const r = await extractText(pdf, { mergePages: true });
      const text = cleanText(Array.isArray(r.text) ? r.text.join('\n') : r.text, MAX_TEXT);
      return {
        text,
        pages: r.totalPages,
        error: text.trim() ? null : 'This PDF has no text layer (it may be a scan); no text could be taken out.',
      };
    }
    if (mediaType.startsWith('application/vnd.openxmlformats')) {
      const r = await mammoth.extractRawText({ buffer: bytes });
      return { text: cleanText(r.value, MAX_TEXT), pages: null, error: null };
    }
    return { text: cleanText(bytes.toString('utf8'), MAX_TEXT), pages: null, error: null };
  } catch {
    return { text: '', pages: null, error: 'The file is damaged or protected; no text could be taken out.' };
  }
}

export async function uploadFile(ctx: ActorCtx, f: { name: string; bytes: Buffer; visibility?: 'shared' | 'private' }) {
  if (f.bytes.length === 0) throw new AppError('invalid_input', 'The file is empty.');
  if (f.bytes.length > MAX_FILE_BYTES) throw new AppError('payload_too_large', `Files can be up to ${MAX_FILE_BYTES / 1024 / 1024} MB.`);
  const mediaType = detectFileType(f.bytes, f.name);
  if (!mediaType)
    throw new AppError(
      'unsupported_media_type',
      'Upload a PDF, a Word document (DOCX), Markdown or a text file; this file is none of these.',
    );
  const extracted = await extractFileText(f.bytes, mediaType);
  const id = newId();
  const now = ctx.now();
  const visibility = ctx.actor.spaceKind === 'personal' ? 'private' : (f.visibility ?? 'private');
  const name = cleanText(f.name.replace(/[/\\]/g, '_'), 200) || 'file';
  await inSpace(ctx, async (c) => {
    await insertFile(c.db, {
      id,
      space_id: ctx.actor.spaceId,
      owner_account_id: ctx.actor.accountId,
      visibility,
      name,
      media_type: mediaType,
      size: f.bytes.length,
      sha256: createHash('sha256').update(f.bytes).digest('hex'),
      content: f.bytes,
      text: extracted.text,
      text_error: extracted.error,
      pages: extracted.pages,
      created_at: now,
    });
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: visibility === 'private' ? ctx.actor.accountId : null,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'file.uploaded',
        objectType: 'file',
        objectId: id,
        summary: `Uploaded "${name}"`,
      },
      now,
    );
    await raiseEvent(c, {
      spaceId: ctx.actor.spaceId,
      ownerAccountId: ctx.actor.accountId,
      visibility,
      type: 'document.uploaded',
      source: 'connector:files',
      dedupeKey: id,
      data: { fileId: id, mediaType },
    });
  });
  return presentFile((await inSpace(ctx, (c) => findFile(c.db, ctx.actor.spaceId, id)))!);
}

export async function listFiles(ctx: ActorCtx) {
  return { items: (await inSpace(ctx, (c) => listFileRows(c.db, ctx.actor.spaceId))).map(presentFile) };
}

export async function getFile(ctx: ActorCtx, id: string) {
  const r = await inSpace(ctx, (c) => findFile(c.db, ctx.actor.spaceId, id));
  if (!r) throw new AppError('not_found', 'That file was not found.');
  return { ...presentFile(r), text: r.text };
}

export async function deleteFile(ctx: ActorCtx, id: string) {
  await inSpace(ctx, async (c) => {
    if (!(await deleteFileRow(c.db, ctx.actor.spaceId, id))) throw new AppError('not_found', 'That file was not found.');
  });
}
