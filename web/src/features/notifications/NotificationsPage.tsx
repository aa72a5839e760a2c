import type { NotificationPrefs } from '@csme/contracts/inbox';
import * as I from '@csme/contracts/inbox';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Badge, Button, Card, EmptyState, MoreButton, PageHeader, ScrollRegion, Spinner, Switch, TextField } from '../../ui';
import { formatDateTime } from '../../ui/format';

const urlB64ToBytes = (s: string) =>
  Uint8Array.from(
    atob(
      s
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(s.length / 4) * 4, '='),
    ),
    (c) => c.charCodeAt(0),
  );

/** Push on this device: subscribe through the service worker with the instance's VAPID key. */
function PushCard() {
  const { t } = useTranslation('notifications');
  const supported = typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  const [sub, setSub] = useState<PushSubscription | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    if (!supported) return;
    void navigator.serviceWorker.getRegistration().then((reg) => reg?.pushManager.getSubscription().then(setSub));
  }, [supported]);
  const enable = useMutation({
    mutationFn: async () => {
      if ((await Notification.requestPermission()) !== 'granted') throw new Error(t('pushDenied'));
      const reg = (await navigator.serviceWorker.getRegistration()) ?? (await navigator.serviceWorker.register('/sw.js'));
      const { publicKey } = await api(I.getPushKey);
      const s = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlB64ToBytes(publicKey) });
      const json = s.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
      await api(I.subscribePush, { body: { endpoint: json.endpoint, keys: json.keys } });
      setSub(s);
    },
  });
  const disable = useMutation({
    mutationFn: async () => {
      if (!sub) return;
      await api(I.unsubscribePush, { body: { endpoint: sub.endpoint } });
      await sub.unsubscribe();
      setSub(null);
    },
  });
  const test = useMutation({ mutationFn: () => api(I.testPush), onSuccess: (r) => setMessage(t('pushSent', { count: r.sent })) });
  return (
    <Card title={t('pushTitle')}>
      {!supported ? <Alert tone="warn">{t('pushUnsupported')}</Alert> : <p>{sub ? t('pushOn') : t('pushOff')}</p>}
      {enable.isError ? <ErrorNotice error={enable.error} /> : null}
      {message ? <Alert tone="ok">{message}</Alert> : null}
      {supported ? (
        <div className="row">
          {sub ? (
            <>
              <Button busy={test.isPending} onClick={() => test.mutate()}>
                {t('pushTest')}
              </Button>
              <Button busy={disable.isPending} onClick={() => disable.mutate()}>
                {t('pushDisable')}
              </Button>
            </>
          ) : (
            <Button variant="primary" busy={enable.isPending} onClick={() => enable.mutate()}>
              {t('pushEnable')}
            </Button>
          )}
        </div>
      ) : null}
    </Card>
  );
}

function PrefsCard() {
  const { t } = useTranslation('notifications');
  const q = useQuery({ queryKey: ['notification-prefs'], queryFn: () => api(I.getNotificationPrefs) });
  const [draft, setDraft] = useState<NotificationPrefs | null>(null);
  useEffect(() => {
    if (q.data && !draft) setDraft(q.data);
  }, [q.data, draft]);
  const save = useMutation({
    mutationFn: (p: NotificationPrefs) => api(I.updateNotificationPrefs, { body: p }),
    onSuccess: (p) => setDraft(p),
  });
  if (q.isPending || !draft) return <Spinner label={t('loading', { ns: 'common' })} />;
  const topics = I.NOTIFICATION_TOPICS;
  const set = (next: NotificationPrefs) => {
    setDraft(next);
    save.mutate(next);
  };
  return (
    <Card title={t('prefsTitle')}>
      <p className="muted">{t('prefsLead')}</p>
      {save.isError ? <ErrorNotice error={save.error} /> : null}
      <ScrollRegion label={t('prefsTitle')}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('topic')}</th>
              <th scope="col">{t('email')}</th>
              <th scope="col">{t('push')}</th>
            </tr>
          </thead>
          <tbody>
            {topics.map((topic) => (
              <tr key={topic}>
                <th scope="row">{t(`topics.${topic}`)}</th>
                {(['email', 'push'] as const).map((ch) => (
                  <td key={ch}>
                    <input
                      type="checkbox"
                      aria-label={`${t(`topics.${topic}`)}: ${t(ch)}`}
                      checked={draft.topics[topic]?.[ch] ?? false}
                      onChange={(e) =>
                        set({ ...draft, topics: { ...draft.topics, [topic]: { ...draft.topics[topic], [ch]: e.target.checked } } })
                      }
                    />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <Switch
        label={t('digest')}
        checked={draft.dailyDigest.enabled}
        onChange={(v) => set({ ...draft, dailyDigest: { ...draft.dailyDigest, enabled: v } })}
      />
      {draft.dailyDigest.enabled ? (
        <TextField
          label={t('digestTime')}
          type="time"
          value={draft.dailyDigest.time}
          onChange={(e) => e.target.value && set({ ...draft, dailyDigest: { ...draft.dailyDigest, time: e.target.value } })}
        />
      ) : null}
      {save.isSuccess ? (
        <p className="muted small" role="status">
          {t('saved')}
        </p>
      ) : null}
    </Card>
  );
}

export function NotificationsPage() {
  const { t, i18n } = useTranslation('notifications');
  const qc = useQueryClient();
  const q = useInfiniteQuery({
    queryKey: ['notifications'],
    queryFn: ({ pageParam }) => api(I.listNotifications, { query: { limit: 30, cursor: pageParam } }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const markAll = useMutation({
    mutationFn: () => api(I.markNotificationsRead, { body: {} }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['notifications'] }),
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  const unread = q.data?.pages[0]?.unreadCount ?? 0;
  return (
    <>
      <PageHeader
        title={t('title')}
        description={t('lead')}
        actions={
          unread ? (
            <Button busy={markAll.isPending} onClick={() => markAll.mutate()}>
              {t('markAll')}
            </Button>
          ) : undefined
        }
      />
      <div className="stack">
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.isSuccess && !items.length ? <EmptyState title={t('empty')}>{t('emptyBody')}</EmptyState> : null}
        {items.length ? (
          <ul className="stack" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {items.map((n) => (
              <li key={n.id} className="card stack" style={{ gap: 'var(--space-1)' }}>
                <div className="row" style={{ justifyContent: 'space-between' }}>
                  <strong dir="auto">{n.title}</strong>
                  {!n.read ? <Badge tone="info">{t('unread')}</Badge> : null}
                </div>
                {n.body ? (
                  <p dir="auto" style={{ whiteSpace: 'pre-line', margin: 0 }}>
                    {n.body}
                  </p>
                ) : null}
                <div className="row muted small">
                  <span>{formatDateTime(n.createdAt, i18n.language)}</span>
                  {n.url ? <Link to={n.url}>{t('open')}</Link> : null}
                </div>
              </li>
            ))}
          </ul>
        ) : null}
        <MoreButton label={t('more')} pages={q} />
        <PushCard />
        <PrefsCard />
      </div>
    </>
  );
}
