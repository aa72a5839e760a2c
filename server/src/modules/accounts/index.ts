// Accounts: people, passwords, sessions, CSRF, second factor, emailed links, sign-in throttling,
// personal API tokens, and resolving who is calling. It does not decide what a person may do inside a space (each module does).
import type { ModuleDef } from '#core/module.js';
import { authSetting } from './accounts.config.js';
import { accountsRoutes } from './accounts.routes.js';

export { CSRF_HEADER, normalizeEmail, SESSION_COOKIE } from './accounts.policy.js';
export { sessionCookieOptions } from './accounts.routes.js';
export {
  checkCsrf,
  createOperator,
  endImpersonationSessions,
  findAccountIdByEmail,
  type NewSession,
  openImpersonationSession,
  type RequestMeta,
  resolveSessionActor,
  resolveTokenActor,
  restoreAccount,
  suspendAccount,
  switchSpace,
} from './accounts.service.js';

export const accountsModule: ModuleDef = { name: 'accounts', routes: accountsRoutes, settings: [authSetting] };
