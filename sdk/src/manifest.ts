import { z } from 'zod';

/**
 * The pack manifest (`pack.json`): the one definition of the pack format, shared by the platform,
 * the CLI and creators. Published as JSON Schema at /api/v1/schemas/pack.json.
 *
 * @example
 * ```ts
 * import { definePack } from '@csme/sdk';
 * export default definePack({
 *   manifestVersion: 1, id: 'hello', version: '1.0.0', platform: '>=1.0.0', name: 'Hello',
 *   description: 'Says hello every morning.', persona: 'anyone', icon: '👋',
 *   scopes: ['notify'], connectors: [],
 *   agents: [{ id: 'greeter', name: 'Greeter', description: 'Greets you.',
 *     triggers: [{ type: 'schedule', cron: '0 8 * * *' }],
 *     steps: [{ id: 'say', skill: 'notify.person', input: { title: 'Good morning' } }] }],
 * });
 * ```
 */

export const MANIFEST_VERSION = 1 as const;

const kebab = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'must be kebab-case: lower-case letters and digits joined by single dashes');
const semver = z.string().regex(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/, 'must be a semantic version such as 1.2.0');

export const PERSONAS = ['professional', 'freelancer', 'student', 'family', 'anyone'] as const;

/** What a pack may be granted. A step may call a skill only when the pack declares every scope the skill needs. */
export const SCOPES = [
  'email:read',
  'email:write',
  'email:send',
  'calendar:read',
  'calendar:write',
  'feeds:read',
  'files:read',
  'http:request',
  'tasks:read',
  'tasks:write',
  'notes:read',
  'notes:write',
  'lists:read',
  'lists:write',
  'contacts:read',
  'contacts:write',
  'reminders:read',
  'reminders:write',
  'invoices:read',
  'invoices:write',
  'expenses:read',
  'expenses:write',
  'documents:read',
  'documents:write',
  'cards:read',
  'cards:write',
  'notify',
  'model',
] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

export const CONNECTOR_KINDS = ['email', 'calendar', 'feed', 'webhook', 'http'] as const;

/** Events a trigger can listen to. Connectors and the built-in apps raise them. */
export const EVENT_TYPES = [
  'email.received',
  'calendar.event_upcoming',
  'calendar.event_changed',
  'feed.item',
  'document.uploaded',
  'task.created',
  'task.completed',
  'list.item_added',
  'reminder.due',
  'invoice.overdue',
] as const;

const timeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    if (tz === 'person') return true;
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone (Europe/Berlin) or "person" (the time zone of the person who installed it)');

export const ScheduleTrigger = z
  .strictObject({
    type: z.literal('schedule'),
    cron: z.string().max(100).optional(),
    rrule: z.string().max(300).optional(),
    /** `person` (default): the installing person's time zone. */
    timeZone: timeZone.default('person'),
    /** A setting key whose value (HH:MM) replaces the cron's hour and minute, e.g. the briefing time. */
    timeSetting: z.string().max(64).optional(),
  })
  .refine((t) => Boolean(t.cron) !== Boolean(t.rrule), { message: 'give exactly one of cron or rrule' });
export const EventTrigger = z.strictObject({
  type: z.literal('event'),
  event: z.enum(EVENT_TYPES),
  /** For calendar.event_upcoming: how many minutes before the event. */
  offsetMinutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .optional(),
});
export const WebhookTrigger = z.strictObject({ type: z.literal('webhook'), hmac: z.boolean().default(false) });
export const ManualTrigger = z.strictObject({ type: z.literal('manual') });
export const Trigger = z.union([ScheduleTrigger, EventTrigger, WebhookTrigger, ManualTrigger]);
export type Trigger = z.infer<typeof Trigger>;

/**
 * A value in a step's input: any JSON. A string that is exactly `$.path` is replaced by the value at
 * that path of the run's data (`trigger`, `settings`, `steps.<id>.output`, `item` inside forEach,
 * `now`, `person`); `{{$.path}}` inside a longer string is replaced by its text.
 */
export const Template: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string().max(20_000), z.number(), z.boolean(), z.null(), z.array(Template).max(200), z.record(z.string(), Template)]),
);

const ref = z.string().regex(/^\$\.[A-Za-z0-9_.[\]-]+$/, 'must be a reference such as $.steps.triage.output.category');
export const Condition = z.strictObject({
  path: ref,
  equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  in: z
    .array(z.union([z.string(), z.number()]))
    .max(50)
    .optional(),
  notEmpty: z.boolean().optional(),
});
export type Condition = z.infer<typeof Condition>;

