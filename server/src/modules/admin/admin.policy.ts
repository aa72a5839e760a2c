/** The longest an operator acts as a person in one go, whatever the consent allows. */
const IMPERSONATION_MAX_MS = 2 * 3_600_000;

/** When an impersonation session ends: with the consent, or after IMPERSONATION_MAX_MS, whichever is first. */
export function impersonationEnds(now: Date, consentEnds: Date): Date {
  return new Date(Math.min(consentEnds.getTime(), now.getTime() + IMPERSONATION_MAX_MS));
}
