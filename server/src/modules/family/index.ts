// Family: the members of a family space (invitations by signed single-use links, roles, removal,
// leaving, ownership transfer), the end of a family space when its Family plan ends (read-only, then
// deleted, private items moving to each member's personal space), and the weekly digest per member.
// It does not own the objects inside a space (each module does) nor the plan (plans and billing do).
import type { ModuleDef } from '#core/module.js';
import { familySetting } from './family.config.js';
import { sendDigestJob, sweepSpacesJob } from './family.jobs.js';
import { familyRoutes } from './family.routes.js';
import { checkFamilyPlan } from './family.service.js';

// For app.ts: a family space whose Family plan ended takes no changes (403 read_only).
export { assertSpaceWritable, sendWeeklyDigests, sweepFamilySpaces } from './family.service.js';

export const familyModule: ModuleDef = {
  name: 'family',
  routes: familyRoutes,
  jobs: [sweepSpacesJob, sendDigestJob],
  cron: [
    { job: sweepSpacesJob, pattern: '17 * * * *', backfillMinutes: 120 },
    { job: sendDigestJob, pattern: '0 17 * * 0' },
  ],
  settings: [familySetting],
  enforceLimits: (ctx, spaceId) => checkFamilyPlan(ctx, spaceId),
};
