import { syncBilling } from '@csme/contracts/billing';
import {
  adminHideReview,
  applyUpdate,
  getListing,
  getUpdateOffer,
  installListing,
  type ListingDetail,
  type PurchaseResult,
  purchaseListing,
  putReview,
  type ReviewView,
  replyToReview,
} from '@csme/contracts/marketplace';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import { Alert, Button, Card, PageHeader, SelectField, Spinner, TextArea } from '../../ui';
import { formatMoney } from '../plans/money';
import { PriceTag, Stars } from './parts';

/** A listing: what the pack does and asks for, screenshots, changelog, reviews; buy, install, update. */
export function ListingPage() {
  const { packId = '' } = useParams();
  const { t, i18n } = useTranslation('marketplace');
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const q = useQuery({ queryKey: ['listing', packId], queryFn: () => api(getListing, { params: { packId } }) });
  const sessionId = params.get('session_id');
  useEffect(() => {
    // Back from Stripe Checkout: settle the payment now rather than wait for the webhook.
    if (params.get('checkout') === 'success' && sessionId)
      void api(syncBilling, { body: { sessionId } })
        .catch(() => undefined)
        .then(() => {
          setParams({}, { replace: true });
          return qc.invalidateQueries({ queryKey: ['listing', packId] });
        });
  }, [params, sessionId, setParams, qc, packId]);
  if (q.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (q.isError) return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  const l = q.data;
  return (
    <>
      <p>
        <Link to="/marketplace">{t('listing.back')}</Link>
      </p>
      <PageHeader
        title={`${l.icon} ${l.title}`}
        description={
          <span className="row">
            <span dir="auto">{l.tagline}</span>
            <span>{t('browse.by', { name: l.creator })}</span>
            <PriceTag price={l.price} />
            <Stars rating={l.rating} />
            <span className="muted">{t('listing.version', { version: l.version })}</span>
          </span>
        }
      />
      <div className="stack">
        {l.status === 'unlisted' ? <Alert tone="info">{t('listing.unlisted')}</Alert> : null}
        <Acquire l={l} lang={i18n.language} />
        <Card title={t('listing.description')}>
          {/* biome-ignore lint/security/noDangerouslySetInnerHtml: rendered from Markdown and sanitised by the server with an allowlist (no script, no handlers, no javascript: links) */}
          <div className="markdown" dir="auto" dangerouslySetInnerHTML={{ __html: l.descriptionHtml }} />
        </Card>
        {l.screenshots.length ? (
          <Card title={t('listing.screenshots')}>
            <div className="screenshots">
              {l.screenshots.map((s) => (
                <figure key={s.id}>
                  <img src={s.url} alt={s.caption || l.title} loading="lazy" />
                  {s.caption ? <figcaption className="small muted">{s.caption}</figcaption> : null}
                </figure>
              ))}
            </div>
          </Card>
        ) : null}
        <Card title={t('listing.asks')}>
          <p className="muted">{t('listing.asksHint')}</p>
          <ul>
            {l.scopes.map((s) => (
              <li key={s.scope}>{s.label}</li>
            ))}
          </ul>
        </Card>
        <Card title={t('listing.agents')}>
          <ul>
            {l.agents.map((a) => (
              <li key={a.key}>
                <strong>{a.name}</strong>: {a.description}
              </li>
            ))}
          </ul>
        </Card>
        {l.versions.length ? (
          <Card title={t('listing.changelog')}>
            <ul>
              {l.versions.map((v) => (
                <li key={v.version}>
                  <strong>{v.version}</strong> ({new Date(v.publishedAt).toLocaleDateString(i18n.language)})
                  {v.changelog ? `: ${v.changelog}` : ''}
                </li>
              ))}
            </ul>
          </Card>
        ) : null}
        <Reviews l={l} />
      </div>
    </>
  );
}

function Acquire({ l, lang }: { l: ListingDetail; lang: string }) {
  const { t } = useTranslation('marketplace');
  const qc = useQueryClient();
  const [currency, setCurrency] = useState<'USD' | 'ILS'>(lang === 'he' ? 'ILS' : 'USD');
  const [result, setResult] = useState<PurchaseResult | null>(null);
  const [justInstalled, setJustInstalled] = useState(false);
  const buy = useMutation({
    mutationFn: () => api(purchaseListing, { params: { packId: l.packId }, body: { currency } }),
    onSuccess: async (r) => {
      if (r.status === 'redirect') {
        window.location.assign(r.url);
        return;
      }
      setResult(r);
      await qc.invalidateQueries({ queryKey: ['listing', l.packId] });
    },
  });
  const mine = l.mine;
  const paid = l.price.model !== 'free';
  return (
    <Card title={t('listing.installTitle')}>
      {mine.isCreator ? <p className="muted">{t('listing.ownPack')}</p> : null}
      {result?.status === 'invoice_open' ? (
        <Alert tone="info">
          {t('listing.invoiceOpen', {
            number: result.invoice.number,
            amount: formatMoney(result.invoice.total, result.invoice.currency, lang),
          })}
        </Alert>
      ) : null}
      {mine.installationId ? (
        <>
          <Alert tone="ok">{justInstalled ? t('listing.installed') : t('listing.alreadyInstalled')}</Alert>
          <UpdateOffer installationId={mine.installationId} packId={l.packId} />
        </>
      ) : mine.mayInstall || mine.isCreator ? (
        <>
          {paid && mine.purchase?.status === 'active' ? <p>{t('listing.bought')}</p> : null}
          <InstallForm l={l} onInstalled={() => setJustInstalled(true)} />
        </>
      ) : paid && mine.purchase?.status === 'pending' ? (
        <p>{t('listing.pending')}</p>
      ) : paid && l.status === 'listed' ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            buy.mutate();
          }}
        >
          <SelectField label={t('listing.currency')} value={currency} onChange={(e) => setCurrency(e.target.value as 'USD' | 'ILS')}>
            <option value="USD">USD ($)</option>
            <option value="ILS">ILS (₪)</option>
          </SelectField>
          {buy.isError ? <ErrorNotice error={buy.error} /> : null}
          <div>
            <Button type="submit" variant="primary" busy={buy.isPending}>
              {t('listing.buy', { amount: formatMoney(currency === 'USD' ? l.price.usd : l.price.ils, currency, lang) })}
              {l.price.model === 'monthly' ? ` ${t('price.monthly', { amount: '' }).trim()}` : ''}
            </Button>
          </div>
        </form>
      ) : null}
    </Card>
  );
}

