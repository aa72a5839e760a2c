import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

/** Where promoted packs go: a connectsoft.io endpoint, signed with the instance's connectsoft.io HMAC key. */
export const connectsoftIoSetting = defineSetting({
  key: 'connectsoftIo',
  description:
    'connectsoft.io: the endpoint that receives organisational workflows promoted from installed packs (POST, JSON, signed with the CSME_IO_HMAC_KEY: see docs/org-workflow-format.md), and the address of the connectsoft.io offer. Leave the endpoint empty to offer downloads only.',
  schema: z.object({
    endpoint: z
      .url({ protocol: /^https?$/ })
      .max(500)
      .nullable(),
    offerUrl: z.url({ protocol: /^https?$/ }).max(500),
  }),
  defaults: { endpoint: null, offerUrl: 'https://connectsoft.io' },
});
