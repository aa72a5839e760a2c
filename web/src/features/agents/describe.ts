import type { TriggerView } from '@csme/contracts/packs';
import type { TFunction } from 'i18next';
import { intlLocale } from '../../ui/format';

/**
 * Triggers and schedules said in the person's language. The server sends the English label and the
 * facts (event type, cron or RRULE, time zone); common cron shapes are said in words, others fall
 * back to the server's label.
 */

function weekdayName(dow: number, lang: string): string {
  // 7 January 2024 was a Sunday (cron's day 0).
  return new Intl.DateTimeFormat(intlLocale(lang), { weekday: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 7 + (dow % 7))));
}

/** A cron in words, or null for shapes it does not know. */
export function describeCron(cron: string, timeZone: string | undefined, t: TFunction, lang: string): string | null {
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5) return null;
  const [m, h, dom, mon, dow] = parts as [string, string, string, string, string];
  const zone = timeZone === 'person' ? t('agents:schedule.yourZone') : timeZone;
  const withZone = (s: string) => (zone ? `${s} (${zone})` : s);
  if (/^\*\/\d+$/.test(m) && h === '*' && dom === '*' && mon === '*' && dow === '*')
    return t('agents:schedule.everyMinutes', { count: Number(m.slice(2)) });
  if (!/^\d{1,2}$/.test(m) || !/^\d{1,2}$/.test(h) || dom !== '*' || mon !== '*') return null;
  const time = `${h.padStart(2, '0')}:${m.padStart(2, '0')}`;
  if (dow === '*') return withZone(t('agents:schedule.daily', { time }));
  if (dow === '1-5') return withZone(t('agents:schedule.weekdays', { time }));
  if (/^[0-7]$/.test(dow)) return withZone(t('agents:schedule.weekly', { day: weekdayName(Number(dow), lang), time }));
  return null;
}

export function describeTrigger(tr: TriggerView, t: TFunction, lang: string): string {
  switch (tr.type) {
    case 'manual':
      return t('agents:trigger.manual');
    case 'webhook':
      return t('agents:trigger.webhook');
    case 'event':
      if (tr.offsetMinutes) return t('agents:trigger.beforeEvent', { count: tr.offsetMinutes });
      return tr.event ? t(`agents:events.${tr.event.replace('.', '_')}`, { defaultValue: tr.label }) : tr.label;
    case 'schedule':
      return (tr.cron ? describeCron(tr.cron, tr.timeZone, t, lang) : null) ?? tr.label;
  }
}

/** Why an agent is off, in words. */
export function disabledReasonText(reason: string | null, t: TFunction): string | null {
  if (!reason) return null;
  if (reason.startsWith('needs_plan:')) return t('agents:disabled.needsPlan');
  return t(`agents:disabled.${reason}`, { defaultValue: t('agents:disabled.person') });
}
