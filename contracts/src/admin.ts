import { z } from 'zod';
import { endpoint } from './http.js';

const tags = ['admin'];

export const SettingView = z.object({ key: z.string(), description: z.string(), value: z.record(z.string(), z.unknown()) });
export type SettingView = z.infer<typeof SettingView>;

export const listSettings = endpoint({
  method: 'GET',
  path: '/api/v1/admin/settings',
  summary: 'Instance settings (operators only; secrets show only whether they are set)',
  tags,
  response: z.object({ settings: z.array(SettingView) }),
});

export const UpdateSettingInput = z.strictObject({ value: z.record(z.string(), z.unknown()) });
export const updateSetting = endpoint({
  method: 'PUT',
  path: '/api/v1/admin/settings/:key',
  summary: 'Change an instance setting; applies without a restart (operators only)',
  tags,
  params: z.strictObject({ key: z.string().regex(/^[a-zA-Z][a-zA-Z0-9.]{0,63}$/) }),
  body: UpdateSettingInput,
  response: SettingView,
});
