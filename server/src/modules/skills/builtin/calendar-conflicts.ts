import { CalendarConflictsInput, CalendarConflictsOutput } from '@csme/contracts/skills';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';
import { expandRrule, instantIn } from './time.js';

interface Occurrence {
  event: number;
  start: number;
  end: number;
}

/** Every pair of events some occurrences of which overlap for a positive time inside [from, to). */
function findConflicts(input: {
  events: { id: string; start: string; end: string; rrule?: string; timeZone: string }[];
  from: string;
  to: string;
}): { a: string; b: string }[] {
  const from = instantIn(input.from, 'UTC');
  const to = instantIn(input.to, 'UTC');
  if (to <= from)
    throw new AppError('invalid_input', 'to: must be after from', { issues: [{ path: 'to', message: 'must be after from' }] });
  const ids = new Set<string>();
  const occurrences: Occurrence[] = [];
  input.events.forEach((e, i) => {
    const where = `events.${i}`;
    if (ids.has(e.id))
      throw new AppError('invalid_input', `${where}.id: ${e.id} is used by two events`, {
        issues: [{ path: `${where}.id`, message: 'is used twice' }],
      });
    ids.add(e.id);
    const start = instantIn(e.start, e.timeZone);
    const end = instantIn(e.end, e.timeZone);
    const length = end.toMillis() - start.toMillis();
    if (length < 0)
      throw new AppError('invalid_input', `${where}.end: must not be before start`, {
        issues: [{ path: `${where}.end`, message: 'is before start' }],
      });
    // RFC 5545: the exact duration of the first occurrence applies to every occurrence.
    const starts = e.rrule ? expandRrule(e.rrule, start, e.timeZone, to, `${where}.rrule`) : [start];
    for (const s of starts) {
      const a = Math.max(s.toMillis(), from.toMillis());
      const b = Math.min(s.toMillis() + length, to.toMillis());
      if (b > a) occurrences.push({ event: i, start: a, end: b });
    }
  });
  // Sweep by start time: each occurrence meets only those still running when it starts.
  occurrences.sort((x, y) => x.start - y.start || x.end - y.end);
  const pairs = new Set<string>();
  const active: Occurrence[] = [];
  for (const o of occurrences) {
    for (let k = active.length - 1; k >= 0; k--) if (active[k]!.end <= o.start) active.splice(k, 1);
    for (const a of active) if (a.event !== o.event) pairs.add(a.event < o.event ? `${a.event},${o.event}` : `${o.event},${a.event}`);
    active.push(o);
  }
  return [...pairs]
    .map((p) => p.split(',').map(Number) as [number, number])
    .sort((x, y) => x[0] - y[0] || x[1] - y[1])
    .map(([a, b]) => ({ a: input.events[a]!.id, b: input.events[b]!.id }));
}

export const calendarConflicts = defineSkill({
  id: 'calendar.conflicts',
  description:
    'Pairs of events whose occurrences overlap within a window; recurrences (RRULE) keep their wall-clock time in their zone across daylight-saving changes.',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: CalendarConflictsInput,
  output: CalendarConflictsOutput,
  async run(_sctx, input) {
    return findConflicts(input);
  },
});
