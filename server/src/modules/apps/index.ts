// Apps: the person's own data that agents read and write: tasks, notes, lists (items, staples), reminders
// (fired to the member they are for), contacts and the calendar (own events merged with connected ones);
// invoices, expenses, documents and study cards join it. One subfolder per app, because each is a small
// area of its own (repository, service, routes, skills) sharing this module's Family roles (apps.policy.ts).
// It does not run agents; its skills are how packs reach it.
import type { FastifyPluginAsync } from 'fastify';
import type { ModuleDef } from '#core/module.js';
import { announceEventsJob } from './calendar/calendar.jobs.js';
import { calendarRoutes } from './calendar/calendar.routes.js';
import { calendarAppSkills } from './calendar/calendar.skills.js';
import { cardsSetting } from './cards/cards.config.js';
import { cardsRoutes } from './cards/cards.routes.js';
import { cardSkills } from './cards/cards.skills.js';
import { contactsRoutes } from './contacts/contacts.routes.js';
import { contactsSkills } from './contacts/contacts.skills.js';
import { documentsRoutes } from './documents/documents.routes.js';
import { documentSkills } from './documents/documents.skills.js';
import { expensesRoutes } from './expenses/expenses.routes.js';
import { expenseSkills } from './expenses/expenses.skills.js';
import { markOverdueInvoicesJob } from './invoices/invoices.jobs.js';
import { invoicesRoutes } from './invoices/invoices.routes.js';
import { invoiceSkills } from './invoices/invoices.skills.js';
import { listsRoutes } from './lists/lists.routes.js';
import { listsSkills } from './lists/lists.skills.js';
import { notesRoutes } from './notes/notes.routes.js';
import { notesSkills } from './notes/notes.skills.js';
import { fireReminderJob, sweepRemindersJob } from './reminders/reminders.jobs.js';
import { remindersRoutes } from './reminders/reminders.routes.js';
import { remindersSkills } from './reminders/reminders.skills.js';
import { tasksRoutes } from './tasks/tasks.routes.js';
import { tasksComplete, tasksCreate, tasksDigest, tasksGet, tasksList, tasksUpdate } from './tasks/tasks.skills.js';

// For the privacy export: an invoice's generated PDF.
export { invoicePdfOfRow } from './invoices/invoices.service.js';
export { addItemsIn, addStapleIn, createListIn } from './lists/lists.service.js';
export { createNoteIn } from './notes/notes.service.js';
export { createReminderIn } from './reminders/reminders.service.js';
export { createTaskIn } from './tasks/tasks.service.js';
export { cardsSetting, markOverdueInvoicesJob };

const appsRoutes: FastifyPluginAsync = async (app) => {
  await app.register(tasksRoutes);
  await app.register(notesRoutes);
  await app.register(listsRoutes);
  await app.register(remindersRoutes);
  await app.register(contactsRoutes);
  await app.register(calendarRoutes);
  await app.register(invoicesRoutes);
  await app.register(expensesRoutes);
  await app.register(documentsRoutes);
  await app.register(cardsRoutes);
};

export const appsModule: ModuleDef = {
  name: 'apps',
  routes: appsRoutes,
  skills: [
    tasksList,
    tasksGet,
    tasksCreate,
    tasksComplete,
    tasksUpdate,
    tasksDigest,
    ...notesSkills,
    ...listsSkills,
    ...remindersSkills,
    ...contactsSkills,
    ...calendarAppSkills,
    ...invoiceSkills,
    ...expenseSkills,
    ...documentSkills,
    ...cardSkills,
  ],
  settings: [cardsSetting],
  jobs: [fireReminderJob, sweepRemindersJob, announceEventsJob, markOverdueInvoicesJob],
  cron: [
    { job: sweepRemindersJob, pattern: '*/5 * * * *' },
    { job: announceEventsJob, pattern: '7 * * * *' },
    { job: markOverdueInvoicesJob, pattern: '7 * * * *', backfillMinutes: 120 },
  ],
};
