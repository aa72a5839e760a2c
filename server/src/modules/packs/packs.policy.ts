import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

/** What each scope means to a person, for the consent screen. */
export const SCOPE_LABELS: Record<string, { label: string; risk: 'read' | 'write' | 'external' }> = {
  'email:read': { label: 'Read your email', risk: 'read' },
  'email:write': { label: 'Label, move and draft replies in your mailbox', risk: 'write' },
  'email:send': { label: 'Send email for you (after you approve)', risk: 'external' },
  'calendar:read': { label: 'Read your calendars', risk: 'read' },
  'calendar:write': { label: 'Add and change calendar events (after you approve)', risk: 'write' },
  'feeds:read': { label: 'Read the feeds you follow', risk: 'read' },
  'files:read': { label: 'Read documents you upload', risk: 'read' },
  'http:request': { label: 'Call web addresses you allow', risk: 'external' },
  'tasks:read': { label: 'See your tasks', risk: 'read' },
  'tasks:write': { label: 'Create and complete tasks', risk: 'write' },
  'notes:read': { label: 'Read your notes', risk: 'read' },
  'notes:write': { label: 'Write notes', risk: 'write' },
  'lists:read': { label: 'See your lists', risk: 'read' },
  'lists:write': { label: 'Add items to your lists', risk: 'write' },
  'contacts:read': { label: 'See your contacts', risk: 'read' },
  'contacts:write': { label: 'Add and update contacts', risk: 'write' },
  'reminders:read': { label: 'See your reminders', risk: 'read' },
  'reminders:write': { label: 'Set reminders', risk: 'write' },
  'invoices:read': { label: 'See your invoices', risk: 'read' },
  'invoices:write': { label: 'Create invoices (sending needs your approval)', risk: 'write' },
  'expenses:read': { label: 'See your expenses', risk: 'read' },
  'expenses:write': { label: 'Record expenses', risk: 'write' },
  'documents:read': { label: 'Read your study documents', risk: 'read' },
  'documents:write': { label: 'Add uploads to your study documents, with their summaries', risk: 'write' },
  'cards:read': { label: 'See your study cards', risk: 'read' },
  'cards:write': { label: 'Create study cards', risk: 'write' },
  notify: { label: 'Send you notifications', risk: 'write' },
  model: { label: 'Use an AI model when one is configured (metered)', risk: 'external' },
};

export function scopeView(scope: string) {
  const l = SCOPE_LABELS[scope] ?? { label: scope, risk: 'write' as const };
  return { scope, label: l.label, risk: l.risk };
}

/** The hash of a pack bundle: every file (pack.json included), sorted by path. */
export function bundleHash(files: Record<string, string>): string {
  const h = createHash('sha256');
  for (const path of Object.keys(files).sort()) {
    h.update(path).update('\0').update(files[path]!).update('\0');
  }
  return h.digest('hex');
}

/** Consent must be exactly what the pack asks for: nothing missing, nothing extra. */
export function consentProblems(declared: readonly string[], granted: readonly string[]): string | null {
  const d = new Set(declared);
  const g = new Set(granted);
  const missing = [...d].filter((s) => !g.has(s));
  const extra = [...g].filter((s) => !d.has(s));
  if (missing.length) return `Allow everything the pack asks for to install it (missing: ${missing.join(', ')}).`;
  if (extra.length) return `The pack does not ask for ${extra.join(', ')}.`;
  return null;
}

/** What the platform signs for a marketplace version: the pack, its version and the hash of its bundle. */
const signedPayload = (packId: string, version: string, bundleSha256: string) =>
  Buffer.from(`csme-pack-v1\n${packId}\n${version}\n${bundleSha256}`, 'utf8');

/** Signs an approved bundle with the instance's Ed25519 pack-signing key (base64 signature). */
export function signPackBundle(privateKeyPem: string, packId: string, version: string, bundleSha256: string): string {
  return sign(null, signedPayload(packId, version, bundleSha256), createPrivateKey(privateKeyPem)).toString('base64');
}

/** True when `signature` is this instance's signature of exactly this pack, version and bundle hash. */
export function verifyPackSignature(
  publicKeyPem: string,
  packId: string,
  version: string,
  bundleSha256: string,
  signature: string,
): boolean {
  try {
    return verify(null, signedPayload(packId, version, bundleSha256), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * The integrity of a catalog version before it is installed: its files hash to the recorded hash
 * (built-in packs are checked by hash as shipped), and a marketplace or imported version also carries
 * the platform's signature of that hash. Returns the problem, or null.
 */
export function integrityProblem(
  publicKeyPem: string,
  v: { pack_id: string; version: string; source: string; files: unknown; bundle_sha256: string; signature: string | null },
): string | null {
  const files = (v.files ?? {}) as Record<string, string>;
  if (bundleHash(files) !== v.bundle_sha256) return 'its files do not match the hash recorded when it was published';
  if (v.source === 'builtin') return null;
  if (!v.signature) return 'it carries no signature of this platform';
  if (!verifyPackSignature(publicKeyPem, v.pack_id, v.version, v.bundle_sha256, v.signature)) return 'its signature does not verify';
  return null;
}

/** Scopes a new version asks for beyond what was granted, and scopes it no longer needs. */
export function scopeDiff(granted: readonly string[], wanted: readonly string[]): { added: string[]; removed: string[] } {
  const g = new Set(granted);
  const w = new Set(wanted);
  return { added: [...w].filter((s) => !g.has(s)).sort(), removed: [...g].filter((s) => !w.has(s)).sort() };
}
