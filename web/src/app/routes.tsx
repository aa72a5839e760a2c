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
import { AdminMarketplacePage } from '../features/marketplace/AdminMarketplacePage';
import { ListingPage } from '../features/marketplace/ListingPage';
import { MarketplacePage } from '../features/marketplace/MarketplacePage';
import { StudioPage } from '../features/marketplace/StudioPage';
import { AdminBillingPage } from '../features/plans/AdminBillingPage';
import { PlansPage } from '../features/plans/PlansPage';
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
      { path: '/marketplace', element: <MarketplacePage /> },
      { path: '/marketplace/:packId', element: <ListingPage /> },
      { path: '/studio', element: <StudioPage /> },
      { path: '/admin/marketplace', element: <AdminMarketplacePage /> },
      { path: '/settings', element: <SettingsPage /> },
      { path: '/admin/mailbox', element: <MailboxPage /> },
      { path: '/admin/billing', element: <AdminBillingPage /> },
      { path: '/api-docs', element: <ApiDocsPage /> },
      { path: '*', element: <NotFound /> },
    ],
  },
];
