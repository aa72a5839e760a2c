import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { accountMessages } from '../features/account/i18n';
import { adminMessages } from '../features/admin/i18n';
import { authMessages } from '../features/auth/i18n';
import { consentMessages } from '../features/consent/i18n';
import { docsMessages } from '../features/docs/i18n';
import { homeMessages } from '../features/home/i18n';
import { operatorsMessages } from '../features/operators/i18n';
import { plansMessages } from '../features/plans/i18n';
import { promoteMessages } from '../features/promote/i18n';
import { common } from './common';

export const LANGUAGES = [
  { code: 'en', label: 'English', dir: 'ltr' },
  { code: 'he', label: 'עברית', dir: 'rtl' },
] as const;
export type Lang = (typeof LANGUAGES)[number]['code'];

/** Each feature brings its own namespace, in English and Hebrew. One line here per feature. */
const namespaces = {
  common,
  auth: authMessages,
  home: homeMessages,
  plans: plansMessages,
  account: accountMessages,
  admin: adminMessages,
  docs: docsMessages,
  operators: operatorsMessages,
  consent: consentMessages,
  promote: promoteMessages,
};

const STORAGE_KEY = 'csme.lang';

export function initialLanguage(): Lang {
  const stored = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
  if (stored === 'en' || stored === 'he') return stored;
  const nav = typeof navigator !== 'undefined' ? navigator.language : 'en';
  return nav.startsWith('he') || nav.startsWith('iw') ? 'he' : 'en';
}

export function applyDocumentLanguage(lang: Lang): void {
  const dir = LANGUAGES.find((l) => l.code === lang)?.dir ?? 'ltr';
  document.documentElement.lang = lang;
  document.documentElement.dir = dir;
}

export async function setLanguage(lang: Lang): Promise<void> {
  localStorage.setItem(STORAGE_KEY, lang);
  await i18next.changeLanguage(lang);
  applyDocumentLanguage(lang);
}

export function initI18n(lang: Lang = initialLanguage()) {
  const resources: Record<string, Record<string, object>> = { en: {}, he: {} };
  for (const [ns, m] of Object.entries(namespaces)) {
    resources.en![ns] = m.en;
    resources.he![ns] = m.he;
  }
  void i18next.use(initReactI18next).init({
    resources,
    lng: lang,
    fallbackLng: 'en',
    ns: Object.keys(namespaces),
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  applyDocumentLanguage(lang);
  return i18next;
}
