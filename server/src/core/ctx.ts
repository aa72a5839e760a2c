import type { Locale, Role } from '@csme/contracts/common';
import type { Deps } from '../deps.js';
import { type Db, inTenant } from './db.js';
import type { Logger } from './logger.js';

/** Who is acting: a signed-in person in their active space (checked against their memberships on every request). */
export interface Actor {
  readonly accountId: string;
  readonly spaceId: string;
  readonly spaceKind: 'personal' | 'family';
  readonly role: Role;
  readonly isOperator: boolean;
  readonly sessionId: string | null;
  /** Set when the caller is a personal API token: only routes that accept one of these scopes let it in. */
  readonly tokenScopes?: readonly string[];
  /** Set when an operator acts as this person (with their consent); operator rights are off in such a session. */
  readonly impersonatorAccountId?: string | null;
  readonly locale: Locale;
  readonly timeZone: string;
  readonly email: string;
  readonly displayName: string;
}

/** What every service function receives first. `db` may already be a transaction. */
export interface Ctx {
  readonly deps: Deps;
  readonly db: Db;
  readonly log: Logger;
  readonly actor: Actor | null;
  now(): Date;
}

export interface ActorCtx extends Ctx {
  readonly actor: Actor;
}

export function systemCtx(deps: Deps, log: Logger = deps.log): Ctx {
  return { deps, db: deps.db, log, actor: null, now: () => deps.clock.now() };
}

export function actorCtx(deps: Deps, actor: Actor, log: Logger = deps.log): ActorCtx {
  return { deps, db: deps.db, log, actor, now: () => deps.clock.now() };
}

/** Runs `fn` with a ctx whose db is a tenant transaction for the actor's space and account. */
export async function inSpace<T>(ctx: ActorCtx, fn: (ctx: ActorCtx) => Promise<T>): Promise<T> {
  return inTenant(ctx.db, { spaceId: ctx.actor.spaceId, accountId: ctx.actor.accountId }, (tx) => fn({ ...ctx, db: tx }));
}

/** Runs `fn` in one transaction (reusing one already open). */
export async function inTransaction<T>(ctx: Ctx, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  if (ctx.db.isTransaction) return fn(ctx);
  return ctx.db.transaction().execute((tx) => fn({ ...ctx, db: tx }));
}
