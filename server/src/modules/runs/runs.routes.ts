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
import { AppError } from '#core/errors.js';
import { route } from '#core/http.js';
import { findAgentByWebhookToken } from '#modules/agents/index.js';
import type { Deps } from '../../deps.js';
import { admitRun, cancelRun, getRun, listRuns, runAgentNow } from './runs.service.js';

const WEBHOOK_BODY_LIMIT = 256 * 1024;

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
        // The one narrow system lookup: the space comes from the token.
        const agent = await findAgentByWebhookToken(deps.db, sha256(token));
        if (!agent) throw new AppError('not_found', 'There is no webhook at this address.');
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
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
        const deliveryId =
          String(req.headers['x-delivery-id'] ?? req.headers['x-github-delivery'] ?? req.headers['idempotency-key'] ?? '').slice(0, 200) ||
          sha256(raw).toString('hex');
        const r = await admitRun(systemCtx(deps, req.ctx.log), {
          spaceId: agent.space_id,
          agentId: agent.id,
          kind: 'webhook',
          key: `webhook:${deliveryId}`,
          data: { deliveryId, contentType: req.headers['content-type'] ?? null, body: parseBody(raw, req.headers['content-type']) },
        });
        reply.code(202);
        return { runId: r.runId, status: r.status, reason: r.status === 'refused' ? r.message : null };
      },
    );
  });
};
