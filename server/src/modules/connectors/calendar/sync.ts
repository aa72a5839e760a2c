// ICS feeds (read) and CalDAV calendars (read/write through tsdav) into one events index: each event
// with its occurrences in a window around today. Changes raise `calendar.event_changed`; occurrences
// in the next 7 days raise `calendar.event_upcoming` (with `startsAt`), which the run engine turns
// into each agent's run at its own offset before the event.
import { createDAVClient, type DAVCalendar } from 'tsdav';
import type { Ctx } from '#core/ctx.js';
import type { Egress } from '#core/egress.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { raiseEvent } from '#modules/runs/index.js';
import { connectorsSetting } from '../connectors.config.js';
import type { ConnectorRow } from '../connectors.repository.js';
import { asOwner } from '../connectors.service.js';
import type { Credentials } from '../email/imap.js';
import { type ParsedEvent, parseCalendar } from './ical.js';

const PAST_DAYS = 30;
const FUTURE_DAYS = 400;
const UPCOMING_MS = 7 * 86_400_000;
const MAX_ICS_BYTES = 10 * 1024 * 1024;

export function calendarWindow(now: Date) {
  return { from: new Date(now.getTime() - PAST_DAYS * 86_400_000), to: new Date(now.getTime() + FUTURE_DAYS * 86_400_000) };
}

/** A CalDAV client whose every request goes through the guard, with the password bound to the connector's host. */
export async function davClient(egress: Egress, cfg: { url: string; username?: string }, creds: Credentials | null) {
  const host = new URL(cfg.url).hostname;
  try {
    return await createDAVClient({
      serverUrl: cfg.url,
      credentials: { username: cfg.username ?? '', password: creds?.password ?? '' },
      authMethod: 'Basic',
      defaultAccountType: 'caldav',
      fetch: egress.fetchFor({ kind: 'caldav', credentialsHost: host, timeoutMs: 30_000, maxBytes: 20 * 1024 * 1024 }),
    });
  } catch (e) {
    throw davFailure(e, host);
  }
}

export function davFailure(e: unknown, host: string): AppError {
  if (e instanceof AppError) return e;
  const msg = e instanceof Error ? e.message : '';
  if (/401|Invalid credentials|Unauthorized/i.test(msg))
    return new AppError(
      'forbidden',
      `The calendar server ${host} did not accept the user name and password. Use an app password if the account has two-step sign-in.`,
      {
        reason: 'auth',
        attention: true,
      },
    );
  if (/principal|404|not found/i.test(msg))
    return new AppError(
      'unavailable',
      `No CalDAV calendars were found at that address on ${host}. Check the address (it often ends in /dav/ or /caldav/).`,
      {
        reason: 'not_caldav',
      },
    );
  return new AppError('unavailable', `The calendar server ${host} answered in a way we could not use.`, { reason: 'network' });
}

async function fetchIcs(egress: Egress, url: string, headers: Record<string, string> = {}, timeoutMs = 30_000) {
  const r = await egress.request(url, {
    headers: { accept: 'text/calendar, */*;q=0.5', ...headers },
    maxBytes: MAX_ICS_BYTES,
    timeoutMs,
  });
  const host = new URL(url).hostname;
  if (r.status === 304) return { notModified: true as const, headers: r.headers };
  if (r.status === 401 || r.status === 403)
    throw new AppError('forbidden', `${host} refused to share this calendar (${r.status}). Copy its secret address (ICS link) again.`, {
      reason: 'auth',
      attention: true,
    });
  if (r.status >= 400)
    throw new AppError('unavailable', `${host} answered ${r.status} for this calendar address.`, { reason: 'http_status' });
  return { notModified: false as const, text: r.body.toString('utf8'), headers: r.headers };
}

export async function testCalendar(
  egress: Egress,
  kind: 'ics' | 'caldav',
  cfg: { url: string; username?: string },
  creds: Credentials | null,
): Promise<{ message: string; events: number; calendars: number }> {
  if (kind === 'ics') {
    const r = await fetchIcs(egress, cfg.url);
    if (r.notModified) return { message: 'The calendar feed answered.', events: 0, calendars: 1 };
    const parsed = parseCalendar(r.text, calendarWindow(new Date()));
    return {
      message: `Found the calendar${parsed.name ? ` "${parsed.name}"` : ''} with ${parsed.events.length} events${parsed.problems.length ? ` (${parsed.problems.length} could not be read fully)` : ''}.`,
      events: parsed.events.length,
      calendars: 1,
    };
  }
  const client = await davClient(egress, cfg, creds);
  const host = new URL(cfg.url).hostname;
  let calendars: DAVCalendar[];
  try {
    calendars = (await client.fetchCalendars()).filter((c) => !c.components || c.components.includes('VEVENT'));
  } catch (e) {
    throw davFailure(e, host);
  }
  return { message: `Signed in to ${host}: ${calendars.length} calendars.`, events: 0, calendars: calendars.length };
}

