import { z } from 'zod';
import { Month } from './costs.js';
import { endpoint } from './http.js';

/** The fewest spaces behind any figure the lab shows: below it, the figure is withheld. */
export const LAB_MIN_SPACES = 5;

/**
 * One figure for one variant: the mean over spaces of each space's own value, with a 95% confidence
 * interval (Student's t over the per-space values). Withheld (null) below LAB_MIN_SPACES spaces.
 */
export const LabFigure = z.object({
  value: z.number().nullable(),
  low: z.number().nullable(),
  high: z.number().nullable(),
  /** Spaces behind the figure (shown even when it is withheld, so operators know how far they are). */
  spaces: z.number().int(),
});
export type LabFigure = z.infer<typeof LabFigure>;

export const LabVariantView = z.object({
  /** null: runs of the agent as declared (no variant, or before it had variants). */
  variant: z.string().nullable(),
  name: z.string(),
  spaces: z.number().int(),
  runs: z.number().int(),
  /** Approved suggestions / decided suggestions (approved, rejected), per space. */
  approvalRate: LabFigure,
  /** Approved suggestions that were edited before approval / approved suggestions, per space. */
  editRate: LabFigure,
  /** Failed runs / finished runs, per space. */
  failureRate: LabFigure,
  /** Model and compute cost per run in micro-dollars, per space. */
  costPerRunMicros: LabFigure,
  /** Seconds from start to finish per run, per space. */
  runSeconds: LabFigure,
});
export type LabVariantView = z.infer<typeof LabVariantView>;

export const LabAgentView = z.object({
  packId: z.string(),
  packName: z.string(),
  agentKey: z.string(),
  agentName: z.string(),
  declared: z.array(z.object({ id: z.string(), name: z.string(), description: z.string().nullable(), weight: z.number().int() })),
  winner: z.object({ variant: z.string(), promotedAt: z.string() }).nullable(),
  variants: z.array(LabVariantView),
});
export type LabAgentView = z.infer<typeof LabAgentView>;

export const LabQuery = z.strictObject({ from: Month.optional(), to: Month.optional() });
export const LabReport = z.object({
  from: Month,
  to: Month,
  minSpaces: z.number().int(),
  /** Spaces that opted out (never counted). */
  optedOutSpaces: z.number().int(),
  agents: z.array(LabAgentView),
});
export type LabReport = z.infer<typeof LabReport>;

export const adminLab = endpoint({
  method: 'GET',
  path: '/api/v1/admin/lab',
  summary: 'How agents and their variants perform, as aggregates over at least 5 spaces that did not opt out (operators only)',
  tags: ['admin', 'lab'],
  query: LabQuery,
  response: LabReport,
});

export const PromoteVariantInput = z.strictObject({
  packId: z.string().regex(/^[a-z][a-z0-9-]{1,63}$/),
  agentKey: z.string().regex(/^[a-z][a-z0-9-]{1,63}$/),
  variant: z.string().regex(/^[a-z][a-z0-9-]{1,63}$/),
});
export const adminPromoteVariant = endpoint({
  method: 'POST',
  path: '/api/v1/admin/lab/winners',
  summary: 'Promote a variant: every space runs it from now on, new and existing assignments alike (operators only)',
  tags: ['admin', 'lab'],
  body: PromoteVariantInput,
  response: z.object({ packId: z.string(), agentKey: z.string(), variant: z.string(), agentsUpdated: z.number().int() }),
});

export const LabParticipation = z.object({ optedOut: z.boolean(), optedOutAt: z.string().nullable() });
export type LabParticipation = z.infer<typeof LabParticipation>;

export const getLabParticipation = endpoint({
  method: 'GET',
  path: '/api/v1/lab/participation',
  summary: "Whether the active space takes part in the experimentation lab (anonymous aggregates, agents' variants)",
  tags: ['lab'],
  response: LabParticipation,
});

export const setLabParticipation = endpoint({
  method: 'PUT',
  path: '/api/v1/lab/participation',
  summary: 'Opt the active space out of the lab (it runs agents as declared and is never counted) or back in (owner or adult)',
  tags: ['lab'],
  body: z.strictObject({ optedOut: z.boolean() }),
  response: LabParticipation,
});
