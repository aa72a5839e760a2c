import type {
  ApiTokenView,
  ChangePasswordInput,
  CreateApiTokenInput,
  SessionView,
  SignInInput,
  SignUpInput,
  UpdateAccountInput,
} from '@csme/contracts/accounts';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { sql } from 'kysely';
import { generateSecret, generateURI, verifySync } from 'otplib';
import { hmacB64, randomToken, safeEqual, sha256 } from '#core/crypto.js';
import type { Actor, ActorCtx, Ctx } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { isSmtpConfigured, queueEmail } from '#modules/notifications/index.js';
import { createPersonalSpace, getMembership, listSpacesOf } from '#modules/spaces/index.js';
import type { Deps } from '../../deps.js';
import { authSetting } from './accounts.config.js';
import { API_TOKEN_PREFIX, normalizeEmail, resetEmailKey, signInEmailKey, signInIpKey, TOUCH_INTERVAL_MS } from './accounts.policy.js';
import { alreadyRegisteredMail, passwordResetMail, presentAccount, presentApiToken, verifyEmailMail } from './accounts.presenter.js';
import {
  anyAccountExists,
  clearRateLimit,
  consumeToken,
  deleteSession,
  deleteSessionsOfAccount,
  findAccount,
  findAccountByEmail,
  findApiTokenByHash,
  findRateLimit,
  findSessionByTokenHash,
  insertAccount,
  insertApiToken,
  insertSession,
  insertToken,
  invalidateTokens,
  listApiTokensOf,
  recordFailure,
  revokeApiTokenRow,
  touchApiToken,
  updateAccount as updateAccountRow,
  updateSession,
} from './accounts.repository.js';

export interface RequestMeta {
  readonly ip: string;
  readonly userAgent: string | null;
}

/** A session just created: the token goes into the cookie, never into a log or the database. */
export interface NewSession {
  readonly token: string;
  readonly expiresAt: Date;
  readonly view: SessionView;
}

// argon2id with the library's defaults: m = 19 MiB, t = 2, p = 1 (OWASP's minimum recommendation).
const hashPassword = (pw: string) => argonHash(pw);
let dummyHash: Promise<string> | null = null;
/** Verifying against a fixed hash when the email is unknown keeps both answers equally slow. */
const dummy = () => (dummyHash ??= argonHash('not-a-real-password-0000'));

const badCredentials = () => new AppError('unauthenticated', 'Email or password is incorrect.');

export const csrfTokenFor = (deps: Deps, sessionId: string) => hmacB64(deps.keys.csrf, `csrf:${sessionId}`);

async function createSession(
  ctx: Ctx,
  accountId: string,
  spaceId: string,
  meta: RequestMeta,
  opts: { impersonatorAccountId?: string; expiresAt?: Date } = {},
): Promise<NewSession> {
  const auth = await ctx.deps.settings.get(authSetting);
  const token = randomToken(32);
  const id = newId();
  const expiresAt = opts.expiresAt ?? new Date(ctx.now().getTime() + auth.sessionDays * 86_400_000);
  await insertSession(ctx.db, {
    id,
    token_hash: sha256(token),
    account_id: accountId,
    active_space_id: spaceId,
    expires_at: expiresAt,
    ip: meta.ip.slice(0, 64),
    user_agent: meta.userAgent?.slice(0, 300) ?? null,
    impersonator_account_id: opts.impersonatorAccountId ?? null,
    created_at: ctx.now(),
  });
  return { token, expiresAt, view: await sessionView(ctx, accountId, spaceId, id) };
}

async function sessionView(ctx: Ctx, accountId: string, activeSpaceId: string, sessionId: string): Promise<SessionView> {
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw new AppError('unauthenticated', 'Sign in to continue.');
  const spaces = await listSpacesOf(ctx.db, accountId);
  const activeSpace = spaces.find((s) => s.id === activeSpaceId) ?? spaces[0];
  if (!activeSpace) throw new AppError('internal', 'This account has no space.');
  return { account: presentAccount(account), activeSpace, spaces, csrfToken: csrfTokenFor(ctx.deps, sessionId) };
}

export async function getSessionView(ctx: ActorCtx): Promise<SessionView> {
  return sessionView(ctx, ctx.actor.accountId, ctx.actor.spaceId, ctx.actor.sessionId ?? '');
}

