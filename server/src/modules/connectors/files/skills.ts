import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';
import { logActivity } from '#modules/activity/index.js';

export const filesReadText = defineSkill({
  id: 'files.read-text',
  description: 'Reads the text of an uploaded file (PDF, DOCX, Markdown or text)',
  kind: 'read',
  scopes: ['files:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ fileId: z.uuid(), maxChars: z.number().int().min(100).max(2_000_000).default(100_000) }),
  output: z.object({
    fileId: z.uuid(),
    name: z.string(),
    mediaType: z.string(),
    pages: z.number().int().nullable(),
    text: z.string(),
    truncated: z.boolean(),
    problem: z.string().nullable(),
  }),
  async run(sctx, input) {
    const spaceId = sctx.spaceId;
    if (!spaceId) throw new AppError('invalid_input', 'This skill needs a space.');
    const f = await sctx.inScope((db) =>
      db
        .selectFrom('uploaded_file')
        .select(['id', 'name', 'media_type', 'pages', 'text', 'text_error', 'visibility', 'owner_account_id'])
        .where('space_id', '=', spaceId)
        .where('id', '=', input.fileId)
        .executeTakeFirst(),
    );
    if (!f) throw new AppError('not_found', 'That file was not found.');
    await sctx.inScope((db) =>
      logActivity(
        db,
        {
          spaceId,
          ownerAccountId: f.visibility === 'private' ? f.owner_account_id : null,
          actorKind: sctx.agentId ? 'agent' : 'person',
          actorAccountId: sctx.agentId ? null : sctx.accountId,
          agentId: sctx.agentId,
          kind: 'connector.read',
          objectType: 'file',
          objectId: f.id,
          summary: `Read the text of "${f.name}"`,
          data: { skill: 'files.read-text', runId: sctx.runId },
        },
        sctx.now,
      ),
    );
    return {
      fileId: f.id,
      name: f.name,
      mediaType: f.media_type,
      pages: f.pages,
      text: f.text.slice(0, input.maxChars),
      truncated: f.text.length > input.maxChars,
      problem: f.text_error,
    };
  },
});
