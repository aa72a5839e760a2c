import { PlanLimits, type PlanView, Price } from '@csme/contracts/plans';
import { z } from 'zod';

export interface PlanVersionRow {
  id: string;
  plan_id: string;
  version: number;
  limits: unknown;
  prices: unknown;
  name: string;
  kind: string;
}

export function presentPlan(row: PlanVersionRow): PlanView {
  return {
    id: row.plan_id,
    name: row.name,
    kind: row.kind as PlanView['kind'],
    versionId: row.id,
    version: row.version,
    limits: PlanLimits.parse(row.limits),
    prices: z.array(Price).parse(row.prices),
  };
}
