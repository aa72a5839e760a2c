import { ERROR_STATUS, type ErrorCode } from '@csme/contracts/errors';

export { ERROR_STATUS, type ErrorCode };

/** An expected failure. Thrown by services, turned into `{ error: { code, message, details } }` at the edge. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} was not found.`);
export const forbidden = (message: string, details?: unknown) => new AppError('forbidden', message, details);
export const invalidInput = (message: string, details?: unknown) => new AppError('invalid_input', message, details);
export const conflict = (message: string, details?: unknown) => new AppError('conflict', message, details);

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** PostgreSQL error codes we translate rather than report as 500. */
export function pgCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
}

/** True when the error means the database is unreachable or restarting (the API answers 503, not 500). */
export function isDatabaseUnavailable(e: unknown): boolean {
  const code = pgCode(e);
  if (code && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300')) return true;
  const msg = e instanceof Error ? e.message : '';
  return (
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|connection timeout|timeout exceeded when trying to connect|the database system is (starting|shutting) up|Client has encountered a connection error/i.test(
      msg,
    ) ||
    (code !== undefined && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code))
  );
}
