import * as F from '@csme/contracts/family';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useSession, useSetSession } from '../../app/session';
import { Alert, Button, Card, Spinner } from '../../ui';

const STORE = 'csme.family-invitation';

/** The invitation link's page (`/join#token=…`): shows the invitation, then accept (signed in as the invited address) or decline. */
export function JoinPage() {
  const { t } = useTranslation('family');
  const navigate = useNavigate();
  const setSession = useSetSession();
  const session = useSession();
  const [token] = useState(() => {
    const fromHash = new URLSearchParams(window.location.hash.slice(1)).get('token');
    if (fromHash) sessionStorage.setItem(STORE, fromHash);
    return fromHash ?? sessionStorage.getItem(STORE);
  });
  useEffect(() => {
    // The token stays out of the address bar (and so out of history and referrers) once read.
    if (window.location.hash) window.history.replaceState(null, '', '/join');
  }, []);
  const preview = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => api(F.previewInvitation, { body: { token: token! } }),
    enabled: !!token,
    retry: false,
  });
  const accept = useMutation({
    mutationFn: () => api(F.acceptInvitation, { body: { token: token! } }),
    onSuccess: (s) => {
      sessionStorage.removeItem(STORE);
      setSession(s);
      navigate('/family');
    },
  });
  const decline = useMutation({
    mutationFn: () => api(F.declineInvitation, { body: { token: token! } }),
    onSuccess: () => sessionStorage.removeItem(STORE),
  });
  return (
    <main className="auth-page stack" lang={undefined}>
      <Card title={t('joinTitle')}>
        {!token ? <Alert tone="warn">{t('noToken')}</Alert> : null}
        {preview.isPending && token ? <Spinner label={t('joinTitle')} /> : null}
        {preview.isError ? <ErrorNotice error={preview.error} /> : null}
        {preview.data ? (
          <>
            <p>
              {preview.data.invitedBy
                ? t('joinLead', {
                    inviter: preview.data.invitedBy,
                    email: preview.data.email,
                    space: preview.data.spaceName,
                    role: t(`roles.${preview.data.role}`),
                  })
                : t('joinLeadNoInviter', {
                    email: preview.data.email,
                    space: preview.data.spaceName,
                    role: t(`roles.${preview.data.role}`),
                  })}
            </p>
            {decline.isSuccess ? (
              <Alert tone="ok">{t('declined')}</Alert>
            ) : session.data ? (
              <div className="row">
                <Button variant="primary" busy={accept.isPending} onClick={() => accept.mutate()}>
                  {t('accept')}
                </Button>
                <Button busy={decline.isPending} onClick={() => decline.mutate()}>
                  {t('decline')}
                </Button>
              </div>
            ) : (
              <>
                <p>{t('signUpFirst', { email: preview.data.email })}</p>
                <div className="row">
                  <Link className="button primary" to="/sign-up?next=/join">
                    {t('signUp')}
                  </Link>
                  <Link className="button" to="/sign-in?next=/join">
                    {t('signIn')}
                  </Link>
                  <Button busy={decline.isPending} onClick={() => decline.mutate()}>
                    {t('decline')}
                  </Button>
                </div>
              </>
            )}
            {accept.isError ? <ErrorNotice error={accept.error} /> : null}
            {decline.isError ? <ErrorNotice error={decline.error} /> : null}
          </>
        ) : null}
      </Card>
    </main>
  );
}