function link(ctx: Ctx, path: string, token: string) {
  return `${ctx.deps.config.http.publicUrl}${path}#token=${encodeURIComponent(token)}`;
}

/**
 * Creates an account and its personal space. With SMTP configured every answer is "check your
 * email" (an address already registered gets a notice mail), so sign-up reveals nothing; with no
 * SMTP (a fresh self-hosted instance) the account works at once and a taken address is a conflict.
 */
export async function signUp(
  ctx: Ctx,
  input: SignUpInput,
  meta: RequestMeta,
): Promise<{ status: 'check_email' } | { status: 'signed_in'; session: NewSession }> {
  const auth = await ctx.deps.settings.get(authSetting);
  if (!auth.signUpOpen) throw new AppError('forbidden', 'Sign-up is closed on this instance; ask its operator for an account.');
  const smtp = await isSmtpConfigured(ctx);
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction().execute(async (tx) => {
    const c = { ...ctx, db: tx };
    // One sign-up at a time decides who is first (the first account is the operator).
    await sql`select pg_advisory_xact_lock(hashtext('csme.sign-up'))`.execute(tx);
    const existing = await findAccountByEmail(tx, email);
    if (existing) {
      if (!smtp) throw new AppError('conflict', 'An account with this email already exists. Sign in instead.');
      await queueEmail(c, {
        to: existing.email,
        kind: 'sign_up_notice',
        accountId: existing.id,
        email: alreadyRegisteredMail(
          existing.locale,
          existing.display_name,
          `${ctx.deps.config.http.publicUrl}/sign-in`,
          `${ctx.deps.config.http.publicUrl}/reset-password`,
        ),
      });
      return { status: 'check_email' as const };
    }
    const accountId = newId();
    const now = ctx.now();
    const first = !(await anyAccountExists(tx));
    await insertAccount(tx, {
      id: accountId,
      email: input.email.trim(),
      email_normalized: email,
      display_name: input.displayName,
      password_hash: passwordHash,
      locale: input.locale ?? 'en',
      time_zone: input.timeZone ?? 'UTC',
      is_operator: first,
      email_verified_at: smtp ? null : now,
    });
    const spaceId = await createPersonalSpace(tx, { accountId, displayName: input.displayName, now });
    await updateAccountRow(tx, accountId, { personal_space_id: spaceId });
    if (smtp) {
      const token = randomToken();
      await insertToken(tx, {
        id: newId(),
        account_id: accountId,
        purpose: 'verify_email',
        token_hash: sha256(token),
        expires_at: new Date(now.getTime() + auth.verifyEmailHours * 3_600_000),
      });
      await queueEmail(c, {
        to: email,
        kind: 'verify_email',
        accountId,
        email: verifyEmailMail(input.locale ?? 'en', input.displayName, link(ctx, '/verify-email', token), auth.verifyEmailHours),
      });
      return { status: 'check_email' as const };
    }
    ctx.log.info({ accountId, operator: first }, 'account created');
    return { status: 'signed_in' as const, session: await createSession(c, accountId, spaceId, meta) };
  });
}

async function assertNotThrottled(ctx: Ctx, keys: string[]): Promise<void> {
  for (const key of keys) {
    const r = await findRateLimit(ctx.db, key);
    if (r?.blocked_until && r.blocked_until > ctx.now()) {
      const seconds = Math.ceil((r.blocked_until.getTime() - ctx.now().getTime()) / 1000);
      throw new AppError('rate_limited', `Too many attempts. Try again in ${Math.ceil(seconds / 60)} minutes, or reset your password.`, {
        retryAfterSeconds: seconds,
      });
    }
  }
}

async function countFailure(ctx: Ctx, email: string, ip: string): Promise<void> {
  const auth = await ctx.deps.settings.get(authSetting);
  const windowMs = auth.signInWindowMinutes * 60_000;
  await recordFailure(ctx.db, { key: signInEmailKey(email), now: ctx.now(), windowMs, max: auth.maxFailuresPerEmail });
  await recordFailure(ctx.db, { key: signInIpKey(ip), now: ctx.now(), windowMs, max: auth.maxFailuresPerIp });
}

