import * as C from '@csme/contracts/tasks';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './tasks.service.js';

export const tasksRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listTasks, 'signed_in', (ctx, { query }) => S.listTasks(ctx, query));
  route(app, C.createTask, 'signed_in', (ctx, { body }) => S.createTask(ctx, body));
  route(app, C.updateTask, 'signed_in', (ctx, { params, body }) => S.updateTask(ctx, params.taskId, body));
  route(app, C.deleteTask, 'signed_in', async (ctx, { params }) => {
    await S.deleteTask(ctx, params.taskId);
    return { ok: true as const };
  });
};
