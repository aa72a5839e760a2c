import { createHash, createHmac } from 'node:crypto';
import {
  ORG_WORKFLOW_FORMAT,
  ORG_WORKFLOW_VERSION,
  type OrgAgent,
  type OrgStep,
  type OrgTrigger,
  type OrgWorkflow,
} from '@csme/contracts/promote';
import { type AgentManifest, applyVariant, type PackManifest, type Step, type Trigger } from '@csme/sdk';

/** The platform version written into provenance blocks. */
export const PLATFORM_VERSION = '1.0.0';

/** Which scopes belong to which kind of connector (a connector is described by its kind and these, never by credentials). */
const CONNECTOR_SCOPES: Record<string, readonly string[]> = {
  email: ['email:read', 'email:write', 'email:send'],
  calendar: ['calendar:read', 'calendar:write'],
  feed: ['feeds:read'],
  webhook: [],
  http: ['http:request'],
};

/**
 * A setting holds a secret when its schema says so (`writeOnly`, `format: password`, `x-secret`) or its
 * name does (secret, password, token, api key): such values never leave the instance.
 */
export function isSecretSetting(name: string, schema: unknown): boolean {
  const s = (schema ?? {}) as Record<string, unknown>;
  return (
    s.writeOnly === true ||
    s.format === 'password' ||
    s['x-secret'] === true ||
    /secret|password|passwd|token|api[-_]?key|credential/i.test(name)
  );
}

const clean = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

function orgTrigger(t: Trigger): OrgTrigger {
  switch (t.type) {
    case 'schedule':
      return clean({ kind: 'schedule' as const, cron: t.cron, rrule: t.rrule, timeZone: t.timeZone, timeSetting: t.timeSetting });
    case 'event':
      return clean({ kind: 'event' as const, event: t.event, offsetMinutes: t.offsetMinutes });
    case 'webhook':
      return { kind: 'webhook', hmac: t.hmac };
    default:
      return { kind: 'manual' };
  }
}

function orgStep(s: Step, files: Record<string, string>): OrgStep {
  const base = clean({ id: s.id, name: s.name, when: s.when ? clean({ ...s.when }) : undefined, forEach: s.forEach });
  if ('skill' in s) return { kind: 'skill', ...base, skill: s.skill, input: (s.input ?? {}) as never };
  if ('code' in s)
    return {
      kind: 'code',
      ...base,
      file: s.code,
      language: 'javascript',
      source: files[s.code] ?? '',
      skills: [...s.skills],
      input: (s.input ?? {}) as never,
    };
  return {
    kind: 'model',
    ...base,
    system: s.model.system,
    prompt: s.model.prompt,
    output: s.model.output as Record<string, never>,
    maxOutputTokens: s.model.maxOutputTokens,
    fallback: { skill: s.fallback.skill, input: (s.fallback.input ?? {}) as never },
  };
}

export interface ExportInput {
  id: string;
  manifest: PackManifest;
  files: Record<string, string>;
  pack: { version: string; source: 'builtin' | 'marketplace' | 'import'; bundleSha256: string };
  installation: {
    id: string;
    visibility: 'shared' | 'private';
    installedAt: Date;
    localOnly: boolean;
    settings: Record<string, unknown>;
    grantedScopes: readonly string[];
  };
  agents: ReadonlyArray<{ key: string; enabled: boolean; policies: Record<string, string>; variant: string | null }>;
  spaceKind: 'personal' | 'family';
  instanceUrl: string;
  now: Date;
}

/**
 * The organisational workflow document of an installed pack (docs/org-workflow-format.md): its agents
 * as this installation runs them (variant, policies, enabled), triggers and steps, settings without
 * secrets, connectors by kind and granted scopes, and where it came from. Pure: the same input gives
 * the same document.
 */
export function buildOrgWorkflow(x: ExportInput): OrgWorkflow {
  const m = x.manifest;
  const granted = new Set(x.installation.grantedScopes);
  const props = ((m.settings as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  const excluded: string[] = [];
  for (const [k, v] of Object.entries(x.installation.settings)) {
    if (isSecretSetting(k, props[k])) excluded.push(k);
    else if (v !== undefined) values[k] = v;
  }
  for (const [k, schema] of Object.entries(props)) if (isSecretSetting(k, schema) && !excluded.includes(k)) excluded.push(k);
  const agents: OrgAgent[] = m.agents.map((def: AgentManifest) => {
    const own = x.agents.find((a) => a.key === def.id);
    const applied = applyVariant(def, own?.variant ?? null, {});
    const policies: Record<string, 'suggest' | 'auto' | 'never'> = { ...def.policies };
    for (const [k, v] of Object.entries(own?.policies ?? {})) if (v === 'suggest' || v === 'auto' || v === 'never') policies[k] = v;
    return {
      key: def.id,
      name: def.name,
      description: def.description,
      enabled: own?.enabled ?? false,
      triggers: def.triggers.map(orgTrigger),
      steps: applied.steps.map((s) => orgStep(s, x.files)),
      policies,
      budget: { ...def.budget },
      variant: applied.variant?.id ?? null,
    };
  });
  // Settings a variant overrides are what the workflow runs with.
  for (const def of m.agents) {
    const own = x.agents.find((a) => a.key === def.id);
    const applied = applyVariant(def, own?.variant ?? null, {});
    for (const [k, v] of Object.entries(applied.variant?.settings ?? {})) if (!isSecretSetting(k, props[k])) values[k] = v;
  }
  return {
    format: ORG_WORKFLOW_FORMAT,
    formatVersion: ORG_WORKFLOW_VERSION,
    id: x.id,
    name: m.name,
    description: m.description,
    persona: m.persona,
    scopes: m.scopes.filter((s) => granted.has(s)),
    connectors: m.connectors.map((c) => ({
      kind: c.kind,
      optional: c.optional,
      why: c.why,
      scopes: (CONNECTOR_SCOPES[c.kind] ?? []).filter((s) => granted.has(s)),
    })),
    settings: { schema: m.settings as Record<string, never>, values: JSON.parse(JSON.stringify(values)), excludedSecrets: excluded.sort() },
    agents,
    provenance: {
      platform: 'connectsoft.me',
      platformVersion: PLATFORM_VERSION,
      instanceUrl: x.instanceUrl,
      exportedAt: x.now.toISOString(),
      pack: { id: m.id, version: x.pack.version, name: m.name, source: x.pack.source, bundleSha256: x.pack.bundleSha256 },
      installation: {
        id: x.installation.id,
        visibility: x.installation.visibility,
        installedAt: x.installation.installedAt.toISOString(),
        localOnly: x.installation.localOnly,
      },
      spaceKind: x.spaceKind,
    },
  };
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The signature of a request to connectsoft.io: hex HMAC-SHA256, with the instance's connectsoft.io
 * key, of `<timestamp>.<body>` (the timestamp in Unix seconds, as sent in X-Csme-Timestamp).
 */
export function signIoRequest(key: Buffer, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Answers worth retrying: the endpoint is down, overloaded or timing out. Other 4xx will not get better by themselves. */
export const retryable = (status: number) => status >= 500 || status === 408 || status === 425 || status === 429;
