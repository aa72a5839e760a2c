import { z } from 'zod';

/** The closed set of error codes every API answer uses. Clients switch on `code`, never on text. */
export const ERROR_CODES = [
  'invalid_input',
  'unauthenticated',
  'quota_exceeded',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal',
  'unavailable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ERROR_STATUS = {
  invalid_input: 400,
  unauthenticated: 401,
  quota_exceeded: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<ErrorCode, number>;

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** One problem with one field of the input, as the API reports it in `details.issues`. */
export const InputIssue = z.object({ path: z.string(), message: z.string() });
export type InputIssue = z.infer<typeof InputIssue>;

/** The offer shown with a `quota_exceeded` answer: what to buy to lift the limit. */
export const Offer = z.object({
  kind: z.enum(['upgrade', 'extra_runs', 'connectsoft_io']),
  planId: z.string().optional(),
  label: z.string(),
  url: z.string(),
});
export type Offer = z.infer<typeof Offer>;
