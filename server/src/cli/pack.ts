import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ManifestError, type ManifestProblem } from '@csme/sdk';
import { isAppError } from '#core/errors.js';

/** The creator commands `csme pack init|validate|test|build|publish`: no database, no keys, no server (publish calls the instance's API). */

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

// ---------------------------------------------------------------- csme pack init

/** Scaffolds a pack folder that validates and tests as it is: a manual agent with a code step and a fixture. */
export function initPackDir(dir: string, o: { id: string; name: string }): { files: string[] } {
  const root = resolve(dir);
  if (existsSync(join(root, 'pack.json'))) throw new Error(`${root} already has a pack.json`);
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(o.id)) throw new Error('the id must be kebab-case, such as my-pack');
  const manifest = {
    manifestVersion: 1,
    id: o.id,
    version: '0.1.0',
    platform: '>=1.0.0 <2.0.0',
    name: o.name,
    description: 'What this pack does for a person, in one or two sentences.',
    persona: 'anyone',
    icon: '✨',
    categories: ['productivity'],
    settings: { type: 'object', properties: {}, additionalProperties: false },
    connectors: [],
    scopes: ['tasks:read', 'notify'],
    agents: [
      {
        id: 'open-tasks',
        name: 'Open tasks',
        description: 'Counts your open tasks and tells you how many there are.',
        triggers: [{ type: 'manual' }],
        steps: [
          { id: 'count', code: 'steps/count.js', skills: ['tasks.list'] },
          {
            id: 'tell',
            skill: 'notify.person',
            input: { title: 'Open tasks', body: 'You have {{$.steps.count.output.open}} open tasks.' },
          },
        ],
      },
    ],
  };
  const files: Record<string, string> = {
    'pack.json': `${JSON.stringify(manifest, null, 2)}\n`,
    'steps/count.js': `// Runs in the platform's sandbox: no network, no files; only the skills listed in the step.\nasync function main(input, platform) {\n  const r = await platform.call('tasks.list', { status: 'open', limit: 100 });\n  return { open: r.tasks.length };\n}\n`,
    'fixtures/two-open-tasks.json': `${JSON.stringify(
      {
        agent: 'open-tasks',
        skills: { 'tasks.list': { tasks: [{ title: 'Call the bank' }, { title: 'Book the dentist' }] } },
        expect: { 'steps.count.output.open': 2, suggestions: 1 },
      },
      null,
      2,
    )}\n`,
    'README.md': `# ${o.name}\n\nValidate: \`csme pack validate .\`  Test: \`csme pack test .\`  Publish: \`csme pack publish . --url https://your.instance\` (with CSME_TOKEN).\n`,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { files: Object.keys(files) };
}

// ---------------------------------------------------------------- csme pack test

/** A fixture: which agent, its trigger data and settings, what read skills answer, and what to expect. */
interface Fixture {
  agent: string;
  trigger?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  /** Outputs of skills that read a person's data (the test never touches a database). */
  skills?: Record<string, unknown>;
  /** `steps.<id>.output.<path>`: expected value; `suggestions`: how many act-skill suggestions. */
  expect?: Record<string, unknown>;
}

export interface FixtureResult {
  fixture: string;
  ok: boolean;
  steps: number;
  suggestions: Array<{ skill: string; input: unknown }>;
  problems: string[];
}

/**
 * Runs each fixture in `fixtures/*.json` against the pack's agent with the local engine: templates and
 * conditions as the runtime resolves them, code steps in the same sandbox with only their listed skills,
 * pure skills for real, read skills answered by the fixture, act skills recorded as the suggestions a
 * person would see, model steps through their local fallback. No database, no keys, no network.
 */
