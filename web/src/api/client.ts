import type { ErrorCode } from '@csme/contracts/errors';
import { type Endpoint, fillPath } from '@csme/contracts/http';
import type { z } from 'zod';

/** An API error as the server sends it: clients switch on `code`, never on text. */
export class ApiError extends Error {
  readonly code: ErrorCode | 'network';
  readonly status: number;
  readonly details: unknown;
  constructor(code: ApiError['code'], message: string, status: number, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
  /** Problems with single fields, keyed by field name (for forms). */
  fieldErrors(): Record<string, string> {
    const issues = (this.details as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? [];
    const out: Record<string, string> = {};
    for (const i of issues) {
      const field = i.path.replace(/^body\./, '').split('.')[0] ?? '';
      if (field && !out[field]) out[field] = i.message;
    }
    return out;
  }
}

let csrfToken: string | null = null;
/** The session's CSRF token, sent with every state-changing request (set when the session is loaded). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type In<S> = S extends z.ZodType ? z.input<S> : never;
export interface CallInput<E extends Endpoint> {
  params?: E extends Endpoint<infer P, any, any, any> ? In<P> : never;
  query?: E extends Endpoint<any, infer Q, any, any> ? In<Q> : never;
  body?: E extends Endpoint<any, any, infer B, any> ? In<B> : never;
  signal?: AbortSignal;
}

/** Calls one endpoint of the contracts; resolves with its typed answer or rejects with an ApiError. */
export async function api<E extends Endpoint>(ep: E, input: CallInput<E> = {}): Promise<z.output<E['response']>> {
  let url = fillPath(ep.path, input.params as Record<string, unknown> | undefined);
  if (input.query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(input.query as Record<string, unknown>))
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    const s = qs.toString();
    if (s) url += `?${s}`;
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  const bodyText = input.body !== undefined ? JSON.stringify(input.body) : ep.method === 'GET' ? undefined : '{}';
  if (bodyText !== undefined) headers['content-type'] = 'application/json';
  if (ep.method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(url, {
      method: ep.method,
      headers,
      credentials: 'same-origin',
      body: bodyText,
      signal: input.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError('network', 'Cannot reach the server. Check your connection and try again.', 0);
  }
  if (res.status === 204) return undefined as z.output<E['response']>;
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = (body as { error?: { code: ErrorCode; message: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(
      err?.code ?? (res.status >= 500 ? 'internal' : 'invalid_input'),
      err?.message ?? `The server answered ${res.status}.`,
      res.status,
      err?.details,
    );
  }
  return body as z.output<E['response']>;
}

/** Sends a multipart form (file uploads) to an endpoint whose body is not JSON; same errors as `api`. */
export async function apiUpload<E extends Endpoint>(ep: E, form: FormData): Promise<z.output<E['response']>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(ep.path, { method: ep.method, headers, credentials: 'same-origin', body: form });
  } catch {
    throw new ApiError('network', 'Cannot reach the server. Check your connection and try again.', 0);
  }
  const body = await res.json().catch(() => undefined);
  if (!res.ok) {
    const err = (body as { error?: { code: ErrorCode; message: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(err?.code ?? 'invalid_input', err?.message ?? `The server answered ${res.status}.`, res.status, err?.details);
  }
  return body as z.output<E['response']>;
}