const stepBase = {
  id: kebab,
  name: z.string().max(80).optional(),
  when: Condition.optional(),
  /** Runs the step once per element of this list (at most 50), with `$.item` bound to it. */
  forEach: ref.optional(),
};
export const SkillStep = z.strictObject({
  ...stepBase,
  skill: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/, 'must be a skill id such as email.triage'),
  input: Template.default({}),
});
export const CodeStep = z.strictObject({
  ...stepBase,
  /** Path of a JavaScript file in the pack that defines `async function main(input, platform)`. */
  code: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\.js$/, 'must be a relative path to a .js file inside the pack, such as steps/plan.js'),
  input: Template.default({}),
  /** Skills the code may call through platform.call (each covered by the pack's scopes). */
  skills: z.array(z.string()).max(20).default([]),
});
export const ModelStep = z.strictObject({
  ...stepBase,
  model: z.strictObject({
    system: z.string().max(4000),
    prompt: z.string().max(20_000),
    /** JSON Schema of the answer. */
    output: z.record(z.string(), z.unknown()),
    maxOutputTokens: z.number().int().min(16).max(8000).default(800),
  }),
  /** What runs on the local engine when no model is configured or allowed. */
  fallback: z.strictObject({ skill: z.string(), input: Template.default({}) }),
});
export const Step = z.union([SkillStep, CodeStep, ModelStep]);
export type Step = z.infer<typeof Step>;

export const POLICIES = ['suggest', 'auto', 'never'] as const;
export const Policy = z.enum(POLICIES);

/**
 * An alternative version of an agent for the experimentation lab: other steps (another prompt, other
 * rules) and/or other setting values. Each space is assigned one variant, deterministically and for good
 * (see `assignVariant`); a variant with neither `steps` nor `settings` is the agent as declared.
 */
export const AgentVariant = z.strictObject({
  id: kebab,
  name: z.string().max(80).optional(),
  description: z.string().max(300).optional(),
  /** Replaces the agent's steps when this variant runs. */
  steps: z.array(Step).min(1).max(50).optional(),
  /** Values that win over the installation's settings (`$.settings`) when this variant runs. */
  settings: z.record(z.string().max(64), z.unknown()).optional(),
  /** Relative share of spaces assigned to it (default 1: an even split). */
  weight: z.number().int().min(1).max(100).default(1),
});
export type AgentVariant = z.infer<typeof AgentVariant>;

export const AgentManifest = z.strictObject({
  id: kebab,
  name: z.string().min(1).max(80),
  description: z.string().max(1000),
  triggers: z.array(Trigger).min(1).max(8),
  steps: z.array(Step).min(1).max(50),
  /** Per action type; anything not listed is `suggest`. */
  policies: z.record(z.string(), Policy).default({}),
  budget: z
    .strictObject({
      maxSteps: z.number().int().min(1).max(200).default(30),
      maxSeconds: z.number().int().min(1).max(600).default(60),
      maxModelTokens: z.number().int().min(0).max(200_000).default(20_000),
    })
    .default({ maxSteps: 30, maxSeconds: 60, maxModelTokens: 20_000 }),
  enabledByDefault: z.boolean().default(true),
  /** Optional A/B variants for the experimentation lab (2 to 4); without them every space runs `steps`. */
  variants: z.array(AgentVariant).min(2).max(4).optional(),
});
export type AgentManifest = z.infer<typeof AgentManifest>;

export const ConnectorNeed = z.strictObject({
  kind: z.enum(CONNECTOR_KINDS),
  optional: z.boolean().default(false),
  why: z.string().min(1).max(300),
});