export interface CalendarSyncResult {
  itemErrors: number;
  problem: string | null;
  state: Record<string, unknown>;
}

export async function syncIcs(ctx: Ctx, row: ConnectorRow): Promise<CalendarSyncResult> {
  const cfg = row.config as { url: string };
  const state = { ...(row.state as Record<string, string>) };
  const conditional: Record<string, string> = {};
  if (state.etag) conditional['if-none-match'] = state.etag;
  if (state.lastModified) conditional['if-modified-since'] = state.lastModified;
  const { fetchTimeoutSeconds } = await ctx.deps.settings.get(connectorsSetting);
  const r = await fetchIcs(ctx.deps.egress, cfg.url, row.initial_synced_at ? conditional : {}, fetchTimeoutSeconds * 1000);
  if (r.notModified) {
    await raiseUpcoming(ctx, row);
    return { itemErrors: row.item_errors, problem: null, state };
  }
  let parsed: ReturnType<typeof parseCalendar>;
  try {
    parsed = parseCalendar(r.text, calendarWindow(ctx.now()));
  } catch (e) {
    throw e instanceof AppError
      ? new AppError('unavailable', `The address did not return a calendar: ${e.message}`, { reason: 'not_ics' })
      : e;
  }
  await storeEvents(
    ctx,
    row,
    '',
    parsed.events.map((e) => ({ ...e, href: null, etag: null })),
    { removeMissing: true },
  );
  return {
    itemErrors: parsed.problems.length,
    problem: parsed.problems.length ? summarize(parsed.problems) : null,
    state: { etag: r.headers.etag ?? '', lastModified: r.headers['last-modified'] ?? '' },
  };
}

function summarize(problems: string[]): string {
  const head = problems.slice(0, 3).join('. ');
  return `${problems.length} event${problems.length === 1 ? '' : 's'} could not be read fully: ${head}${problems.length > 3 ? '…' : '.'}`.slice(
    0,
    900,
  );
}

export async function syncCaldav(ctx: Ctx, row: ConnectorRow, creds: Credentials): Promise<CalendarSyncResult> {
  const cfg = row.config as { url: string; username: string };
  const host = new URL(cfg.url).hostname;
  const client = await davClient(ctx.deps.egress, cfg, creds);
  const state = { ...(row.state as { ctags?: Record<string, string> }) };
  const ctags: Record<string, string> = { ...(state.ctags ?? {}) };
  const problems: string[] = [];
  let calendars: DAVCalendar[];
  try {
    calendars = (await client.fetchCalendars()).filter((c) => !c.components || c.components.includes('VEVENT'));
  } catch (e) {
    throw davFailure(e, host);
  }
  for (const cal of calendars) {
    const tag = cal.ctag ?? cal.syncToken ?? '';
    if (tag && ctags[cal.url] === tag) continue;
    let objects: Array<{ url: string; etag?: string; data?: string }>;
    try {
      objects = await client.fetchCalendarObjects({ calendar: cal });
    } catch (e) {
      throw davFailure(e, host);
    }
    const events: Array<ParsedEvent & { href: string | null; etag: string | null }> = [];
    for (const o of objects) {
      try {
        const p = parseCalendar(String(o.data ?? ''), calendarWindow(ctx.now()));
        problems.push(...p.problems);
        for (const e of p.events) events.push({ ...e, href: o.url, etag: o.etag ?? null });
      } catch {
        problems.push(`an object at ${o.url.split('/').pop()} is not a valid calendar entry and was skipped`);
      }
    }
    await storeEvents(ctx, row, cal.url, events, { removeMissing: true });
    if (tag) ctags[cal.url] = tag;
  }
  await raiseUpcoming(ctx, row);
  return { itemErrors: problems.length, problem: problems.length ? summarize(problems) : null, state: { ctags } };
}

/**
 * Upserts events of one calendar of a connector and replaces their occurrences. A changed event
 * raises `calendar.event_changed` (not on the first sync). Events gone from the source are deleted.
 */
