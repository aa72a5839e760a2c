import type { Offer } from '@csme/contracts/errors';
import type { FullLimits, PlanLimits } from '@csme/contracts/plans';
import { DateTime } from 'luxon';

/** The quota month that contains `now`. Free counts calendar months (UTC); paid plans count months from the subscription's start. */
export function quotaPeriod(opts: { planId: string; anchor: Date; now: Date }): { start: Date; end: Date } {
  const now = DateTime.fromJSDate(opts.now, { zone: 'utc' });
  if (opts.planId === 'free') {
    const start = now.startOf('month');
    return { start: start.toJSDate(), end: start.plus({ months: 1 }).toJSDate() };
  }
  // Each boundary is anchor + k months, computed from the anchor (not from the previous boundary),
  // so a subscription started on the 31st has periods starting Jan 31, Feb 28/29, Mar 31, ...
  const anchor = DateTime.fromJSDate(opts.anchor, { zone: 'utc' });
  if (now < anchor) return { start: anchor.toJSDate(), end: anchor.plus({ months: 1 }).toJSDate() };
  let k = (now.year - anchor.year) * 12 + (now.month - anchor.month);
  while (anchor.plus({ months: k }) > now) k--;
  while (anchor.plus({ months: k + 1 }) <= now) k++;
  return { start: anchor.plus({ months: k }).toJSDate(), end: anchor.plus({ months: k + 1 }).toJSDate() };
}

const FREE_FALLBACK: FullLimits = {
  packs: 1,
  agents: 3,
  runsPerMonth: 300,
  connectors: 'basic',
  historyDays: 30,
  queuePriority: 'normal',
  members: 1,
  publish: false,
};

/** A base plan's limits with its add-ons on top (add-ons only add). */
export function effectiveLimits(base: PlanLimits, addons: PlanLimits[]): FullLimits {
  const out: FullLimits = { ...FREE_FALLBACK, ...base } as FullLimits;
  for (const a of addons) {
    if (a.publish) out.publish = true;
  }
  return out;
}

export const LIMIT_KEYS = ['packs', 'agents', 'runs', 'connectors', 'members'] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];

const NOUN: Record<LimitKey, [string, string]> = {
  packs: ['pack', 'packs'],
  agents: ['enabled agent', 'enabled agents'],
  runs: ['run a month', 'runs a month'],
  connectors: ['connected account', 'connected accounts'],
  members: ['member', 'members'],
};

const plural = (n: number, key: LimitKey) => `${n.toLocaleString('en-US')} ${NOUN[key][n === 1 ? 0 : 1]}`;

export interface UpgradeTarget {
  planId: string;
  planName: string;
  limit: number;
}

/** "Free includes 1 pack; you have 1. Upgrade to Personal Pro for 5." */
export function limitMessage(opts: {
  key: LimitKey;
  planName: string;
  limit: number;
  used: number;
  upgrade: UpgradeTarget | null;
}): string {
  const have =
    opts.key === 'runs' ? `you have used ${opts.used.toLocaleString('en-US')} this month` : `you have ${opts.used.toLocaleString('en-US')}`;
  const base = `${opts.planName} includes ${plural(opts.limit, opts.key)}; ${have}.`;
  if (opts.upgrade) return `${base} Upgrade to ${opts.upgrade.planName} for ${opts.upgrade.limit.toLocaleString('en-US')}.`;
  if (opts.key === 'members') return `${base} For more people, connectsoft.io has plans for organisations.`;
  return base;
}

export function offerFor(key: LimitKey, upgrade: UpgradeTarget | null): Offer[] {
  const offers: Offer[] = [];
  if (upgrade)
    offers.push({
      kind: 'upgrade',
      planId: upgrade.planId,
      label: `Upgrade to ${upgrade.planName}`,
      url: `/plans?upgrade=${upgrade.planId}`,
    });
  if (key === 'runs') offers.push({ kind: 'extra_runs', label: 'Buy extra runs for this month', url: '/plans?extraRuns=1' });
  if (key === 'members' && !upgrade)
    offers.push({ kind: 'connectsoft_io', label: 'See connectsoft.io for organisations', url: 'https://connectsoft.io' });
  return offers;
}

export function limitValue(limits: FullLimits, key: LimitKey): number | null {
  switch (key) {
    case 'packs':
      return limits.packs;
    case 'agents':
      return limits.agents;
    case 'runs':
      return limits.runsPerMonth;
    case 'members':
      return limits.members;
    case 'connectors':
      return null;
  }
}
