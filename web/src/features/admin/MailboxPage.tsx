import type { MailboxMessage } from '@csme/contracts/notifications';
import { listMailbox } from '@csme/contracts/notifications';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Button, Card, EmptyState, MoreButton, PageHeader, Spinner, TextField } from '../../ui';

function Message({ m }: { m: MailboxMessage }) {
  const { t, i18n } = useTranslation('admin');
  const [html, setHtml] = useState(false);
  return (
    <Card as="article" title={m.subject}>
      <p className="muted small">
        {t('to')}: <span dir="ltr">{m.to}</span> · {new Date(m.createdAt).toLocaleString(i18n.language)} · {t(`statuses.${m.status}`)}
      </p>
      {html && m.html ? (
        // Mail is shown in a sandboxed frame: no scripts, no same-origin access.
        <iframe
          title={m.subject}
          sandbox=""
          srcDoc={m.html}
          style={{ width: '100%', minHeight: 320, border: '1px solid var(--border)', borderRadius: 8, background: '#fff' }}
        />
      ) : (
        <pre className="code" style={{ whiteSpace: 'pre-wrap' }}>
          {m.text}
        </pre>
      )}
      {m.html ? (
        <div>
          <Button size="small" onClick={() => setHtml((h) => !h)}>
            {html ? t('showText') : t('showHtml')}
          </Button>
        </div>
      ) : null}
    </Card>
  );
}

export function MailboxPage() {
  const { t } = useTranslation('admin');
  const [to, setTo] = useState('');
  const q = useInfiniteQuery({
    queryKey: ['mailbox', to],
    queryFn: ({ pageParam }) => api(listMailbox, { query: { limit: 20, cursor: pageParam, to: to || undefined } }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title={t('mailboxTitle')} description={t('mailboxLead')} />
      <div className="stack">
        <TextField label={t('filter')} type="email" value={to} onChange={(e) => setTo(e.target.value.trim())} />
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.isSuccess && items.length === 0 ? <EmptyState title={t('emptyTitle')}>{t('emptyBody')}</EmptyState> : null}
        {items.map((m) => (
          <Message key={m.id} m={m} />
        ))}
        <MoreButton label={t('more')} pages={q} />
      </div>
    </>
  );
}