/** Signs in; unknown emails and wrong passwords get the same answer in the same time. Throttled per email and per address. */
export async function signIn(
  ctx: Ctx,
  input: SignInInput,
  meta: RequestMeta,
): Promise<{ status: 'totp_required' } | { status: 'signed_in'; session: NewSession }> {
  const email = normalizeEmail(input.email);
  await assertNotThrottled(ctx, [signInEmailKey(email), signInIpKey(meta.ip)]);
  const account = await findAccountByEmail(ctx.db, email);
  if (!account) {
    await argonVerify(await dummy(), input.password).catch(() => false);
    await countFailure(ctx, email, meta.ip);
    throw badCredentials();
  }
  const ok = await argonVerify(account.password_hash, input.password).catch(() => false);
  if (!ok) {
    await countFailure(ctx, email, meta.ip);
    throw badCredentials();
  }
  if (account.suspended_at) throw new AppError('forbidden', 'This account is suspended. Contact the operator of this instance.');
  if (!account.email_verified_at) {
    throw new AppError('forbidden', 'Confirm your email address first: open the link we sent you.', { reason: 'email_unverified' });
  }
  if (account.totp_secret) {
    if (!input.totpCode) return { status: 'totp_required' };
    const secret = await ctx.deps.vault.decryptString(
      { spaceId: null, purpose: 'account.totp', recordId: account.id },
      account.totp_secret,
    );
    if (!verifyTotp(secret, input.totpCode, ctx.now())) {
      await countFailure(ctx, email, meta.ip);
      throw new AppError('unauthenticated', 'That code is not right. Use the current code from your authenticator app.', {
        reason: 'totp_invalid',
      });
    }
  }
  await clearRateLimit(ctx.db, signInEmailKey(email));
  const spaceId = account.personal_space_id;
  if (!spaceId) throw new AppError('internal', 'This account has no personal space.');
  ctx.log.info({ accountId: account.id }, 'signed in');
  return { status: 'signed_in', session: await createSession(ctx, account.id, spaceId, meta) };
}

function verifyTotp(secret: string, code: string, now: Date): boolean {
  try {
    return verifySync({ secret, token: code, epoch: Math.floor(now.getTime() / 1000), epochTolerance: 30 }).valid;
  } catch {
    return false;
  }
}

export async function signOut(ctx: ActorCtx): Promise<void> {
  if (ctx.actor.sessionId) await deleteSession(ctx.db, ctx.actor.sessionId);
}

/** Confirms an address from the emailed link and signs the person in. */
export async function verifyEmail(ctx: Ctx, token: string, meta: RequestMeta): Promise<{ status: 'signed_in'; session: NewSession }> {
  return ctx.db.transaction().execute(async (tx) => {
    const used = await consumeToken(tx, sha256(token), 'verify_email', ctx.now());
    if (!used)
      throw new AppError('invalid_input', 'This link has expired or was already used. Sign in to get a new one.', {
        reason: 'token_invalid',
      });
    await updateAccountRow(tx, used.account_id, { email_verified_at: ctx.now(), updated_at: ctx.now() });
    const account = await findAccount(tx, used.account_id);
    if (!account?.personal_space_id) throw new AppError('internal', 'This account has no personal space.');
    return { status: 'signed_in' as const, session: await createSession({ ...ctx, db: tx }, account.id, account.personal_space_id, meta) };
  });
}

/** Emails a reset link if the address has an account; the answer is the same either way. */
export async function requestPasswordReset(ctx: Ctx, emailInput: string, meta: RequestMeta): Promise<void> {
  const auth = await ctx.deps.settings.get(authSetting);
  const email = normalizeEmail(emailInput);
  await assertNotThrottled(ctx, [resetEmailKey(email), signInIpKey(meta.ip)]);
  await recordFailure(ctx.db, { key: resetEmailKey(email), now: ctx.now(), windowMs: 3_600_000, max: 5 });
  const account = await findAccountByEmail(ctx.db, email);
  if (!account) return;
  await ctx.db.transaction().execute(async (tx) => {
    await invalidateTokens(tx, account.id, 'password_reset', ctx.now());
    const token = randomToken();
    await insertToken(tx, {
      id: newId(),
      account_id: account.id,
      purpose: 'password_reset',
      token_hash: sha256(token),
      expires_at: new Date(ctx.now().getTime() + auth.passwordResetMinutes * 60_000),
    });
    await queueEmail(
      { ...ctx, db: tx },
      {
        to: account.email,
        kind: 'password_reset',
        accountId: account.id,
        email: passwordResetMail(account.locale, account.display_name, link(ctx, '/reset-password', token), auth.passwordResetMinutes),
      },
    );
  });
}

