// Spaces: the tenant. Personal spaces (one per account), family spaces, and memberships with roles.
// It does not own what lives inside a space (each module owns its objects) nor the plan (plans does).
import type { ModuleDef } from '#core/module.js';
import { membersMeter } from './spaces.service.js';

export { createFamilySpace, createPersonalSpace, getMembership, listSpacesOf } from './spaces.service.js';

export const spacesModule: ModuleDef = { name: 'spaces', usageMeters: { members: membersMeter } };
