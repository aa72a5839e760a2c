import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { authMessages } from '../features/auth/i18n';
import { consentMessages } from '../features/consent/i18n';
import { common } from './common';

export const LANGUAGES = [
  { code: 'en', label: 'English', dir: 'ltr' },
  { code: 'he', label: 'עברית', dir: 'rtl' },
] as const;
export type Lang = (typeof LANGUAGES)[number]['code'];

type Messages = { en: object; he: object };
/**
 * A namespace: its messages, or a loader for one that only its own pages need, so that it stays out
 * of the first load (the page's route loads it together with the page, see app/routes.tsx).
 */
type Namespace = Messages | (() => Promise<Messages>);

/** Each feature brings its own namespace, in English and Hebrew. One line here per feature. */
const namespaces: Record<string, Namespace> = {
  common,
  auth: authMessages,
  home: () => import('../features/home/i18n').then((m) => m.homeMessages),
  plans: () => import('../features/plans/i18n').then((m) => m.plansMessages),
  account: () => import('../features/account/i18n').then((m) => m.accountMessages),
  admin: () => import('../features/admin/i18n').then((m) => m.adminMessages),
  docs: () => import('../features/docs/i18n').then((m) => m.docsMessages),
  packs: () => import('../features/packs/i18n').then((m) => m.packsMessages),
  agents: () => import('../features/agents/i18n').then((m) => m.agentsMessages),
  runs: () => import('../features/runs/i18n').then((m) => m.runsMessages),
  suggestions: () => import('../features/suggestions/i18n').then((m) => m.suggestionsMessages),
  tasks: () => import('../features/tasks/i18n').then((m) => m.tasksMessages),
  notes: () => import('../features/notes/i18n').then((m) => m.notesMessages),
  lists: () => import('../features/lists/i18n').then((m) => m.listsMessages),
  reminders: () => import('../features/reminders/i18n').then((m) => m.remindersMessages),
  contacts: () => import('../features/contacts/i18n').then((m) => m.contactsMessages),
  calendar: () => import('../features/calendar/i18n').then((m) => m.calendarMessages),
  demo: () => import('../features/demo/i18n').then((m) => m.demoMessages),
  activity: () => import('../features/activity/i18n').then((m) => m.activityMessages),
  connectors: () => import('../features/connectors/i18n').then((m) => m.connectorsMessages),
  invoices: () => import('../features/invoices/i18n').then((m) => m.invoicesMessages),
  expenses: () => import('../features/expenses/i18n').then((m) => m.expensesMessages),
  study: () => import('../features/study/i18n').then((m) => m.studyMessages),
  notifications: () => import('../features/notifications/i18n').then((m) => m.notificationsMessages),
  marketplace: () => import('../features/marketplace/i18n').then((m) => m.marketplaceMessages),
  // The banner shown while an operator acts as the person is in the layout: its messages come first.
  consent: consentMessages,
  operators: () => import('../features/operators/i18n').then((m) => m.operatorsMessages),
  promote: () => import('../features/promote/i18n').then((m) => m.promoteMessages),
  family: () => import('../features/family/i18n').then((m) => m.familyMessages),
  privacy: () => import('../features/privacy/i18n').then((m) => m.privacyMessages),
};

/** An i18next backend that reads the namespaces given as loaders. */
const lazyNamespaces = {
  type: 'backend' as const,
  init() {},
  read(lng: string, ns: string, done: (err: unknown, data?: object) => void) {
    const entry = namespaces[ns];
    if (typeof entry !== 'function') return done(null, {});
    entry().then(
      (m) => done(null, lng === 'he' ? m.he : m.en),
      (e) => done(e),
    );
  },
};

/** Loads namespaces (before a page that needs them renders); resolves when they are ready. */
export function loadNamespaces(ns: readonly string[]): Promise<void> {
  return i18next.loadNamespaces([...ns]);
}

/** Every namespace, loaded (for tests that check the messages). */
export const allNamespaces = () => Object.keys(namespaces);

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

const SYNCED_KEY = 'csme.lang.account';

/**
 * The account's saved language follows the person to a new device, but must not undo a choice made
 * here that is still being saved: it is applied only when it differs from the one this device last
 * saw on the account (so it was changed elsewhere).
 */
export function adoptAccountLanguage(accountId: string, saved: Lang): void {
  const key = `${SYNCED_KEY}.${accountId}`;
  if (localStorage.getItem(key) === saved) return;
  localStorage.setItem(key, saved);
  if (saved !== i18next.language) void setLanguage(saved);
}

/** Records that the account now holds this language (after this device saved it). */
export function accountLanguageSaved(accountId: string, lang: Lang): void {
  localStorage.setItem(`${SYNCED_KEY}.${accountId}`, lang);
}

export async function setLanguage(lang: Lang): Promise<void> {
  localStorage.setItem(STORAGE_KEY, lang);
  await i18next.changeLanguage(lang);
  applyDocumentLanguage(lang);
}

export function initI18n(lang: Lang = initialLanguage()) {
  const resources: Record<string, Record<string, object>> = { en: {}, he: {} };
  for (const [ns, m] of Object.entries(namespaces)) {
    if (typeof m === 'function') continue;
    resources.en![ns] = m.en;
    resources.he![ns] = m.he;
  }
  void i18next
    .use(lazyNamespaces)
    .use(initReactI18next)
    .init({
      resources,
      partialBundledLanguages: true,
      lng: lang,
      fallbackLng: 'en',
      ns: Object.keys(resources.en!),
      defaultNS: 'common',
      interpolation: { escapeValue: false },
      returnNull: false,
    });
  applyDocumentLanguage(lang);
  return i18next;
}
