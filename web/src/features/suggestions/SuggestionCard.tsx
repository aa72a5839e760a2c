import type { SuggestionView } from '@csme/contracts/suggestions';
import { alwaysAllow, approveSuggestion, rejectSuggestion, resolveUnknown } from '@csme/contracts/suggestions';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Badge, Button, Spinner, TextArea } from '../../ui';
import { bidi, formatDateTime, formatRelative } from '../../ui/format';
import { ActionEditor, ActionPreview, isPlainObject, serverActionErrors } from './ActionEditor';
import { SuggestionStatusBadge } from './status';

type Mode = 'view' | 'edit' | 'reject' | 'always';

/** After a decision: the inbox, its count, the run pages that list suggestions, and what actions change. */
export function useSuggestionsChanged() {
  const qc = useQueryClient();
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['suggestions'] }),
      qc.invalidateQueries({ queryKey: ['suggestion'] }),
      qc.invalidateQueries({ queryKey: ['tasks'] }),
      qc.invalidateQueries({ queryKey: ['agents'] }),
      qc.invalidateQueries({ queryKey: ['activity'] }),
    ]);
}

const actionTypeKey = (type: string) => type.replace('.', '_');

function Outcome({ s }: { s: SuggestionView }) {
  const { t, i18n } = useTranslation('suggestions');
  const changed = useSuggestionsChanged();
  const resolve = useMutation({
    mutationFn: (choice: 'resend' | 'dismiss') => api(resolveUnknown, { params: { suggestionId: s.id }, body: { choice } }),
    onSuccess: () => changed(),
  });
  const result = s.result as { taskId?: string } | null;
  switch (s.status) {
    case 'approved':
    case 'executing':
      return <Spinner label={s.status === 'approved' ? t('outcome.queued') : t('outcome.executing')} />;
    case 'done':
      return (
        <Alert tone="ok">
          {s.auto ? t('outcome.doneAuto') : t('outcome.done')}{' '}
          {result?.taskId || s.actionType.startsWith('tasks.') ? <Link to="/tasks">{t('outcome.seeTasks')}</Link> : null}
        </Alert>
      );
    case 'failed':
      return (
        <Alert tone="error" title={t('outcome.failed')}>
          <div className="stack">
            <span>{s.error ?? t('outcome.failedUnknown')}</span>
            <div>
              <Button size="small" busy={resolve.isPending} onClick={() => resolve.mutate('resend')}>
                {t('outcome.tryAgain')}
              </Button>
            </div>
            {resolve.isError ? <ErrorNotice error={resolve.error} /> : null}
          </div>
        </Alert>
      );
    case 'unknown':
      return (
        <Alert tone="warn" title={t('outcome.unknown')}>
          <div className="stack">
            <span>{t('outcome.unknownText')}</span>
            <div className="row">
              <Button size="small" busy={resolve.isPending && resolve.variables === 'resend'} onClick={() => resolve.mutate('resend')}>
                {t('outcome.sendAgain')}
              </Button>
              <Button size="small" busy={resolve.isPending && resolve.variables === 'dismiss'} onClick={() => resolve.mutate('dismiss')}>
                {t('outcome.dismiss')}
              </Button>
            </div>
            {resolve.isError ? <ErrorNotice error={resolve.error} /> : null}
          </div>
        </Alert>
      );
    case 'rejected':
      return (
        <p className="muted small">
          {s.rejectReason ? t('outcome.rejectedWhy', { reason: bidi(s.rejectReason, i18n.language) }) : t('outcome.rejected')}
        </p>
      );
    case 'expired':
      return <p className="muted small">{t('outcome.expired')}</p>;
    case 'dismissed':
      return <p className="muted small">{t('outcome.dismissed')}</p>;
    default:
      return null;
  }
}

