// Apps: the person's own data that agents read and write (tasks now; notes, lists, contacts, reminders,
// calendar, invoices, expenses, documents and study cards join it), one subfolder per app because each
// is a small area of its own (repository, service, routes, skills) that shares this module's rules.
// It does not run agents; its skills are how packs reach it. Documents are a view over the connectors'
// uploaded files (the file and its text stay there, joined read-only by foreign key) plus what studying
// adds: summary, key phrases, exam date, a deck. Invoices use the email connector's send path to send.
import type { FastifyPluginAsync } from 'fastify';
import type { ModuleDef } from '#core/module.js';
import { cardsSetting } from './cards/cards.config.js';
import { cardsRoutes } from './cards/cards.routes.js';
import { cardSkills } from './cards/cards.skills.js';
import { documentsRoutes } from './documents/documents.routes.js';
import { documentSkills } from './documents/documents.skills.js';
import { expensesRoutes } from './expenses/expenses.routes.js';
import { expenseSkills } from './expenses/expenses.skills.js';
import { markOverdueInvoicesJob } from './invoices/invoices.jobs.js';
import { invoicesRoutes } from './invoices/invoices.routes.js';
import { invoiceSkills } from './invoices/invoices.skills.js';
import { tasksRoutes } from './tasks/tasks.routes.js';
import { tasksComplete, tasksCreate, tasksDigest, tasksGet, tasksList } from './tasks/tasks.skills.js';

export { cardsSetting, markOverdueInvoicesJob };

const appsRoutes: FastifyPluginAsync = async (app) => {
  await app.register(tasksRoutes);
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
    tasksDigest,
    ...invoiceSkills,
    ...expenseSkills,
    ...documentSkills,
    ...cardSkills,
  ],
  settings: [cardsSetting],
  jobs: [markOverdueInvoicesJob],
  cron: [{ job: markOverdueInvoicesJob, pattern: '7 * * * *', backfillMinutes: 120 }],
};
