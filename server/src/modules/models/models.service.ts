import { createAzure } from '@ai-sdk/azure';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { ModelStatus } from '@csme/contracts/models';
import { APICallError, generateObject, type LanguageModel } from 'ai';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import type { ModelAccess } from '#core/skill.js';
import { logActivity } from '#modules/activity/index.js';
import { getEntitlements, limitError } from '#modules/plans/index.js';
import { modelPricesSetting, modelsSetting } from './models.config.js';
import { callCostMicros } from './models.policy.js';

/** A resolved model configuration: where calls go and with which key (never logged). */
export interface ModelConfig {
  source: 'operator' | 'personal';
  provider: 'openai' | 'azure' | 'openai-compatible';
  model: string;
  baseUrl: string | null;
  apiKey: string | null;
  azureResource: string | null;
  azureApiVersion: string | null;
  timeoutMs: number;
}

/** Builds the AI SDK model for a configuration. Tests and benchmarks replace it (deps.languageModel). */
export function createLanguageModel(cfg: ModelConfig, fetchImpl?: typeof fetch): LanguageModel {
  if (cfg.provider === 'azure') {
    return createAzure({
      resourceName: cfg.azureResource ?? undefined,
      baseURL: cfg.baseUrl ?? undefined,
      apiKey: cfg.apiKey ?? '',
      apiVersion: cfg.azureApiVersion ?? undefined,
      fetch: fetchImpl,
    })(cfg.model);
  }
  if (cfg.provider === 'openai')
    return createOpenAI({ apiKey: cfg.apiKey ?? '', baseURL: cfg.baseUrl ?? undefined, fetch: fetchImpl })(cfg.model);
  return createOpenAICompatible({
    name: 'compatible',
    baseURL: cfg.baseUrl ?? 'http://127.0.0.1:11434/v1',
    apiKey: cfg.apiKey ?? 'none',
    supportsStructuredOutputs: true,
    fetch: fetchImpl,
  }).chatModel(cfg.model);
}

async function personalConfig(ctx: Ctx, spaceId: string, accountId: string, timeoutMs: number): Promise<ModelConfig | null> {
  const row = await ctx.deps.db
    .selectFrom('model_credential')
    .selectAll()
    .where('space_id', '=', spaceId)
    .where('owner_account_id', '=', accountId)
    .executeTakeFirst();
  if (!row) return null;
  const apiKey = await ctx.deps.vault.decryptString({ spaceId, purpose: 'model.api-key', recordId: row.id }, row.api_key);
  return {
    source: 'personal',
    provider: row.provider as ModelConfig['provider'],
    model: row.model,
    baseUrl: row.base_url,
    apiKey,
    azureResource: row.azure_resource,
    azureApiVersion: row.azure_api_version,
    timeoutMs,
  };
}

/** The model a space's agents would use now, or null (local engine only, or none configured). */
export async function resolveModelConfig(ctx: Ctx, spaceId: string, accountId: string): Promise<ModelConfig | null> {
  const space = await ctx.deps.db.selectFrom('space').select('local_only').where('id', '=', spaceId).executeTakeFirst();
  if (!space || space.local_only) return null;
  const op = await ctx.deps.settings.get(modelsSetting);
  const ent = await getEntitlements(ctx.deps.db, spaceId, ctx.now());
  if (ent.limits.connectors === 'all') {
    const mine = await personalConfig(ctx, spaceId, accountId, op.timeoutMs);
    if (mine) return mine;
  }
  if (!op.enabled) return null;
  return {
    source: 'operator',
    provider: op.provider,
    model: op.model,
    baseUrl: op.baseUrl,
    apiKey: op.apiKey,
    azureResource: op.azureResource,
    azureApiVersion: op.azureApiVersion,
    timeoutMs: op.timeoutMs,
  };
}

export interface ModelScope {
  spaceId: string;
  accountId: string;
  visibility: 'shared' | 'private';
  runId?: string | null;
  agentId?: string | null;
  packId?: string | null;
  /** The pack is set to stay on the local engine. */
  localOnly: boolean;
  /** Model calls need the `model` scope. */
  grantedScopes: readonly string[];
  /** Called after each call with what it used (the executor adds it to the run and checks the budget). */
  onUsage?: (u: { tokensIn: number; tokensOut: number; costMicros: number }) => void;
}

/**
 * Model access for one run or request, or null when the work must stay on the local engine (no
 * provider, a local-only space or pack, or no `model` scope). Every call is metered (tokens, latency,
 * cost from the price table), recorded, and written to the activity log (never its content).
 */