/** Sets a new password from a reset link; every session of the account is signed out. */
export async function confirmPasswordReset(ctx: Ctx, token: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  await ctx.db.transaction().execute(async (tx) => {
    const used = await consumeToken(tx, sha256(token), 'password_reset', ctx.now());
    if (!used)
      throw new AppError('invalid_input', 'This reset link has expired or was already used. Ask for a new one.', {
        reason: 'token_invalid',
      });
    // Proving control of the mailbox also confirms the address.
    await tx
      .updateTable('account')
      .set({ password_hash: passwordHash, updated_at: ctx.now(), email_verified_at: sql`coalesce(email_verified_at, ${ctx.now()})` })
      .where('id', '=', used.account_id)
      .execute();
    await deleteSessionsOfAccount(tx, used.account_id);
    const account = await findAccount(tx, used.account_id);
    if (account) await clearRateLimit(tx, signInEmailKey(account.email));
  });
}

export async function updateAccount(ctx: ActorCtx, input: UpdateAccountInput) {
  await updateAccountRow(ctx.db, ctx.actor.accountId, {
    ...(input.displayName !== undefined ? { display_name: input.displayName } : {}),
    ...(input.locale !== undefined ? { locale: input.locale } : {}),
    ...(input.timeZone !== undefined ? { time_zone: input.timeZone } : {}),
    updated_at: ctx.now(),
  });
  const account = await findAccount(ctx.db, ctx.actor.accountId);
  if (!account) throw new AppError('not_found', 'Account was not found.');
  return presentAccount(account);
}

async function requirePassword(db: Db, accountId: string, password: string) {
  const account = await findAccount(db, accountId);
  if (!account) throw new AppError('unauthenticated', 'Sign in to continue.');
  const ok = await argonVerify(account.password_hash, password).catch(() => false);
  if (!ok) throw new AppError('forbidden', 'Your current password is not right.', { reason: 'password_invalid' });
  return account;
}

export async function changePassword(ctx: ActorCtx, input: ChangePasswordInput): Promise<void> {
  notImpersonating(ctx);
  await requirePassword(ctx.db, ctx.actor.accountId, input.currentPassword);
  const passwordHash = await hashPassword(input.newPassword);
  await ctx.db.transaction().execute(async (tx) => {
    await updateAccountRow(tx, ctx.actor.accountId, { password_hash: passwordHash, updated_at: ctx.now() });
    await deleteSessionsOfAccount(tx, ctx.actor.accountId, ctx.actor.sessionId ?? undefined);
  });
}

/** How a person signs in is theirs alone: an operator acting as them (with consent) cannot change it. */
function notImpersonating(ctx: ActorCtx): void {
  if (ctx.actor.impersonatorAccountId) throw new AppError('forbidden', 'An operator acting as this person cannot change how they sign in.');
}

export async function startTotpSetup(ctx: ActorCtx): Promise<{ secret: string; otpauthUrl: string }> {
  notImpersonating(ctx);
  const account = await findAccount(ctx.db, ctx.actor.accountId);
  if (!account) throw new AppError('unauthenticated', 'Sign in to continue.');
  if (account.totp_secret) throw new AppError('conflict', 'The second factor is already on. Turn it off first to set up a new one.');
  const secret = generateSecret();
  const enc = await ctx.deps.vault.encryptString({ spaceId: null, purpose: 'account.totp-pending', recordId: account.id }, secret);
  await updateAccountRow(ctx.db, account.id, { totp_pending_secret: enc, updated_at: ctx.now() });
  return { secret, otpauthUrl: generateURI({ issuer: 'connectsoft.me', label: account.email, secret }) };
}

export async function enableTotp(ctx: ActorCtx, code: string): Promise<void> {
  notImpersonating(ctx);
  const account = await findAccount(ctx.db, ctx.actor.accountId);
  if (!account?.totp_pending_secret) throw new AppError('conflict', 'Start the second-factor setup first.');
  const secret = await ctx.deps.vault.decryptString(
    { spaceId: null, purpose: 'account.totp-pending', recordId: account.id },
    account.totp_pending_secret,
  );
  if (!verifyTotp(secret, code, ctx.now()))
    throw new AppError('invalid_input', 'That code is not right. Use the current code from your authenticator app.');
  const enc = await ctx.deps.vault.encryptString({ spaceId: null, purpose: 'account.totp', recordId: account.id }, secret);
  await updateAccountRow(ctx.db, account.id, {
    totp_secret: enc,
    totp_pending_secret: null,
    totp_enabled_at: ctx.now(),
    updated_at: ctx.now(),
  });
}

