import type { MailboxMessage } from '@csme/contracts/notifications';
import type { Selectable } from 'kysely';
import type { EmailOutbox } from '#core/db.types.js';

export function presentMailboxMessage(row: Selectable<EmailOutbox>): MailboxMessage {
  return {
    id: row.id,
    to: row.to_address,
    subject: row.subject,
    kind: row.kind,
    status: row.status as MailboxMessage['status'],
    createdAt: row.created_at.toISOString(),
    text: row.body_text,
    html: row.body_html,
  };
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A plain, accessible mail: a greeting, paragraphs, and at most one button. Hebrew mail is laid out right to left. */
export function renderEmail(opts: {
  locale: 'en' | 'he';
  subject: string;
  greeting: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  footer: string;
}): RenderedEmail {
  const dir = opts.locale === 'he' ? 'rtl' : 'ltr';
  const text = [
    opts.greeting,
    '',
    ...opts.paragraphs.flatMap((p) => [p, '']),
    ...(opts.action ? [`${opts.action.label}: ${opts.action.url}`, ''] : []),
    opts.footer,
  ].join('\n');
  const html = `<!doctype html><html lang="${opts.locale}" dir="${dir}"><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1b1b1f;max-width:560px;margin:auto;padding:16px">
<p>${escapeHtml(opts.greeting)}</p>
${opts.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${opts.action ? `<p><a href="${escapeHtml(opts.action.url)}" style="display:inline-block;background:#3b4fd8;color:#fff;padding:10px 16px;border-radius:8px;text-decoration:none">${escapeHtml(opts.action.label)}</a></p><p style="font-size:13px;color:#555">${escapeHtml(opts.action.url)}</p>` : ''}
<p style="font-size:13px;color:#555">${escapeHtml(opts.footer)}</p></body></html>`;
  return { subject: opts.subject, text, html };
}
