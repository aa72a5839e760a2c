import type { Migration } from 'kysely';
import * as m20261126T0200 from './20261126T0200_create_foundation.js';
import * as m20261126T0210 from './20261126T0210_seed_plans.js';
import * as m20261126T0300 from './20261126T0300_create_runtime.js';
import * as m20261126T0400 from './20261126T0400_create_models.js';
import * as m20261126T1100 from './20261126T1100_create_connectors.js';
import * as m20261126T1200 from './20261126T1200_create_billing.js';

import * as m20261126T1300 from './20261126T1300_create_api_tokens.js';
import * as m20261126T1310 from './20261126T1310_create_marketplace.js';
import * as m20261126T1400 from './20261126T1400_create_operators.js';
import * as m20261126T1500 from './20261126T1500_create_home_apps.js';
import * as m20261126T1600 from './20261126T1600_create_invoices.js';
import * as m20261126T1610 from './20261126T1610_create_expenses.js';
import * as m20261126T1620 from './20261126T1620_create_documents.js';
import * as m20261126T1630 from './20261126T1630_create_cards.js';
import * as m20261126T1900 from './20261126T1900_create_family.js';
import * as m20261126T2000 from './20261126T2000_tune_run_engine.js';
import * as m20261126T2100 from './20261126T2100_create_privacy.js';

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
  '20261126T1500_create_home_apps': m20261126T1500,
  '20261126T1600_create_invoices': m20261126T1600,
  '20261126T1610_create_expenses': m20261126T1610,
  '20261126T1620_create_documents': m20261126T1620,
  '20261126T1630_create_cards': m20261126T1630,
  '20261126T1300_create_api_tokens': m20261126T1300,
  '20261126T1310_create_marketplace': m20261126T1310,
  '20261126T1400_create_operators': m20261126T1400,
  '20261126T1900_create_family': m20261126T1900,
  '20261126T2000_tune_run_engine': m20261126T2000,
  '20261126T2100_create_privacy': m20261126T2100,
};
