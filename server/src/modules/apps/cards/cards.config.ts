import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

export const cardsSetting = defineSetting({
  key: 'cards',
  description:
    'Study cards: new cards offered per review session, and FSRS fuzz (spreads due dates a little so cards learnt together do not all come back on the same day)',
  schema: z.object({ newPerSession: z.number().int().min(0).max(200), fuzz: z.boolean() }),
  defaults: { newPerSession: 20, fuzz: true },
});
