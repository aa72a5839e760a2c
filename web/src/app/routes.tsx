import { Component, type ComponentType, lazy, type ReactNode, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import type { RouteObject } from 'react-router';
import { Link } from 'react-router';
import { ResetPasswordPage } from '../features/auth/ResetPasswordPage';
import { SignInPage } from '../features/auth/SignInPage';
import { SignUpPage } from '../features/auth/SignUpPage';
import { VerifyEmailPage } from '../features/auth/VerifyEmailPage';
import { loadNamespaces } from '../i18n';
import { Button, EmptyState, Spinner } from '../ui';
import { Layout } from './Layout';

function NotFound() {
  const { t } = useTranslation();
  return (
    <EmptyState title={t('errors.notFound')} action={<Link to="/">{t('errors.goHome')}</Link>}>
      {t('errors.notFoundHint')}
    </EmptyState>
  );
}

/** A page that could not load (its code did not arrive, or it failed): say so, and offer to load it again. */
function PageFailed() {
  const { t } = useTranslation();
  return (
    <EmptyState
      title={t('errors.pageFailed')}
      action={
        <Button variant="primary" onClick={() => window.location.reload()}>
          {t('retry')}
        </Button>
      }
    >
      {t('errors.pageFailedHint')}
    </EmptyState>
  );
}

class PageBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    return this.state.failed ? <PageFailed /> : this.props.children;
  }
}

const RELOADED = 'csme.reloaded-for-new-version';

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
    try {
      const [component] = await Promise.all([load(), loadNamespaces(ns)]);
      sessionStorage.removeItem(RELOADED);
      return { default: component };
    } catch (e) {
      // After an upgrade, an open tab asks for page chunks that no longer exist: load the new version, once.
      if (!sessionStorage.getItem(RELOADED)) {
        sessionStorage.setItem(RELOADED, '1');
        window.location.reload();
        return new Promise<never>(() => {});
      }
      throw e;
    }
  });
  return (
    <PageBoundary>
      <Suspense fallback={<Loading />}>
        <Page />
      </Suspense>
    </PageBoundary>
  );
}

