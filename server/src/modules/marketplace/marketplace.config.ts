import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

export const reviewSetting = defineSetting({
  key: 'marketplace.review',
  description:
    'Review of published versions: every first version is reviewed by an operator; with autoApproveUpdates on, an update that passes every check and asks for no new scopes is approved and signed at once.',
  schema: z.object({ autoApproveUpdates: z.boolean() }),
  defaults: { autoApproveUpdates: false },
});

/**
 * The listing text denylist. The defaults are a short starting list (slurs and obscenities, in English
 * and Hebrew, and link shorteners and paste sites that hide where a link goes); operators extend it.
 */
export const denylistSetting = defineSetting({
  key: 'marketplace.denylist',
  description: 'Words and link domains refused in listing text (titles, descriptions, changelogs, reviews). Whole words, any case.',
  schema: z.object({ words: z.array(z.string().min(1).max(60)).max(2000), domains: z.array(z.string().min(3).max(120)).max(2000) }),
  defaults: {
    words: ['fuck', 'fucking', 'shit', 'cunt', 'motherfucker', 'nigger', 'faggot', 'retard', 'זונה', 'שרמוטה', 'בן זונה', 'כוס אמק'],
    domains: ['bit.ly', 'tinyurl.com', 't.co', 'goo.gl', 'is.gd', 'cutt.ly', 'rebrand.ly', 'pastebin.com', 'grabify.link', 'iplogger.org'],
  },
});
