// Runs: every trigger (schedule, connector or app event, webhook, "run now") becomes a run through one
// admission step; the executor runs its steps and turns actions into suggestions. It does not define
// agents (agents, packs do) nor perform approved actions (suggestions does).
import type { ModuleDef } from '#core/module.js';
import { admitDelayedJob, dispatchEventJob, executeRunJob } from './runs.jobs.js';
import { runsRoutes } from './runs.routes.js';
import { failAbandonedRuns, runDueSchedules } from './runs.service.js';

export { maskText, storedPayload } from './runs.policy.js';
export { type Admission, admitRun, type RaiseEventInput, raiseEvent, runDueSchedules, type TriggerInput } from './runs.service.js';
// runSandboxed: for `csme pack test`, which runs a pack's code steps locally in the same sandbox.
export { closeSandboxPool, runSandboxed } from './sandbox/sandbox.js';

export const runsModule: ModuleDef = {
  name: 'runs',
  routes: runsRoutes,
  jobs: [dispatchEventJob, executeRunJob, admitDelayedJob],
  tickers: [
    {
      name: 'scheduler',
      intervalMs: 500,
      run: async (ctx) => {
        await runDueSchedules(ctx);
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
