/**
 * What the executor stores of a step's input and output: built-in sensitive patterns masked (card
 * numbers, IBANs, one-time codes, secrets by key name), and large values cut to a preview.
 */

const MAX_STORED_BYTES = 16 * 1024;
const SECRET_KEY = /pass(word)?|secret|token|api[_-]?key|authorization|cookie|credential/i;

function luhn(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** Masks payment card numbers (Luhn-valid, 13-19 digits), IBANs and one-time codes in free text. */
export function maskText(s: string): string {
  return s
    .replace(/\b(?:\d[ -]?){13,19}\b/g, (m) => {
      const digits = m.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhn(digits) ? `[card •••• ${digits.slice(-4)}]` : m;
    })
    .replace(/\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g, (m) => `[IBAN •••• ${m.replace(/ /g, '').slice(-4)}]`)
    .replace(
      /\b((?:verification|security|one[- ]time|login|sign[- ]in|confirmation|otp|2fa|auth(?:entication)?)\s*(?:code|pin|password)?\s*(?:is|:)?\s*)(\d{4,8})\b/gi,
      (_, p: string) => `${p}[code]`,
    );
}

export function maskValue(v: unknown, extra: RegExp[] = [], depth = 0): unknown {
  if (depth > 20) return '[deep]';
  if (typeof v === 'string') {
    let out = maskText(v);
    for (const re of extra) out = out.replace(re, '[masked]');
    return out;
  }
  if (Array.isArray(v)) return v.map((x) => maskValue(x, extra, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) ? '[secret]' : maskValue(x, extra, depth + 1);
    return out;
  }
  return v;
}

/** The value as stored in a step record: masked, and cut when large. */
export function storedPayload(v: unknown, extra: RegExp[] = []): unknown {
  if (v === undefined) return null;
  const masked = maskValue(v, extra);
  const json = JSON.stringify(masked) ?? 'null';
  if (Buffer.byteLength(json) <= MAX_STORED_BYTES) return masked;
  return { truncated: true, bytes: Buffer.byteLength(json), preview: json.slice(0, 4096) };
}

/** Queue priority by plan: graphile-worker runs smaller numbers first. */
export const priorityFor = (queuePriority: 'normal' | 'high') => (queuePriority === 'high' ? 0 : 10);

export const RUN_MAX_ATTEMPTS = 5;
