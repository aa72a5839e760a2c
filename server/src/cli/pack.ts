import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ManifestError, type ManifestProblem } from '@csme/sdk';
import { isAppError } from '#core/errors.js';

/** The creator commands `csme pack validate|build`: no database, no keys, no server. */

export type PackCheck =
  | { ok: true; id: string; version: string; agents: number; scopes: string[]; files: Record<string, string>; hash: string }
  | { ok: false; problems: ManifestProblem[] };

async function loadModules() {
  return (await import('#modules/index.js')).modules;
}

export async function checkPackDir(dir: string): Promise<PackCheck> {
  const { readPackDir, skillProblems } = await import('#modules/packs/index.js');
  try {
    const pack = readPackDir(resolve(dir));
    const problems = skillProblems(pack.manifest, await loadModules());
    if (problems.length) return { ok: false, problems };
    return {
      ok: true,
      id: pack.manifest.id,
      version: pack.manifest.version,
      agents: pack.manifest.agents.length,
      scopes: pack.manifest.scopes,
      files: pack.files,
      hash: pack.hash,
    };
  } catch (e) {
    if (isAppError(e)) {
      const listed = (e.details as { problems?: ManifestProblem[] } | undefined)?.problems;
      return { ok: false, problems: listed ?? [{ path: '(pack)', message: e.message }] };
    }
    throw e;
  }
}

export async function buildPackDir(
  dir: string,
): Promise<{ ok: true; file: string; bytes: number; hash: string } | { ok: false; problems: ManifestProblem[] }> {
  const root = resolve(dir);
  const ts = join(root, 'pack.ts');
  if (existsSync(ts)) {
    try {
      const mod = (await import(pathToFileURL(ts).href)) as { default?: unknown };
      if (!mod.default) return { ok: false, problems: [{ path: 'pack.ts', message: 'must `export default definePack({...})`' }] };
      writeFileSync(join(root, 'pack.json'), `${JSON.stringify(mod.default, null, 2)}\n`);
    } catch (e) {
      if (e instanceof ManifestError) return { ok: false, problems: e.problems };
      return { ok: false, problems: [{ path: 'pack.ts', message: (e as Error).message }] };
    }
  }
  const check = await checkPackDir(root);
  if (!check.ok) return check;
  const { packBundle } = await import('#modules/packs/index.js');
  const bundle = await packBundle(check.files);
  mkdirSync(join(root, 'dist'), { recursive: true });
  const file = join(root, 'dist', `${check.id}-${check.version}.tgz`);
  writeFileSync(file, bundle);
  return { ok: true, file, bytes: bundle.length, hash: check.hash };
}