export async function testPackDir(dir: string): Promise<{ ok: boolean; results: FixtureResult[]; problems: ManifestProblem[] }> {
  const check = await checkPackDir(dir);
  if (!check.ok) return { ok: false, results: [], problems: check.problems };
  const { readPackDir } = await import('#modules/packs/index.js');
  const { findSkill } = await import('#core/skill.js');
  const { runSandboxed } = await import('#modules/runs/index.js');
  const { evaluateCondition, getPath, resolveTemplate } = await import('@csme/sdk');
  const modules = await loadModules();
  const pack = readPackDir(resolve(dir));
  const fixtureDir = join(resolve(dir), 'fixtures');
  const names = existsSync(fixtureDir)
    ? readdirSync(fixtureDir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
  if (!names.length)
    return { ok: false, results: [], problems: [{ path: 'fixtures', message: 'add at least one fixtures/*.json (see csme pack init)' }] };
  const results: FixtureResult[] = [];
  for (const name of names) {
    const problems: string[] = [];
    const suggestions: FixtureResult['suggestions'] = [];
    let fx: Fixture;
    try {
      fx = JSON.parse(readFileSync(join(fixtureDir, name), 'utf8')) as Fixture;
    } catch (e) {
      results.push({ fixture: name, ok: false, steps: 0, suggestions, problems: [`not valid JSON: ${(e as Error).message}`] });
      continue;
    }
    const agent = pack.manifest.agents.find((a) => a.id === fx.agent);
    if (!agent) {
      results.push({ fixture: name, ok: false, steps: 0, suggestions, problems: [`the pack has no agent "${fx.agent}"`] });
      continue;
    }
    const data: Record<string, unknown> = {
      trigger: fx.trigger ?? {},
      settings: fx.settings ?? {},
      steps: {} as Record<string, unknown>,
      now: new Date().toISOString(),
      person: { name: 'Test Person', timeZone: 'UTC', locale: 'en' },
    };
    const callSkill = async (skillId: string, input: unknown): Promise<unknown> => {
      const skill = findSkill(modules, skillId);
      if (!skill) throw new Error(`there is no skill "${skillId}"`);
      const missing = skill.scopes.filter((s) => !pack.manifest.scopes.includes(s as never));
      if (missing.length) throw new Error(`${skillId} needs ${missing.join(', ')}, which the pack does not declare`);
      if (skill.kind === 'act') {
        suggestions.push({ skill: skillId, input });
        return { suggested: true };
      }
      if (fx.skills && skillId in fx.skills) return fx.skills[skillId];
      if (skill.pure) {
        const parsed = skill.input.parse(input);
        return skill.run({ now: new Date(), timeZone: 'UTC', locale: 'en', model: null } as never, parsed);
      }
      throw new Error(`${skillId} reads a person's data: give its output in the fixture's "skills"`);
    };
    let steps = 0;
    try {
      for (const step of agent.steps) {
        if (step.when && !evaluateCondition(step.when, data)) continue;
        const items = step.forEach ? ((getPath(data, step.forEach) as unknown[] | null) ?? []).slice(0, 50) : [undefined];
        const outputs: unknown[] = [];
        for (const item of items) {
          const scope = step.forEach ? { ...data, item } : data;
          steps++;
          if ('skill' in step) outputs.push(await callSkill(step.skill, resolveTemplate(step.input, scope)));
          else if ('code' in step) {
            const hostCalls: Record<string, (args: unknown) => Promise<unknown>> = {};
            for (const id of step.skills) hostCalls[id] = (args) => callSkill(id, args);
            const r = await runSandboxed({
              source: pack.files[step.code]!,
              input: resolveTemplate(step.input, scope),
              hostCalls,
              limits: { timeoutMs: 10_000 },
            });
            if (!r.ok) throw new Error(`step ${step.id}: ${r.error.kind}: ${r.error.message}`);
            outputs.push(r.output);
          } else outputs.push(await callSkill(step.fallback.skill, resolveTemplate(step.fallback.input, scope)));
        }
        (data.steps as Record<string, unknown>)[step.id] = { output: step.forEach ? outputs : outputs[0] };
      }
    } catch (e) {
      problems.push((e as Error).message);
    }
    for (const [path, want] of Object.entries(fx.expect ?? {})) {
      const got = path === 'suggestions' ? suggestions.length : getPath(data, path.startsWith('$.') ? path : `$.${path}`);
      if (JSON.stringify(got) !== JSON.stringify(want))
        problems.push(`${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
    results.push({ fixture: name, ok: problems.length === 0, steps, suggestions, problems });
  }
  return { ok: results.every((r) => r.ok), results, problems: [] };
}

// ---------------------------------------------------------------- csme pack publish

/**
 * Builds the bundle and uploads it with a personal API token (scope packs:publish). The answer is the
 * submission: checks, and whether it waits for review or was approved at once.
 */
export async function publishPackDir(
  dir: string,
  o: { url: string; token: string; changelog?: string },
): Promise<
  | { ok: true; submission: { id: string; packId: string; version: string; status: string } }
  | { ok: false; message: string; problems?: ManifestProblem[] }
> {
  const built = await buildPackDir(dir);
  if (!built.ok) return { ok: false, message: 'the pack is not valid', problems: built.problems };
  const bundle = readFileSync(built.file).toString('base64');
  let res: Response;
  try {
    res = await fetch(new URL('/api/v1/creator/submissions', o.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ bundle, changelog: o.changelog ?? '' }),
    });
  } catch (e) {
    return { ok: false, message: `cannot reach ${o.url}: ${(e as Error).message}` };
  }
  const body = (await res.json().catch(() => ({}))) as {
    id?: string;
    packId?: string;
    version?: string;
    status?: string;
    error?: { message: string; details?: { checks?: Array<{ ok: boolean; message: string; check: string }> } };
  };
  if (!res.ok) {
    const failed = body.error?.details?.checks?.filter((c) => !c.ok).map((c) => ({ path: c.check, message: c.message }));
    return { ok: false, message: body.error?.message ?? `the server answered ${res.status}`, problems: failed };
  }
  return { ok: true, submission: { id: body.id!, packId: body.packId!, version: body.version!, status: body.status! } };
}
