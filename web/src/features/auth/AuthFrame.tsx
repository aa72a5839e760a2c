import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSelect } from '../../app/Layout';

/** The frame of the signed-out pages: brand, language, one card. */
export function AuthFrame({ title, lead, children }: { title: string; lead?: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className="auth-page">
      <main id="main" className="auth-card stack">
        <div className="row" style={{ justifyContent: 'space-between' }}>
          <span className="brand">
            <img src="/icon.svg" alt="" width={28} height={28} />
            <span>{t('appName')}</span>
          </span>
          <LanguageSelect />
        </div>
        <div className="card stack">
          <h1>{title}</h1>
          {lead ? <p className="muted">{lead}</p> : null}
          {children}
        </div>
        <p className="muted small">{t('tagline')}</p>
      </main>
    </div>
  );
}
