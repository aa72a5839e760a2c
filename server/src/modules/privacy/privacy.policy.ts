/**
 * Which rows of which table belong to a person, decided from the live schema (information_schema and
 * pg_constraint) so that a table added later is covered without anyone remembering to: a table with
 * `space_id` is a tenant table, a table with a foreign key to `account` holds a person's rows. What is
 * neither must be listed in INSTANCE_TABLES with the reason, or the coverage test fails.
 */

export interface TableInfo {
  readonly name: string;
  /** column name -> data type (information_schema) */
  readonly columns: ReadonlyMap<string, string>;
  /** Foreign keys to account(id): the column and what PostgreSQL does on delete ('c' cascade, 'n' set null, 'a'/'r' block). */
  readonly accountFks: readonly { column: string; onDelete: string }[];
}

/** Tables that hold no person's data (or only an operator's audit reference, nulled on deletion), with why. */
export const INSTANCE_TABLES: Readonly<Record<string, string>> = {
  kysely_migration: 'schema bookkeeping',
  kysely_migration_lock: 'schema bookkeeping',
  plan: "the instance's plan catalog",
  plan_version: "the instance's plan catalog (the operator who made a version is unlinked when their account is deleted)",
  instance_setting: "operators' settings (the operator who changed one is unlinked when their account is deleted)",
  rate_limit: 'short-lived throttling counters keyed by a hash, expiring within the hour',
  worker_node: 'the worker processes of the instance',
  billing_counter: "the instance's invoice number sequence",
  billing_event: "payment providers' webhook receipts (event ids and types only)",
  lab_winner: 'anonymous aggregates of how packs perform (the operator who promoted a variant is unlinked)',
  data_key: "encryption keys: never exported; a space's key is destroyed with the space (crypto-shredding)",
  privacy_deletion: 'the record of a deletion itself: the account id, dates, steps and counts, no personal data',
  pack_version:
    "the pack catalog; the versions a person installed are exported as pack_version, a creator's published versions stay for the people who installed them, with the publisher unlinked",
};

/** Kept by law after an account is deleted, and why (the export and the deletion report say so too). */
export const KEPT_TABLES: Readonly<Record<string, string>> = {
  invoice:
    'Invoices and receipts must be kept for the years tax law requires (operator setting billing.seller.retainYears); kept as issued, unlinked from the deleted account and space.',
  ledger_entry: 'Marketplace ledger entries are accounting records tax law requires; kept with the amounts only, anonymised (no account).',
  payout: 'Payouts to a creator are accounting records tax law requires; kept with the amounts only, anonymised (no account).',
};

/** Columns never written to an export: secrets and hashes of secrets. File contents go to files/ instead. */
export const SECRET_COLUMNS = new Set([
  'password_hash',
  'totp_secret',
  'totp_pending_secret',
  'token_hash',
  'webhook_token_hash',
  'webhook_secret',
  'credentials',
  'api_key',
  'payout_details',
  'wrapped',
  'p256dh',
  'auth',
  'link_hash',
  'report_token_hash',
]);

/** Columns of bytea that hold a file: written to files/<table>/<id>/ in the archive. */
export const FILE_COLUMNS: Readonly<Record<string, { column: string; name: string }>> = {
  uploaded_file: { column: 'content', name: 'name' },
  listing_screenshot: { column: 'bytes', name: 'id' },
};

/** An account column that names the owner of the row (the row goes with the account), not who touched it. */
export function isOwnerColumn(fk: { column: string; onDelete: string }): boolean {
  return fk.onDelete !== 'n' || fk.column === 'account_id' || fk.column === 'creator_account_id';
}

export type TableRule =
  | { kind: 'account' }
  | { kind: 'space' }
  | { kind: 'tenant'; visibility: boolean; ownerColumns: string[] }
  | { kind: 'personal'; ownerColumns: string[] }
  | { kind: 'instance'; why: string }
  | { kind: 'unclassified' };

export function ruleFor(t: TableInfo): TableRule {
  if (t.name === 'account') return { kind: 'account' };
  if (t.name === 'space') return { kind: 'space' };
  const why = INSTANCE_TABLES[t.name];
  if (why) return { kind: 'instance', why };
  const ownerColumns = t.accountFks.filter(isOwnerColumn).map((f) => f.column);
  if (t.columns.has('space_id'))
    return { kind: 'tenant', visibility: t.columns.has('visibility') && t.columns.has('owner_account_id'), ownerColumns };
  if (ownerColumns.length) return { kind: 'personal', ownerColumns };
  // A pack listing and its screenshots belong to their creator through the listing.
  if (t.name === 'listing_screenshot') return { kind: 'personal', ownerColumns: [] };
  return { kind: 'unclassified' };
}

/** The archive format; bump on an incompatible change (docs/export-format.md). */
export const EXPORT_FORMAT_VERSION = 1;
export const EXPORT_SCHEMA_URL = 'https://github.com/connectsoft/connectsoft.me/blob/main/docs/export-format.md';

/** A person's redaction pattern must compile and must not match the empty string (it would mask everything). */
export function redactionProblem(pattern: string): string | null {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'gu');
  } catch (e) {
    return `not a valid regular expression: ${(e as Error).message}`;
  }
  if (re.test('')) return 'the pattern matches an empty text, so it would mask everything';
  return null;
}

export function compileRedactions(patterns: readonly string[]): RegExp[] {
  const out: RegExp[] = [];
  for (const p of patterns) if (!redactionProblem(p)) out.push(new RegExp(p, 'gu'));
  return out;
}

/** A space's history window: the plan's, or after a downgrade the longer old one until 30 days have passed. */
export function historyWindowDays(current: number, endedWithin30Days: readonly number[]): number {
  return Math.max(current, ...endedWithin30Days);
}