/** Every page. Signed-in pages live inside the Layout, which sends signed-out visitors to sign in. */
export const routes: RouteObject[] = [
  // Signing in and up are the first pages a visitor sees, and small: they come with the first load.
  { path: '/sign-in', element: <SignInPage /> },
  { path: '/sign-up', element: <SignUpPage /> },
  { path: '/reset-password', element: <ResetPasswordPage /> },
  { path: '/verify-email', element: <VerifyEmailPage /> },
  // An invitation link opens before the invitee has an account.
  { path: '/join', element: page(() => import('../features/family/JoinPage').then((m) => m.JoinPage), ['family']) },
  {
    element: <Layout />,
    children: [
      { path: '/', element: page(() => import('../features/home/HomePage').then((m) => m.HomePage), ['home', 'demo']) },
      { path: '/suggestions', element: page(() => import('../features/suggestions/InboxPage').then((m) => m.InboxPage), ['suggestions']) },
      {
        path: '/notifications',
        element: page(() => import('../features/notifications/NotificationsPage').then((m) => m.NotificationsPage), ['notifications']),
      },
      { path: '/tasks', element: page(() => import('../features/tasks/TasksPage').then((m) => m.TasksPage), ['tasks']) },
      { path: '/notes', element: page(() => import('../features/notes/NotesPage').then((m) => m.NotesPage), ['notes']) },
      { path: '/lists', element: page(() => import('../features/lists/ListsPage').then((m) => m.ListsPage), ['lists']) },
      { path: '/lists/:listId', element: page(() => import('../features/lists/ListPage').then((m) => m.ListPage), ['lists']) },
      {
        path: '/reminders',
        element: page(() => import('../features/reminders/RemindersPage').then((m) => m.RemindersPage), ['reminders']),
      },
      { path: '/contacts', element: page(() => import('../features/contacts/ContactsPage').then((m) => m.ContactsPage), ['contacts']) },
      { path: '/calendar', element: page(() => import('../features/calendar/CalendarPage').then((m) => m.CalendarPage), ['calendar']) },
      { path: '/packs', element: page(() => import('../features/packs/PacksPage').then((m) => m.PacksPage), ['packs', 'agents']) },
      {
        path: '/packs/:packId',
        element: page(() => import('../features/packs/PackPage').then((m) => m.PackPage), ['packs', 'agents', 'plans']),
      },
      {
        path: '/installations/:installationId',
        element: page(() => import('../features/packs/InstallationPage').then((m) => m.InstallationPage), ['packs', 'agents', 'plans']),
      },
      { path: '/agents', element: page(() => import('../features/agents/AgentsPage').then((m) => m.AgentsPage), ['agents', 'plans']) },
      {
        path: '/agents/:agentId',
        element: page(() => import('../features/agents/AgentPage').then((m) => m.AgentPage), ['agents', 'runs', 'plans']),
      },
      { path: '/runs', element: page(() => import('../features/runs/RunsPage').then((m) => m.RunsPage), ['runs']) },
      {
        path: '/runs/:runId',
        element: page(() => import('../features/runs/RunPage').then((m) => m.RunPage), ['runs', 'suggestions', 'plans']),
      },
      { path: '/invoices', element: page(() => import('../features/invoices/InvoicesPage').then((m) => m.InvoicesPage), ['invoices']) },
      { path: '/expenses', element: page(() => import('../features/expenses/ExpensesPage').then((m) => m.ExpensesPage), ['expenses']) },
      { path: '/study', element: page(() => import('../features/study/StudyPage').then((m) => m.StudyPage), ['study']) },
      { path: '/study/review', element: page(() => import('../features/study/StudyPage').then((m) => m.ReviewPage), ['study']) },
      { path: '/activity', element: page(() => import('../features/activity/ActivityPage').then((m) => m.ActivityPage), ['activity']) },
      { path: '/family', element: page(() => import('../features/family/FamilyPage').then((m) => m.FamilyPage), ['family']) },
      { path: '/plans', element: page(() => import('../features/plans/PlansPage').then((m) => m.PlansPage), ['plans']) },
      { path: '/settings', element: page(() => import('../features/account/SettingsPage').then((m) => m.SettingsPage), ['account']) },
      {
        path: '/connectors',
        element: page(() => import('../features/connectors/ConnectorsRoute').then((m) => m.ConnectorsRoute), ['connectors']),
      },
      { path: '/files', element: page(() => import('../features/connectors/FilesPage').then((m) => m.FilesPage), ['connectors']) },
      { path: '/admin/mailbox', element: page(() => import('../features/admin/MailboxPage').then((m) => m.MailboxPage), ['admin']) },
      {
        path: '/admin/billing',
        element: page(() => import('../features/plans/AdminBillingPage').then((m) => m.AdminBillingPage), ['plans']),
      },
      { path: '/api-docs', element: page(() => import('../features/docs/ApiDocsPage').then((m) => m.ApiDocsPage), ['docs']) },
      {
        path: '/marketplace',
        element: page(() => import('../features/marketplace/MarketplacePage').then((m) => m.MarketplacePage), ['marketplace', 'packs']),
      },
      {
        path: '/marketplace/:packId',
        element: page(() => import('../features/marketplace/ListingPage').then((m) => m.ListingPage), ['marketplace', 'packs']),
      },
      { path: '/studio', element: page(() => import('../features/marketplace/StudioPage').then((m) => m.StudioPage), ['marketplace']) },
      {
        path: '/admin/marketplace',
        element: page(() => import('../features/marketplace/AdminMarketplacePage').then((m) => m.AdminMarketplacePage), ['marketplace']),
      },
      {
        path: '/admin',
        element: page(() => import('../features/operators/ConsolePage').then((m) => m.ConsolePage), ['operators']),
      },
      {
        path: '/admin/people',
        element: page(() => import('../features/operators/PeoplePage').then((m) => m.PeoplePage), ['operators']),
      },
      {
        path: '/admin/people/:accountId',
        element: page(() => import('../features/operators/PersonPage').then((m) => m.PersonPage), ['operators']),
      },
      {
        path: '/admin/spaces/:spaceId',
        element: page(() => import('../features/operators/PersonPage').then((m) => m.SpacePage), ['operators']),
      },
      {
        path: '/admin/plans',
        element: page(() => import('../features/operators/PlansAdminPage').then((m) => m.PlansAdminPage), ['operators', 'plans']),
      },
      {
        path: '/admin/costs',
        element: page(() => import('../features/operators/CostsPage').then((m) => m.CostsPage), ['operators']),
      },
      {
        path: '/admin/lab',
        element: page(() => import('../features/operators/LabPage').then((m) => m.LabPage), ['operators']),
      },
      {
        path: '/admin/settings',
        element: page(() => import('../features/operators/SettingsAdminPage').then((m) => m.SettingsAdminPage), ['operators']),
      },
      {
        path: '/promote',
        element: page(() => import('../features/promote/PromotePage').then((m) => m.PromotePage), ['promote']),
      },
      { path: '*', element: <NotFound /> },
    ],
  },
];
