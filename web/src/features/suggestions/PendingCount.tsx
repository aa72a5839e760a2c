import { listSuggestions } from '@csme/contracts/suggestions';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';

/** How many suggestions wait for the person; checked now and then so that new ones show up without a reload. */
export function usePendingCount() {
  return useQuery({
    queryKey: ['suggestions', 'count'],
    queryFn: async () => (await api(listSuggestions, { query: { status: 'pending', limit: 1 } })).pendingCount,
    refetchInterval: 20_000,
    staleTime: 5_000,
  });
}

/** The count beside "Inbox" in the navigation (nothing when nothing waits). */
export function PendingBadge() {
  const { t } = useTranslation();
  const q = usePendingCount();
  if (!q.data) return null;
  return (
    <span className="count">
      <span aria-hidden="true">{q.data > 99 ? '99+' : q.data}</span>
      <span className="visually-hidden">{t('nav.pendingA11y', { count: q.data })}</span>
    </span>
  );
}
