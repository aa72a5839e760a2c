// Every business area, registered once here: the one central edit when a module is added.
import type { ModuleDef } from '#core/module.js';
import { accountsModule } from './accounts/index.js';
import { adminModule } from './admin/index.js';
import { notificationsModule } from './notifications/index.js';
import { plansModule } from './plans/index.js';
import { skillsModule } from './skills/index.js';
import { spacesModule } from './spaces/index.js';

export const modules: readonly ModuleDef[] = [accountsModule, spacesModule, plansModule, notificationsModule, adminModule, skillsModule];
