import { verifyEmail } from '@csme/contracts/accounts';
import { useMutation } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useSetSession } from '../../app/session';
import { Spinner } from '../../ui';
import { AuthFrame } from './AuthFrame';
import { tokenFromHash } from './ResetPasswordPage';

export function VerifyEmailPage() {
  const { t } = useTranslation('auth');
  const location = useLocation();
  const navigate = useNavigate();
  const setSession = useSetSession();
  const token = tokenFromHash(location.hash);
  const m = useMutation({
    mutationFn: () => api(verifyEmail, { body: { token: token ?? '' } }),
    onSuccess: (r) => {
      if (r.status !== 'signed_in') return;
      setSession(r.session);
      navigate('/', { replace: true });
    },
  });
  const { mutate } = m;
  useEffect(() => {
    if (token) mutate();
  }, [token, mutate]);
  return (
    <AuthFrame title={t('checkEmailTitle')}>
      {m.isError || !token ? <ErrorNotice error={m.error ?? new Error(t('verifyFailed'))} /> : <Spinner label={t('verifying')} />}
      <Link to="/sign-in">{t('backToSignIn')}</Link>
    </AuthFrame>
  );
}
