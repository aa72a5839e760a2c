import type { SessionView } from '@csme/contracts/accounts';
import { signOut, switchSpace, updateAccount } from '@csme/contracts/accounts';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';
import { SupportAccessBanner } from '../features/consent/OperatorAccess';
import { PendingBadge } from '../features/suggestions/PendingCount';
import { accountLanguageSaved, adoptAccountLanguage, LANGUAGES, type Lang, setLanguage } from '../i18n';
import { Spinner } from '../ui';
import { ErrorNotice } from './errors';
import { navSections } from './nav';
import { useSession, useSetSession } from './session';

export function LanguageSelect({ session }: { session?: SessionView | null }) {
  const { t, i18n } = useTranslation();
  const setSession = useSetSession();
  return (
    <label className="row">
      <span className="visually-hidden">{t('language')}</span>
      <select
        className="compact"
        value={i18n.language}
        onChange={async (e) => {
          const lang = e.target.value as Lang;
          await setLanguage(lang);
          if (session) {
            const account = await api(updateAccount, { body: { locale: lang } });
            accountLanguageSaved(account.id, lang);
            setSession({ ...session, account });
          }
        }}
      >
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function SpaceSwitcher({ session }: { session: SessionView }) {
  const { t } = useTranslation();
  const setSession = useSetSession();
  const navigate = useNavigate();
  const mutation = useMutation({
    mutationFn: (spaceId: string) => api(switchSpace, { body: { spaceId } }),
    onSuccess: (s) => {
      setSession(s);
      navigate('/');
    },
  });
  if (session.spaces.length < 2) {
    return <span className="badge">{session.activeSpace.kind === 'family' ? t('familySpace') : t('personalSpace')}</span>;
  }
  return (
    <label className="row">
      <span className="visually-hidden">{t('switchSpace')}</span>
      <select
        className="compact"
        value={session.activeSpace.id}
        onChange={(e) => mutation.mutate(e.target.value)}
        disabled={mutation.isPending}
      >
        {session.spaces.map((s) => (
          <option key={s.id} value={s.id}>
            {s.kind === 'family' ? `${t('familySpace')}: ${s.name}` : `${t('personalSpace')}: ${s.name}`}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The signed-in shell: top bar (space, language, sign out), navigation, and the page. */
export function Layout() {
  const { t } = useTranslation();
  const session = useSession();
  const setSession = useSetSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  // Signing out is not "the session expired here": it must not bring the person back to this page next time.
  const signingOut = useRef(false);

  // A page change closes the menu (on phones it covers the page).
  // biome-ignore lint/correctness/useExhaustiveDependencies: the path is the trigger, not an input
  useEffect(() => setMenuOpen(false), [location.pathname]);
  // The person's saved language wins over the browser's on this device (unless chosen here since).
  useEffect(() => {
    const accountId = session.data?.account.id;
    const saved = session.data?.account.locale;
    if (accountId && saved) adoptAccountLanguage(accountId, saved);
  }, [session.data?.account.id, session.data?.account.locale]);
  useEffect(() => {
    if (session.data === null && !signingOut.current)
      navigate(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  }, [session.data, navigate, location.pathname, location.search]);

  if (session.isPending) {
    return (
      <div className="auth-page">
        <Spinner label={t('loading')} />
      </div>
    );
  }
  if (session.isError) {
    return (
      <div className="auth-page">
        <ErrorNotice error={session.error} onRetry={() => session.refetch()} />
      </div>
    );
  }
  if (!session.data) return null;
  const s = session.data;
  const sections = navSections(s);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t('skipToContent')}
      </a>
      <header className="topbar">
        <button
          type="button"
          className="button small menu-button"
          aria-expanded={menuOpen}
          aria-controls="sidenav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          {t('menu')}
          <PendingBadge />
        </button>
        <NavLink to="/" className="brand">
          <img src="/icon.svg" alt="" />
          <span>{t('appName')}</span>
        </NavLink>
        <span className="spacer" />
        <div className="row desktop-only">
          <SpaceSwitcher session={s} />
          <LanguageSelect session={s} />
        </div>
        <button
          type="button"
          className="button small"
          onClick={async () => {
            signingOut.current = true;
            await api(signOut).catch(() => undefined);
            navigate('/sign-in', { replace: true });
            setSession(null);
          }}
        >
          {t('signOut')}
        </button>
      </header>
      <div className="shell">
        <nav id="sidenav" className={`sidenav${menuOpen ? ' open' : ''}`} aria-label={t('menu')}>
          <div className="stack mobile-only" style={{ padding: 'var(--space-3)' }}>
            <SpaceSwitcher session={s} />
            <LanguageSelect session={s} />
          </div>
          {sections.map((section) => (
            <div key={section.key}>
              {section.title ? <div className="section">{t(section.title)}</div> : null}
              <ul>
                {section.items.map((item) => (
                  <li key={item.to}>
                    <NavLink to={item.to} end={item.to === '/' || item.to === '/admin'}>
                      {t(item.label, { ns: item.ns ?? 'common' })}
                      {item.badge === 'pendingSuggestions' ? <PendingBadge /> : null}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" tabIndex={-1}>
          <SupportAccessBanner />
          <Outlet context={s} />
        </main>
      </div>
    </div>
  );
}
