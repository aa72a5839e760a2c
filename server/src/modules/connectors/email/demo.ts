// The demo's sample mailbox (a connector marked `demo`): its messages exist only in the index, so the
// email actions change the index and nothing else. Nothing dials out: the host is `mail.demo.invalid`
// (a reserved name that never resolves), the sync skips it, and these branches run before any IMAP or
// SMTP connection would be opened.
import { createHash } from 'node:crypto';
import type { SkillContext } from '#core/skill.js';

const FOLDERS: Record<string, string> = {
  archive: 'Archive',
  trash: 'Trash',
  junk: 'Junk',
  sent: 'Sent',
  drafts: 'Drafts',
  inbox: 'INBOX',
};

export async function demoSetFlags(sctx: SkillContext, row: { id: string; flags: string[] }, flag: string, on: boolean) {
  const flags = on ? [...new Set([...row.flags, flag])] : row.flags.filter((f) => f !== flag);
  await sctx.inScope((db) =>
    db.updateTable('mail_message').set({ flags }).where('space_id', '=', sctx.spaceId!).where('id', '=', row.id).execute(),
  );
  return { messageId: row.id, flags };
}

export async function demoMove(sctx: SkillContext, row: { id: string }, to: string) {
  const folder = FOLDERS[to.toLowerCase()] ?? to;
  await sctx.inScope((db) =>
    db.updateTable('mail_message').set({ folder }).where('space_id', '=', sctx.spaceId!).where('id', '=', row.id).execute(),
  );
  return { messageId: row.id, folder };
}

/** A reply draft or a sent message of the sample mailbox: recorded on the action, never sent anywhere. */
export function demoMessageId(key: string): string {
  return `<csme.${createHash('sha256').update(key).digest('hex').slice(0, 32)}@demo.invalid>`;
}