export async function getModelAccess(ctx: Ctx, scope: ModelScope): Promise<ModelAccess | null> {
  if (scope.localOnly || !scope.grantedScopes.includes('model')) return null;
  const cfg = await resolveModelConfig(ctx, scope.spaceId, scope.accountId);
  if (!cfg) return null;
  // Model providers are reached through the egress guard like every other outbound path (a person's own
  // base URL could point inside the network); a local server such as Ollama needs an allow-list entry.
  const host = cfg.baseUrl ? new URL(cfg.baseUrl).hostname : undefined;
  const model = ctx.deps.languageModel
    ? ctx.deps.languageModel(cfg)
    : createLanguageModel(
        cfg,
        ctx.deps.egress.fetchFor({ kind: 'http', credentialsHost: host, timeoutMs: cfg.timeoutMs, maxBytes: 4 * 1024 * 1024 }),
      );
  return {
    async generateObject<T>(opts: {
      schema: z.ZodType<T>;
      system: string;
      prompt: string;
      maxOutputTokens?: number;
      signal?: AbortSignal;
    }): Promise<T> {
      const started = Date.now();
      const timeout = AbortSignal.timeout(cfg.timeoutMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      let tokensIn = 0;
      let tokensOut = 0;
      let ok = false;
      let error: string | null = null;
      try {
        const r = await generateObject({
          model,
          schema: opts.schema,
          system: opts.system,
          prompt: opts.prompt,
          maxOutputTokens: opts.maxOutputTokens,
          abortSignal: signal,
          maxRetries: 0,
        });
        tokensIn = r.usage.inputTokens ?? 0;
        tokensOut = r.usage.outputTokens ?? 0;
        ok = true;
        return r.object as T;
      } catch (e) {
        error = timeout.aborted
          ? `no answer within ${Math.round(cfg.timeoutMs / 1000)} s`
          : (e as Error).message.replace(/(sk-|Bearer\s+)[A-Za-z0-9_*._-]+/g, '$1…').slice(0, 300);
        const status = APICallError.isInstance(e) ? e.statusCode : undefined;
        const where = cfg.source === 'personal' ? 'your own key in Settings → Models' : "the instance's model settings (an operator)";
        // A refused key or an unknown model does not get better by trying again: the step fails and says what to fix.
        if (status === 401 || status === 403)
          throw new AppError('forbidden', `The model provider refused the key (${status}). Check ${where}.`, { reason: 'model_key' });
        if (status === 400 || status === 404 || status === 422)
          throw new AppError(
            'invalid_input',
            `The model provider refused the request (${status}: ${error}). Check the model name in ${where}.`,
            {
              reason: 'model_request',
            },
          );
        throw new AppError('unavailable', `The model provider did not answer (${error}). It will be tried again.`);
      } finally {
        const prices = await ctx.deps.settings.get(modelPricesSetting);
        const costMicros = callCostMicros(prices.prices, cfg.model, tokensIn, tokensOut);
        const latency = Date.now() - started;
        await ctx.deps.db.transaction().execute(async (tx) => {
          await tx
            .insertInto('model_call')
            .values({
              id: newId(),
              space_id: scope.spaceId,
              owner_account_id: scope.accountId,
              visibility: scope.visibility,
              run_id: scope.runId ?? null,
              agent_id: scope.agentId ?? null,
              pack_id: scope.packId ?? null,
              source: cfg.source,
              provider: cfg.provider,
              model: cfg.model,
              purpose: opts.system.slice(0, 80),
              tokens_in: tokensIn,
              tokens_out: tokensOut,
              latency_ms: latency,
              cost_micros: costMicros,
              ok,
              error,
              at: ctx.now(),
            })
            .execute();
          await logActivity(
            tx,
            {
              spaceId: scope.spaceId,
              ownerAccountId: scope.visibility === 'private' ? scope.accountId : null,
              actorKind: 'agent',
              agentId: scope.agentId ?? null,
              kind: 'model.call',
              objectType: 'run',
              objectId: scope.runId ?? null,
              summary: ok ? `Asked ${cfg.model} (${tokensIn} tokens in, ${tokensOut} out)` : `Asked ${cfg.model}; it failed: ${error}`,
              data: {
                provider: cfg.provider,
                model: cfg.model,
                source: cfg.source,
                tokensIn,
                tokensOut,
                costMicros,
                latencyMs: latency,
                ok,
                packId: scope.packId ?? null,
              },
            },
            ctx.now(),
          );
        });
        ctx.deps.metrics.modelTokens.inc({ direction: 'in', model: cfg.model }, tokensIn);
        ctx.deps.metrics.modelTokens.inc({ direction: 'out', model: cfg.model }, tokensOut);
        ctx.deps.metrics.modelCostMicros.inc({ model: cfg.model }, costMicros);
        scope.onUsage?.({ tokensIn, tokensOut, costMicros });
      }
    },
  };
}

export async function getModelStatus(ctx: ActorCtx): Promise<ModelStatus> {
  const spaceId = ctx.actor.spaceId;
  const cfg = await resolveModelConfig(ctx, spaceId, ctx.actor.accountId);
  const space = await ctx.deps.db.selectFrom('space').select('local_only').where('id', '=', spaceId).executeTakeFirstOrThrow();
  const ent = await getEntitlements(ctx.deps.db, spaceId, ctx.now());
  return inSpace(ctx, async (c) => {
    const mine = await c.db
      .selectFrom('model_credential')
      .select(['provider', 'model', 'base_url'])
      .where('space_id', '=', spaceId)
      .where('owner_account_id', '=', ctx.actor.accountId)
      .executeTakeFirst();
    const since = new Date(ctx.now().getTime() - 30 * 86_400_000);
    const usage = await sql<{ calls: number; tokens_in: number; tokens_out: number; cost: number }>`
      select count(*)::int as calls, coalesce(sum(tokens_in), 0)::int as tokens_in, coalesce(sum(tokens_out), 0)::int as tokens_out, coalesce(sum(cost_micros), 0)::bigint as cost
      from model_call where space_id = ${spaceId} and at >= ${since}`.execute(c.db);
    const u = usage.rows[0]!;
    return {
      source: cfg?.source ?? 'none',
      provider: cfg?.provider ?? null,
      model: cfg?.model ?? null,
      localOnly: space.local_only,
      personal: mine
        ? { provider: mine.provider as ModelConfig['provider'], model: mine.model, baseUrl: mine.base_url, keySet: true as const }
        : null,
      personalAllowed: ent.limits.connectors === 'all',
      last30Days: { calls: u.calls, tokensIn: u.tokens_in, tokensOut: u.tokens_out, costMicros: Number(u.cost) },
    };
  });
}

export async function setPersonalModel(
  ctx: ActorCtx,
  input: {
    provider: ModelConfig['provider'];
    model: string;
    apiKey: string;
    baseUrl?: string;
    azureResource?: string;
    azureApiVersion?: string;
  },
): Promise<ModelStatus> {
  if (ctx.actor.role === 'child') throw new AppError('forbidden', 'Only an adult of the family can add a model provider.');
  const ent = await getEntitlements(ctx.deps.db, ctx.actor.spaceId, ctx.now());
  if (ent.limits.connectors !== 'all') throw await limitError(ctx.deps.db, ent, 'connectors', 0);
  if (input.provider === 'openai-compatible' && !input.baseUrl)
    throw new AppError('invalid_input', 'An OpenAI-compatible server needs its address (baseUrl).', {
      issues: [{ path: 'body.baseUrl', message: 'is required for this provider' }],
    });
  if (input.provider === 'azure' && !input.azureResource && !input.baseUrl)
    throw new AppError('invalid_input', 'Azure OpenAI needs the resource name or the address.', {
      issues: [{ path: 'body.azureResource', message: 'is required for Azure' }],
    });
  await inSpace(ctx, async (c) => {
    const existing = await c.db
      .selectFrom('model_credential')
      .select('id')
      .where('space_id', '=', ctx.actor.spaceId)
      .where('owner_account_id', '=', ctx.actor.accountId)
      .executeTakeFirst();
    const id = existing?.id ?? newId();
    const apiKey = await ctx.deps.vault.encryptString({ spaceId: ctx.actor.spaceId, purpose: 'model.api-key', recordId: id }, input.apiKey);
    const row = {
      provider: input.provider,
      model: input.model,
      base_url: input.baseUrl ?? null,
      azure_resource: input.azureResource ?? null,
      azure_api_version: input.azureApiVersion ?? null,
      api_key: apiKey,
      updated_at: ctx.now(),
    };
    if (existing) await c.db.updateTable('model_credential').set(row).where('id', '=', id).execute();
    else
      await c.db
        .insertInto('model_credential')
        .values({ id, space_id: ctx.actor.spaceId, owner_account_id: ctx.actor.accountId, visibility: 'private', ...row })
        .execute();
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: ctx.actor.accountId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'settings.changed',
        objectType: 'model_credential',
        objectId: id,
        summary: `Set your own model provider: ${input.provider}, ${input.model}`,
      },
      ctx.now(),
    );
  });
  return getModelStatus(ctx);
}

export async function removePersonalModel(ctx: ActorCtx): Promise<ModelStatus> {
  await inSpace(ctx, (c) =>
    c.db
      .deleteFrom('model_credential')
      .where('space_id', '=', ctx.actor.spaceId)
      .where('owner_account_id', '=', ctx.actor.accountId)
      .execute(),
  );
  return getModelStatus(ctx);
}

export async function setLocalOnly(ctx: ActorCtx, localOnly: boolean): Promise<ModelStatus> {
  if (ctx.actor.role === 'child') throw new AppError('forbidden', 'Only an adult of the family can change this.');
  await ctx.deps.db.transaction().execute(async (tx) => {
    await tx.updateTable('space').set({ local_only: localOnly, updated_at: ctx.now() }).where('id', '=', ctx.actor.spaceId).execute();
    await logActivity(
      tx,
      {
        spaceId: ctx.actor.spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'settings.changed',
        objectType: 'space',
        objectId: ctx.actor.spaceId,
        summary: localOnly ? 'Kept every agent of this space on the local engine' : 'Allowed agents of this space to use a model provider',
      },
      ctx.now(),
    );
  });
  return getModelStatus(ctx);
}
