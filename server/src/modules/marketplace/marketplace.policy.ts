import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import semver from 'semver';

// Pure marketplace rules: the 70/30 split and its proportional reversal, the publishing checks
// (semver, secrets, sandbox escapes, denylists), Markdown made safe, the analytics threshold, CSV.

/** The creator's share in basis points (PRODUCT.md: 70% creator / 30% platform, net of tax). */
const CREATOR_SHARE_BP = 7000n;
/** No behaviour figure a creator sees is drawn from fewer spaces than this. */
export const MIN_SPACES = 5;

export interface Split {
  gross: number;
  tax: number;
  creator: number;
  platform: number;
}

/**
 * How `gross` (what was paid, tax included) splits: tax in proportion to the sale's tax (rounded down),
 * the rest net of tax 70% creator (rounded down) and the remainder to the platform, so
 * creator + platform + tax = gross exactly, in integer minor units. Every part is monotone in `gross`.
 */
function splitOf(sale: { gross: number; tax: number }, gross: number): Split {
  if (!Number.isSafeInteger(gross) || gross < 0 || gross > sale.gross) throw new Error('gross must be within the sale');
  const tax = sale.gross === 0 ? 0 : Number((BigInt(sale.tax) * BigInt(gross)) / BigInt(sale.gross));
  const net = gross - tax;
  const creator = Number((BigInt(net) * CREATOR_SHARE_BP) / 10_000n);
  return { gross, tax, creator, platform: net - creator };
}

/** The split of a new sale. */
export const saleSplit = (gross: number, tax: number): Split => splitOf({ gross, tax }, gross);

/**
 * A refund of `amount` after `refundedBefore` was already refunded: the reversal is the difference
 * between what remained and what remains, so any sequence of partial refunds reverses each share in
 * proportion and a full refund brings every share to exactly 0 (never below).
 */
export function refundSplit(sale: { gross: number; tax: number }, refundedBefore: number, amount: number): Split {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new Error('a refund is a positive amount');
  if (refundedBefore + amount > sale.gross) throw new Error('a refund cannot exceed what is left of the sale');
  const before = splitOf(sale, sale.gross - refundedBefore);
  const after = splitOf(sale, sale.gross - refundedBefore - amount);
  return {
    gross: after.gross - before.gross,
    tax: after.tax - before.tax,
    creator: after.creator - before.creator,
    platform: after.platform - before.platform,
  };
}

/** True when `next` is a valid semantic version greater than `last` (or there is no last). */
export function isNewerVersion(next: string, last: string | null): boolean {
  if (!semver.valid(next)) return false;
  return last === null || semver.gt(next, last);
}