export const PackManifest = z
  .strictObject({
    manifestVersion: z.literal(MANIFEST_VERSION),
    id: kebab,
    version: semver,
    /** The platform versions it works with (a semver range). */
    platform: z.string().min(1).max(100),
    name: z.string().min(1).max(80),
    description: z.string().min(1).max(4000),
    persona: z.enum(PERSONAS),
    icon: z.string().min(1).max(16),
    categories: z.array(z.string().max(40)).max(8).default([]),
    /** JSON Schema (type object) of the pack's settings; the install form is generated from it. */
    settings: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
    connectors: z.array(ConnectorNeed).max(10).default([]),
    scopes: z.array(Scope).max(SCOPES.length).default([]),
    agents: z.array(AgentManifest).min(1).max(20),
  })
  .superRefine((m, ctx) => {
    const ids = new Set<string>();
    m.agents.forEach((a, i) => {
      if (ids.has(a.id)) ctx.addIssue({ code: 'custom', path: ['agents', i, 'id'], message: `agent id "${a.id}" is used twice` });
      ids.add(a.id);
      const stepIds = new Set<string>();
      a.steps.forEach((s, j) => {
        if (stepIds.has(s.id))
          ctx.addIssue({
            code: 'custom',
            path: ['agents', i, 'steps', j, 'id'],
            message: `step id "${s.id}" is used twice in agent ${a.id}`,
          });
        stepIds.add(s.id);
      });
      for (const p of variantProblems(a, m.settings)) ctx.addIssue({ code: 'custom', path: ['agents', i, ...p.path], message: p.message });
    });
    if (m.settings.type !== undefined && m.settings.type !== 'object')
      ctx.addIssue({ code: 'custom', path: ['settings', 'type'], message: 'the settings schema must be of type object' });
  });
export type PackManifest = z.infer<typeof PackManifest>;
export type PackManifestInput = z.input<typeof PackManifest>;

function variantProblems(a: AgentManifest, settings: Record<string, unknown>): Array<{ path: (string | number)[]; message: string }> {
  const out: Array<{ path: (string | number)[]; message: string }> = [];
  if (!a.variants) return out;
  const declared = settings.properties && typeof settings.properties === 'object' ? Object.keys(settings.properties) : null;
  const ids = new Set<string>();
  let plain = 0;
  a.variants.forEach((v, k) => {
    const at = ['variants', k];
    if (ids.has(v.id)) out.push({ path: [...at, 'id'], message: `variant id "${v.id}" is used twice in agent ${a.id}` });
    ids.add(v.id);
    if (!v.steps && !v.settings) plain++;
    if (plain > 1 && !v.steps && !v.settings)
      out.push({ path: at, message: 'only one variant may be the agent as declared (no steps and no settings)' });
    const stepIds = new Set<string>();
    (v.steps ?? []).forEach((s, j) => {
      if (stepIds.has(s.id)) out.push({ path: [...at, 'steps', j, 'id'], message: `step id "${s.id}" is used twice in variant ${v.id}` });
      stepIds.add(s.id);
    });
    for (const key of Object.keys(v.settings ?? {}))
      if (declared && !declared.includes(key))
        out.push({ path: [...at, 'settings', key], message: `"${key}" is not a setting of this pack (declare it in settings.properties)` });
  });
  return out;
}

/** 32-bit FNV-1a of a string's UTF-16 code units: the same number on every platform. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The variant a space gets, from a stable key (the platform uses `<spaceId>:<packId>:<agentId>`): the
 * same key always gives the same variant, and keys spread over the variants by their weights.
 */
export function assignVariant(variants: readonly Pick<AgentVariant, 'id' | 'weight'>[], key: string): string {
  const total = variants.reduce((n, v) => n + (v.weight ?? 1), 0);
  let bucket = fnv1a(key) % total;
  for (const v of variants) {
    bucket -= v.weight ?? 1;
    if (bucket < 0) return v.id;
  }
  return variants[variants.length - 1]!.id;
}

/** The steps and settings an agent runs with under one of its variants (unknown or null: as declared). */
export function applyVariant(
  agent: AgentManifest,
  variantId: string | null | undefined,
  settings: Record<string, unknown>,
): { variant: AgentVariant | null; steps: Step[]; settings: Record<string, unknown> } {
  const variant = agent.variants?.find((v) => v.id === variantId) ?? null;
  if (!variant) return { variant: null, steps: agent.steps, settings };
  return { variant, steps: variant.steps ?? agent.steps, settings: { ...settings, ...(variant.settings ?? {}) } };
}

export interface ManifestProblem {
  path: string;
  message: string;
}

/** Validates a manifest and lists every problem with its path (`agents[0].steps[2].skill: ...`). */
export function validateManifest(raw: unknown): { ok: true; manifest: PackManifest } | { ok: false; problems: ManifestProblem[] } {
  const r = PackManifest.safeParse(raw);
  if (r.success) return { ok: true, manifest: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => ({
      path:
        i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '') ||
        '(manifest)',
      message: i.message,
    })),
  };
}

/** The JSON Schema of pack.json. */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PackManifest, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
