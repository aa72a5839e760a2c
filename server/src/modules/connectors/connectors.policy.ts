import type { ConnectorKind } from '@csme/contracts/connectors';
import { BASIC_KINDS } from '@csme/contracts/connectors';
import type { SecretScope } from '#core/vault.js';

/** Does a plan with `level` connectors include this kind? (Free: one email account, ICS calendars, feeds.) */
export function kindInPlan(level: 'basic' | 'all', kind: ConnectorKind): boolean {
  return level === 'all' || BASIC_KINDS.includes(kind);
}

/**
 * The vault scope of a connector's credentials. The hosts they may be sent to are part of it, so a
 * ciphertext cannot be decrypted for any other host: changing a server without typing the password
 * again cannot send the old password to the new server.
 */
export function credentialsScope(spaceId: string, connectorId: string, hosts: readonly string[]): SecretScope {
  return { spaceId, purpose: `connector.credentials|${[...hosts].sort().join('|')}`, recordId: connectorId };
}

/** Plain words for a connector kind, in refusals and notifications. */
export const KIND_WORDS: Record<ConnectorKind, string> = {
  email: 'email account',
  ics: 'calendar feed',
  caldav: 'CalDAV calendar',
  feed: 'news feed',
  http: 'web service (outgoing requests)',
};

const DOCX_MARKER = Buffer.from('word/document.xml');

/** The type of an uploaded file, decided from its bytes (the name only tells Markdown from plain text). */
export function detectFileType(
  bytes: Buffer,
  name: string,
): 'application/pdf' | 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' | 'text/markdown' | 'text/plain' | null {
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    return bytes.includes(DOCX_MARKER) ? 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' : null;
  if (bytes.includes(0)) return null;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  return /\.(md|markdown)$/i.test(name) ? 'text/markdown' : 'text/plain';
}

/** Text safe for PostgreSQL (no NUL) and bounded. */
export function cleanText(s: string | null | undefined, max: number): string {
  if (!s) return '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL cannot be stored in PostgreSQL text
  const t = s.replace(/\u0000/g, '');
  return t.length > max ? t.slice(0, max) : t;
}
