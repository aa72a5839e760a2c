import { z } from 'zod';
import { endpoint } from './http.js';

const tags = ['models'];

export const MODEL_PROVIDERS = ['openai', 'azure', 'openai-compatible'] as const;
export const ModelProvider = z.enum(MODEL_PROVIDERS);

export const ModelStatus = z.object({
  /** What agents in this space use when they may use a model. */
  source: z.enum(['none', 'operator', 'personal']),
  provider: ModelProvider.nullable(),
  model: z.string().nullable(),
  localOnly: z.boolean(),
  personal: z.object({ provider: ModelProvider, model: z.string(), baseUrl: z.string().nullable(), keySet: z.literal(true) }).nullable(),
  /** Bringing your own key needs a plan with all connectors. */
  personalAllowed: z.boolean(),
  last30Days: z.object({ calls: z.number().int(), tokensIn: z.number().int(), tokensOut: z.number().int(), costMicros: z.number().int() }),
});
export type ModelStatus = z.infer<typeof ModelStatus>;

export const getModelStatus = endpoint({
  method: 'GET',
  path: '/api/v1/models',
  summary: 'Which model agents in the active space use, and what they used',
  tags,
  response: ModelStatus,
});

export const PersonalModelInput = z.strictObject({
  provider: ModelProvider,
  model: z.string().trim().min(1).max(100),
  apiKey: z.string().min(1).max(500),
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .optional(),
  azureResource: z.string().max(100).optional(),
  azureApiVersion: z.string().max(40).optional(),
});
export const setPersonalModel = endpoint({
  method: 'PUT',
  path: '/api/v1/models/personal',
  summary: 'Use your own model provider key in this space (kept encrypted; never shown again)',
  tags,
  body: PersonalModelInput,
  response: ModelStatus,
});
export const removePersonalModel = endpoint({
  method: 'DELETE',
  path: '/api/v1/models/personal',
  summary: 'Stop using your own key',
  tags,
  response: ModelStatus,
});
export const setLocalOnly = endpoint({
  method: 'PUT',
  path: '/api/v1/models/local-only',
  summary: 'Keep every agent of the active space on the local engine (no model provider)',
  tags,
  body: z.strictObject({ localOnly: z.boolean() }),
  response: ModelStatus,
});
