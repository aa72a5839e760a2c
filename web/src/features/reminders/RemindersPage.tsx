import type { ReminderView } from '@csme/contracts/reminders';
import { createReminder, deleteReminder, listReminders, updateReminder } from '@csme/contracts/reminders';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import {
  Alert,
  Badge,
  Card,
  DeleteItemButton,
  EmptyState,
  Form,
  ItemButton,
  PageHeader,
  SelectField,
  Spinner,
  Tabs,
  TextField,
  useInvalidate,
  useTabParam,
} from '../../ui';
import { bidi, formatDateTime } from '../../ui/format';

function AddReminder({ members }: { members: Array<{ accountId: string; name: string }> }) {
  const { t, i18n } = useTranslation('reminders');
  const session = useShellSession();
  const family = session.activeSpace.kind === 'family';
  const [text, setText] = useState('');
  const [visibility, setVisibility] = useState<'shared' | 'private'>('shared');
  const [missing, setMissing] = useState(false);
  const [made, setMade] = useState<ReminderView | null>(null);
  const changed = useInvalidate('reminders');
  const m = useMutation({
    mutationFn: () => api(createReminder, { body: { text: text.trim(), ...(family ? { visibility } : {}) } }),
    onSuccess: async (r) => {
      setText('');
      setMade(r);
      await changed();
    },
  });
  const errors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  const other = members.find((x) => x.accountId !== session.account.id);
  return (
    <Card title={t('addTitle')}>
      <Form
        submitLabel={t('add')}
        busy={m.isPending}
        onSubmit={() => {
          if (!text.trim()) return setMissing(true);
          setMissing(false);
          setMade(null);
          m.mutate();
        }}
      >
        <TextField
          label={t('textLabel')}
          hint={other ? t('textHint', { name: other.name.split(' ')[0] }) : t('textHintAlone')}
          value={text}
          maxLength={500}
          dir="auto"
          error={missing ? t('textRequired') : errors.text}
          onChange={(e) => setText(e.target.value)}
        />
        {family ? (
          <>
            <p className="small muted">{t('members', { names: members.map((x) => x.name).join(', ') })}</p>
            <SelectField label={t('visibility')} value={visibility} onChange={(e) => setVisibility(e.target.value as 'shared' | 'private')}>
              <option value="shared">{t('shared')}</option>
              <option value="private">{t('private')}</option>
            </SelectField>
          </>
        ) : null}
        {m.isError && !errors.text ? <ErrorNotice error={m.error} /> : null}
        {made ? (
          <Alert tone="ok">
            {t('created', {
              title: made.title,
              when: formatDateTime(made.dueAt, i18n.language, session.account.timeZone),
              repeat: made.repeats ? ` · ${made.repeats}` : '',
              who: made.assignee.accountId !== session.account.id ? ` · ${t('forWhom', { name: made.assignee.name })}` : '',
            })}
          </Alert>
        ) : null}
      </Form>
    </Card>
  );
}

function ReminderItem({ r }: { r: ReminderView }) {
  const { t, i18n } = useTranslation('reminders');
  const session = useShellSession();
  const changed = useInvalidate('reminders');
  const update = useMutation({
    mutationFn: (body: { snoozeMinutes?: number; done?: true }) => api(updateReminder, { params: { reminderId: r.id }, body }),
    onSuccess: changed,
  });
  const remove = useMutation({ mutationFn: () => api(deleteReminder, { params: { reminderId: r.id } }), onSuccess: changed });
  const dueNow = r.status === 'active' && new Date(r.dueAt).getTime() <= Date.now();
  return (
    <li className="card stack" style={{ gap: 'var(--space-2)' }}>
      <div className="item-row">
        <span className="title" dir="auto">
          {r.title}
        </span>
        {dueNow ? <Badge tone="warn">{t('dueNow')}</Badge> : null}
      </div>
      <p className="meta">
        {r.demo ? <Badge tone="info">{t('sample')}</Badge> : null}
        <span>{t('due', { when: formatDateTime(r.dueAt, i18n.language, session.account.timeZone) })}</span>
        {r.repeats ? <span>{r.repeats}</span> : null}
        {r.assignee.accountId !== session.account.id ? <span>{t('forWhom', { name: bidi(r.assignee.name, i18n.language) })}</span> : null}
        {r.createdByAgent ? (
          <span>{t('byAgent')}</span>
        ) : r.createdBy && r.createdBy !== session.account.displayName ? (
          <span>{t('setBy', { name: bidi(r.createdBy, i18n.language) })}</span>
        ) : null}
        {session.activeSpace.kind === 'family' ? <span>{t(r.visibility)}</span> : null}
      </p>
      {r.status === 'active' ? (
        <div className="row">
          <ItemButton itemName={r.title} busy={update.isPending} onClick={() => update.mutate({ snoozeMinutes: 60 })}>
            {t('snooze')}
          </ItemButton>
          <ItemButton itemName={r.title} variant="primary" busy={update.isPending} onClick={() => update.mutate({ done: true })}>
            {t('done')}
          </ItemButton>
          <DeleteItemButton
            itemName={r.title}
            question={t('deleteQuestion', { title: bidi(r.title, i18n.language) })}
            labels={{ delete: t('delete'), yes: t('deleteYes'), cancel: t('cancel', { ns: 'common' }) }}
            mutation={remove}
          />
        </div>
      ) : null}
      {update.isError ? <ErrorNotice error={update.error} /> : null}
      {remove.isError ? <ErrorNotice error={remove.error} /> : null}
    </li>
  );
}

export function RemindersPage() {
  const { t } = useTranslation('reminders');
  const [tab, setTab] = useTabParam('active', 'done');
  const q = useQuery({ queryKey: ['reminders', tab], queryFn: () => api(listReminders, { query: { status: tab } }) });
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        <AddReminder members={q.data?.members ?? []} />
        <Tabs
          label={t('tabsLabel')}
          value={tab}
          onChange={setTab}
          items={[
            { key: 'active', label: t('tabActive') },
            { key: 'done', label: t('tabDone') },
          ]}
        />
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data && !q.data.items.length ? (
          tab === 'active' ? (
            <EmptyState title={t('emptyActive')}>{t('emptyActiveHint')}</EmptyState>
          ) : (
            <EmptyState title={t('emptyDone')}>{t('emptyDoneHint')}</EmptyState>
          )
        ) : null}
        <ul className="items" aria-label={tab === 'active' ? t('tabActive') : t('tabDone')}>
          {q.data?.items.map((r) => (
            <ReminderItem key={r.id} r={r} />
          ))}
        </ul>
      </div>
    </>
  );
}