export async function disableTotp(ctx: ActorCtx, password: string, code: string): Promise<void> {
  notImpersonating(ctx);
  const account = await requirePassword(ctx.db, ctx.actor.accountId, password);
  if (!account.totp_secret) throw new AppError('conflict', 'The second factor is not on.');
  const secret = await ctx.deps.vault.decryptString({ spaceId: null, purpose: 'account.totp', recordId: account.id }, account.totp_secret);
  if (!verifyTotp(secret, code, ctx.now())) throw new AppError('invalid_input', 'That code is not right.');
  await updateAccountRow(ctx.db, account.id, { totp_secret: null, totp_enabled_at: null, updated_at: ctx.now() });
}

/** Switches the session's active space after checking the membership (404 for a space that is not theirs). */
export async function switchSpace(ctx: ActorCtx, spaceId: string): Promise<SessionView> {
  await getMembership(ctx.db, ctx.actor.accountId, spaceId);
  if (!ctx.actor.sessionId) throw new AppError('forbidden', 'Only a signed-in session can switch spaces.');
  await updateSession(ctx.db, ctx.actor.sessionId, { active_space_id: spaceId });
  return sessionView(ctx, ctx.actor.accountId, spaceId, ctx.actor.sessionId);
}

/**
 * The person behind a session cookie, in their active space, checked against their memberships.
 * A session whose active space they no longer belong to falls back to their personal space.
 */
export async function resolveSessionActor(deps: Deps, token: string, now: Date): Promise<Actor | null> {
  if (token.length < 20 || token.length > 100) return null;
  const row = await findSessionByTokenHash(deps.db, sha256(token), now);
  if (!row || row.suspended_at) return null;
  let spaceId = row.active_space_id;
  let role = row.role;
  let spaceKind = row.space_kind;
  if (!role && row.personal_space_id) {
    spaceId = row.personal_space_id;
    await updateSession(deps.db, row.session_id, { active_space_id: spaceId });
    role = 'owner';
    spaceKind = 'personal';
  }
  if (!role || !spaceKind) return null;
  if (now.getTime() - row.last_seen_at.getTime() > TOUCH_INTERVAL_MS) {
    await updateSession(deps.db, row.session_id, { last_seen_at: now });
  }
  return {
    accountId: row.account_id,
    spaceId,
    spaceKind: spaceKind as Actor['spaceKind'],
    role: role as Actor['role'],
    isOperator: row.is_operator && !row.impersonator_account_id,
    sessionId: row.session_id,
    impersonatorAccountId: row.impersonator_account_id,
    locale: row.locale as Actor['locale'],
    timeZone: row.time_zone,
    email: row.email,
    displayName: row.display_name,
  };
}

export function checkCsrf(deps: Deps, sessionId: string, header: string | undefined): boolean {
  return typeof header === 'string' && safeEqual(header, csrfTokenFor(deps, sessionId));
}

/** `csme admin create`: an operator account (or an existing account made operator), usable at once. */
export async function createOperator(
  ctx: Ctx,
  a: { email: string; password: string; displayName: string },
): Promise<{ accountId: string; created: boolean }> {
  const email = normalizeEmail(a.email);
  const existing = await findAccountByEmail(ctx.db, email);
  if (existing) {
    await updateAccountRow(ctx.db, existing.id, { is_operator: true, updated_at: ctx.now() });
    return { accountId: existing.id, created: false };
  }
  const passwordHash = await hashPassword(a.password);
  return ctx.db.transaction().execute(async (tx) => {
    const accountId = newId();
    await insertAccount(tx, {
      id: accountId,
      email: a.email.trim(),
      email_normalized: email,
      display_name: a.displayName,
      password_hash: passwordHash,
      is_operator: true,
      email_verified_at: ctx.now(),
    });
    const spaceId = await createPersonalSpace(tx, { accountId, displayName: a.displayName, now: ctx.now() });
    await updateAccountRow(tx, accountId, { personal_space_id: spaceId });
    return { accountId, created: true };
  });
}

export async function findAccountIdByEmail(db: Db, email: string): Promise<string | undefined> {
  return (await findAccountByEmail(db, normalizeEmail(email)))?.id;
}

