import type { z } from 'zod';
import type { Ctx } from './ctx.js';
import type { Db } from './db.js';

/**
 * A skill: a typed capability a pack's step may call. Compute skills transform their input
 * (no I/O); read skills read a person's data or a connector; act skills change something, so in a
 * run they become a suggestion (unless the agent's policy for that action type is `auto`), and the
 * action executor performs them once, under an idempotency key, after approval.
 * Skills are defined by the module that owns what they touch and listed in its ModuleDef.
 */
export type SkillKind = 'compute' | 'read' | 'act';
export type CostClass = 'free' | 'cheap' | 'model';

/** A structured model call, metered by the models module; absent when the step must stay on the local engine. */
export interface ModelAccess {
  generateObject<T>(opts: {
    schema: z.ZodType<T>;
    system: string;
    prompt: string;
    maxOutputTokens?: number;
    signal?: AbortSignal;
  }): Promise<T>;
}

export interface SkillContext {
  /** A system ctx: skills reach tenant data only through `inScope` (RLS for this space and owner). */
  readonly ctx: Ctx;
  readonly spaceId: string | null;
  /** The account the work is for (the agent's owner, or the person who approved the action). */
  readonly accountId: string | null;
  readonly agentId: string | null;
  readonly runId: string | null;
  /** What the agent creates is shared with the space or private to `accountId`, like the agent itself. */
  readonly visibility: 'shared' | 'private';
  readonly now: Date;
  readonly timeZone: string;
  readonly locale: 'en' | 'he';
  readonly signal: AbortSignal;
  /** Present when a model is configured and allowed for this space and pack. */
  readonly model: ModelAccess | null;
  /** Member names of the space (for skills that address people, e.g. reminders). */
  readonly members: readonly string[];
  /**
   * Set when the action executor performs an act skill: unique per action. Use it as the Message-ID,
   * UID or row key so that a retry never does the work twice.
   */
  readonly idempotencyKey: string | null;
  /** Runs `fn` in a tenant transaction for this space and account (Row Level Security applies). */
  inScope<T>(fn: (db: Db) => Promise<T>): Promise<T>;
}

export interface SkillDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** Stable id, `<area>.<verb>` or `<area>.<noun>`, e.g. `email.triage`, `tasks.create`. */
  readonly id: string;
  readonly description: string;
  readonly kind: SkillKind;
  /** What the pack must have been granted to call it, e.g. `email:read`, `tasks:write`. Compute skills need none. */
  readonly scopes: readonly string[];
  readonly costClass: CostClass;
  /** For act skills: the action type people set policies for (`email.send`, `tasks.create`). */
  readonly actionType?: string;
  /** For act skills: does it reach outside the platform (send, book, pay)? Children cannot approve those. */
  readonly external?: boolean;
  readonly input: I;
  readonly output: O;
  /** True when it needs no database or keys (it can run in `csme skill run` standalone). */
  readonly pure: boolean;
  run(sctx: SkillContext, input: z.output<I>): Promise<z.input<O>>;
  /** For act skills: what the person approves, in their language. */
  preview?(input: z.output<I>, locale: 'en' | 'he'): { title: string; summary: string };
  /**
   * For act skills whose far side cannot deduplicate (sending mail over SMTP): after a crash between
   * performing the action and recording it, tells whether it happened (`done`, e.g. the Message-ID is in
   * the Sent folder) or cannot be found (`not_found`: the action stays `unknown` for the person to resend
   * or dismiss; nothing is ever resent on its own). Act skills without it must be idempotent by the key.
   */
  reconcile?(
    sctx: SkillContext,
    input: z.output<I>,
    idempotencyKey: string,
  ): Promise<{ state: 'done'; result: z.input<O> } | { state: 'not_found' }>;
}

export function defineSkill<I extends z.ZodType, O extends z.ZodType>(def: SkillDef<I, O>): SkillDef<I, O> {
  if (!/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/.test(def.id)) throw new Error(`skill id ${def.id} must look like area.verb`);
  if (def.kind === 'act' && !def.actionType) throw new Error(`act skill ${def.id} needs an actionType`);
  return def;
}

import { inTenant } from './db.js';
import { AppError, isAppError, isDatabaseUnavailable } from './errors.js';
import type { ModuleDef } from './module.js';

