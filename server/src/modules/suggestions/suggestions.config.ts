import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

export const suggestionsSetting = defineSetting({
  key: 'suggestions',
  description: 'How long a suggestion waits for a decision before it expires (and nothing happens)',
  schema: z.object({ expiryDays: z.number().int().min(1).max(90) }),
  defaults: { expiryDays: 7 },
});
