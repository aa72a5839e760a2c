import { signUp } from '@csme/contracts/accounts';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useSetSession } from '../../app/session';
import { Alert, Button, TextField } from '../../ui';
import { AuthFrame } from './AuthFrame';
import { safeNext } from './next';

export function SignUpPage() {
  const { t, i18n } = useTranslation('auth');
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const setSession = useSetSession();
  const [form, setForm] = useState({ displayName: '', email: '', password: '' });
  const m = useMutation({
    mutationFn: () =>
      api(signUp, {
        body: { ...form, locale: i18n.language === 'he' ? 'he' : 'en', timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone },
      }),
    onSuccess: (r) => {
      if (r.status === 'signed_in') {
        setSession(r.session);
        // Where the person was going (an invitation to join a family, say), else home.
        navigate(safeNext(params.get('next')), { replace: true });
      }
    },
  });
  const fieldErrors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  if (m.data?.status === 'check_email') {
    return (
      <AuthFrame title={t('checkEmailTitle')}>
        <Alert tone="ok">{t('checkEmail', { email: form.email })}</Alert>
        <Link to="/sign-in">{t('backToSignIn')}</Link>
      </AuthFrame>
    );
  }
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  return (
    <AuthFrame title={t('signUpTitle')} lead={t('signUpLead')}>
      <form className="stack" onSubmit={submit} noValidate>
        {m.isError && Object.keys(fieldErrors).length === 0 ? <ErrorNotice error={m.error} /> : null}
        <TextField
          label={t('displayName')}
          hint={t('displayNameHint')}
          autoComplete="name"
          required
          value={form.displayName}
          onChange={set('displayName')}
          error={fieldErrors.displayName}
        />
        <TextField
          label={t('email')}
          type="email"
          autoComplete="email"
          required
          value={form.email}
          onChange={set('email')}
          error={fieldErrors.email}
        />
        <TextField
          label={t('password')}
          hint={t('passwordHint')}
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={form.password}
          onChange={set('password')}
          error={fieldErrors.password}
        />
        <Button type="submit" variant="primary" busy={m.isPending}>
          {t('signUp')}
        </Button>
      </form>
      <p className="small">
        {t('haveAccount')}{' '}
        <Link to={params.get('next') ? `/sign-in?next=${encodeURIComponent(safeNext(params.get('next')))}` : '/sign-in'}>
          {t('signIn')}
        </Link>
      </p>
    </AuthFrame>
  );
}