const indexes = new WeakMap<readonly ModuleDef[], Map<string, SkillDef>>();

/** Every skill of these modules by id (built once per module list); a skill defined twice is a startup error. */
export function skillIndex(modules: readonly ModuleDef[]): Map<string, SkillDef> {
  let index = indexes.get(modules);
  if (!index) {
    index = new Map();
    for (const m of modules)
      for (const sk of m.skills ?? []) {
        if (index.has(sk.id)) throw new Error(`skill ${sk.id} is defined twice (module ${m.name})`);
        index.set(sk.id, sk);
      }
    indexes.set(modules, index);
  }
  return index;
}

/** The skill with this id among every module's skills. */
export function findSkill(modules: readonly ModuleDef[], id: string): SkillDef | undefined {
  return skillIndex(modules).get(id);
}

function issues(e: z.ZodError): Array<{ path: string; message: string }> {
  return e.issues.map((i) => ({ path: i.path.length ? i.path.map(String).join('.') : '(input)', message: i.message }));
}

/**
 * Runs a skill with its contract enforced: input checked (a clear `invalid_input` naming the path),
 * output checked (a skill that breaks its contract fails the step; it never reaches the caller unchecked).
 */
export async function invokeSkill(skill: SkillDef, sctx: SkillContext, rawInput: unknown): Promise<unknown> {
  const input = skill.input.safeParse(rawInput);
  if (!input.success) {
    const list = issues(input.error);
    throw new AppError('invalid_input', `${skill.id}: ${list[0]?.path}: ${list[0]?.message}`, { skill: skill.id, issues: list });
  }
  if (sctx.signal.aborted) throw new AppError('unavailable', `${skill.id} was cancelled before it started.`, { skill: skill.id });
  let raw: unknown;
  try {
    raw = await skill.run(sctx, input.data);
  } catch (e) {
    // Expected failures keep their code; a database that is away stays a platform fault (the run is retried);
    // anything else is the skill's own fault, said in words, never a crash of the caller.
    if (isAppError(e) || isDatabaseUnavailable(e)) throw e;
    throw new AppError('internal', `The skill ${skill.id} failed: ${e instanceof Error ? e.message : String(e)}`, { skill: skill.id });
  }
  const output = skill.output.safeParse(raw);
  if (!output.success) {
    const list = issues(output.error);
    throw new AppError(
      'internal',
      `The skill ${skill.id} returned an answer that breaks its contract (${list[0]?.path}: ${list[0]?.message}).`,
      {
        skill: skill.id,
        issues: list,
      },
    );
  }
  return output.data;
}

export interface SkillContextOptions {
  spaceId: string;
  accountId: string;
  agentId?: string | null;
  runId?: string | null;
  visibility?: 'shared' | 'private';
  idempotencyKey?: string | null;
  model?: ModelAccess | null;
  signal?: AbortSignal;
  /** The space's members when the caller already read them (the executor's claim does). */
  people?: ReadonlyArray<{ id: string; display_name: string; time_zone: string; locale: string }>;
}

/** Builds the context a skill runs in: the person's time zone and language, the space's member names, a tenant scope. */
export async function createSkillContext(ctx: Ctx, o: SkillContextOptions): Promise<SkillContext> {
  const people =
    o.people ??
    (await ctx.deps.db
      .selectFrom('membership as m')
      .innerJoin('account as a', 'a.id', 'm.account_id')
      .select(['a.id', 'a.display_name', 'a.time_zone', 'a.locale'])
      .where('m.space_id', '=', o.spaceId)
      .execute());
  const me = people.find((p) => p.id === o.accountId);
  return {
    ctx,
    spaceId: o.spaceId,
    accountId: o.accountId,
    agentId: o.agentId ?? null,
    runId: o.runId ?? null,
    visibility: o.visibility ?? 'private',
    idempotencyKey: o.idempotencyKey ?? null,
    now: ctx.now(),
    timeZone: me?.time_zone ?? 'UTC',
    locale: me?.locale === 'he' ? 'he' : 'en',
    signal: o.signal ?? new AbortController().signal,
    model: o.model ?? null,
    members: people.map((p) => p.display_name),
    inScope: (fn) => inTenant(ctx.deps.db, { spaceId: o.spaceId, accountId: o.accountId }, fn),
  };
}