function InstallForm({ l, onInstalled }: { l: ListingDetail; onInstalled: () => void }) {
  const { t } = useTranslation('marketplace');
  const qc = useQueryClient();
  const [granted, setGranted] = useState<Set<string>>(new Set());
  const install = useMutation({
    mutationFn: () => api(installListing, { params: { packId: l.packId }, body: { grantedScopes: [...granted], settings: {} } }),
    onSuccess: async () => {
      onInstalled();
      await qc.invalidateQueries({ queryKey: ['listing', l.packId] });
    },
  });
  const all = l.scopes.every((s) => granted.has(s.scope));
  return (
    <form
      className="stack consent"
      onSubmit={(e) => {
        e.preventDefault();
        install.mutate();
      }}
    >
      <p className="muted">{t('listing.consentAll')}</p>
      {l.scopes.map((s) => (
        <label key={s.scope}>
          <input
            type="checkbox"
            checked={granted.has(s.scope)}
            onChange={(e) => {
              const next = new Set(granted);
              if (e.target.checked) next.add(s.scope);
              else next.delete(s.scope);
              setGranted(next);
            }}
          />
          {t('listing.consent', { label: s.label })}
        </label>
      ))}
      {install.isError ? <ErrorNotice error={install.error} /> : null}
      <div>
        <Button type="submit" variant="primary" disabled={!all} busy={install.isPending}>
          {t('listing.install')}
        </Button>
      </div>
    </form>
  );
}

function UpdateOffer({ installationId, packId }: { installationId: string; packId: string }) {
  const { t } = useTranslation('marketplace');
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['update-offer', installationId], queryFn: () => api(getUpdateOffer, { params: { installationId } }) });
  const [granted, setGranted] = useState<Set<string>>(new Set());
  const apply = useMutation({
    mutationFn: (o: { versionId: string; scopes: string[] }) =>
      api(applyUpdate, { params: { installationId }, body: { versionId: o.versionId, grantedScopes: o.scopes } }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['update-offer', installationId] });
      await qc.invalidateQueries({ queryKey: ['listing', packId] });
    },
  });
  const offer = q.data?.offer;
  if (apply.isSuccess) return <Alert tone="ok">{t('listing.update.done', { version: apply.data.version })}</Alert>;
  if (!offer) return null;
  const consented = offer.addedScopes.every((s) => granted.has(s.scope));
  return (
    <section className="stack consent" aria-labelledby="update-title">
      <h3 id="update-title">{t('listing.update.title', { version: offer.latestVersion })}</h3>
      {offer.changelog.map((c) => (
        <p key={c.version} className="small">
          <strong>{c.version}</strong> {c.changelog}
        </p>
      ))}
      {offer.addedScopes.length ? (
        <>
          <p>{t('listing.update.adds')}</p>
          {offer.addedScopes.map((s) => (
            <label key={s.scope}>
              <input
                type="checkbox"
                checked={granted.has(s.scope)}
                onChange={(e) => {
                  const next = new Set(granted);
                  if (e.target.checked) next.add(s.scope);
                  else next.delete(s.scope);
                  setGranted(next);
                }}
              />
              {t('listing.consent', { label: s.label })}
            </label>
          ))}
          <p className="muted">{t('listing.update.waits', { version: offer.currentVersion })}</p>
        </>
      ) : null}
      {offer.removedScopes.length ? (
        <p className="muted">
          {t('listing.update.removes')} {offer.removedScopes.map((s) => s.label).join(', ')}
        </p>
      ) : null}
      {apply.isError ? <ErrorNotice error={apply.error} /> : null}
      <div>
        <Button
          variant="primary"
          disabled={!consented}
          busy={apply.isPending}
          onClick={() => apply.mutate({ versionId: offer.latestVersionId, scopes: offer.scopes.map((s) => s.scope) })}
        >
          {offer.addedScopes.length ? t('listing.update.apply') : t('listing.update.applyPlain')}
        </Button>
      </div>
    </section>
  );
}

