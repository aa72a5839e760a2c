import type { Condition } from './manifest.js';

/**
 * Resolves step inputs against a run's data: `"$.a.b"` is the value at that path; `"... {{$.a.b}} ..."`
 * inserts its text. Paths use dots and [n]. Unknown paths resolve to null. Pure and safe: no code runs.
 *
 * @example
 * ```ts
 * resolveTemplate({ text: '$.trigger.subject', note: 'From {{$.trigger.from}}' }, { trigger: { subject: 'Hi', from: 'Dana' } });
 * // { text: 'Hi', note: 'From Dana' }
 * ```
 */
export function getPath(data: unknown, path: string): unknown {
  if (!path.startsWith('$.')) return undefined;
  const parts = path
    .slice(2)
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean);
  let cur: unknown = data;
  for (const p of parts) {
    if (cur === null || cur === undefined) return null;
    if (p === '__proto__' || p === 'constructor' || p === 'prototype') return null;
    if (Array.isArray(cur) && /^\d+$/.test(p)) cur = cur[Number(p)];
    else if (typeof cur === 'object' && Object.hasOwn(cur as object, p)) cur = (cur as Record<string, unknown>)[p];
    else return null;
  }
  return cur === undefined ? null : cur;
}

const INLINE = /\{\{\s*(\$\.[A-Za-z0-9_.[\]-]+)\s*\}\}/g;

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function resolveTemplate(template: unknown, data: unknown): unknown {
  if (typeof template === 'string') {
    if (/^\$\.[A-Za-z0-9_.[\]-]+$/.test(template)) return getPath(data, template);
    if (template.includes('{{')) return template.replace(INLINE, (_, p: string) => text(getPath(data, p)));
    return template;
  }
  if (Array.isArray(template)) return template.map((t) => resolveTemplate(t, data));
  if (template && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) out[k] = resolveTemplate(v, data);
    return out;
  }
  return template;
}

export function evaluateCondition(c: Condition, data: unknown): boolean {
  const v = getPath(data, c.path);
  if (c.equals !== undefined) return v === c.equals;
  if (c.in) return c.in.includes(v as string | number);
  if (c.notEmpty) return Array.isArray(v) ? v.length > 0 : v !== null && v !== undefined && v !== '' && v !== false;
  return Boolean(v);
}
