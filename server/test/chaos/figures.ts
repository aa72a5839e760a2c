import type { ScenarioResult } from './scenarios.js';

/**
 * The fault suite's headline figures, summed over its scenarios: the faults injected, the work done
 * under them, and what must stay zero. `npm run report:reliability` prints them (through the short
 * form in `npm test`); `npm run chaos` prints them after its per-scenario table.
 */

export interface Headline {
  figures: Record<string, number>;
  breaches: number;
}

const num = (r: ScenarioResult | undefined, k: string) => {
  const v = r?.figures[k];
  return typeof v === 'number' ? v : 0;
};
const sum = (rs: ScenarioResult[], k: string) => rs.reduce((n, r) => n + num(r, k), 0);

export function headlineFigures(results: ScenarioResult[]): { faults: Headline; billing: Headline | null } {
  const by = (id: string) => results.find((r) => r.id === id);
  const scheduler = by('scheduler');
  const database = by('database');
  const billing = by('billing');
  const withRuns = ['kill', 'freeze', 'shutdown', 'network', 'database'].flatMap((id) => by(id) ?? []);
  const withQuota = [...withRuns, ...(scheduler ? [scheduler] : [])];
  const faults: Record<string, number> = {
    'kill -9': num(by('kill'), 'kills') + num(scheduler, 'faults:kill'),
    'freezes past the lease': num(by('freeze'), 'freezes') + num(scheduler, 'faults:freeze'),
    'SIGTERMs mid-run': num(by('shutdown'), 'sigterms') + num(scheduler, 'faults:term'),
    'network faults': num(by('network'), 'networkFaults'),
    'PostgreSQL restarts': num(database, 'restarts'),
    'runs under faults': sum(withRuns, 'runs') + num(scheduler, 'fired'),
    'cron slots': num(scheduler, 'slots'),
    'side effects checked': sum(withRuns, 'tasks') + sum(withRuns, 'calendarEvents') + sum(withRuns, 'emailsReceived'),
    'lost runs': sum(withRuns, 'lost') + num(scheduler, 'gaps'),
    'duplicated side effects':
      sum(withRuns, 'duplicateTasks') +
      sum(withRuns, 'duplicateEvents') +
      sum(withRuns, 'duplicateEmails') +
      sum(withRuns, 'duplicateSentCopies') +
      num(scheduler, 'doubles'),
    'double-counted quota': withQuota.reduce((n, r) => n + Math.max(0, num(r, 'quotaUsed') - num(r, 'admittedRuns')), 0),
    'broken activity chains': sum(withQuota, 'activityChainBroken'),
    '5xx other than 503': num(database, 'api5xxNot503'),
  };
  return {
    faults: { figures: faults, breaches: results.filter((r) => r.id !== 'billing').reduce((n, r) => n + r.breaches.length, 0) },
    billing: billing
      ? {
          figures: {
            trials: num(billing, 'trials'),
            'concurrent triggers': num(billing, 'triggers'),
            'trials with two admitted': num(billing, 'overshoot'),
          },
          breaches: billing.breaches.length,
        }
      : null,
  };
}
