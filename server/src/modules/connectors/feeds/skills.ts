import { z } from 'zod';
import { defineSkill } from '#core/skill.js';
import { connectorForSkill, logRead } from '../connectors.service.js';

export const feedsListItems = defineSkill({
  id: 'feeds.list-items',
  description: 'Lists the newest items of a connected RSS or Atom feed',
  kind: 'read',
  scopes: ['feeds:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    connectorId: z.uuid().optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(100).default(20),
  }),
  output: z.object({
    items: z.array(
      z.object({
        id: z.uuid(),
        title: z.string(),
        url: z.string().nullable(),
        summary: z.string(),
        author: z.string().nullable(),
        publishedAt: z.string().nullable(),
      }),
    ),
  }),
  async run(sctx, input) {
    const conn = await connectorForSkill(sctx, ['feed'], input.connectorId);
    const rows = await sctx.inScope((db) => {
      let q = db.selectFrom('feed_item').selectAll().where('space_id', '=', sctx.spaceId!).where('connector_id', '=', conn.id);
      if (input.since) q = q.where((eb) => eb(eb.fn.coalesce('published_at', 'created_at'), '>=', new Date(input.since!)));
      return q
        .orderBy((eb) => eb.fn.coalesce('published_at', 'created_at'), 'desc')
        .limit(input.limit)
        .execute();
    });
    await logRead(sctx, conn, 'feeds.list-items', `Read ${rows.length} items of the feed "${conn.name}"`, { count: rows.length });
    return {
      items: rows.map((r) => ({
        id: r.id,
        title: r.title,
        url: r.url,
        summary: r.summary,
        author: r.author,
        publishedAt: r.published_at?.toISOString() ?? null,
      })),
    };
  },
});