/** Patterns of credentials that must never ship in a bundle. */
const SECRET_PATTERNS: Array<[string, RegExp]> = [
  ['a private key', /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----/],
  ['an AWS access key', /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a Stripe secret key', /\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}/],
  ['a Stripe webhook secret', /\bwhsec_[0-9A-Za-z]{16,}/],
  ['a GitHub token', /\b(?:ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{30,}|\bgithub_pat_[0-9A-Za-z_]{30,}/],
  ['a Slack token', /\bxox[abposr]-[0-9A-Za-z-]{10,}/],
  ['a Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['an OpenAI key', /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}/],
  ['a connectsoft.me API token', /\bcsme_pat_[A-Za-z0-9_-]{20,}/],
  ['a JSON Web Token', /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ['a password in a URL', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s:/@]{6,}@/i],
];

/** Secrets found in a bundle's files: "steps/x.js contains a Stripe secret key". */
export function secretFindings(files: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [path, text] of Object.entries(files))
    for (const [what, re] of SECRET_PATTERNS) if (re.test(text)) out.push(`${path} contains ${what}`);
  return out;
}

/**
 * Code that tries to reach the host from a code step. The sandbox stops it anyway (QuickJS has no
 * process, require, import or host objects); refusing it at publish time names the problem early.
 */
const ESCAPE_PATTERNS: Array<[string, RegExp]> = [
  ['require()', /\brequire\s*\(/],
  ['import()', /\bimport\s*\(/],
  ['an import statement', /^\s*import\s[^(]/m],
  ['process', /\bprocess\s*[.[]/],
  ['the Function constructor', /\bFunction\s*\(|constructor\s*(?:\.|\[\s*['"`])\s*constructor/],
  ['eval', /\beval\s*\(/],
  ['__proto__', /__proto__/],
  ['WebAssembly', /\bWebAssembly\b/],
  ['SharedArrayBuffer or Atomics', /\b(?:SharedArrayBuffer|Atomics)\b/],
  ['globalThis', /\bglobalThis\b/],
];

export function escapeFindings(files: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    if (!path.endsWith('.js')) continue;
    for (const [what, re] of ESCAPE_PATTERNS)
      if (re.test(text)) out.push(`${path} uses ${what}, which a code step must not: it runs in a sandbox that has no host access`);
  }
  return out;
}

/** Words of the denylist found in listing text (whole words, any case), and links to denied hosts. */
export function denylistFindings(text: string, words: readonly string[], domains: readonly string[]): string[] {
  const out: string[] = [];
  const lower = text.toLowerCase();
  for (const w of words) {
    const word = w.trim().toLowerCase();
    if (!word) continue;
    const re = new RegExp(`(^|[^\\p{L}\\p{N}])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}\\p{N}])`, 'u');
    if (re.test(lower)) out.push(`uses the word "${w}", which is not allowed in listings`);
  }
  for (const m of lower.matchAll(/\b(?:https?:\/\/|www\.)([a-z0-9.-]+)/g)) {
    const host = m[1]!.replace(/^www\./, '');
    const hit = domains.find((d) => host === d.toLowerCase() || host.endsWith(`.${d.toLowerCase()}`));
    if (hit) out.push(`links to ${hit}, which is not allowed in listings`);
  }
  if (/\b(?:javascript|vbscript|data):/i.test(text)) out.push('has a javascript:, vbscript: or data: link, which is not allowed');
  return [...new Set(out)];
}

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
md.validateLink = (url: string) => /^(https?:|mailto:|#)/i.test(url.trim());

/**
 * A listing's Markdown as safe HTML: markdown-it with raw HTML off and only http(s)/mailto links, then
 * sanitize-html with an allowlist (no script, no event handlers, no javascript: URLs, no images from
 * elsewhere: screenshots are uploaded), links opened with rel="nofollow noopener noreferrer ugc".
 */
export function renderMarkdown(text: string): string {
  return sanitizeHtml(md.render(text), {
    allowedTags: [
      'p',
      'br',
      'strong',
      'em',
      'code',
      'pre',
      'blockquote',
      'ul',
      'ol',
      'li',
      'a',
      'h2',
      'h3',
      'h4',
      'hr',
      'table',
      'thead',
      'tbody',
      'tr',
      'th',
      'td',
    ],
    allowedAttributes: { a: ['href', 'rel', 'target'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowProtocolRelative: false,
    transformTags: {
      h1: 'h2',
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'nofollow noopener noreferrer ugc', target: '_blank' } }),
    },
  });
}

/** The image type of uploaded bytes, from their magic numbers (the declared type must match). */
export function imageTypeOf(bytes: Buffer): 'image/png' | 'image/jpeg' | 'image/webp' | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  return null;
}

/** A figure drawn from `spaces` distinct spaces, or null when that is fewer than MIN_SPACES. */
export const thresholded = <T>(spaces: number, value: T): T | null => (spaces >= MIN_SPACES ? value : null);

/** One CSV field (RFC 4180), with spreadsheet formula injection neutralised. */
function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (fields: unknown[]) => `${fields.map(csvField).join(',')}\r\n`;

/** The calendar month [start, end) of `YYYY-MM`, in UTC. */
export function monthRange(period: string): { start: Date; end: Date } {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return { start: new Date(Date.UTC(y, m - 1, 1)), end: new Date(Date.UTC(y, m, 1)) };
}

/** The month before the one that contains `now`, as `YYYY-MM`. */
export function previousMonth(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}
