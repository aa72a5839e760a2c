import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

export const familySetting = defineSetting({
  key: 'family',
  description: 'Family spaces: how long an invitation link works, and how long a family space stays read-only after its plan ends',
  schema: z.object({
    invitationDays: z.number().int().min(1).max(60),
    readOnlyDays: z.number().int().min(1).max(365),
  }),
  defaults: { invitationDays: 7, readOnlyDays: 30 },
});
