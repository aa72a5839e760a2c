import { z } from 'zod';
import { Empty, Id, Locale, Ok, Role, Text } from './common.js';
import { endpoint } from './http.js';

const tags = ['accounts'];

export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'must be an email address' }));
export const Password = z
  .string()
  .min(10, 'must be at least 10 characters')
  .max(200, 'must be at most 200 characters')
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
export const TimeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/Berlin');
export const TotpCode = z.string().regex(/^\d{6}$/, 'must be the 6-digit code from your authenticator app');

export const SpaceSummary = z.object({
  id: Id,
  name: z.string(),
  kind: z.enum(['personal', 'family']),
  role: Role,
  planId: z.string(),
  planName: z.string(),
});
export type SpaceSummary = z.infer<typeof SpaceSummary>;

export const AccountView = z.object({
  id: Id,
  email: z.string(),
  displayName: z.string(),
  locale: Locale,
  timeZone: z.string(),
  isOperator: z.boolean(),
  emailVerified: z.boolean(),
  totpEnabled: z.boolean(),
  createdAt: z.string(),
});
export type AccountView = z.infer<typeof AccountView>;

export const SessionView = z.object({
  account: AccountView,
  activeSpace: SpaceSummary,
  spaces: z.array(SpaceSummary),
  csrfToken: z.string(),
});
export type SessionView = z.infer<typeof SessionView>;

export const SignUpInput = z.strictObject({
  email: Email,
  password: Password,
  displayName: Text(80).pipe(z.string().min(1, 'is required')),
  locale: Locale.optional(),
  timeZone: TimeZone.optional(),
});
export type SignUpInput = z.infer<typeof SignUpInput>;

export const SignUpResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('signed_in'), session: SessionView }),
  z.object({ status: z.literal('check_email') }),
]);
export type SignUpResult = z.infer<typeof SignUpResult>;

export const SignInInput = z.strictObject({
  email: Email,
  password: z.string().min(1).max(200),
  totpCode: TotpCode.optional(),
});
export type SignInInput = z.infer<typeof SignInInput>;

export const SignInResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('signed_in'), session: SessionView }),
  z.object({ status: z.literal('totp_required') }),
]);
export type SignInResult = z.infer<typeof SignInResult>;

export const signUp = endpoint({
  method: 'POST',
  path: '/api/v1/auth/sign-up',
  summary: 'Create an account (and its personal space)',
  tags,
  body: SignUpInput,
  response: SignUpResult,
  status: 201,
});

export const signIn = endpoint({
  method: 'POST',
  path: '/api/v1/auth/sign-in',
  summary: 'Sign in',
  tags,
  body: SignInInput,
  response: SignInResult,
});
export const signOut = endpoint({ method: 'POST', path: '/api/v1/auth/sign-out', summary: 'Sign out of this session', tags, response: Ok });
export const getSession = endpoint({
  method: 'GET',
  path: '/api/v1/auth/session',
  summary: 'The signed-in person, their spaces and CSRF token',
  tags,
  response: SessionView,
});

export const VerifyEmailInput = z.strictObject({ token: z.string().min(10).max(200) });
export type VerifyEmailInput = z.infer<typeof VerifyEmailInput>;
export const verifyEmail = endpoint({
  method: 'POST',
  path: '/api/v1/auth/verify-email',
  summary: 'Confirm an email address with the emailed link',
  tags,
  body: VerifyEmailInput,
  response: SignInResult,
});

export const RequestPasswordResetInput = z.strictObject({ email: Email });
export type RequestPasswordResetInput = z.infer<typeof RequestPasswordResetInput>;
export const requestPasswordReset = endpoint({
  method: 'POST',
  path: '/api/v1/auth/password-reset',
  summary: 'Email a password reset link (answers the same for known and unknown addresses)',
  tags,
  body: RequestPasswordResetInput,
  response: Ok,
  status: 202,
});

export const ConfirmPasswordResetInput = z.strictObject({ token: z.string().min(10).max(200), password: Password });
export type ConfirmPasswordResetInput = z.infer<typeof ConfirmPasswordResetInput>;
export const confirmPasswordReset = endpoint({
  method: 'POST',
  path: '/api/v1/auth/password-reset/confirm',
  summary: 'Set a new password with a reset link',
  tags,
  body: ConfirmPasswordResetInput,
  response: Ok,
});

