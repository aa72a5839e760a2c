import { type ComponentType, lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import type { RouteObject } from 'react-router';
import { Link } from 'react-router';
import { loadNamespaces } from '../i18n';
import { EmptyState, Spinner } from '../ui';
import { Layout } from './Layout';

function NotFound() {
  const { t } = useTranslation();
  return (
    <EmptyState title={t('errors.notFound')} action={<Link to="/">{t('errors.goHome')}</Link>}>
      {t('errors.notFoundHint')}
    </EmptyState>
  );
}

function Loading() {
  const { t } = useTranslation();
  return <Spinner label={t('loading')} />;
}

/**
 * A page loaded when it is first opened (its own chunk), so that the first load stays small, together
 * with the message namespaces it needs that are not in the first load (see i18n/index.ts).
 */
function page(load: () => Promise<ComponentType>, ns: readonly string[] = []) {
  const Page = lazy(async () => {
    const [component] = await Promise.all([load(), loadNamespaces(ns)]);
    return { default: component };
  });
  return (
    <Suspense fallback={<Loading />}>
      <Page />
    </Suspense>
  );
}

/** Every page. Signed-in pages live inside the Layout, which sends signed-out visitors to sign in. */
export const routes: RouteObject[] = [
  { path: '/sign-in', element: page(() => import('../features/auth/SignInPage').then((m) => m.SignInPage)) },
  { path: '/sign-up', element: page(() => import('../features/auth/SignUpPage').then((m) => m.SignUpPage)) },
  { path: '/reset-password', element: page(() => import('../features/auth/ResetPasswordPage').then((m) => m.ResetPasswordPage)) },
  { path: '/verify-email', element: page(() => import('../features/auth/VerifyEmailPage').then((m) => m.VerifyEmailPage)) },
  {
    element: <Layout />,
    children: [
      { path: '/', element: page(() => import('../features/home/HomePage').then((m) => m.HomePage)) },
      { path: '/suggestions', element: page(() => import('../features/suggestions/InboxPage').then((m) => m.InboxPage), ['suggestions']) },
      { path: '/tasks', element: page(() => import('../features/tasks/TasksPage').then((m) => m.TasksPage), ['tasks']) },
      { path: '/packs', element: page(() => import('../features/packs/PacksPage').then((m) => m.PacksPage), ['packs', 'agents']) },
      { path: '/packs/:packId', element: page(() => import('../features/packs/PackPage').then((m) => m.PackPage), ['packs', 'agents']) },
      {
        path: '/installations/:installationId',
        element: page(() => import('../features/packs/InstallationPage').then((m) => m.InstallationPage), ['packs', 'agents']),
      },
      { path: '/agents', element: page(() => import('../features/agents/AgentsPage').then((m) => m.AgentsPage), ['agents']) },
      {
        path: '/agents/:agentId',
        element: page(() => import('../features/agents/AgentPage').then((m) => m.AgentPage), ['agents', 'runs']),
      },
      { path: '/runs', element: page(() => import('../features/runs/RunsPage').then((m) => m.RunsPage), ['runs']) },
      { path: '/runs/:runId', element: page(() => import('../features/runs/RunPage').then((m) => m.RunPage), ['runs', 'suggestions']) },
      { path: '/activity', element: page(() => import('../features/activity/ActivityPage').then((m) => m.ActivityPage), ['activity']) },
      { path: '/plans', element: page(() => import('../features/plans/PlansPage').then((m) => m.PlansPage)) },
      { path: '/settings', element: page(() => import('../features/account/SettingsPage').then((m) => m.SettingsPage)) },
      { path: '/admin/mailbox', element: page(() => import('../features/admin/MailboxPage').then((m) => m.MailboxPage)) },
      { path: '/api-docs', element: page(() => import('../features/docs/ApiDocsPage').then((m) => m.ApiDocsPage)) },
      { path: '*', element: <NotFound /> },
    ],
  },
];