// ---------------------------------------------------------------- personal API tokens

/** Creates a personal API token; the token is returned once, only its SHA-256 is stored. Sessions only (a token cannot make tokens). */
export async function createApiToken(ctx: ActorCtx, input: CreateApiTokenInput): Promise<{ token: string; view: ApiTokenView }> {
  if (!ctx.actor.sessionId) throw new AppError('forbidden', 'API tokens are created from a signed-in session, not with another token.');
  const token = `${API_TOKEN_PREFIX}${randomToken(32)}`;
  const now = ctx.now();
  const row = await insertApiToken(ctx.db, {
    id: newId(),
    account_id: ctx.actor.accountId,
    name: input.name,
    token_hash: sha256(token),
    prefix: token.slice(0, API_TOKEN_PREFIX.length + 6),
    scopes: [...new Set(input.scopes)].sort(),
    expires_at: new Date(now.getTime() + input.expiresInDays * 86_400_000),
    created_at: now,
  });
  ctx.log.info({ accountId: ctx.actor.accountId, tokenId: row.id, scopes: row.scopes }, 'api token created');
  return { token, view: presentApiToken(row) };
}

export async function listApiTokens(ctx: ActorCtx): Promise<ApiTokenView[]> {
  return (await listApiTokensOf(ctx.db, ctx.actor.accountId)).map(presentApiToken);
}

/** Revokes one of the caller's own tokens (another account's token is not found). */
export async function revokeApiToken(ctx: ActorCtx, id: string): Promise<ApiTokenView> {
  if (!ctx.actor.sessionId) throw new AppError('forbidden', 'Revoke tokens from a signed-in session.');
  const row = await revokeApiTokenRow(ctx.db, ctx.actor.accountId, id, ctx.now());
  if (!row) throw new AppError('not_found', 'That token was not found.');
  return presentApiToken(row);
}

/**
 * The person behind `Authorization: Bearer csme_pat_…`: a live (not expired, not revoked) token of an
 * account that is not suspended, acting in that account's personal space with the token's scopes only.
 */
export async function resolveTokenActor(deps: Deps, token: string, now: Date): Promise<Actor | null> {
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 120) return null;
  const row = await findApiTokenByHash(deps.db, sha256(token), now);
  if (!row || row.suspended_at || !row.personal_space_id || !row.role) return null;
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > TOUCH_INTERVAL_MS) await touchApiToken(deps.db, row.token_id, now);
  return {
    accountId: row.account_id,
    spaceId: row.personal_space_id,
    spaceKind: 'personal',
    role: row.role as Actor['role'],
    isOperator: false,
    sessionId: null,
    tokenScopes: row.scopes,
    locale: row.locale as Actor['locale'],
    timeZone: row.time_zone,
    email: row.email,
    displayName: row.display_name,
  };
}

/**
 * A session an operator opens as a person who consented (admin checks the consent), in the person's
 * personal space, ending at `expiresAt`. The caller sets the cookie; the person sees it while it lasts.
 */
export async function openImpersonationSession(
  ctx: Ctx,
  a: { accountId: string; impersonatorAccountId: string; expiresAt: Date; meta: RequestMeta },
): Promise<NewSession> {
  const account = await findAccount(ctx.db, a.accountId);
  if (!account?.personal_space_id) throw new AppError('not_found', 'That account was not found.');
  return createSession(ctx, account.id, account.personal_space_id, a.meta, {
    impersonatorAccountId: a.impersonatorAccountId,
    expiresAt: a.expiresAt,
  });
}

/** Ends the sessions operators opened as this person (when they withdraw consent, or the operator stops). */
export async function endImpersonationSessions(db: Db, accountId: string): Promise<number> {
  const r = await db
    .deleteFrom('session')
    .where('account_id', '=', accountId)
    .where('impersonator_account_id', 'is not', null)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Suspends an account: it cannot sign in, its sessions end at once, and its agents stop (runs refuse them). */
export async function suspendAccount(db: Db, accountId: string, now: Date): Promise<void> {
  await updateAccountRow(db, accountId, { suspended_at: now, updated_at: now });
  await deleteSessionsOfAccount(db, accountId);
}

export async function restoreAccount(db: Db, accountId: string, now: Date): Promise<void> {
  await updateAccountRow(db, accountId, { suspended_at: null, updated_at: now });
}