/** One suggestion: what it would do, exactly, and the person's choices. */
export function SuggestionCard({
  s,
  selected,
  onToggle,
  onDecided,
}: {
  s: SuggestionView;
  selected?: boolean;
  onToggle?: (on: boolean) => void;
  /** Told of a decision, so that the page keeps showing the outcome after the suggestion leaves the open list. */
  onDecided?: (id: string) => void;
}) {
  const { t, i18n } = useTranslation('suggestions');
  const session = useShellSession();
  const tz = session.account.timeZone;
  const headingId = useId();
  const [mode, setMode] = useState<Mode>('view');
  const [reason, setReason] = useState('');
  const changed = useSuggestionsChanged();
  const qc = useQueryClient();
  const done = (v: SuggestionView) => {
    setMode('view');
    qc.setQueryData(['suggestion', v.id], v);
    onDecided?.(v.id);
    return changed();
  };
  const approve = useMutation({
    mutationFn: (action?: Record<string, unknown>) =>
      api(approveSuggestion, { params: { suggestionId: s.id }, body: { hash: s.actionHash, ...(action ? { action } : {}) } }),
    onSuccess: done,
    onError: (e) => {
      // The action changed since it was shown: show the new version to decide on.
      if (e instanceof ApiError && e.code === 'conflict') void changed();
    },
  });
  const reject = useMutation({
    mutationFn: () => api(rejectSuggestion, { params: { suggestionId: s.id }, body: reason.trim() ? { reason: reason.trim() } : {} }),
    onSuccess: done,
  });
  const always = useMutation({
    mutationFn: () => api(alwaysAllow, { params: { suggestionId: s.id }, body: { hash: s.actionHash } }),
    onSuccess: done,
  });
  const pending = s.status === 'pending';
  const child = session.activeSpace.role === 'child';
  const typeLabel = t(`actionTypes.${actionTypeKey(s.actionType)}`, { defaultValue: s.actionType });
  const busy = approve.isPending || reject.isPending || always.isPending;
  return (
    <article className={`card stack suggestion${selected ? ' selected' : ''}`} aria-labelledby={headingId}>
      <div className="item-row" style={{ alignItems: 'flex-start' }}>
        <div className="stack" style={{ gap: 'var(--space-1)', flex: '1 1 240px' }}>
          <h3 id={headingId} style={{ margin: 0 }} dir="auto">
            {s.title}
          </h3>
          <p className="meta">
            {s.agentName ? (
              <span>
                {t('by', { agent: bidi(s.agentName, i18n.language) })}
                {s.packName ? ` · ${s.packName}` : ''}
              </span>
            ) : null}
            <time dateTime={s.createdAt} title={formatDateTime(s.createdAt, i18n.language, tz, true)}>
              {formatRelative(s.createdAt, i18n.language)}
            </time>
            {s.runId ? <Link to={`/runs/${s.runId}`}>{t('seeRun')}</Link> : null}
          </p>
        </div>
        <div className="row">
          <SuggestionStatusBadge status={s.status} />
          {s.external ? <Badge tone="danger">{t('external')}</Badge> : null}
          {s.edited ? <Badge>{t('edited')}</Badge> : null}
          {s.auto ? <Badge>{t('auto')}</Badge> : null}
          {session.activeSpace.kind === 'family' && s.visibility === 'private' ? <Badge>{t('private')}</Badge> : null}
        </div>
      </div>
      {pending && onToggle ? (
        <label className="select small">
          <input type="checkbox" className="big" checked={Boolean(selected)} onChange={(e) => onToggle(e.target.checked)} />
          <span>
            {t('select')}
            <span className="visually-hidden">: {s.title}</span>
          </span>
        </label>
      ) : null}
      {s.summary && !Object.values(isPlainObject(s.action) ? s.action : {}).includes(s.summary) ? (
        <p style={{ margin: 0 }} dir="auto">
          {s.summary}
        </p>
      ) : null}

      <section className="stack" aria-label={t('whatExactly')} style={{ gap: 'var(--space-2)' }}>
        <span className="small muted">
          {t('whatExactly')}: <strong>{typeLabel}</strong>
        </span>
        {mode === 'edit' ? (
          <ActionEditor
            action={s.action}
            busy={approve.isPending}
            serverErrors={serverActionErrors(approve.error)}
            submitLabel={t('approveEdited')}
            onSubmit={(action) => approve.mutate(action)}
            onCancel={() => {
              approve.reset();
              setMode('view');
            }}
          />
        ) : (
          <ActionPreview action={s.action} timeZone={tz} />
        )}
      </section>

      {pending && mode === 'view' ? (
        <p className="small muted" style={{ margin: 0 }}>
          {t('expires', { when: formatRelative(s.expiresAt, i18n.language) })}
        </p>
      ) : null}

      {pending && mode === 'reject' ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            reject.mutate();
          }}
        >
          <TextArea
            label={t('rejectReason')}
            hint={t('rejectReasonHint')}
            rows={2}
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <div className="row">
            <Button type="submit" variant="danger" busy={reject.isPending}>
              {t('reject')}
            </Button>
            <Button onClick={() => setMode('view')}>{t('cancel', { ns: 'common' })}</Button>
          </div>
        </form>
      ) : null}

      {pending && mode === 'always' ? (
        <div className="stack confirm" style={{ borderColor: 'var(--primary)', background: 'var(--surface-2)' }}>
          <strong>{t('alwaysTitle', { agent: bidi(s.agentName ?? '', i18n.language), type: typeLabel })}</strong>
          <span>{t('alwaysExplain', { agent: bidi(s.agentName ?? '', i18n.language), type: typeLabel })}</span>
          {s.external ? <span>{t('alwaysExternal')}</span> : null}
          <div className="row">
            <Button variant="primary" busy={always.isPending} onClick={() => always.mutate()}>
              {t('alwaysYes')}
            </Button>
            <Button onClick={() => setMode('view')}>{t('cancel', { ns: 'common' })}</Button>
          </div>
        </div>
      ) : null}

      {pending && mode === 'view' && !child ? (
        <div className="row">
          <Button variant="primary" busy={approve.isPending} disabled={busy} onClick={() => approve.mutate(undefined)}>
            {t('approve')}
            <span className="visually-hidden">: {s.title}</span>
          </Button>
          <Button disabled={busy} onClick={() => setMode('edit')}>
            {t('edit')}
          </Button>
          <Button disabled={busy} onClick={() => setMode('reject')}>
            {t('rejectOpen')}
          </Button>
          {s.agentId ? (
            <Button disabled={busy} onClick={() => setMode('always')}>
              {t('alwaysOpen')}
            </Button>
          ) : null}
        </div>
      ) : null}
      {pending && child && !s.external && s.visibility === 'private' ? (
        <div className="row">
          <Button variant="primary" busy={approve.isPending} onClick={() => approve.mutate(undefined)}>
            {t('approve')}
          </Button>
          <Button onClick={() => setMode('reject')}>{t('rejectOpen')}</Button>
        </div>
      ) : null}
      {pending && child && (s.external || s.visibility !== 'private') ? <p className="small muted">{t('childAdultsDecide')}</p> : null}

      {approve.isError && mode !== 'edit' ? <ErrorNotice error={approve.error} /> : null}
      {approve.isError && mode === 'edit' && !Object.keys(serverActionErrors(approve.error)).length ? (
        <ErrorNotice error={approve.error} />
      ) : null}
      {reject.isError ? <ErrorNotice error={reject.error} /> : null}
      {always.isError ? <ErrorNotice error={always.error} /> : null}

      <Outcome s={s} />
    </article>
  );
}