export const TotpSetup = z.object({ secret: z.string(), otpauthUrl: z.string() });
export type TotpSetup = z.infer<typeof TotpSetup>;
export const startTotpSetup = endpoint({
  method: 'POST',
  path: '/api/v1/account/totp/setup',
  summary: 'Start setting up a second factor (TOTP)',
  tags,
  body: Empty.optional(),
  response: TotpSetup,
});
export const EnableTotpInput = z.strictObject({ code: TotpCode });
export type EnableTotpInput = z.infer<typeof EnableTotpInput>;
export const enableTotp = endpoint({
  method: 'POST',
  path: '/api/v1/account/totp/enable',
  summary: 'Turn on the second factor',
  tags,
  body: EnableTotpInput,
  response: Ok,
});
export const DisableTotpInput = z.strictObject({ password: z.string().min(1).max(200), code: TotpCode });
export type DisableTotpInput = z.infer<typeof DisableTotpInput>;
export const disableTotp = endpoint({
  method: 'POST',
  path: '/api/v1/account/totp/disable',
  summary: 'Turn off the second factor',
  tags,
  body: DisableTotpInput,
  response: Ok,
});

export const UpdateAccountInput = z.strictObject({
  displayName: Text(80).pipe(z.string().min(1)).optional(),
  locale: Locale.optional(),
  timeZone: TimeZone.optional(),
});
export type UpdateAccountInput = z.infer<typeof UpdateAccountInput>;
export const updateAccount = endpoint({
  method: 'PATCH',
  path: '/api/v1/account',
  summary: 'Change your name, language or time zone',
  tags,
  body: UpdateAccountInput,
  response: AccountView,
});

export const ChangePasswordInput = z.strictObject({ currentPassword: z.string().min(1).max(200), newPassword: Password });
export type ChangePasswordInput = z.infer<typeof ChangePasswordInput>;
export const changePassword = endpoint({
  method: 'POST',
  path: '/api/v1/account/password',
  summary: 'Change your password (signs out your other sessions)',
  tags,
  body: ChangePasswordInput,
  response: Ok,
});

export const SwitchSpaceInput = z.strictObject({ spaceId: Id });
export type SwitchSpaceInput = z.infer<typeof SwitchSpaceInput>;
export const switchSpace = endpoint({
  method: 'POST',
  path: '/api/v1/auth/active-space',
  summary: 'Act in another of your spaces',
  tags,
  body: SwitchSpaceInput,
  response: SessionView,
});

// ---------------------------------------------------------------- personal API tokens

/** What a personal API token may do. Only routes that name one of these accept `Authorization: Bearer`. */
export const API_TOKEN_SCOPES = ['packs:publish', 'studio:read'] as const;
export const ApiTokenScope = z.enum(API_TOKEN_SCOPES);
export type ApiTokenScope = z.infer<typeof ApiTokenScope>;

export const ApiTokenView = z.object({
  id: Id,
  name: z.string(),
  /** The first characters, to recognise it (the token itself is shown once). */
  prefix: z.string(),
  scopes: z.array(ApiTokenScope),
  expiresAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  createdAt: z.string(),
});
export type ApiTokenView = z.infer<typeof ApiTokenView>;

export const listApiTokens = endpoint({
  method: 'GET',
  path: '/api/v1/account/tokens',
  summary: 'Your personal API tokens (never the tokens themselves)',
  tags,
  response: z.object({ items: z.array(ApiTokenView) }),
});
export const CreateApiTokenInput = z.strictObject({
  name: Text(80).pipe(z.string().min(1, 'give the token a name')),
  scopes: z.array(ApiTokenScope).min(1).max(API_TOKEN_SCOPES.length),
  /** 1 to 365 days. */
  expiresInDays: z.number().int().min(1).max(365).default(90),
});
export type CreateApiTokenInput = z.infer<typeof CreateApiTokenInput>;
export const createApiToken = endpoint({
  method: 'POST',
  path: '/api/v1/account/tokens',
  summary: 'Create a personal API token (shown once; only its hash is stored)',
  tags,
  body: CreateApiTokenInput,
  response: z.object({ token: z.string(), view: ApiTokenView }),
  status: 201,
});
export const revokeApiToken = endpoint({
  method: 'DELETE',
  path: '/api/v1/account/tokens/:tokenId',
  summary: 'Revoke a personal API token (it stops working at once)',
  tags,
  params: z.strictObject({ tokenId: Id }),
  response: ApiTokenView,
});
