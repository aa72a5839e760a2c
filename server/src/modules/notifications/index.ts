// Notifications: the email outbox (SMTP or the operators' development mailbox).
// It does not decide what to tell people or when: other modules render a mail and queue it here.
import type { ModuleDef } from '#core/module.js';
import { smtpSetting } from './notifications.config.js';
import { deliverEmailJob, sendDigestsJob, sendPushJob } from './notifications.jobs.js';
import { notificationsRoutes } from './notifications.routes.js';

export { type RenderedEmail, renderEmail } from './notifications.presenter.js';
export { isSmtpConfigured, notify, queueEmail } from './notifications.service.js';

import { notifyPersonSkill } from './notifications.service.js';

export { smtpSetting };

export const notificationsModule: ModuleDef = {
  name: 'notifications',
  routes: notificationsRoutes,
  jobs: [deliverEmailJob, sendDigestsJob, sendPushJob],
  cron: [{ job: sendDigestsJob, pattern: '*/15 * * * *' }],
  settings: [smtpSetting],
  skills: [notifyPersonSkill],
};
