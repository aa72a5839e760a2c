// Runs: every trigger (schedule, connector or app event, webhook, "run now") becomes a run through one
// admission step; the executor runs its steps and turns actions into suggestions. It does not define
// agents (agents, packs do) nor perform approved actions (suggestions does).
import type { ModuleDef } from '#core/module.js';
import { admitDelayedJob, dispatchEventJob, executeRunJob, pruneJobsJob } from './runs.jobs.js';
import { runsRoutes } from './runs.routes.js';
import { failAbandonedRuns, runDueSchedules } from './runs.service.js';

export { type Admission, admitRun, raiseEvent, runDueSchedules } from './runs.service.js';
// runSandboxed: for `csme pack test`, which runs a pack's code steps locally in the same sandbox.
export { closeSandboxPool, runSandboxed } from './sandbox/sandbox.js';

export const runsModule: ModuleDef = {
  name: 'runs',
  routes: runsRoutes,
  jobs: [dispatchEventJob, executeRunJob, admitDelayedJob, pruneJobsJob],
  cron: [{ job: pruneJobsJob, pattern: '17 3 * * *' }],
  tickers: [
    {
      name: 'scheduler',
      intervalMs: 500,
      // Rounds of up to 200 agents, again at once while rounds come back full (a busy minute), for at most 2 s.
      run: async (ctx) => {
        const until = Date.now() + 2000;
        while ((await runDueSchedules(ctx)) >= 200 && Date.now() < until) {}
      },
    },
    {
      name: 'abandoned-runs',
      intervalMs: 10_000,
      run: async (ctx) => {
        await failAbandonedRuns(ctx);
      },
    },
  ],
};
