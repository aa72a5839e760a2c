import { sha256Hex } from '#core/crypto.js';

/** One spelling per address: trimmed and lower-cased (the local part too: mail providers treat it so in practice). */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export const signInEmailKey = (email: string) => `sign-in:email:${sha256Hex(normalizeEmail(email))}`;
export const signInIpKey = (ip: string) => `sign-in:ip:${ip}`;
export const resetEmailKey = (email: string) => `reset:email:${sha256Hex(normalizeEmail(email))}`;

export const SESSION_COOKIE = 'csme_session';
export const CSRF_HEADER = 'x-csrf-token';
/** The session's last-seen time is written at most this often (not on every request). */
export const TOUCH_INTERVAL_MS = 5 * 60_000;
/** Personal API tokens start with this, so they are recognisable (and findable by secret scanners). */
export const API_TOKEN_PREFIX = 'csme_pat_';
