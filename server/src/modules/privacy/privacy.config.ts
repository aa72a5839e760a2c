import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

export const privacySetting = defineSetting({
  key: 'privacy',
  description:
    'Account deletion grace period (days), how long a finished export stays downloadable (days), and redaction patterns (regular expressions) masked in every stored step payload of the instance',
  schema: z.object({
    deletionGraceDays: z.number().int().min(0).max(90),
    exportKeepDays: z.number().int().min(1).max(90),
    redactionPatterns: z.array(z.string().min(1).max(300)).max(100),
  }),
  defaults: { deletionGraceDays: 7, exportKeepDays: 7, redactionPatterns: [] },
});
