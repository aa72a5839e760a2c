import type { AccountView, ApiTokenView } from '@csme/contracts/accounts';
import type { Selectable } from 'kysely';
import type { Account, ApiToken } from '#core/db.types.js';
import { type RenderedEmail, renderEmail } from '#modules/notifications/index.js';

export function presentAccount(a: Selectable<Account>): AccountView {
  return {
    id: a.id,
    email: a.email,
    displayName: a.display_name,
    locale: a.locale as AccountView['locale'],
    timeZone: a.time_zone,
    isOperator: a.is_operator,
    emailVerified: a.email_verified_at !== null,
    totpEnabled: a.totp_enabled_at !== null,
    createdAt: a.created_at.toISOString(),
  };
}

export function presentApiToken(t: Selectable<ApiToken>): ApiTokenView {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    scopes: t.scopes as ApiTokenView['scopes'],
    expiresAt: t.expires_at.toISOString(),
    lastUsedAt: t.last_used_at?.toISOString() ?? null,
    revokedAt: t.revoked_at?.toISOString() ?? null,
    createdAt: t.created_at.toISOString(),
  };
}

type Locale = 'en' | 'he';
const pick = (locale: string): Locale => (locale === 'he' ? 'he' : 'en');

const FOOTER = {
  en: 'connectsoft.me — your personal agents. If you did not expect this mail, you can ignore it.',
  he: 'connectsoft.me — הסוכנים האישיים שלך. אם לא ציפית להודעה הזו, אפשר להתעלם ממנה.',
};

export function verifyEmailMail(locale: string, name: string, url: string, hours: number): RenderedEmail {
  const l = pick(locale);
  return l === 'he'
    ? renderEmail({
        locale: l,
        subject: 'אישור כתובת הדוא"ל שלך ב-connectsoft.me',
        greeting: `שלום ${name},`,
        paragraphs: [`כדי להתחיל, אשר/י את כתובת הדוא"ל. הקישור תקף ${hours} שעות ופועל פעם אחת.`],
        action: { label: 'אישור הכתובת', url },
        footer: FOOTER.he,
      })
    : renderEmail({
        locale: l,
        subject: 'Confirm your email for connectsoft.me',
        greeting: `Hello ${name},`,
        paragraphs: [`To start, confirm your email address. The link works once and for ${hours} hours.`],
        action: { label: 'Confirm my email', url },
        footer: FOOTER.en,
      });
}

export function alreadyRegisteredMail(locale: string, name: string, signInUrl: string, resetUrl: string): RenderedEmail {
  const l = pick(locale);
  return l === 'he'
    ? renderEmail({
        locale: l,
        subject: 'מישהו ניסה להירשם עם הכתובת שלך',
        greeting: `שלום ${name},`,
        paragraphs: [
          'מישהו (אולי את/ה) ניסה לפתוח חשבון חדש עם הכתובת הזו, אבל כבר יש לך חשבון. אפשר להתחבר, או לאפס סיסמה אם שכחת אותה.',
          `איפוס סיסמה: ${resetUrl}`,
        ],
        action: { label: 'התחברות', url: signInUrl },
        footer: FOOTER.he,
      })
    : renderEmail({
        locale: l,
        subject: 'Someone tried to sign up with your address',
        greeting: `Hello ${name},`,
        paragraphs: [
          'Someone (perhaps you) tried to create a new account with this address, but you already have one. You can sign in, or reset your password if you forgot it.',
          `Reset your password: ${resetUrl}`,
        ],
        action: { label: 'Sign in', url: signInUrl },
        footer: FOOTER.en,
      });
}

export function passwordResetMail(locale: string, name: string, url: string, minutes: number): RenderedEmail {
  const l = pick(locale);
  return l === 'he'
    ? renderEmail({
        locale: l,
        subject: 'איפוס הסיסמה שלך ב-connectsoft.me',
        greeting: `שלום ${name},`,
        paragraphs: [`ביקשת לאפס את הסיסמה. הקישור תקף ${minutes} דקות ופועל פעם אחת. אחרי האיפוס, כל ההתחברויות האחרות שלך ינותקו.`],
        action: { label: 'בחירת סיסמה חדשה', url },
        footer: FOOTER.he,
      })
    : renderEmail({
        locale: l,
        subject: 'Reset your connectsoft.me password',
        greeting: `Hello ${name},`,
        paragraphs: [
          `You asked to reset your password. The link works once and for ${minutes} minutes. After the reset, your other sessions are signed out.`,
        ],
        action: { label: 'Choose a new password', url },
        footer: FOOTER.en,
      });
}
