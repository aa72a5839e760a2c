import { DatesExtractInput, DatesExtractOutput, type ExtractedDate } from '@csme/contracts/skills';
import { defineSkill } from '#core/skill.js';
import { type FoundDate, findDates, loadDateEngine, type When } from './dates.js';
import { isoDate, isoInstant, nowIn } from './time.js';

const value = (w: When) => (w.allDay ? isoDate(w.date) : isoInstant(w.at));

function presentDates(found: FoundDate[]): ExtractedDate[] {
  const seen = new Set<string>();
  const out: ExtractedDate[] = [];
  for (const f of found) {
    const item: ExtractedDate = { text: f.text, start: value(f.start), ...(f.end ? { end: value(f.end) } : {}), allDay: f.start.allDay };
    const key = `${item.start}|${item.end ?? ''}|${item.allDay}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

export const datesExtract = defineSkill({
  id: 'dates.extract',
  description:
    'Finds every date and date range a text mentions: timed values as ISO 8601 with the zone offset, all-day values as YYYY-MM-DD; relative words resolve forward from now.',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: DatesExtractInput,
  output: DatesExtractOutput,
  async run(sctx, input) {
    await loadDateEngine();
    return presentDates(findDates(input.text, nowIn(sctx, input)));
  },
});
