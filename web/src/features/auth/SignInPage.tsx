import { signIn } from '@csme/contracts/accounts';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useSetSession } from '../../app/session';
import { Button, TextField } from '../../ui';
import { AuthFrame } from './AuthFrame';
import { safeNext } from './next';

/** Only paths of this app, never another site (an open redirect). */
export function SignInPage() {
  const { t } = useTranslation('auth');
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const setSession = useSetSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totpCode, setTotpCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const m = useMutation({
    mutationFn: () => api(signIn, { body: { email, password, ...(needsCode ? { totpCode } : {}) } }),
    onSuccess: (r) => {
      if (r.status === 'totp_required') {
        setNeedsCode(true);
        return;
      }
      setSession(r.session);
      navigate(safeNext(params.get('next')), { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  return (
    <AuthFrame title={t('signInTitle')} lead={needsCode ? t('totpLead') : t('signInLead')}>
      <form className="stack" onSubmit={submit} noValidate>
        {m.isError ? <ErrorNotice error={m.error} /> : null}
        {!needsCode ? (
          <>
            <TextField
              label={t('email')}
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
            <TextField
              label={t('password')}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </>
        ) : (
          <TextField
            label={t('totpCode')}
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            autoFocus
            value={totpCode}
            onChange={(e) => setTotpCode(e.target.value.replace(/\D/g, ''))}
          />
        )}
        <Button type="submit" variant="primary" busy={m.isPending}>
          {t('signIn')}
        </Button>
      </form>
      <p className="small">
        <Link to="/reset-password">{t('forgot')}</Link>
      </p>
      <p className="small">
        {t('noAccount')} <Link to="/sign-up">{t('createOne')}</Link>
      </p>
    </AuthFrame>
  );
}
