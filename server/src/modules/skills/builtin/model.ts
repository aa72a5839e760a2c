// The model-backed path behind a skill's contract: used only when a model is configured and allowed
// (sctx.model), and only when its answer passes the contract and the skill's own check; any failure
// falls back to the local engine, which must meet the quality targets alone.
import type { z } from 'zod';
import type { SkillContext } from '#core/skill.js';

export async function tryModel<S extends z.ZodType>(
  sctx: SkillContext,
  schema: S,
  request: { system: string; prompt: string; maxOutputTokens?: number },
  accept: (out: z.output<S>) => boolean = () => true,
): Promise<z.output<S> | null> {
  if (!sctx.model) return null;
  try {
    const raw = await sctx.model.generateObject({ schema, ...request, signal: sctx.signal });
    const parsed = schema.safeParse(raw);
    return parsed.success && accept(parsed.data) ? parsed.data : null;
  } catch {
    return null;
  }
}
