import type { MemberView } from '@csme/contracts/family';
import * as F from '@csme/contracts/family';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useSetSession } from '../../app/session';
import { Alert, Badge, Button, Card, ConfirmButton, CopyField, EmptyState, PageHeader, SelectField, Spinner, TextField } from '../../ui';
import { formatDateTime } from '../../ui/format';

const KEY = ['family'] as const;

function InviteForm({ full }: { full: boolean }) {
  const { t } = useTranslation('family');
  const qc = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'adult' | 'child'>('adult');
  const m = useMutation({
    mutationFn: () => api(F.createInvitation, { body: { email: email.trim(), role } }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: KEY });
    },
  });
  const errors = m.error instanceof ApiError ? m.error.fieldErrors() : {};
  return (
    <Card title={t('invite')}>
      <p className="muted">{t('inviteLead')}</p>
      <form
        className="stack"
        noValidate
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <TextField
          label={t('email')}
          type="email"
          autoComplete="off"
          value={email}
          required
          error={errors.email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <SelectField label={t('role')} value={role} onChange={(e) => setRole(e.target.value as 'adult' | 'child')}>
          <option value="adult">{t('roles.adult')}</option>
          <option value="child">{t('roles.child')}</option>
        </SelectField>
        {m.isError && !Object.keys(errors).length ? <ErrorNotice error={m.error} /> : null}
        <div className="row">
          <Button type="submit" variant="primary" busy={m.isPending} disabled={full && !m.isError}>
            {t('send')}
          </Button>
        </div>
      </form>
      {m.data ? (
        <Alert tone="ok">
          {t('sent', { email: m.data.invitation.email })}
          <CopyField label={t('link')} value={m.data.link} copyLabel={t('copy')} copiedLabel={t('copied')} />
        </Alert>
      ) : null}
    </Card>
  );
}

function MemberRow({ m, owner, readOnly }: { m: MemberView; owner: boolean; readOnly: boolean }) {
  const { t, i18n } = useTranslation('family');
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: KEY });
  const role = useMutation({
    mutationFn: (r: 'adult' | 'child') => api(F.changeRole, { params: { accountId: m.accountId }, body: { role: r } }),
    onSuccess: done,
  });
  const remove = useMutation({ mutationFn: () => api(F.removeMember, { params: { accountId: m.accountId } }), onSuccess: done });
  const transfer = useMutation({
    mutationFn: () => api(F.transferOwnership, { body: { accountId: m.accountId } }),
    onSuccess: () => window.location.reload(),
  });
  const manage = owner && !m.isMe && m.role !== 'owner' && !readOnly;
  return (
    <li className="stack" data-testid="member">
      <div className="row">
        <strong dir="auto">{m.displayName}</strong> {m.isMe ? <span className="muted">{t('you')}</span> : null}
        <Badge tone={m.role === 'owner' ? 'info' : undefined}>{t(`roles.${m.role}`)}</Badge>
        <span className="muted" dir="ltr">
          {m.email}
        </span>
        <span className="muted">{formatDateTime(m.joinedAt, i18n.language)}</span>
      </div>
      {manage ? (
        <div className="row">
          <SelectField
            label={t('roleLabel', { name: m.displayName })}
            value={m.role}
            onChange={(e) => role.mutate(e.target.value as 'adult' | 'child')}
          >
            <option value="adult">{t('roles.adult')}</option>
            <option value="child">{t('roles.child')}</option>
          </SelectField>
          {m.role === 'adult' ? (
            <ConfirmButton
              variant="primary"
              size="small"
              question={t('makeOwnerQuestion', { name: m.displayName })}
              confirmLabel={t('makeOwnerYes')}
              cancelLabel={t('cancel')}
              busy={transfer.isPending}
              onConfirm={() => transfer.mutate()}
            >
              {t('makeOwner')}
            </ConfirmButton>
          ) : null}
          <ConfirmButton
            size="small"
            question={t('removeQuestion', { name: m.displayName })}
            confirmLabel={t('removeYes')}
            cancelLabel={t('cancel')}
            busy={remove.isPending}
            onConfirm={() => remove.mutate()}
          >
            {t('remove')}
          </ConfirmButton>
        </div>
      ) : null}
      {[role, remove, transfer].map((x, i) => (x.isError ? <ErrorNotice key={String(i)} error={x.error} /> : null))}
    </li>
  );
}

