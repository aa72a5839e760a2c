import { createApiToken, listApiTokens, revokeApiToken } from '@csme/contracts/accounts';
import {
  addScreenshot,
  deleteScreenshot,
  getAnalytics,
  getCreatorProfile,
  getEarnings,
  listStudioPacks,
  listSubmissions,
  putCreatorProfile,
  type StudioPack,
  type SubmissionView,
  setListingStatus,
  submitPack,
  updateListing,
} from '@csme/contracts/marketplace';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { Alert, Button, Card, EmptyState, PageHeader, SelectField, Spinner, TextArea, TextField } from '../../ui';
import { formatMoney } from '../plans/money';
import { BarChart } from './BarChart';

const fileToBase64 = async (f: File) => {
  const bytes = new Uint8Array(await f.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
};

/** The creator studio: profile, publishing, packs and their review status, analytics, sales and payouts, API tokens. */
export function StudioPage() {
  const { t } = useTranslation('marketplace');
  const profile = useQuery({ queryKey: ['creator-profile'], queryFn: () => api(getCreatorProfile) });
  if (profile.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (profile.isError) return <ErrorNotice error={profile.error} onRetry={() => profile.refetch()} />;
  const p = profile.data;
  return (
    <>
      <PageHeader title={t('studio.title')} description={t('studio.lead')} />
      <div className="stack">
        {!p.canPublish ? (
          <Alert tone="info">
            {t('studio.needAddon')} <Link to="/plans">{t('studio.getAddon')}</Link>
          </Alert>
        ) : null}
        {p.canPublish || p.profile ? <ProfileForm profile={p.profile} /> : null}
        {p.profile && p.canPublish ? <PublishForm /> : null}
        <Packs />
        <Submissions />
        <Earnings />
        {p.canPublish ? <Tokens /> : null}
      </div>
    </>
  );
}

function ProfileForm({ profile }: { profile: NonNullable<Awaited<ReturnType<typeof fetchProfile>>>['profile'] }) {
  const { t } = useTranslation('marketplace');
  const qc = useQueryClient();
  const [displayName, setName] = useState(profile?.displayName ?? '');
  const [bio, setBio] = useState(profile?.bio ?? '');
  const [method, setMethod] = useState<string>(profile?.payoutMethod ?? 'bank');
  const [details, setDetails] = useState('');
  const save = useMutation({
    mutationFn: () =>
      api(putCreatorProfile, {
        body: { displayName, bio, payoutMethod: method as 'bank' | 'paypal' | 'other', ...(details ? { payoutDetails: details } : {}) },
      }),
    onSuccess: async () => {
      setDetails('');
      await qc.invalidateQueries({ queryKey: ['creator-profile'] });
    },
  });
  return (
    <Card title={t('studio.profile')}>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <TextField
          label={t('studio.displayName')}
          value={displayName}
          required
          minLength={2}
          maxLength={80}
          onChange={(e) => setName(e.target.value)}
        />
        <TextArea label={t('studio.bio')} value={bio} maxLength={1000} onChange={(e) => setBio(e.target.value)} />
        <SelectField label={t('studio.payoutMethod')} value={method} onChange={(e) => setMethod(e.target.value)}>
          {(['bank', 'paypal', 'other'] as const).map((m) => (
            <option key={m} value={m}>
              {t(`studio.methods.${m}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('studio.payoutDetails')}
          hint={profile?.payoutDetailsSet ? t('studio.payoutSet') : t('studio.payoutDetailsHint')}
          value={details}
          autoComplete="off"
          onChange={(e) => setDetails(e.target.value)}
        />
        {save.isError ? <ErrorNotice error={save.error} /> : null}
        {save.isSuccess ? <Alert tone="ok">{t('studio.profileSaved')}</Alert> : null}
        <div>
          <Button type="submit" busy={save.isPending}>
            {t('studio.saveProfile')}
          </Button>
        </div>
      </form>
    </Card>
  );
}
const fetchProfile = () => api(getCreatorProfile);

function Checks({ checks }: { checks: SubmissionView['checks'] }) {
  return (
    <ul className="small">
      {checks.map((c) => (
        <li key={c.check}>
          <span aria-hidden="true">{c.ok ? '✓ ' : '✗ '}</span>
          {c.message}
        </li>
      ))}
    </ul>
  );
}

function PublishForm() {
  const { t } = useTranslation('marketplace');
  const qc = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [changelog, setChangelog] = useState('');
  const submit = useMutation({
    mutationFn: async () => api(submitPack, { body: { bundle: await fileToBase64(file!), changelog } }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['studio'] });
    },
  });
  const refusedChecks =
    submit.error instanceof ApiError ? (submit.error.details as { checks?: SubmissionView['checks'] } | undefined)?.checks : undefined;
  return (
    <Card title={t('studio.publish')}>
      <p className="muted">{t('studio.publishHint')}</p>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (file) submit.mutate();
        }}
      >
        <div className="field">
          <label htmlFor="bundle">{t('studio.bundle')}</label>
          <input id="bundle" type="file" accept=".tgz,application/gzip" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <TextArea label={t('studio.changelog')} value={changelog} maxLength={4000} onChange={(e) => setChangelog(e.target.value)} />
        {submit.isSuccess ? (
          <Alert tone="ok">
            {t(submit.data.status === 'approved' ? 'studio.autoApproved' : 'studio.submitted', {
              pack: submit.data.packId,
              version: submit.data.version,
            })}
          </Alert>
        ) : null}
        {refusedChecks ? (
          <Alert tone="error" title={t('studio.refused')}>
            <Checks checks={refusedChecks.filter((c) => !c.ok)} />
          </Alert>
        ) : submit.isError ? (
          <ErrorNotice error={submit.error} />
        ) : null}
        <div>
          <Button type="submit" variant="primary" disabled={!file} busy={submit.isPending}>
            {t('studio.upload')}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function Packs() {
  const { t } = useTranslation('marketplace');
  const q = useQuery({ queryKey: ['studio', 'packs'], queryFn: () => api(listStudioPacks) });
  if (q.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (q.isError) return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  return (
    <section className="stack" aria-labelledby="packs-title">
      <h2 id="packs-title">{t('studio.packs')}</h2>
      {!q.data.items.length ? <EmptyState title={t('studio.noPacks')}>{t('studio.noPacksHint')}</EmptyState> : null}
      {q.data.items.map((p) => (
        <PackCard key={p.packId} p={p} />
      ))}
    </section>
  );
}

function PackCard({ p }: { p: StudioPack }) {
  const { t } = useTranslation('marketplace');
  return (
    <Card
      title={
        <>
          {p.icon} <Link to={`/marketplace/${p.packId}`}>{p.title}</Link>{' '}
          <span className={`badge ${p.status === 'listed' ? 'ok' : ''}`}>{t(`studio.status.${p.status}`)}</span>
        </>
      }
    >
      <p className="row small">
        {p.latestVersion ? <span>{t('studio.latest', { version: p.latestVersion })}</span> : null}
        {p.pending ? (
          <span className="badge warn">
            {t('studio.inReview', { version: p.pending.version, status: t(`studio.sub.${p.pending.status}`) })}
          </span>
        ) : null}
        <span>{t('browse.installs', { count: p.installs })}</span>
      </p>
      <Analytics packId={p.packId} />
      <details>
        <summary>{t('studio.edit')}</summary>
        <ListingForm p={p} />
      </details>
    </Card>
  );
}

function ListingForm({ p }: { p: StudioPack }) {
  const { t } = useTranslation('marketplace');
  const qc = useQueryClient();
  const [title, setTitle] = useState(p.title);
  const [tagline, setTagline] = useState(p.tagline);
  const [descriptionMd, setDesc] = useState(p.descriptionMd);
  const [categories, setCats] = useState(p.categories.join(', '));
  const [priceModel, setModel] = useState(p.price.model);
  const [priceUsd, setUsd] = useState(String(p.price.usd));
  const [priceIls, setIls] = useState(String(p.price.ils));
  const [caption, setCaption] = useState('');
  const done = () => qc.invalidateQueries({ queryKey: ['studio'] });
  const save = useMutation({
    mutationFn: () =>
      api(updateListing, {
        params: { packId: p.packId },
        body: {
          title,
          tagline,
          descriptionMd,
          categories: categories
            .split(',')
            .map((c) => c.trim())
            .filter(Boolean),
          priceModel,
          priceUsd: priceModel === 'free' ? 0 : Number(priceUsd),
          priceIls: priceModel === 'free' ? 0 : Number(priceIls),
        },
      }),
    onSuccess: done,
  });
  const status = useMutation({
    mutationFn: (s: 'listed' | 'unlisted') => api(setListingStatus, { params: { packId: p.packId }, body: { status: s } }),
    onSuccess: done,
  });
  const shot = useMutation({
    mutationFn: async (f: File) =>
      api(addScreenshot, {
        params: { packId: p.packId },
        body: { contentType: f.type as 'image/png', data: await fileToBase64(f), caption },
      }),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api(deleteScreenshot, { params: { packId: p.packId, screenshotId: id } }),
    onSuccess: done,
  });
  return (
    <div className="stack">
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <TextField label={t('studio.listingTitle')} value={title} onChange={(e) => setTitle(e.target.value)} />
        <TextField label={t('studio.tagline')} value={tagline} maxLength={160} onChange={(e) => setTagline(e.target.value)} />
        <TextArea label={t('studio.descriptionMd')} value={descriptionMd} rows={8} onChange={(e) => setDesc(e.target.value)} />
        <TextField label={t('studio.categories')} value={categories} onChange={(e) => setCats(e.target.value)} />
        <SelectField
          label={t('studio.priceModel')}
          value={priceModel}
          onChange={(e) => setModel(e.target.value as StudioPack['price']['model'])}
        >
          <option value="free">{t('studio.models.free')}</option>
          <option value="one_off">{t('studio.models.one_off')}</option>
          <option value="monthly">{t('studio.models.monthly')}</option>
        </SelectField>
        {priceModel !== 'free' ? (
          <div className="row">
            <TextField label={t('studio.priceUsd')} inputMode="numeric" value={priceUsd} onChange={(e) => setUsd(e.target.value)} />
            <TextField label={t('studio.priceIls')} inputMode="numeric" value={priceIls} onChange={(e) => setIls(e.target.value)} />
          </div>
        ) : null}
        {save.isError ? <ErrorNotice error={save.error} /> : null}
        {save.isSuccess ? <Alert tone="ok">{t('studio.listingSaved')}</Alert> : null}
        <div className="row">
          <Button type="submit" busy={save.isPending}>
            {t('studio.saveListing')}
          </Button>
          {p.status === 'listed' ? (
            <Button variant="danger" busy={status.isPending} onClick={() => status.mutate('unlisted')}>
              {t('studio.unpublish')}
            </Button>
          ) : p.status === 'unlisted' ? (
            <Button busy={status.isPending} onClick={() => status.mutate('listed')}>
              {t('studio.relist')}
            </Button>
          ) : null}
        </div>
      </form>
      {status.isError ? <ErrorNotice error={status.error} /> : null}
      <div className="screenshots">
        {p.screenshots.map((s) => (
          <figure key={s.id}>
            <img src={s.url} alt={s.caption || p.title} />
            <Button size="small" onClick={() => remove.mutate(s.id)}>
              {t('studio.remove')}
            </Button>
          </figure>
        ))}
      </div>
      <TextField label={t('studio.caption')} value={caption} maxLength={200} onChange={(e) => setCaption(e.target.value)} />
      <div className="field">
        <label htmlFor={`shot-${p.packId}`}>{t('studio.addScreenshot')}</label>
        <input
          id={`shot-${p.packId}`}
          type="file"
          accept="image/png,image/jpeg,image/webp"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) shot.mutate(f);
          }}
        />
      </div>
      {shot.isError ? <ErrorNotice error={shot.error} /> : null}
    </div>
  );
}

function Analytics({ packId }: { packId: string }) {
  const { t, i18n } = useTranslation('marketplace');
  const q = useQuery({ queryKey: ['studio', 'analytics', packId], queryFn: () => api(getAnalytics, { params: { packId }, query: {} }) });
  if (q.isPending) return <Spinner label={t('loading', { ns: 'common' })} />;
  if (q.isError) return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  const a = q.data;
  const withheld = t('studio.withheld', { count: a.minSpaces });
  const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);
  const note = (v: number | null) => (v === null ? <span className="small muted">{t('studio.withheldShort')}</span> : null);
  const days = a.installsByDay.map((d) => d.day.slice(5));
  const currencies = [...new Set(a.revenueByDay.map((r) => r.currency))];
  return (
    <section className="stack" aria-label={`${t('studio.analytics')} ${packId}`}>
      <h3>
        {t('studio.analytics')} <span className="muted small">{t('studio.range')}</span>
      </h3>
      <div className="figures">
        <div>
          <span className="small muted">{t('studio.installs')}</span>
          <strong>{a.totals.installs}</strong>
        </div>
        <div>
          <span className="small muted">{t('studio.activeInstalls')}</span>
          <strong>{a.totals.activeInstalls}</strong>
        </div>
        <div>
          <span className="small muted">{t('studio.uninstalls')}</span>
          <strong>{a.totals.uninstalls}</strong>
        </div>
        <div>
          <span className="small muted">{t('studio.runs')}</span>
          <strong>{a.totals.runs ?? '—'}</strong>
          {note(a.totals.runs)}
        </div>
        <div>
          <span className="small muted">{t('studio.successRate')}</span>
          <strong>{pct(a.totals.successRate)}</strong>
          {note(a.totals.successRate)}
        </div>
        <div>
          <span className="small muted">{t('studio.approvalRate')}</span>
          <strong>{pct(a.totals.approvalRate)}</strong>
          {note(a.totals.approvalRate)}
        </div>
      </div>
      <p className="small muted">{t('studio.thresholdNote', { count: a.minSpaces })}</p>
      <BarChart
        title={t('studio.installsChart')}
        labels={days}
        withheld={withheld}
        tableLabel={t('studio.asTable')}
        series={[
          { label: t('studio.installs'), values: a.installsByDay.map((d) => d.installs), tone: 'primary' },
          { label: t('studio.uninstalls'), values: a.installsByDay.map((d) => d.uninstalls), tone: 'muted' },
        ]}
      />
      <BarChart
        title={t('studio.runsChart')}
        labels={days}
        withheld={withheld}
        tableLabel={t('studio.asTable')}
        series={[{ label: t('studio.runs'), values: a.runsByDay.map((d) => d.runs), tone: 'ok' }]}
      />
      {currencies.map((c) => {
        const by = new Map(a.revenueByDay.filter((r) => r.currency === c).map((r) => [r.day.slice(5), r]));
        return (
          <BarChart
            key={c}
            title={t('studio.revenueChart', { currency: c })}
            labels={days}
            withheld={withheld}
            tableLabel={t('studio.asTable')}
            format={(n) => formatMoney(n, c, i18n.language)}
            series={[
              { label: t('studio.gross'), values: days.map((d) => by.get(d)?.gross ?? 0), tone: 'primary' },
              { label: t('studio.yourShare'), values: days.map((d) => by.get(d)?.creator ?? 0), tone: 'ok' },
            ]}
          />
        );
      })}
      <div>
        <h4>{t('studio.uninstallReasons')}</h4>
        <ul>
          {a.uninstallReasons.map((r) => (
            <li key={r.reason}>
              {t(`studio.reasonNames.${r.reason}`)}: {r.count}
            </li>
          ))}
        </ul>
        {a.uninstallReasonsWithheld ? (
          <p className="small muted">{t('studio.reasonsWithheld', { count: a.uninstallReasonsWithheld })}</p>
        ) : null}
      </div>
      {a.ratingsByMonth.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption>{t('studio.ratings')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('studio.cols.month')}</th>
                <th scope="col">{t('studio.cols.average')}</th>
                <th scope="col">{t('studio.cols.count')}</th>
              </tr>
            </thead>
            <tbody>
              {a.ratingsByMonth.map((r) => (
                <tr key={r.month}>
                  <td>{r.month}</td>
                  <td>{r.average}</td>
                  <td>{r.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <p>
        <a href={`/api/v1/creator/packs/${encodeURIComponent(packId)}/analytics.csv`} download>
          {t('studio.csv')}
        </a>
      </p>
    </section>
  );
}

function Submissions() {
  const { t, i18n } = useTranslation('marketplace');
  const q = useQuery({ queryKey: ['studio', 'submissions'], queryFn: () => api(listSubmissions) });
  if (!q.data?.items.length) return null;
  return (
    <Card title={t('studio.submissions')}>
      <ul className="stack" style={{ listStyle: 'none', padding: 0 }}>
        {q.data.items.map((s) => (
          <li key={s.id} className="stack">
            <p>
              <strong>
                {s.packId} {s.version}
              </strong>{' '}
              <span className={`badge ${s.status === 'approved' ? 'ok' : s.status === 'rejected' ? 'danger' : 'warn'}`}>
                {t(`studio.sub.${s.status}`)}
              </span>{' '}
              <span className="muted small">{new Date(s.createdAt).toLocaleDateString(i18n.language)}</span>
            </p>
            {s.reasons ? <Alert tone="warn">{t('studio.reasons', { reasons: s.reasons })}</Alert> : null}
            <details>
              <summary>{t('studio.checks')}</summary>
              <Checks checks={s.checks} />
            </details>
          </li>
        ))}
      </ul>
    </Card>
  );
}

function Earnings() {
  const { t, i18n } = useTranslation('marketplace');
  const q = useQuery({ queryKey: ['studio', 'earnings'], queryFn: () => api(getEarnings) });
  if (q.isPending || q.isError) return null;
  const e = q.data;
  const money = (n: number, c: string) => formatMoney(n, c, i18n.language);
  return (
    <Card title={t('studio.earnings')}>
      <p className="muted">{t('studio.earningsLead')}</p>
      {!e.entries.length ? <p>{t('studio.noSales')}</p> : null}
      {e.totals.map((x) => (
        <div key={x.currency} className="figures" role="group" aria-label={x.currency}>
          <div>
            <span className="small muted">{t('studio.gross')}</span>
            <strong>{money(x.gross, x.currency)}</strong>
          </div>
          <div>
            <span className="small muted">{t('studio.yourShare')}</span>
            <strong>{money(x.creator, x.currency)}</strong>
          </div>
          <div>
            <span className="small muted">{t('studio.unpaid')}</span>
            <strong>{money(x.unpaid, x.currency)}</strong>
          </div>
          <div>
            <span className="small muted">{t('studio.paidOut')}</span>
            <strong>{money(x.paid, x.currency)}</strong>
          </div>
        </div>
      ))}
      {e.entries.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption>{t('studio.earnings')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('studio.cols.date')}</th>
                <th scope="col">{t('studio.cols.kind')}</th>
                <th scope="col">{t('studio.cols.pack')}</th>
                <th scope="col">{t('studio.gross')}</th>
                <th scope="col">{t('studio.tax')}</th>
                <th scope="col">{t('studio.yourShare')}</th>
                <th scope="col">{t('studio.platform')}</th>
              </tr>
            </thead>
            <tbody>
              {e.entries.map((x) => (
                <tr key={x.id}>
                  <td>{new Date(x.occurredAt).toLocaleDateString(i18n.language)}</td>
                  <td>{t(`studio.${x.kind}`)}</td>
                  <td>{x.packId}</td>
                  <td>{money(x.gross, x.currency)}</td>
                  <td>{money(x.tax, x.currency)}</td>
                  <td>{money(x.creator, x.currency)}</td>
                  <td>{money(x.platform, x.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {e.payouts.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption>{t('studio.payouts')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('studio.cols.period')}</th>
                <th scope="col">{t('studio.cols.amount')}</th>
                <th scope="col">{t('studio.cols.status')}</th>
              </tr>
            </thead>
            <tbody>
              {e.payouts.map((p) => (
                <tr key={p.id}>
                  <td>{p.period}</td>
                  <td>{money(p.amount, p.currency)}</td>
                  <td>{p.status === 'paid' ? t('studio.paidOut') : t('studio.unpaid')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Card>
  );
}

function Tokens() {
  const { t, i18n } = useTranslation('marketplace');
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['api-tokens'], queryFn: () => api(listApiTokens) });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<'packs:publish' | 'studio:read'>>(new Set(['packs:publish']));
  const create = useMutation({
    mutationFn: () => api(createApiToken, { body: { name, scopes: [...scopes], expiresInDays: 90 } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['api-tokens'] }),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(revokeApiToken, { params: { tokenId: id } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['api-tokens'] }),
  });
  return (
    <Card title={t('studio.tokens')}>
      <p className="muted">{t('studio.tokensLead')}</p>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <TextField label={t('studio.tokenName')} value={name} required maxLength={80} onChange={(e) => setName(e.target.value)} />
        <fieldset className="segmented">
          {(['packs:publish', 'studio:read'] as const).map((s) => (
            <label key={s}>
              <input
                type="checkbox"
                checked={scopes.has(s)}
                onChange={(e) => {
                  const next = new Set(scopes);
                  if (e.target.checked) next.add(s);
                  else next.delete(s);
                  setScopes(next);
                }}
              />
              {t(`studio.tokenScopes.${s.replace(':', '_')}`)}
            </label>
          ))}
        </fieldset>
        {create.isError ? <ErrorNotice error={create.error} /> : null}
        {create.isSuccess ? (
          <Alert tone="ok" title={t('studio.newToken')}>
            <code className="token">{create.data.token}</code>
          </Alert>
        ) : null}
        <div>
          <Button type="submit" disabled={!scopes.size || !name.trim()} busy={create.isPending}>
            {t('studio.createToken')}
          </Button>
        </div>
      </form>
      <ul>
        {(q.data?.items ?? []).map((k) => (
          <li key={k.id} className="row">
            <span>
              {k.name} <code>{k.prefix}…</code> {k.scopes.map((s) => t(`studio.tokenScopes.${s.replace(':', '_')}`)).join(', ')}{' '}
              <span className="muted small">
                {k.revokedAt ? t('studio.revoked') : t('studio.expires', { date: new Date(k.expiresAt).toLocaleDateString(i18n.language) })}
              </span>
            </span>
            {!k.revokedAt ? (
              <Button
                size="small"
                variant="danger"
                busy={revoke.isPending && revoke.variables === k.id}
                onClick={() => revoke.mutate(k.id)}
              >
                {t('studio.revoke')}
                <span className="visually-hidden"> {k.name}</span>
              </Button>
            ) : null}
          </li>
        ))}
      </ul>
    </Card>
  );
}
