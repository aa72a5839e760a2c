// Skills: the typed registry over every module's skills (list, look up, run with the input and output
// validated by their contracts) and the built-in compute skills of the local engine. It does not run
// agents or enforce a pack's scopes (the runs module does, where a step calls a skill).
// builtin/ holds one file per built-in skill plus the local engine they share (dates, time zones,
// recurrence, text), kept apart so `csme skill` loads them without the rest of the platform.
import type { ModuleDef } from '#core/module.js';
import { BUILTIN_SKILLS } from './builtin/index.js';

export { getSkill, listSkills, runSkill, skillView, standaloneSkillContext } from './skills.service.js';

export const skillsModule: ModuleDef = {
  name: 'skills',
  // Imported when the API starts, not when `csme skill` loads this module for the skills alone.
  routes: async (app) => (await import('./skills.routes.js')).skillsRoutes(app, {}),
  skills: BUILTIN_SKILLS,
};
