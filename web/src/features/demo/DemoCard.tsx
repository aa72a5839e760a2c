import { createDemo, deleteDemo, getDemo } from '@csme/contracts/demo';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Button, Card, ConfirmButton } from '../../ui';

/**
 * The demo on the home page: "Try it with sample data" while the space has none, and the one-click
 * removal while it has some. Children see neither (adding or removing it is for adults).
 */
export function DemoCard({ offer }: { offer: boolean }) {
  const { t } = useTranslation('demo');
  const session = useShellSession();
  const qc = useQueryClient();
  const [said, setSaid] = useState<'added' | 'removed' | null>(null);
  const status = useQuery({ queryKey: ['demo'], queryFn: () => api(getDemo), enabled: session.activeSpace.role !== 'child' });
  const refresh = () => qc.invalidateQueries();
  const add = useMutation({
    mutationFn: () => api(createDemo),
    onSuccess: async () => {
      setSaid('added');
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => api(deleteDemo),
    onSuccess: async () => {
      setSaid('removed');
      await refresh();
    },
  });
  if (!status.data) return null;
  if (status.data.present)
    return (
      <Card title={t('presentTitle')}>
        {said === 'added' ? (
          <Alert tone="ok">
            {t('added')} <Link to="/packs">{t('browse')}</Link>
          </Alert>
        ) : null}
        <p>{t('presentLead', { messages: status.data.counts.mail_message ?? 0, events: status.data.counts.calendar_event ?? 0 })}</p>
        <div>
          <ConfirmButton
            question={t('removeQuestion')}
            confirmLabel={t('removeYes')}
            cancelLabel={t('cancel', { ns: 'common' })}
            busy={remove.isPending}
            onConfirm={() => remove.mutate()}
          >
            {t('remove')}
          </ConfirmButton>
        </div>
        {remove.isError ? <ErrorNotice error={remove.error} /> : null}
      </Card>
    );
  if (said === 'removed') return <Alert tone="ok">{t('removed')}</Alert>;
  if (!offer) return null;
  return (
    <Card title={t('tryTitle')} className="highlight">
      <p>{t('tryLead')}</p>
      <div>
        <Button variant="primary" busy={add.isPending} onClick={() => add.mutate()}>
          {t('tryAction')}
        </Button>
      </div>
      {add.isError ? <ErrorNotice error={add.error} /> : null}
    </Card>
  );
}