function Reviews({ l }: { l: ListingDetail }) {
  const { t, i18n } = useTranslation('marketplace');
  const session = useShellSession();
  const qc = useQueryClient();
  const mineReview = l.reviews.find((r) => r.mine);
  const [rating, setRating] = useState(String(mineReview?.rating ?? 5));
  const [body, setBody] = useState(mineReview?.body ?? '');
  const save = useMutation({
    mutationFn: () => api(putReview, { params: { packId: l.packId }, body: { rating: Number(rating), body } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['listing', l.packId] }),
  });
  return (
    <Card title={t('listing.reviews')}>
      {!l.reviews.length ? <p className="muted">{t('listing.noReviews')}</p> : null}
      <ul className="stack" style={{ listStyle: 'none', padding: 0 }}>
        {l.reviews.map((r) => (
          <li key={r.id} className="stack">
            <ReviewItem r={r} l={l} isOperator={session.account.isOperator} lang={i18n.language} />
          </li>
        ))}
      </ul>
      {l.mine.mayReview && !l.mine.isCreator ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate();
          }}
        >
          <h3>{t('listing.yourReview')}</h3>
          <SelectField label={t('listing.rating')} value={rating} onChange={(e) => setRating(e.target.value)}>
            {[5, 4, 3, 2, 1].map((n) => (
              <option key={n} value={n}>
                {t('listing.stars', { count: n })}
              </option>
            ))}
          </SelectField>
          <TextArea label={t('listing.reviewBody')} value={body} maxLength={2000} onChange={(e) => setBody(e.target.value)} />
          {save.isError ? <ErrorNotice error={save.error} /> : null}
          {save.isSuccess ? <Alert tone="ok">{t('listing.saved')}</Alert> : null}
          <div>
            <Button type="submit" busy={save.isPending}>
              {t('listing.send')}
            </Button>
          </div>
        </form>
      ) : null}
    </Card>
  );
}

function ReviewItem({ r, l, isOperator, lang }: { r: ReviewView; l: ListingDetail; isOperator: boolean; lang: string }) {
  const { t } = useTranslation('marketplace');
  const qc = useQueryClient();
  const [reply, setReply] = useState('');
  const send = useMutation({
    mutationFn: () => api(replyToReview, { params: { reviewId: r.id }, body: { reply } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['listing', l.packId] }),
  });
  const hide = useMutation({
    mutationFn: () => api(adminHideReview, { params: { reviewId: r.id }, body: { hidden: !r.hidden, reason: 'abuse' } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['listing', l.packId] }),
  });
  return (
    <article className="stack">
      <p>
        <strong>{r.author}</strong>{' '}
        <span role="img" aria-label={t('listing.stars', { count: r.rating })}>
          {'★'.repeat(r.rating)}
        </span>{' '}
        <span className="muted small">{new Date(r.createdAt).toLocaleDateString(lang)}</span>
        {r.hidden ? <span className="badge warn"> {t('listing.hidden')}</span> : null}
      </p>
      {r.body ? <p dir="auto">{r.body}</p> : null}
      {r.reply ? (
        <blockquote>
          <strong>{t('listing.reply')}:</strong> {r.reply}
        </blockquote>
      ) : null}
      {l.mine.isCreator && !r.reply ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            send.mutate();
          }}
        >
          <TextArea label={t('listing.replyLabel')} value={reply} maxLength={2000} onChange={(e) => setReply(e.target.value)} />
          <Button type="submit" size="small" busy={send.isPending} disabled={!reply.trim()}>
            {t('listing.sendReply')}
          </Button>
        </form>
      ) : null}
      {isOperator ? (
        <div>
          <Button size="small" variant="danger" busy={hide.isPending} onClick={() => hide.mutate()}>
            {r.hidden ? t('listing.show') : t('listing.hide')}
          </Button>
        </div>
      ) : null}
    </article>
  );
}
