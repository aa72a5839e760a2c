import { confirmPasswordReset, requestPasswordReset } from '@csme/contracts/accounts';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Button, TextField } from '../../ui';
import { AuthFrame } from './AuthFrame';

/** The link's token travels in the fragment (#token=…), which browsers never send to servers or to other sites. */
export const tokenFromHash = (hash: string) => new URLSearchParams(hash.replace(/^#/, '')).get('token');

export function ResetPasswordPage() {
  const { t } = useTranslation('auth');
  const location = useLocation();
  const token = tokenFromHash(location.hash);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const request = useMutation({ mutationFn: () => api(requestPasswordReset, { body: { email } }) });
  const confirm = useMutation({ mutationFn: () => api(confirmPasswordReset, { body: { token: token ?? '', password } }) });

  if (token) {
    if (confirm.isSuccess) {
      return (
        <AuthFrame title={t('newPasswordTitle')}>
          <Alert tone="ok">{t('passwordChanged')}</Alert>
          <Link to="/sign-in">{t('backToSignIn')}</Link>
        </AuthFrame>
      );
    }
    const fieldErrors = confirm.error instanceof ApiError ? confirm.error.fieldErrors() : {};
    return (
      <AuthFrame title={t('newPasswordTitle')}>
        <form
          className="stack"
          noValidate
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            confirm.mutate();
          }}
        >
          {confirm.isError && !fieldErrors.password ? <ErrorNotice error={confirm.error} /> : null}
          <TextField
            label={t('newPassword')}
            hint={t('passwordHint')}
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={fieldErrors.password}
          />
          <Button type="submit" variant="primary" busy={confirm.isPending}>
            {t('setPassword')}
          </Button>
        </form>
      </AuthFrame>
    );
  }

  return (
    <AuthFrame title={t('resetTitle')} lead={t('resetLead')}>
      {request.isSuccess ? (
        <Alert tone="ok">{t('resetSent', { email })}</Alert>
      ) : (
        <form
          className="stack"
          noValidate
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            request.mutate();
          }}
        >
          {request.isError ? <ErrorNotice error={request.error} /> : null}
          <TextField label={t('email')} type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          <Button type="submit" variant="primary" busy={request.isPending}>
            {t('sendLink')}
          </Button>
        </form>
      )}
      <Link to="/sign-in">{t('backToSignIn')}</Link>
    </AuthFrame>
  );
}
