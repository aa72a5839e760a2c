import { listSkills as listSkillsEndpoint } from '@csme/contracts/skills';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { listSkills, skillView } from './skills.service.js';

export const skillsRoutes: FastifyPluginAsync = async (app) => {
  route(app, listSkillsEndpoint, 'signed_in', async (ctx) => ({ skills: listSkills(ctx.deps.modules).map(skillView) }));
};
