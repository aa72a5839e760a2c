import { useTranslation } from 'react-i18next';
import type { RouteObject } from 'react-router';
import { Link } from 'react-router';
import { SettingsPage } from '../features/account/SettingsPage';
import { MailboxPage } from '../features/admin/MailboxPage';
import { ResetPasswordPage } from '../features/auth/ResetPasswordPage';
import { SignInPage } from '../features/auth/SignInPage';
import { SignUpPage } from '../features/auth/SignUpPage';
import { VerifyEmailPage } from '../features/auth/VerifyEmailPage';
import { ApiDocsPage } from '../features/docs/ApiDocsPage';
import { HomePage } from '../features/home/HomePage';
import { ConsolePage } from '../features/operators/ConsolePage';
import { CostsPage } from '../features/operators/CostsPage';
import { LabPage } from '../features/operators/LabPage';
import { PeoplePage } from '../features/operators/PeoplePage';
import { PersonPage, SpacePage } from '../features/operators/PersonPage';
import { PlansAdminPage } from '../features/operators/PlansAdminPage';
import { SettingsAdminPage } from '../features/operators/SettingsAdminPage';
import { AdminBillingPage } from '../features/plans/AdminBillingPage';
import { PlansPage } from '../features/plans/PlansPage';
import { PromotePage } from '../features/promote/PromotePage';
import { EmptyState } from '../ui';
import { Layout } from './Layout';

function NotFound() {
  const { t } = useTranslation();
  return (
    <EmptyState title={t('errors.notFound')} action={<Link to="/">{t('errors.goHome')}</Link>}>
      {t('errors.notFoundHint')}
    </EmptyState>
  );
}

/** Every page. Signed-in pages live inside the Layout, which sends signed-out visitors to sign in. */
export const routes: RouteObject[] = [
  { path: '/sign-in', element: <SignInPage /> },
  { path: '/sign-up', element: <SignUpPage /> },
  { path: '/reset-password', element: <ResetPasswordPage /> },
  { path: '/verify-email', element: <VerifyEmailPage /> },
  {
    element: <Layout />,
    children: [
      { path: '/', element: <HomePage /> },
      { path: '/plans', element: <PlansPage /> },
      { path: '/settings', element: <SettingsPage /> },
      { path: '/admin/mailbox', element: <MailboxPage /> },
      { path: '/admin/billing', element: <AdminBillingPage /> },
      { path: '/admin', element: <ConsolePage /> },
      { path: '/admin/people', element: <PeoplePage /> },
      { path: '/admin/people/:accountId', element: <PersonPage /> },
      { path: '/admin/spaces/:spaceId', element: <SpacePage /> },
      { path: '/admin/plans', element: <PlansAdminPage /> },
      { path: '/admin/costs', element: <CostsPage /> },
      { path: '/admin/lab', element: <LabPage /> },
      { path: '/admin/settings', element: <SettingsAdminPage /> },
      { path: '/promote', element: <PromotePage /> },
      { path: '/api-docs', element: <ApiDocsPage /> },
      { path: '*', element: <NotFound /> },
    ],
  },
];