export async function storeEvents(
  ctx: Ctx,
  row: ConnectorRow,
  calendarUrl: string,
  events: Array<ParsedEvent & { href: string | null; etag: string | null }>,
  o: { removeMissing: boolean },
): Promise<string[]> {
  const initial = row.initial_synced_at === null;
  const ids: string[] = [];
  await asOwner(ctx, row, async (c) => {
    const existing = await c.db
      .selectFrom('calendar_event')
      .select(['id', 'uid', 'content_hash'])
      .where('space_id', '=', row.space_id)
      .where('connector_id', '=', row.id)
      .where('calendar_url', '=', calendarUrl)
      .execute();
    const byUid = new Map(existing.map((e) => [e.uid, e]));
    const seen = new Set<string>();
    for (const e of events) {
      if (seen.has(e.uid)) continue;
      seen.add(e.uid);
      const prev = byUid.get(e.uid);
      if (prev && prev.content_hash === e.contentHash) {
        ids.push(prev.id);
        continue;
      }
      const id = prev?.id ?? newId();
      ids.push(id);
      const values = {
        summary: e.summary,
        description: e.description,
        location: e.location,
        starts_at: e.startsAt,
        ends_at: e.endsAt,
        all_day: e.allDay,
        time_zone: e.timeZone,
        recurring: e.recurring,
        ics: e.ics,
        content_hash: e.contentHash,
        problem: e.problem,
        href: e.href,
        etag: e.etag,
        updated_at: ctx.now(),
      };
      if (prev) await c.db.updateTable('calendar_event').set(values).where('space_id', '=', row.space_id).where('id', '=', id).execute();
      else
        await c.db
          .insertInto('calendar_event')
          .values({
            id,
            space_id: row.space_id,
            owner_account_id: row.owner_account_id,
            visibility: row.visibility,
            connector_id: row.id,
            uid: e.uid,
            calendar_url: calendarUrl,
            ...values,
          })
          .execute();
      await c.db.deleteFrom('calendar_occurrence').where('space_id', '=', row.space_id).where('event_id', '=', id).execute();
      const occ = new Map(e.occurrences.map((x) => [x.startsAt.getTime(), x]));
      if (occ.size)
        await c.db
          .insertInto('calendar_occurrence')
          .values(
            [...occ.values()].map((x) => ({
              event_id: id,
              starts_at: x.startsAt,
              space_id: row.space_id,
              owner_account_id: row.owner_account_id,
              visibility: row.visibility,
              connector_id: row.id,
              ends_at: x.endsAt,
              all_day: x.allDay,
              summary: x.summary,
              location: x.location,
            })),
          )
          .execute();
      if (prev && !initial)
        await raiseEvent(c, {
          spaceId: row.space_id,
          ownerAccountId: row.owner_account_id,
          visibility: row.visibility as 'shared' | 'private',
          type: 'calendar.event_changed',
          source: `connector:${row.id}`,
          dedupeKey: `${id}:${e.contentHash}`,
          data: { connectorId: row.id, eventId: id, startsAt: e.startsAt.toISOString() },
        });
    }
    if (o.removeMissing) {
      const gone = existing.filter((e) => !seen.has(e.uid)).map((e) => e.id);
      if (gone.length) await c.db.deleteFrom('calendar_event').where('space_id', '=', row.space_id).where('id', 'in', gone).execute();
    }
  });
  await raiseUpcoming(ctx, row);
  return ids;
}

/** Raises `calendar.event_upcoming` once per occurrence starting within the next 7 days. */
async function raiseUpcoming(ctx: Ctx, row: ConnectorRow): Promise<void> {
  const now = ctx.now();
  await asOwner(ctx, row, async (c) => {
    const soon = await c.db
      .selectFrom('calendar_occurrence')
      .select(['event_id', 'starts_at', 'ends_at', 'all_day'])
      .where('space_id', '=', row.space_id)
      .where('connector_id', '=', row.id)
      .where('starts_at', '>', now)
      .where('starts_at', '<=', new Date(now.getTime() + UPCOMING_MS))
      .orderBy('starts_at')
      .limit(500)
      .execute();
    for (const o of soon)
      await raiseEvent(c, {
        spaceId: row.space_id,
        ownerAccountId: row.owner_account_id,
        visibility: row.visibility as 'shared' | 'private',
        type: 'calendar.event_upcoming',
        source: `connector:${row.id}`,
        dedupeKey: `${o.event_id}:${o.starts_at.toISOString()}`,
        data: {
          connectorId: row.id,
          eventId: o.event_id,
          startsAt: o.starts_at.toISOString(),
          endsAt: o.ends_at.toISOString(),
          allDay: o.all_day,
        },
      });
  });
}
