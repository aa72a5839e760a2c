import { type ListingSummary, listListings, SORTS } from '@csme/contracts/marketplace';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { EmptyState, MoreButton, PageHeader, SelectField, Spinner, TextField } from '../../ui';
import { PriceTag, Stars } from './parts';

const PERSONAS = ['professional', 'freelancer', 'student', 'family', 'anyone'] as const;

/** Browse and search the marketplace: filters by persona, category, price and rating; sorts. */
export function MarketplacePage() {
  const { t } = useTranslation('marketplace');
  const [q, setQ] = useState('');
  const [persona, setPersona] = useState('');
  const [category, setCategory] = useState('');
  const [price, setPrice] = useState<'' | 'free' | 'paid'>('');
  const [minRating, setMinRating] = useState('');
  const [sort, setSort] = useState<(typeof SORTS)[number]>('popular');
  const query = useInfiniteQuery({
    queryKey: ['marketplace', q, persona, category, price, minRating, sort],
    queryFn: ({ pageParam }) =>
      api(listListings, {
        query: {
          q: q || undefined,
          persona: persona || undefined,
          category: category || undefined,
          price: price || undefined,
          minRating: minRating ? Number(minRating) : undefined,
          sort,
          cursor: pageParam,
        },
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const categories = query.data?.pages[0]?.categories ?? [];
  return (
    <>
      <PageHeader title={t('browse.title')} description={t('browse.lead')} />
      <div className="stack">
        <form className="filters card" role="search" onSubmit={(e) => e.preventDefault()}>
          <TextField
            label={t('browse.search')}
            type="search"
            placeholder={t('browse.searchPlaceholder')}
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
          <SelectField label={t('browse.persona')} value={persona} onChange={(e) => setPersona(e.target.value)}>
            <option value="">{t('browse.any')}</option>
            {PERSONAS.map((p) => (
              <option key={p} value={p}>
                {t(`personas.${p}`)}
              </option>
            ))}
          </SelectField>
          <SelectField label={t('browse.category')} value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">{t('browse.any')}</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </SelectField>
          <SelectField label={t('browse.price')} value={price} onChange={(e) => setPrice(e.target.value as '' | 'free' | 'paid')}>
            <option value="">{t('browse.any')}</option>
            <option value="free">{t('browse.free')}</option>
            <option value="paid">{t('browse.paid')}</option>
          </SelectField>
          <SelectField label={t('browse.rating')} value={minRating} onChange={(e) => setMinRating(e.target.value)}>
            <option value="">{t('browse.any')}</option>
            {[4, 3, 2].map((n) => (
              <option key={n} value={n}>
                {t('browse.stars', { count: n })}
              </option>
            ))}
          </SelectField>
          <SelectField label={t('browse.sort')} value={sort} onChange={(e) => setSort(e.target.value as (typeof SORTS)[number])}>
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {t(`browse.sorts.${s}`)}
              </option>
            ))}
          </SelectField>
        </form>
        {query.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {query.isError ? <ErrorNotice error={query.error} onRetry={() => query.refetch()} /> : null}
        {query.isSuccess && !items.length ? <EmptyState title={t('browse.empty')}>{t('browse.emptyHint')}</EmptyState> : null}
        <ul className="grid" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {items.map((l) => (
            <li key={l.packId}>
              <ListingCard l={l} />
            </li>
          ))}
        </ul>
        <MoreButton label={t('browse.more')} pages={query} />
      </div>
    </>
  );
}

function ListingCard({ l }: { l: ListingSummary }) {
  const { t } = useTranslation('marketplace');
  return (
    <Link to={`/marketplace/${l.packId}`} className="card listing-card">
      <span className="listing-icon" aria-hidden="true">
        {l.icon}
      </span>
      <h2>{l.title}</h2>
      <p className="muted">{l.tagline}</p>
      <span className="small">{t('browse.by', { name: l.creator })}</span>
      <span className="row small">
        <PriceTag price={l.price} />
        <Stars rating={l.rating} />
        <span className="muted">{t('browse.installs', { count: l.installs })}</span>
      </span>
    </Link>
  );
}
