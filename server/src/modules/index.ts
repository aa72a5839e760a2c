// Every business area, registered once here: the one central edit when a module is added.
import type { ModuleDef } from '#core/module.js';
import { accountsModule } from './accounts/index.js';
import { activityModule } from './activity/index.js';
import { adminModule } from './admin/index.js';
import { agentsModule } from './agents/index.js';
import { appsModule } from './apps/index.js';
import { billingModule } from './billing/index.js';
import { connectorsModule } from './connectors/index.js';
import { costsModule } from './costs/index.js';
import { demoModule } from './demo/index.js';
import { familyModule } from './family/index.js';
import { flagsModule } from './flags/index.js';
import { labModule } from './lab/index.js';
import { marketplaceModule } from './marketplace/index.js';
import { modelsModule } from './models/index.js';
import { notificationsModule } from './notifications/index.js';
import { packsModule } from './packs/index.js';
import { plansModule } from './plans/index.js';
import { promoteModule } from './promote/index.js';
import { runsModule } from './runs/index.js';
import { skillsModule } from './skills/index.js';
import { spacesModule } from './spaces/index.js';
import { suggestionsModule } from './suggestions/index.js';

export const modules: readonly ModuleDef[] = [
  accountsModule,
  spacesModule,
  plansModule,
  notificationsModule,
  activityModule,
  modelsModule,
  packsModule,
  agentsModule,
  runsModule,
  suggestionsModule,
  appsModule,
  skillsModule,
  billingModule,
  connectorsModule,
  marketplaceModule,
  adminModule,
  demoModule,
  flagsModule,
  costsModule,
  labModule,
  promoteModule,
  familyModule,
];
