// The public creator SDK (semver): the pack manifest schema, definePack, and the template rules
// steps use. Everything here is pure: it runs in the platform, the CLI and a creator's own tests.
import { type PackManifest, type PackManifestInput, validateManifest } from './manifest.js';

export * from './manifest.js';
export { evaluateCondition, getPath, resolveTemplate } from './template.js';

export class ManifestError extends Error {
  readonly problems: { path: string; message: string }[];
  constructor(problems: { path: string; message: string }[]) {
    super(`The pack manifest is not valid:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ManifestError';
    this.problems = problems;
  }
}

/**
 * Defines a pack in TypeScript; `csme pack build DIR` writes its pack.json. Throws a ManifestError listing every problem.
 *
 * @example
 * ```ts
 * export default definePack({ manifestVersion: 1, id: 'my-pack', version: '0.1.0', platform: '>=1.0.0', name: 'My pack',
 *   description: 'What it does', persona: 'anyone', icon: '✨',
 *   agents: [{ id: 'a', name: 'A', description: 'Does A', triggers: [{ type: 'manual' }], steps: [{ id: 's', skill: 'text.summarize', input: { text: '$.trigger.text', maxSentences: 2 } }] }] });
 * ```
 */
export function definePack(manifest: PackManifestInput): PackManifest {
  const r = validateManifest(manifest);
  if (!r.ok) throw new ManifestError(r.problems);
  return r.manifest;
}
