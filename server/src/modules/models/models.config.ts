import { z } from 'zod';
import { defineSetting } from '#core/settings.js';

/** The instance's model provider, configured by the operator (agents use it when allowed). */
export const modelsSetting = defineSetting({
  key: 'models',
  description: 'The model provider the instance offers (OpenAI, Azure OpenAI or any OpenAI-compatible server such as Ollama)',
  schema: z.object({
    enabled: z.boolean(),
    provider: z.enum(['openai', 'azure', 'openai-compatible']),
    baseUrl: z.string().max(500).nullable(),
    model: z.string().max(100),
    apiKey: z.string().max(500).nullable(),
    azureResource: z.string().max(100).nullable(),
    azureApiVersion: z.string().max(40).nullable(),
    timeoutMs: z.number().int().min(1000).max(300_000),
  }),
  defaults: {
    enabled: false,
    provider: 'openai-compatible',
    baseUrl: null,
    model: 'gpt-4o-mini',
    apiKey: null,
    azureResource: null,
    azureApiVersion: null,
    timeoutMs: 30_000,
  },
  secretFields: ['apiKey'],
});

/** USD per million tokens in micro-dollars; unknown models cost the `default` entry. */
export const modelPricesSetting = defineSetting({
  key: 'modelPrices',
  description: 'The model price table (micro-dollars per million tokens) and the compute cost per run-second',
  schema: z.object({
    prices: z.record(z.string(), z.object({ inputPerMillion: z.number().int().min(0), outputPerMillion: z.number().int().min(0) })),
    computeMicrosPerRunSecond: z.number().int().min(0),
  }),
  defaults: {
    prices: {
      'gpt-4o-mini': { inputPerMillion: 150_000, outputPerMillion: 600_000 },
      'gpt-4.1-mini': { inputPerMillion: 400_000, outputPerMillion: 1_600_000 },
      'gpt-4.1-nano': { inputPerMillion: 100_000, outputPerMillion: 400_000 },
      'gpt-4o': { inputPerMillion: 2_500_000, outputPerMillion: 10_000_000 },
      default: { inputPerMillion: 500_000, outputPerMillion: 1_500_000 },
    },
    computeMicrosPerRunSecond: 20,
  },
});
