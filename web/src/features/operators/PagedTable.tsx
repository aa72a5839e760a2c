import { type QueryKey, useInfiniteQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorNotice } from '../../app/errors';
import { MoreButton, Spinner } from '../../ui';
import { type Column, DataTable } from '../../ui/data-table';

/** One page of an admin list, as the API answers it. */
interface Page<R> {
  items: R[];
  nextCursor: string | null;
}

/** An admin list read page by page (a More button fetches the next), shown as a table in a card. */
export function PagedTable<R extends { id: string }>({
  queryKey,
  fetchPage,
  caption,
  columns,
  empty,
}: {
  queryKey: QueryKey;
  fetchPage: (cursor: string | undefined) => Promise<Page<R>>;
  caption: string;
  columns: Column<R>[];
  /** What to show when the list has nothing. */
  empty: ReactNode;
}) {
  const { t } = useTranslation('operators');
  const list = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  if (list.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (list.isError) return <ErrorNotice error={list.error} onRetry={() => list.refetch()} />;
  if (!items.length) return empty;
  return (
    <>
      <DataTable className="card" caption={caption} columns={columns} rows={items} rowKey={(r) => r.id} />
      <MoreButton label={t('more')} pages={list} />
    </>
  );
}
