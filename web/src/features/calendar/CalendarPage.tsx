import type { AgendaItem } from '@csme/contracts/calendar';
import { createEvent, deleteEvent, getAgenda } from '@csme/contracts/calendar';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api/client';
import { ErrorNotice } from '../../app/errors';
import { useShellSession } from '../../app/outlet';
import {
  Alert,
  Badge,
  Button,
  Card,
  DeleteItemButton,
  EmptyState,
  Form,
  PageHeader,
  SelectField,
  Spinner,
  TextField,
  useInvalidate,
} from '../../ui';
import { intlLocale } from '../../ui/format';

const DAY = 86_400_000;
/** The first day, 00:00 (the browser's zone), of the week `offset` weeks from now: Sunday in Hebrew, Monday otherwise. */
function weekStart(offset: number, firstDay: 0 | 1): Date {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - ((d.getDay() - firstDay + 7) % 7) + offset * 7);
  return d;
}
const ymd = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

const RULES = {
  none: '',
  daily: 'FREQ=DAILY',
  weekdays: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
  weekly: 'FREQ=WEEKLY',
  monthly: 'FREQ=MONTHLY',
} as const;
type Repeat = keyof typeof RULES;

function AddEvent({ calendars, day }: { calendars: Array<{ connectorId: string; name: string }>; day: string }) {
  const { t } = useTranslation('calendar');
  const family = useShellSession().activeSpace.kind === 'family';
  const [f, setF] = useState({
    title: '',
    date: day,
    start: '18:00',
    end: '19:00',
    repeat: 'none' as Repeat,
    where: '',
    calendar: '',
    visibility: 'shared' as 'shared' | 'private',
  });
  const [problem, setProblem] = useState<Record<string, string>>({});
  const [done, setDone] = useState(false);
  const changed = useInvalidate('agenda');
  const m = useMutation({
    mutationFn: () =>
      api(createEvent, {
        body: {
          title: f.title.trim(),
          startsAt: new Date(`${f.date}T${f.start}`).toISOString(),
          endsAt: new Date(`${f.date}T${f.end}`).toISOString(),
          ...(f.where.trim() ? { location: f.where.trim() } : {}),
          ...(RULES[f.repeat] ? { rrule: RULES[f.repeat] } : {}),
          ...(f.calendar ? { connectorId: f.calendar } : {}),
          ...(family ? { visibility: f.visibility } : {}),
        },
      }),
    onSuccess: async () => {
      setF({ ...f, title: '', where: '' });
      setDone(true);
      await changed();
    },
  });
  const errors = { ...(m.error instanceof ApiError ? m.error.fieldErrors() : {}), ...problem };
  return (
    <Card title={t('addTitle')}>
      <Form
        submitLabel={t('add')}
        busy={m.isPending}
        onSubmit={() => {
          const p: Record<string, string> = {};
          if (!f.title.trim()) p.title = t('titleRequired');
          if (f.end <= f.start) p.endsAt = t('endBeforeStart');
          setProblem(p);
          setDone(false);
          if (!Object.keys(p).length) m.mutate();
        }}
      >
        <TextField
          label={t('eventTitle')}
          value={f.title}
          maxLength={500}
          dir="auto"
          error={errors.title}
          onChange={(e) => setF({ ...f, title: e.target.value })}
        />
        <div className="toolbar" style={{ margin: 0 }}>
          <TextField label={t('date')} type="date" value={f.date} required onChange={(e) => setF({ ...f, date: e.target.value })} />
          <TextField label={t('start')} type="time" value={f.start} required onChange={(e) => setF({ ...f, start: e.target.value })} />
          <TextField
            label={t('end')}
            type="time"
            value={f.end}
            required
            error={errors.endsAt}
            onChange={(e) => setF({ ...f, end: e.target.value })}
          />
          <SelectField label={t('repeat')} value={f.repeat} onChange={(e) => setF({ ...f, repeat: e.target.value as Repeat })}>
            {(Object.keys(RULES) as Repeat[]).map((k) => (
              <option key={k} value={k}>
                {t(`repeatOptions.${k}`)}
              </option>
            ))}
          </SelectField>
        </div>
        <TextField label={t('where')} value={f.where} maxLength={500} dir="auto" onChange={(e) => setF({ ...f, where: e.target.value })} />
        <div className="toolbar" style={{ margin: 0 }}>
          {calendars.length ? (
            <SelectField label={t('calendarField')} value={f.calendar} onChange={(e) => setF({ ...f, calendar: e.target.value })}>
              <option value="">{t('myCalendar')}</option>
              {calendars.map((c) => (
                <option key={c.connectorId} value={c.connectorId}>
                  {c.name}
                </option>
              ))}
            </SelectField>
          ) : null}
          {family && !f.calendar ? (
            <SelectField
              label={t('visibility')}
              value={f.visibility}
              onChange={(e) => setF({ ...f, visibility: e.target.value as 'shared' | 'private' })}
            >
              <option value="shared">{t('shared')}</option>
              <option value="private">{t('private')}</option>
            </SelectField>
          ) : null}
        </div>
        {m.isError && !Object.keys(m.error instanceof ApiError ? m.error.fieldErrors() : {}).length ? (
          <ErrorNotice error={m.error} />
        ) : null}
        {done ? <Alert tone="ok">{t('added')}</Alert> : null}
      </Form>
    </Card>
  );
}