export function FamilyPage() {
  const { t, i18n } = useTranslation('family');
  const qc = useQueryClient();
  const setSession = useSetSession();
  const navigate = useNavigate();
  const q = useQuery({ queryKey: KEY, queryFn: () => api(F.getFamily) });
  const leave = useMutation({
    mutationFn: () => api(F.leaveFamily, { body: {} }),
    onSuccess: (r) => {
      setSession(r.session);
      navigate('/');
    },
  });
  const move = useMutation({ mutationFn: () => api(F.moveSharedToPersonal, { body: {} }), onSuccess: () => qc.invalidateQueries() });
  const withdraw = useMutation({
    mutationFn: (id: string) => api(F.revokeInvitation, { params: { invitationId: id } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
  if (q.isPending) return <Spinner label={t('title')} />;
  if (q.isError) return <ErrorNotice error={q.error} />;
  const f = q.data;
  if (f.space.kind === 'personal')
    return (
      <>
        <PageHeader title={t('title')} />
        <EmptyState title={t('title')} action={<Link to="/plans">{t('seePlans')}</Link>}>
          {t('personalLead')}
        </EmptyState>
      </>
    );
  const owner = f.myRole === 'owner';
  const readOnly = f.space.status !== 'active';
  const movedCount = move.data ? Object.values(move.data.moved).reduce((a, b) => a + b, 0) : 0;
  return (
    <>
      <PageHeader title={`${t('title')}: ${f.space.name}`} description={t('lead')} />
      {readOnly && f.space.deleteAfter ? (
        <Alert tone="warn">
          {t('readOnly', { date: formatDateTime(f.space.deleteAfter, i18n.language) })} <Link to="/settings">{t('exportLink')}</Link>
          {owner ? (
            <div className="row">
              <Button busy={move.isPending} onClick={() => move.mutate()}>
                {t('moveShared')}
              </Button>
              {move.data ? <span role="status">{t('moved', { count: movedCount })}</span> : null}
            </div>
          ) : null}
          {move.isError ? <ErrorNotice error={move.error} /> : null}
        </Alert>
      ) : null}
      <Card title={t('members')}>
        <p className="muted">{t('used', { used: f.limit.used, limit: f.limit.members })}</p>
        <ul className="stack plain-list" aria-label={t('members')}>
          {f.members.map((m) => (
            <MemberRow key={m.accountId} m={m} owner={owner} readOnly={readOnly} />
          ))}
        </ul>
      </Card>
      {owner && f.invitations.length ? (
        <Card title={t('pending')}>
          <ul className="stack plain-list">
            {f.invitations.map((i) => (
              <li key={i.id} className="row">
                <span dir="ltr">{i.email}</span>
                <Badge>{t(`roles.${i.role}`)}</Badge>
                <span className="muted">{t('expires', { date: formatDateTime(i.expiresAt, i18n.language) })}</span>
                <Button size="small" busy={withdraw.isPending && withdraw.variables === i.id} onClick={() => withdraw.mutate(i.id)}>
                  {t('withdraw')}
                </Button>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
      {owner && !readOnly ? <InviteForm full={f.limit.used >= f.limit.members} /> : null}
      <Card title={t('leave')}>
        {owner ? (
          <p className="muted">{t('ownerLeave')}</p>
        ) : (
          <>
            <p className="muted">{t('leaveLead')}</p>
            <div className="row">
              <ConfirmButton
                question={t('leaveQuestion')}
                confirmLabel={t('leaveYes')}
                cancelLabel={t('cancel')}
                busy={leave.isPending}
                onConfirm={() => leave.mutate()}
              >
                {t('leave')}
              </ConfirmButton>
            </div>
            {leave.isError ? <ErrorNotice error={leave.error} /> : null}
          </>
        )}
      </Card>
    </>
  );
}
