import type { FeatureFlags } from '@csme/contracts/admin';
import type { Ctx } from '#core/ctx.js';
import { featureFlagsSetting } from './flags.config.js';

export async function getFlags(ctx: Ctx): Promise<FeatureFlags> {
  return ctx.deps.settings.get(featureFlagsSetting);
}

/** Whether one flag is on now (a change applies within the settings cache's couple of seconds). */
export async function isEnabled(ctx: Ctx, flag: keyof FeatureFlags): Promise<boolean> {
  return (await getFlags(ctx))[flag];
}
