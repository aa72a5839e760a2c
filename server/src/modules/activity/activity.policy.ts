import { createHash } from 'node:crypto';

export const GENESIS = 'genesis';

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v as object).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

export interface ChainedEntry {
  space_id: string;
  seq: number;
  id: string;
  at: Date;
  owner_account_id: string | null;
  visibility: string;
  actor_kind: string;
  actor_account_id: string | null;
  agent_id: string | null;
  kind: string;
  object_type: string | null;
  object_id: string | null;
  summary: string;
  data: unknown;
}

/** hash(n) = sha256(hash(n-1) | canonical entry n): changing, removing or reordering an entry breaks every later hash. */
export function entryHash(prevHash: string, e: ChainedEntry): string {
  const body = canonicalJson([
    e.space_id,
    Number(e.seq),
    e.id,
    e.at.toISOString(),
    e.owner_account_id,
    e.visibility,
    e.actor_kind,
    e.actor_account_id,
    e.agent_id,
    e.kind,
    e.object_type,
    e.object_id,
    e.summary,
    e.data,
  ]);
  return createHash('sha256').update(prevHash).update('|').update(body).digest('hex');
}
