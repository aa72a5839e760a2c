import { writeSync } from 'node:fs';
import type { Config } from './config.js';

/**
 * Test-only crash points for the fault suite (`npm run chaos`, server/test/chaos): a process started
 * with CSME_TEST_CRASH_AFTER=N kills itself with SIGKILL at the Nth crash point it passes (only the
 * points named in CSME_TEST_CRASH_POINTS, when given), exactly as `kill -9` would at that instruction;
 * with CSME_TEST_CRASH_MODE=freeze it stops itself there instead (SIGSTOP), for the suite to resume.
 * loadConfig refuses these variables unless NODE_ENV=test, so a production process never has them on.
 */
export const CRASH_POINTS = [
  /** A worker moved the run to `running` (counted an attempt) and has done none of its steps yet. */
  'run.claimed',
  /** A step's record was written; the next step has not started. */
  'run.step-recorded',
  /** An action step's suggestion (and, under `auto`, its job) was committed; the step is not recorded yet. */
  'run.action-proposed',
  /** The run was recorded `succeeded`; graphile-worker has not completed its job yet. */
  'run.finished',
  /** An approved action was moved to `executing`; its side effect has not started. */
  'action.claimed',
  /** The side effect happened (the skill returned); the action is not recorded `done` yet. */
  'action.performed',
  /** The action was recorded; graphile-worker has not completed its job yet. */
  'action.finished',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

let passed = 0;

export function crashPoint(config: Config, point: CrashPoint): void {
  const c = config.testCrash;
  if (!c || (c.points && !c.points.includes(point))) return;
  if (++passed !== c.after) return;
  // Synchronous, so the line is out before the signal: the suite reads which boundary this was.
  writeSync(2, `csme-test-crash: ${c.mode} at ${point} pid ${process.pid}\n`);
  process.kill(process.pid, c.mode === 'freeze' ? 'SIGSTOP' : 'SIGKILL');
}
