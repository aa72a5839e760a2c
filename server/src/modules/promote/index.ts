// Promote: "Promote to an organisational workflow": the org-workflow document of an installed pack
// (docs/org-workflow-format.md), its JSON Schema, sending it to connectsoft.io (signed, retried), and the
// connectsoft.io offer. It does not change the installation it exports (packs owns it).
import type { ModuleDef } from '#core/module.js';
import { connectsoftIoSetting } from './promote.config.js';
import { sendWorkflowJob } from './promote.jobs.js';
import { promoteRoutes } from './promote.routes.js';

export { ioOffer } from './promote.service.js';

export const promoteModule: ModuleDef = {
  name: 'promote',
  routes: promoteRoutes,
  jobs: [sendWorkflowJob],
  settings: [connectsoftIoSetting],
};
