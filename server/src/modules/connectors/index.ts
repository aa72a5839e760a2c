// Connectors: the accounts the platform reads from and acts on (IMAP/SMTP email, ICS and CalDAV
// calendars, RSS/Atom feeds, outgoing HTTP) with encrypted, host-bound credentials; their indexes
// (messages, events, feed items), uploaded files, sync jobs, health, plan gating and the skills packs use.
// It does not decide what agents do with them (runs, packs do). Subfolders: one per connector kind.

import { egressSetting } from '#core/egress.js';
import type { ModuleDef } from '#core/module.js';
import { calendarSkills } from './calendar/skills.js';
import { connectorsSetting } from './connectors.config.js';
import { scheduleSyncsJob, syncConnectorJob } from './connectors.jobs.js';
import { connectorsRoutes } from './connectors.routes.js';
import { countActiveConnectors, enforceConnectorLimits } from './connectors.service.js';
import { startIdleWatchers } from './email/idle.js';
import { emailSkills } from './email/skills.js';
import { feedsListItems } from './feeds/skills.js';
import { filesReadText } from './files/skills.js';
import { httpGet, httpRequest } from './http/skills.js';

export { attendeesOf } from './calendar/ical.js';
export { runSync } from './connectors.jobs.js';
// For family: a member's private connectors move with them, their credentials re-bound to the new space.
export { credentialsScope } from './connectors.policy.js';
export { findCalendarEvent, listCalendarOccurrences, listWritableCalendars } from './connectors.repository.js';
export {
  countDemoIndex,
  createDemoAccounts,
  type DemoMessage,
  deleteDemoAccounts,
  deleteDemoFiles,
  insertDemoFile,
} from './connectors.service.js';
export { findSentMail, sendMail } from './email/skills.js';

export const connectorsModule: ModuleDef = {
  name: 'connectors',
  routes: connectorsRoutes,
  jobs: [syncConnectorJob, scheduleSyncsJob],
  cron: [{ job: scheduleSyncsJob, pattern: '* * * * *' }],
  settings: [egressSetting, connectorsSetting],
  usageMeters: { connectors: countActiveConnectors },
  skills: [...emailSkills, ...calendarSkills, feedsListItems, filesReadText, httpGet, httpRequest],
  enforceLimits: enforceConnectorLimits,
  background: startIdleWatchers,
};
