import type { FullLimits } from '@csme/contracts/plans';
import type { FastifyPluginAsync } from 'fastify';
import type { Ctx } from './ctx.js';
import type { Db } from './db.js';
import type { JobDef } from './jobs.js';
import type { SettingDef } from './settings.js';
import type { SkillDef } from './skill.js';

/**
 * A count a plan limits (packs installed, agents enabled, ...), provided by the module that owns the objects.
 * Given a plan's limits, it counts what would still be in use once the other limits are applied (agents of
 * packs that a smaller pack limit pauses do not count).
 */
export type UsageMeter = (db: Db, spaceId: string, under?: { readonly packs?: number }) => Promise<number>;

/** A recurring platform job (graphile-worker crontab syntax: `m h dom mon dow`). */
export interface CronItem {
  readonly job: JobDef;
  readonly pattern: string;
  /** Run a missed slot of the last `backfillMinutes` after a restart. */
  readonly backfillMinutes?: number;
}

/** What a business area contributes to the platform; listed once in modules/index.ts. */
export interface ModuleDef {
  readonly name: string;
  readonly routes?: FastifyPluginAsync;
  readonly jobs?: readonly JobDef[];
  readonly cron?: readonly CronItem[];
  readonly usageMeters?: Readonly<Record<string, UsageMeter>>;
  readonly settings?: readonly SettingDef[];
  /** Skills this module offers to packs. */
  readonly skills?: readonly SkillDef[];
  /**
   * Called after a space's plan changed: pause (never delete) what is over the new limits, resume what
   * fits again if it was paused for the plan. Runs in the caller's transaction.
   */
  readonly enforceLimits?: (ctx: Ctx, spaceId: string, limits: FullLimits) => Promise<void>;
  /**
   * Called by billing, in the paying transaction, when an invoice for one of this module's sales (see
   * billing's `checkoutSale`) is paid, whoever reports it and however often: once per invoice.
   */
  readonly onSalePaid?: (ctx: Ctx, sale: PaidSale) => Promise<void>;
  /** Loops every worker process runs (the scheduler); several processes coordinate by row locks. */
  readonly tickers?: readonly Ticker[];
  /**
   * Long-lived work a worker process keeps running beside its jobs (e.g. IMAP IDLE watchers), started
   * with the worker and stopped with it. It only notices things and queues jobs; jobs do the work.
   */
  readonly background?: (ctx: Ctx) => BackgroundTask;
}

export interface Ticker {
  readonly name: string;
  readonly intervalMs: number;
  run(ctx: Ctx): Promise<void>;
}

export interface BackgroundTask {
  stop(): Promise<void>;
}

/** A paid invoice of a module's sale, in integer minor units (total = subtotal + tax). */
export interface PaidSale {
  /** What the module passed to `checkoutSale` (its own id for the purchase). */
  readonly ref: string;
  readonly invoiceId: string;
  readonly invoiceNumber: string;
  readonly currency: 'USD' | 'ILS';
  readonly subtotal: number;
  readonly tax: number;
  readonly total: number;
  readonly provider: string;
  /** The provider's payment fee when it reports one (the platform bears it), else 0. */
  readonly fee: number;
  readonly paidAt: Date;
}
