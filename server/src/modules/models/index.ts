// Models: the local engine is always there; a model provider (the operator's, or a person's own key on
// plans with all connectors) is used through the AI SDK when a space and pack allow it, and every call
// is metered (tokens, latency, cost) and logged. It does not decide which steps use a model (packs do).
import type { ModuleDef } from '#core/module.js';
import { modelPricesSetting, modelsSetting } from './models.config.js';
import { modelsRoutes } from './models.routes.js';

export { modelPricesSetting, modelsSetting } from './models.config.js';
export { getModelAccess, type ModelConfig } from './models.service.js';

export const modelsModule: ModuleDef = { name: 'models', routes: modelsRoutes, settings: [modelsSetting, modelPricesSetting] };
