import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

/** How cost management turns money into one unit: revenue in ILS becomes micro-dollars at this rate. */
export const costsSetting = defineSetting({
  key: 'costs',
  description:
    'Cost management: the exchange rate that turns ILS revenue into US micro-dollars, as micro-dollars per agora (2700 = ₪1 is $0.27). Compute cost per run-second is in the model price table (modelPrices).',
  schema: z.object({ microsPerAgora: z.number().int().min(1).max(1_000_000) }),
  defaults: { microsPerAgora: 2_700 },
});
