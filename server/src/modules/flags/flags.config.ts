import { FeatureFlags } from '@csme/contracts/admin';
import { defineSetting } from '#core/settings.js';

/** Feature flags: typed, one instance setting, read through the settings module (changes apply without a restart). */
export const featureFlagsSetting = defineSetting({
  key: 'featureFlags',
  description:
    'Feature flags, for everyone on this instance: lab (agents with variants run them; off: agents run as declared or their promoted winner), promote (promote installed packs to organisational workflows), ioOffer (show the connectsoft.io offer).',
  schema: FeatureFlags,
  defaults: { lab: true, promote: true, ioOffer: true },
});
