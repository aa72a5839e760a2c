import type { SkillView } from '@csme/contracts/skills';
import { z } from 'zod';
import type { Ctx } from '#core/ctx.js';
import { AppError } from '#core/errors.js';
import type { ModuleDef } from '#core/module.js';
import { findSkill, invokeSkill, type ModelAccess, type SkillContext, type SkillDef, skillIndex } from '#core/skill.js';
import { BUILTIN_SKILLS } from './builtin/index.js';

/** The skills module's own list, the registry's default when the caller has no modules at hand (the CLI). */
const builtinModules: readonly ModuleDef[] = [{ name: 'skills', skills: BUILTIN_SKILLS }];

/** Every skill the modules offer, by id. */
export function listSkills(modules: readonly ModuleDef[] = builtinModules): SkillDef[] {
  return [...skillIndex(modules).values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** The skill with this id, or `not_found`. Without modules, the built-in compute skills. */
export function getSkill(id: string, modules: readonly ModuleDef[] = builtinModules): SkillDef {
  const skill = findSkill(modules, id);
  if (!skill) throw new AppError('not_found', `There is no skill ${id}. \`csme skill list\` shows them.`, { skill: id });
  return skill;
}

/** The contexts of standalone runs (no instance behind them), by their ctx, which copies of the context share. */
const standalone = new WeakSet<object>();

/**
 * Runs a skill: validates the input with its contract (a clear `invalid_input` naming each path),
 * runs it, and validates what it returns (an answer that breaks the contract is the skill's fault:
 * `internal`, never a crash of the caller). Returns the output as the contract parses it.
 */
export async function runSkill(sctx: SkillContext, skillOrId: string | SkillDef, rawInput: unknown): Promise<unknown> {
  const alone = standalone.has(sctx.ctx);
  const skill = typeof skillOrId === 'string' ? getSkill(skillOrId, alone ? builtinModules : sctx.ctx.deps.modules) : skillOrId;
  if (!skill.pure && alone)
    throw new AppError(
      'unavailable',
      `${skill.id} reads or changes a space's data, so it runs inside an instance (in an agent's step), not standalone.`,
      {
        skill: skill.id,
      },
    );
  return invokeSkill(skill, sctx, rawInput);
}

export interface StandaloneOptions {
  now?: Date;
  timeZone?: string;
  locale?: 'en' | 'he';
  members?: readonly string[];
  signal?: AbortSignal;
  /** A model for the model-backed paths (tests, or a CLI given a provider); none by default. */
  model?: ModelAccess | null;
}

/**
 * A context for pure skills outside an instance (the CLI, the evaluation, benchmarks): no database,
 * no keys, no model. Anything that would reach tenant data fails with `unavailable`.
 */
export function standaloneSkillContext(opts: StandaloneOptions = {}): SkillContext {
  const noInstance = () => new AppError('unavailable', 'This needs a running instance (a database); pure skills do not.');
  const ctx = new Proxy({} as Ctx, {
    get() {
      throw noInstance();
    },
  });
  const sctx: SkillContext = {
    ctx,
    spaceId: null,
    accountId: null,
    agentId: null,
    runId: null,
    visibility: 'private',
    idempotencyKey: null,
    now: opts.now ?? new Date(),
    timeZone: opts.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
    locale: opts.locale ?? 'en',
    signal: opts.signal ?? new AbortController().signal,
    model: opts.model ?? null,
    members: opts.members ?? [],
    inScope: () => Promise.reject(noInstance()),
  };
  standalone.add(ctx);
  return sctx;
}

const views = new WeakMap<SkillDef, SkillView>();

/** What `GET /api/v1/skills` and `csme skill list` show of a skill, with JSON Schemas of its contract. */
export function skillView(skill: SkillDef): SkillView {
  let view = views.get(skill);
  if (!view) {
    view = {
      id: skill.id,
      description: skill.description,
      kind: skill.kind,
      scopes: [...skill.scopes],
      costClass: skill.costClass,
      pure: skill.pure,
      ...(skill.actionType ? { actionType: skill.actionType } : {}),
      input: z.toJSONSchema(skill.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
      output: z.toJSONSchema(skill.output, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>,
    };
    views.set(skill, view);
  }
  return view;
}
