import type { NotificationPrefs } from '@csme/contracts/inbox';

type Topic = keyof NotificationPrefs['topics'];

/** Which preference a notification kind falls under. */
export function topicOf(kind: string): Topic {
  if (kind.startsWith('suggestion.')) return 'suggestions';
  if (kind.startsWith('action.')) return 'actions';
  if (kind.startsWith('quota.') || kind.startsWith('billing.') || kind.startsWith('plan.')) return 'plan';
  if (kind.startsWith('family.') || kind.startsWith('reminder.')) return 'family';
  return 'agents';
}

/**
 * Kinds a person must hear about by email whatever their settings (money, an action whose outcome is
 * unknown, their account suspended or restored, an operator acting as them, their account's deletion asked
 * for or cancelled).
 */
export const ALWAYS_EMAIL = new Set([
  'action.unknown',
  'quota.exhausted',
  'billing.payment_failed',
  'account.suspended',
  'account.restored',
  'access.started',
  'account.deletion_scheduled',
  'account.deletion_cancelled',
]);

export const DEFAULT_PREFS: NotificationPrefs = {
  topics: {
    suggestions: { email: false, push: true },
    actions: { email: true, push: true },
    agents: { email: false, push: true },
    plan: { email: true, push: false },
    family: { email: false, push: true },
  },
  dailyDigest: { enabled: false, time: '08:00' },
};

export interface StoredPrefs extends NotificationPrefs {
  lastDigestAt?: string;
}

export function mergePrefs(stored: unknown): StoredPrefs {
  const s = (stored ?? {}) as Partial<StoredPrefs>;
  return {
    topics: { ...DEFAULT_PREFS.topics, ...(s.topics ?? {}) },
    dailyDigest: { ...DEFAULT_PREFS.dailyDigest, ...(s.dailyDigest ?? {}) },
    ...(s.lastDigestAt ? { lastDigestAt: s.lastDigestAt } : {}),
  };
}
