import type { Migration } from 'kysely';
import * as m20261126T0200 from './20261126T0200_create_foundation.js';
import * as m20261126T0210 from './20261126T0210_seed_plans.js';
import * as m20261126T0300 from './20261126T0300_create_runtime.js';
import * as m20261126T0400 from './20261126T0400_create_models.js';
import * as m20261126T1100 from './20261126T1100_create_connectors.js';
import * as m20261126T1200 from './20261126T1200_create_billing.js';
import * as m20261126T1700 from './20261126T1700_tune_run_engine.js';

/**
 * Every migration, in order. Listed explicitly (not read from the folder) so they load the same way
 * under tsx, Vitest and any bundler; a test checks that every file of the folder is listed here.
 */
export const migrations: Record<string, Migration> = {
  '20261126T0200_create_foundation': m20261126T0200,
  '20261126T0210_seed_plans': m20261126T0210,
  '20261126T0300_create_runtime': m20261126T0300,
  '20261126T0400_create_models': m20261126T0400,
  '20261126T1200_create_billing': m20261126T1200,
  '20261126T1100_create_connectors': m20261126T1100,
  '20261126T1700_tune_run_engine': m20261126T1700,
};
