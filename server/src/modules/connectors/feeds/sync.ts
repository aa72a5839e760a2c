// RSS and Atom feeds with conditional GET (ETag, Last-Modified). The first sync indexes the items
// quietly; each later new item raises `feed.item`.
import { createHash } from 'node:crypto';
import Parser from 'rss-parser';
import type { Ctx } from '#core/ctx.js';
import type { Egress } from '#core/egress.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { raiseEvent } from '#modules/runs/index.js';
import { connectorsSetting } from '../connectors.config.js';
import { cleanText } from '../connectors.policy.js';
import type { ConnectorRow } from '../connectors.repository.js';
import { asOwner } from '../connectors.service.js';

const MAX_FEED_BYTES = 5 * 1024 * 1024;
const MAX_ITEMS = 500;

interface FeedItem {
  guid: string;
  url: string | null;
  title: string;
  summary: string;
  author: string | null;
  publishedAt: Date | null;
}

async function fetchFeed(egress: Egress, url: string, headers: Record<string, string> = {}, timeoutMs = 30_000) {
  const host = new URL(url).hostname;
  const r = await egress.request(url, {
    headers: { accept: 'application/rss+xml, application/atom+xml, application/xml, text/xml;q=0.9, */*;q=0.5', ...headers },
    maxBytes: MAX_FEED_BYTES,
    timeoutMs,
  });
  if (r.status === 304) return { notModified: true as const, headers: r.headers };
  if (r.status >= 400) throw new AppError('unavailable', `${host} answered ${r.status} for this feed address.`, { reason: 'http_status' });
  return { notModified: false as const, body: r.body.toString('utf8'), headers: r.headers };
}

/** Parses RSS or Atom; a page that is not a feed is refused in plain words. */
async function parseFeed(body: string): Promise<{ title: string; items: FeedItem[] }> {
  const head = body.trimStart().slice(0, 500).toLowerCase();
  if (!head.startsWith('<'))
    throw new AppError('invalid_input', 'The address did not return a feed (it is not XML). Look for the RSS or Atom link of the site.', {
      reason: 'not_xml',
    });
  if (/^<!doctype html|^<html/.test(head))
    throw new AppError('invalid_input', 'The address returned a web page, not a feed. Look for the RSS or Atom link of the site.', {
      reason: 'html',
    });
  let feed: Awaited<ReturnType<Parser['parseString']>>;
  try {
    feed = await new Parser({ timeout: 0 }).parseString(body);
  } catch {
    throw new AppError('invalid_input', 'The address did not return a readable RSS or Atom feed.', { reason: 'not_feed' });
  }
  const items: FeedItem[] = [];
  for (const it of (feed.items ?? []).slice(0, MAX_ITEMS)) {
    const url = typeof it.link === 'string' ? cleanText(it.link, 2000) : null;
    const title = cleanText(it.title, 500);
    const guid =
      cleanText((it.guid as string | undefined) ?? (it as { id?: string }).id ?? url ?? '', 500) ||
      createHash('sha256')
        .update(`${title}|${it.pubDate ?? ''}`)
        .digest('hex');
    const date = it.isoDate ? new Date(it.isoDate) : it.pubDate ? new Date(it.pubDate) : null;
    items.push({
      guid,
      url,
      title,
      summary: cleanText((it.contentSnippet ?? it.summary ?? '').toString(), 2000),
      author: cleanText((it.creator ?? (it as { author?: string }).author ?? '').toString(), 200) || null,
      publishedAt: date && !Number.isNaN(date.getTime()) ? date : null,
    });
  }
  return { title: cleanText(feed.title, 200) || 'Untitled feed', items };
}

export async function testFeed(egress: Egress, url: string): Promise<{ title: string; items: number }> {
  const r = await fetchFeed(egress, url);
  if (r.notModified) return { title: '', items: 0 };
  const f = await parseFeed(r.body);
  return { title: f.title, items: f.items.length };
}

export async function syncFeed(ctx: Ctx, row: ConnectorRow): Promise<{ state: Record<string, unknown>; added: number }> {
  const cfg = row.config as { url: string };
  const state = { ...(row.state as Record<string, string>) };
  const conditional: Record<string, string> = {};
  if (row.initial_synced_at && state.etag) conditional['if-none-match'] = state.etag;
  if (row.initial_synced_at && state.lastModified) conditional['if-modified-since'] = state.lastModified;
  const { fetchTimeoutSeconds } = await ctx.deps.settings.get(connectorsSetting);
  const r = await fetchFeed(ctx.deps.egress, cfg.url, conditional, fetchTimeoutSeconds * 1000);
  if (r.notModified) return { state, added: 0 };
  let feed: Awaited<ReturnType<typeof parseFeed>>;
  try {
    feed = await parseFeed(r.body);
  } catch (e) {
    throw e instanceof AppError ? new AppError('unavailable', e.message, e.details) : e;
  }
  const initial = row.initial_synced_at === null;
  let added = 0;
  await asOwner(ctx, row, async (c) => {
    if (!feed.items.length) return;
    const inserted = await c.db
      .insertInto('feed_item')
      .values(
        feed.items.map((i) => ({
          id: newId(),
          space_id: row.space_id,
          owner_account_id: row.owner_account_id,
          visibility: row.visibility,
          connector_id: row.id,
          guid: i.guid,
          url: i.url,
          title: i.title,
          summary: i.summary,
          author: i.author,
          published_at: i.publishedAt,
        })),
      )
      .onConflict((oc) => oc.constraint('feed_item_guid_key').doNothing())
      .returning(['id', 'guid'])
      .execute();
    added = inserted.length;
    if (initial) return;
    for (const i of inserted)
      await raiseEvent(c, {
        spaceId: row.space_id,
        ownerAccountId: row.owner_account_id,
        visibility: row.visibility as 'shared' | 'private',
        type: 'feed.item',
        source: `connector:${row.id}`,
        dedupeKey: `${row.id}:${i.guid}`,
        data: { connectorId: row.id, itemId: i.id },
      });
  });
  return { state: { etag: r.headers.etag ?? '', lastModified: r.headers['last-modified'] ?? '' }, added };
}
