import type { ContactView } from '@csme/contracts/contacts';
import { CONTACT_STAGES, createContact, deleteContact, listContacts, updateContact } from '@csme/contracts/contacts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import {
  Badge,
  Card,
  DeleteItemButton,
  EmptyState,
  Form,
  ItemButton,
  PageHeader,
  SearchForm,
  SelectField,
  Spinner,
  Tabs,
  TextField,
  useInvalidate,
  useTabParam,
} from '../../ui';
import { bidi, formatDateTime } from '../../ui/format';

type Stage = ContactView['stage'];

function AddContact() {
  const { t } = useTranslation('contacts');
  const [f, setF] = useState({ name: '', email: '', company: '', stage: 'lead' as Stage, followUp: '' });
  const [missing, setMissing] = useState(false);
  const changed = useInvalidate('contacts');
  const m = useMutation({
    mutationFn: () =>
      api(createContact, {
        body: {
          name: f.name.trim(),
          emails: f.email.trim() ? [f.email.trim()] : [],
          ...(f.company.trim() ? { company: f.company.trim() } : {}),
          stage: f.stage,
          nextFollowUpAt: f.followUp ? new Date(`${f.followUp}T09:00`).toISOString() : null,
        },
      }),
    onSuccess: async () => {
      setF({ name: '', email: '', company: '', stage: 'lead', followUp: '' });
      await changed();
    },
  });
  const errors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  if (missing) errors.name = t('nameRequired');
  return (
    <Card title={t('addTitle')}>
      <Form
        submitLabel={t('add')}
        busy={m.isPending}
        onSubmit={() => {
          if (!f.name.trim()) return setMissing(true);
          setMissing(false);
          m.mutate();
        }}
      >
        <div className="toolbar" style={{ margin: 0 }}>
          <TextField
            label={t('name')}
            value={f.name}
            maxLength={200}
            dir="auto"
            error={errors.name}
            onChange={(e) => setF({ ...f, name: e.target.value })}
          />
          <TextField
            label={t('email')}
            type="email"
            value={f.email}
            error={errors.emails}
            onChange={(e) => setF({ ...f, email: e.target.value })}
          />
          <TextField
            label={t('company')}
            hint={t('companyHint')}
            value={f.company}
            dir="auto"
            onChange={(e) => setF({ ...f, company: e.target.value })}
          />
          <SelectField label={t('stage')} value={f.stage} onChange={(e) => setF({ ...f, stage: e.target.value as Stage })}>
            {CONTACT_STAGES.map((s) => (
              <option key={s} value={s}>
                {t(`stages.${s}`)}
              </option>
            ))}
          </SelectField>
          <TextField label={t('followUp')} type="date" value={f.followUp} onChange={(e) => setF({ ...f, followUp: e.target.value })} />
        </div>
        {m.isError && !Object.keys(errors).length ? <ErrorNotice error={m.error} /> : null}
      </Form>
    </Card>
  );
}

function ContactItem({ c }: { c: ContactView }) {
  const { t, i18n } = useTranslation('contacts');
  const session = useShellSession();
  const changed = useInvalidate('contacts');
  const update = useMutation({
    mutationFn: (body: { stage?: Stage; nextFollowUpAt?: null; lastContactAt?: string }) =>
      api(updateContact, { params: { contactId: c.id }, body }),
    onSuccess: changed,
  });
  const remove = useMutation({ mutationFn: () => api(deleteContact, { params: { contactId: c.id } }), onSuccess: changed });
  const due = c.nextFollowUpAt && new Date(c.nextFollowUpAt).getTime() <= Date.now();
  return (
    <li className="card stack" style={{ gap: 'var(--space-2)' }}>
      <div className="item-row">
        <span className="title" dir="auto">
          {c.name}
          {c.company ? <span className="muted"> · {c.company}</span> : null}
        </span>
        <SelectField
          label={t('changeStage', { name: c.name })}
          value={c.stage}
          onChange={(e) => update.mutate({ stage: e.target.value as Stage })}
        >
          {CONTACT_STAGES.map((s) => (
            <option key={s} value={s}>
              {t(`stages.${s}`)}
            </option>
          ))}
        </SelectField>
      </div>
      <p className="meta">
        {c.demo ? <Badge tone="info">{t('sample')}</Badge> : null}
        {c.emails.map((e) => (
          <a key={e} href={`mailto:${e}`}>
            {e}
          </a>
        ))}
        {c.lastContactAt ? (
          <span>{t('lastContact', { when: formatDateTime(c.lastContactAt, i18n.language, session.account.timeZone) })}</span>
        ) : null}
        {c.nextFollowUpAt ? (
          <span className={due ? 'overdue' : undefined}>
            {t('nextFollowUp', { when: formatDateTime(c.nextFollowUpAt, i18n.language, session.account.timeZone) })}
          </span>
        ) : null}
        {c.source === 'mail' ? <span>{t('fromMail')}</span> : null}
        {c.createdBy && session.activeSpace.kind === 'family' ? <span>{bidi(c.createdBy, i18n.language)}</span> : null}
      </p>
      <div className="row">
        {c.nextFollowUpAt ? (
          <ItemButton
            itemName={c.name}
            busy={update.isPending}
            onClick={() => update.mutate({ nextFollowUpAt: null, lastContactAt: new Date().toISOString() })}
          >
            {t('done')}
          </ItemButton>
        ) : null}
        <DeleteItemButton
          itemName={c.name}
          question={t('deleteQuestion', { name: bidi(c.name, i18n.language) })}
          labels={{ delete: t('delete'), yes: t('deleteYes'), cancel: t('cancel', { ns: 'common' }) }}
          mutation={remove}
        />
      </div>
      {update.isError ? <ErrorNotice error={update.error} /> : null}
      {remove.isError ? <ErrorNotice error={remove.error} /> : null}
    </li>
  );
}

export function ContactsPage() {
  const { t } = useTranslation('contacts');
  const [tab, setTab] = useTabParam('all', 'due');
  const [search, setSearch] = useState('');
  const contacts = useQuery({
    queryKey: ['contacts', tab, search],
    queryFn: () => api(listContacts, { query: { ...(tab === 'due' ? { due: 'true' as const } : {}), ...(search ? { q: search } : {}) } }),
  });
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        <AddContact />
        <Tabs
          label={t('tabsLabel')}
          value={tab}
          onChange={setTab}
          items={[
            { key: 'all', label: t('tabAll') },
            { key: 'due', label: t('tabDue') },
          ]}
        />
        <SearchForm label={t('search')} buttonLabel={t('searchButton')} onSearch={setSearch} />
        {contacts.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {contacts.isError ? <ErrorNotice error={contacts.error} onRetry={() => contacts.refetch()} /> : null}
        {contacts.data && !contacts.data.items.length ? (
          tab === 'due' ? (
            <EmptyState title={t('emptyDue')}>{t('emptyDueHint')}</EmptyState>
          ) : (
            <EmptyState title={t('emptyTitle')}>{t('emptyHint')}</EmptyState>
          )
        ) : null}
        <ul className="items" aria-label={t('title')}>
          {contacts.data?.items.map((c) => (
            <ContactItem key={c.id} c={c} />
          ))}
        </ul>
      </div>
    </>
  );
}