function EventItem({ e, byKey }: { e: AgendaItem; byKey: Map<string, AgendaItem> }) {
  const { t, i18n } = useTranslation('calendar');
  const tz = useShellSession().account.timeZone;
  const changed = useInvalidate('agenda');
  const remove = useMutation({
    mutationFn: () => api(deleteEvent, { params: { eventId: e.eventId } }),
    onSuccess: changed,
  });
  const time = (iso: string) =>
    new Intl.DateTimeFormat(intlLocale(i18n.language), { hour: '2-digit', minute: '2-digit', timeZone: tz }).format(new Date(iso));
  return (
    <li className={`event${e.conflictsWith.length ? ' clash' : ''}`}>
      <span className="when">{e.allDay ? t('allDay') : <bdi dir="ltr">{`${time(e.startsAt)}–${time(e.endsAt)}`}</bdi>}</span>
      <span className="what" dir="auto">
        {e.title}
        {e.location ? <span className="muted"> · {e.location}</span> : null}
      </span>
      <span className="meta">
        <Badge tone={e.source === 'own' ? 'ok' : undefined}>{e.source === 'own' ? t('own') : t('connected')}</Badge>
        {e.recurring ? <span>{t('repeats')}</span> : null}
        {e.demo ? <Badge tone="info">{t('sample')}</Badge> : null}
        {e.conflictsWith.map((k) => (
          <Badge key={k} tone="warn">
            {t('clash', { other: byKey.get(k)?.title ?? '' })}
          </Badge>
        ))}
      </span>
      {e.source === 'own' ? (
        <DeleteItemButton
          itemName={e.title}
          question={t('deleteQuestion', { title: e.title })}
          labels={{ delete: t('delete'), yes: t('deleteYes'), cancel: t('cancel', { ns: 'common' }) }}
          mutation={remove}
        />
      ) : null}
      {remove.isError ? <ErrorNotice error={remove.error} /> : null}
    </li>
  );
}

export function CalendarPage() {
  const { t, i18n } = useTranslation('calendar');
  const tz = useShellSession().account.timeZone;
  const [offset, setOffset] = useState(0);
  const firstDay = i18n.language === 'he' ? 0 : 1;
  const start = useMemo(() => weekStart(offset, firstDay), [offset, firstDay]);
  const end = new Date(start.getTime() + 7 * DAY);
  const q = useQuery({
    queryKey: ['agenda', start.toISOString()],
    queryFn: () => api(getAgenda, { query: { from: start.toISOString(), to: end.toISOString() } }),
  });
  const days = Array.from({ length: 7 }, (_, i) => new Date(start.getFullYear(), start.getMonth(), start.getDate() + i));
  const dayKey = (iso: string) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
  const byKey = new Map((q.data?.items ?? []).map((e) => [e.key, e]));
  const fmtDay = (d: Date) =>
    new Intl.DateTimeFormat(intlLocale(i18n.language), { weekday: 'long', day: 'numeric', month: 'long' }).format(d);
  const today = ymd(new Date());
  return (
    <>
      <PageHeader title={t('title')} description={t('lead')} />
      <div className="stack">
        <div className="toolbar" role="group" aria-label={t('weekOf', { date: fmtDay(start) })}>
          <Button onClick={() => setOffset(offset - 1)}>{t('prev')}</Button>
          <Button onClick={() => setOffset(0)} disabled={offset === 0}>
            {t('thisWeek')}
          </Button>
          <Button onClick={() => setOffset(offset + 1)}>{t('next')}</Button>
        </div>
        <h2>{t('weekOf', { date: fmtDay(start) })}</h2>
        {q.isPending ? <Spinner label={t('loading', { ns: 'common' })} /> : null}
        {q.isError ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
        {q.data?.conflicts.length ? <Alert tone="warn">{t('clashes', { count: q.data.conflicts.length })}</Alert> : null}
        {q.data && !q.data.items.length ? <EmptyState title={t('emptyTitle')}>{t('emptyHint')}</EmptyState> : null}
        {q.data?.items.length ? (
          <div className="week">
            {days.map((d) => {
              const items = q.data.items.filter((e) => dayKey(e.startsAt) === ymd(d));
              return (
                <section key={ymd(d)} className={`card day${ymd(d) === today ? ' today' : ''}`} aria-label={fmtDay(d)}>
                  <h3>{fmtDay(d)}</h3>
                  {items.length ? (
                    <ul className="events">
                      {items.map((e) => (
                        <EventItem key={e.key} e={e} byKey={byKey} />
                      ))}
                    </ul>
                  ) : (
                    <p className="muted small">{t('nothing')}</p>
                  )}
                </section>
              );
            })}
          </div>
        ) : null}
        <AddEvent calendars={q.data?.writableCalendars ?? []} day={offset === 0 ? today : ymd(start)} />
      </div>
    </>
  );
}
