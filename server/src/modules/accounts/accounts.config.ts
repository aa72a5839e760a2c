import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

export const authSetting = defineSetting({
  key: 'auth',
  description: 'Sessions, sign-in throttling and the lifetime of emailed links',
  schema: z.object({
    signUpOpen: z.boolean(),
    sessionDays: z.number().int().min(1).max(365),
    signInWindowMinutes: z.number().int().min(1).max(1440),
    maxFailuresPerEmail: z.number().int().min(3).max(1000),
    maxFailuresPerIp: z.number().int().min(10).max(100000),
    verifyEmailHours: z.number().int().min(1).max(720),
    passwordResetMinutes: z.number().int().min(5).max(1440),
  }),
  defaults: {
    signUpOpen: true,
    sessionDays: 30,
    signInWindowMinutes: 15,
    maxFailuresPerEmail: 10,
    maxFailuresPerIp: 100,
    verifyEmailHours: 48,
    passwordResetMinutes: 60,
  },
});
