import i18next from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { initI18n } from '../../i18n';
import { describeCron, describeTrigger } from './describe';

beforeAll(async () => {
  const i18n = initI18n('en');
  await i18n.loadNamespaces(['agents']);
  await i18n.loadLanguages('he');
});

describe('schedules and triggers in the person’s language', () => {
  it('says common cron shapes in English and in Hebrew, with the time zone', () => {
    const en = i18next.getFixedT('en');
    const he = i18next.getFixedT('he');
    expect(describeCron('30 7 * * *', 'Europe/Berlin', en, 'en')).toBe('Every day at 07:30 (Europe/Berlin)');
    expect(describeCron('0 8 * * *', 'person', en, 'en')).toBe('Every day at 08:00 (your time zone)');
    expect(describeCron('0 9 * * 1', 'UTC', en, 'en')).toBe('Every Monday at 09:00 (UTC)');
    expect(describeCron('0 18 * * 1-5', 'UTC', en, 'en')).toBe('Weekdays at 18:00 (UTC)');
    expect(describeCron('*/15 * * * *', 'UTC', en, 'en')).toBe('Every 15 minutes');
    expect(describeCron('30 7 * * *', 'Asia/Jerusalem', he, 'he')).toBe('כל יום ב-07:30 (Asia/Jerusalem)');
    expect(describeCron('0 9 * * 0', 'Asia/Jerusalem', he, 'he')).toBe('כל יום ראשון ב-09:00 (Asia/Jerusalem)');
    expect(describeCron('0 8 1 * *', 'UTC', en, 'en')).toBeNull();
  });

  it('falls back to the server’s words for what it cannot say', () => {
    const he = i18next.getFixedT('he');
    expect(describeTrigger({ type: 'schedule', label: 'RRULE FREQ=MONTHLY (UTC)', rrule: 'FREQ=MONTHLY', timeZone: 'UTC' }, he, 'he')).toBe(
      'RRULE FREQ=MONTHLY (UTC)',
    );
    expect(describeTrigger({ type: 'event', label: 'When a task is done', event: 'task.completed' }, he, 'he')).toBe(
      'כשמשימה מסומנת כבוצעה',
    );
    expect(describeTrigger({ type: 'event', label: 'When a thing happens', event: 'thing.happened' }, he, 'he')).toBe(
      'When a thing happens',
    );
    expect(describeTrigger({ type: 'manual', label: 'When you run it' }, he, 'he')).toBe('כשמריצים אותו');
  });
});
