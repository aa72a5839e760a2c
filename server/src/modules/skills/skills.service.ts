import type { SkillView } from '@csme/contracts/skills';
import { z } from 'zod';
import type { Ctx } from '#core/ctx.js';
import { AppError, isAppError } from '#core/errors.js';
import type { ModuleDef } from '#core/module.js';
import type { ModelAccess, SkillContext, SkillDef } from '#core/skill.js';
import { BUILTIN_SKILLS } from './builtin/index.js';

/** The skills module's own list, the registry's default when the caller has no modules at hand (the CLI). */
const builtinModules: readonly ModuleDef[] = [{ name: 'skills', skills: BUILTIN_SKILLS }];

const indexes = new WeakMap<readonly ModuleDef[], Map<string, SkillDef>>();

function indexOf(modules: readonly ModuleDef[]): Map<string, SkillDef> {
  let index = indexes.get(modules);
  if (!index) {
    index = new Map();
    for (const m of modules)
      for (const s of m.skills ?? []) {
        if (index.has(s.id)) throw new Error(`skill ${s.id} is defined twice (module ${m.name})`);
        index.set(s.id, s);
      }
    indexes.set(modules, index);
  }
  return index;
}

/** Every skill the modules offer, by id. */
export function listSkills(modules: readonly ModuleDef[] = builtinModules): SkillDef[] {
  return [...indexOf(modules).values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** The skill with this id, or `not_found`. Without modules, the built-in compute skills. */
export function getSkill(id: string, modules: readonly ModuleDef[] = builtinModules): SkillDef {
  const skill = indexOf(modules).get(id);
  if (!skill) throw new AppError('not_found', `There is no skill ${id}. \`csme skill list\` shows them.`, { skill: id });
  return skill;
}

interface InputIssue {
  path: string;
  message: string;
}

function issuesOf(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => ({ path: i.path.length ? i.path.map(String).join('.') : '(input)', message: i.message }));
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
  const input = skill.input.safeParse(rawInput);
  if (!input.success) {
    const issues = issuesOf(input.error);
    const first = issues[0]!;
    throw new AppError('invalid_input', `${skill.id}: ${first.path}: ${first.message}`, { skill: skill.id, issues });
  }
  if (sctx.signal.aborted) throw new AppError('unavailable', `${skill.id} was cancelled before it started.`, { skill: skill.id });
  let raw: unknown;
  try {
    raw = await skill.run(sctx, input.data);
  } catch (e) {
    if (isAppError(e)) throw e;
    throw new AppError('internal', `The skill ${skill.id} failed: ${e instanceof Error ? e.message : String(e)}`, { skill: skill.id });
  }
  const output = skill.output.safeParse(raw);
  if (!output.success)
    throw new AppError('internal', `The skill ${skill.id} returned an answer that breaks its contract.`, {
      skill: skill.id,
      issues: issuesOf(output.error),
    });
  return output.data;
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
