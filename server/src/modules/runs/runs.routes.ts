import { createHmac } from 'node:crypto';
import {
  cancelRun as cancelRunEndpoint,
  getRun as getRunEndpoint,
  listRuns as listRunsEndpoint,
  runAgentNow as runNowEndpoint,
  WebhookAccepted,
} from '@csme/contracts/runs';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { safeEqual, sha256 } from '#core/crypto.js';
import { systemCtx } from '#core/ctx.js';
import { AppError, isAppError } from '#core/errors.js';
import { route } from '#core/http.js';
import { findAgentByWebhookToken } from '#modules/agents/index.js';
import type { Deps } from '../../deps.js';
import { type Admission, admitRun, cancelRun, getRun, listRuns, runAgentNow } from './runs.service.js';

const WEBHOOK_BODY_LIMIT = 256 * 1024;

type WebhookAgent = NonNullable<Awaited<ReturnType<typeof findAgentByWebhookToken>>>;

/**
 * The agent behind a webhook token, kept a minute in this process. A cached answer is never trusted
 * alone: admission checks again, in its own statement, that the token is still the agent's (a new URL
 * stops the old one at once), and a miss there drops the entry.
 */
const webhookAgents = new Map<string, { at: number; agent: WebhookAgent }>();
const WEBHOOK_CACHE_MS = 60_000;

async function webhookAgent(deps: Deps, hash: Buffer, fresh: boolean): Promise<{ agent?: WebhookAgent; cached: boolean }> {
  const key = hash.toString('hex');
  const hit = webhookAgents.get(key);
  if (!fresh && hit && Date.now() - hit.at < WEBHOOK_CACHE_MS) return { agent: hit.agent, cached: true };
  const agent = await findAgentByWebhookToken(deps.db, hash);
  if (agent) {
    webhookAgents.delete(key);
    webhookAgents.set(key, { at: Date.now(), agent });
    if (webhookAgents.size > 10_000) webhookAgents.delete(webhookAgents.keys().next().value!);
  } else webhookAgents.delete(key);
  return { agent, cached: false };
}

/** The body as the agent sees it: JSON when it parses, otherwise the text (both bounded by the body limit). */
function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const text = raw.toString('utf8');
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return { text };
    }
  }
  return { text };
}

export const runsRoutes: FastifyPluginAsync = async (app) => {
  route(app, listRunsEndpoint, 'signed_in', (ctx, { query }) => listRuns(ctx, query));
  route(app, getRunEndpoint, 'signed_in', (ctx, { params }) => getRun(ctx, params.runId));
  route(app, cancelRunEndpoint, 'signed_in', (ctx, { params }) => cancelRun(ctx, params.runId));
  route(app, runNowEndpoint, 'signed_in', (ctx, { params, body }) => runAgentNow(ctx, params.agentId, body?.input));

  // Incoming webhooks: a secret URL per installed agent. Any content type, as raw bytes.
  await app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    hooks.post(
      '/webhooks/:token',
      {
        config: { auth: 'public', csrfExempt: true },
        bodyLimit: WEBHOOK_BODY_LIMIT,
        schema: {
          summary: 'Deliver an event to an agent through its secret webhook URL',
          tags: ['runs'],
          params: z.strictObject({ token: z.string().min(20).max(100) }),
          response: { 202: WebhookAccepted },
        },
      },
      async (req, reply) => {
        const deps: Deps = req.ctx.deps;
        const { token } = req.params as { token: string };
        const hash = sha256(token);
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const deliveryId =
          String(req.headers['x-delivery-id'] ?? req.headers['x-github-delivery'] ?? req.headers['idempotency-key'] ?? '').slice(0, 200) ||
          sha256(raw).toString('hex');
        let cached = false;
        const deliver = async (fresh: boolean) => {
          // The one narrow system lookup: the space comes from the token.
          const found = await webhookAgent(deps, hash, fresh);
          cached = found.cached;
          const agent = found.agent;
          if (!agent) throw new AppError('not_found', 'There is no webhook at this address.');
          if (agent.webhook_secret) {
            const secret = await deps.vault.decryptString(
              { spaceId: agent.space_id, purpose: 'agent.webhook-secret', recordId: agent.id },
              agent.webhook_secret,
            );
            const sent = String(req.headers['x-csme-signature'] ?? req.headers['x-hub-signature-256'] ?? '').replace(/^sha256=/, '');
            const expected = createHmac('sha256', secret).update(raw).digest('hex');
            if (!sent || !safeEqual(sent, expected))
              throw new AppError(
                'unauthenticated',
                'The signature of this delivery is missing or wrong (HMAC-SHA256 of the body, hex, in X-Csme-Signature).',
              );
          }
          return admitRun(systemCtx(deps, req.ctx.log), {
            spaceId: agent.space_id,
            agentId: agent.id,
            kind: 'webhook',
            key: `webhook:${deliveryId}`,
            data: { deliveryId, contentType: req.headers['content-type'] ?? null, body: parseBody(raw, req.headers['content-type']) },
            webhookTokenHash: hash,
          });
        };
        let r: Admission;
        try {
          r = await deliver(false);
        } catch (e) {
          // The cached agent no longer owns this token (a new URL, or a new secret): look again, once.
          if (!cached || !isAppError(e) || (e.code !== 'not_found' && e.code !== 'unauthenticated')) throw e;
          r = await deliver(true);
        }
        reply.code(202);
        return { runId: r.runId, status: r.status, reason: r.status === 'refused' ? r.message : null };
      },
    );
  });
};
