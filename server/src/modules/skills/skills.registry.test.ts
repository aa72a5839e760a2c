import { listSkills as listSkillsEndpoint } from '@csme/contracts/skills';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '#core/errors.js';
import type { ModuleDef } from '#core/module.js';
import { defineSkill } from '#core/skill.js';
import { createTestEnv, signedUpClient, TestClient, type TestEnv } from '#test/harness.js';
import { getSkill, listSkills, runSkill, skillView, standaloneSkillContext } from './index.js';

const BUILTIN = [
  'calendar.conflicts',
  'dates.extract',
  'email.triage',
  'followups.detect',
  'invoice.totals',
  'quiz.generate',
  'reminders.parse',
  'shopping.parse',
  'text.summarize',
];

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

const broken = defineSkill({
  id: 'test.broken',
  description: 'answers outside its contract',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: z.strictObject({ n: z.number() }),
  output: z.object({ doubled: z.number() }),
  async run(_s, input) {
    return { doubled: String(input.n * 2) } as unknown as { doubled: number };
  },
});
const throwing = defineSkill({
  id: 'test.throwing',
  description: 'has a bug',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: z.object({}),
  output: z.object({}),
  async run() {
    throw new TypeError("Cannot read properties of undefined (reading 'x')");
  },
});
const reading = defineSkill({
  id: 'test.reading',
  description: 'reads tenant data',
  kind: 'read',
  scopes: ['tasks:read'],
  costClass: 'free',
  pure: false,
  input: z.object({}),
  output: z.object({ n: z.number() }),
  async run(sctx) {
    return sctx.inScope(async () => ({ n: 1 }));
  },
});
const testModules: ModuleDef[] = [{ name: 'test', skills: [broken, throwing, reading] }];

describe('the skill registry', () => {
  it('lists the nine built-in compute skills, sorted, each pure, free and needing no scope', () => {
    const skills = listSkills();
    expect(skills.map((s) => s.id)).toEqual(BUILTIN);
    for (const s of skills) expect([s.kind, s.pure, s.costClass, s.scopes]).toEqual(['compute', true, 'free', []]);
  });

  it('lists the skills of every module it is given, and refuses an id defined twice', () => {
    expect(listSkills(testModules).map((s) => s.id)).toEqual(['test.broken', 'test.reading', 'test.throwing']);
    expect(() => listSkills([...testModules, { name: 'again', skills: [broken] }])).toThrow(/defined twice/);
  });

  it('answers not_found for an unknown skill', async () => {
    const e = await failure(Promise.resolve().then(() => getSkill('nope.nothing')));
    expect(e.code).toBe('not_found');
  });

  it('refuses input that breaks the contract with invalid_input naming each path', async () => {
    const e = await failure(
      runSkill(standaloneSkillContext(), 'invoice.totals', { lines: [{ quantity: 'lots', unitPrice: 1.5 }], currency: 'dollars' }),
    );
    expect(e.code).toBe('invalid_input');
    const paths = (e.details as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['lines.0.quantity', 'lines.0.unitPrice', 'currency']));
    expect(e.message).toMatch(/^invoice\.totals: lines\.0\.quantity: /);
  });

  it('refuses unknown fields (a misspelt field is named, not ignored)', async () => {
    const e = await failure(runSkill(standaloneSkillContext(), 'dates.extract', { text: 'tomorrow', timezone: 'UTC' }));
    expect(e.code).toBe('invalid_input');
    expect(JSON.stringify(e.details)).toContain('timezone');
  });

  it('treats an answer that breaks the output contract as the skill’s error, not a crash', async () => {
    const e = await failure(runSkill(standaloneSkillContext(), broken, { n: 2 }));
    expect(e.code).toBe('internal');
    expect(e.message).toMatch(/breaks its contract/);
    expect((e.details as { issues: { path: string }[] }).issues[0]!.path).toBe('doubled');
  });

  it('turns a skill that throws into an internal error that names the skill', async () => {
    const e = await failure(runSkill(standaloneSkillContext(), throwing, {}));
    expect([e.code, e.message]).toEqual(['internal', expect.stringContaining('test.throwing failed')]);
  });

  it('does not run a skill that needs a space outside an instance', async () => {
    const e = await failure(runSkill(standaloneSkillContext(), reading, {}));
    expect(e.code).toBe('unavailable');
  });

  it('does not start a cancelled run', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await failure(runSkill(standaloneSkillContext({ signal: ac.signal }), 'shopping.parse', { text: 'milk' }));
    expect(e.code).toBe('unavailable');
  });

  it('describes each skill with JSON Schemas of its input and output', () => {
    const view = skillView(getSkill('reminders.parse'));
    expect(view).toMatchObject({ id: 'reminders.parse', kind: 'compute', scopes: [], costClass: 'free', pure: true });
    expect(view.input).toMatchObject({ type: 'object', required: ['text'] });
    expect(Object.keys(view.input.properties as object)).toEqual(['text', 'now', 'timeZone', 'members']);
    expect(view.output).toMatchObject({ type: 'object', required: ['title', 'due'] });
  });
});

describe('GET /api/v1/skills', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  it('is in the OpenAPI document', async () => {
    const doc = (await (await env.app()).inject({ url: '/api/openapi.json' })).json();
    expect(doc.paths['/api/v1/skills'].get.summary).toMatch(/skill/i);
  });

  it('asks who is calling', async () => {
    const r = await new TestClient(await env.app()).call(listSkillsEndpoint);
    expect(r.status).toBe(401);
  });

  it('lists every skill with its contract for a signed-in person', async () => {
    const { client } = await signedUpClient(await env.app());
    const { skills } = await client.ok(listSkillsEndpoint);
    expect(skills.map((s) => s.id)).toEqual(expect.arrayContaining(BUILTIN));
    const triage = skills.find((s) => s.id === 'email.triage')!;
    expect(triage).toMatchObject({ kind: 'compute', scopes: [], costClass: 'free', pure: true });
    expect((triage.output.properties as Record<string, { enum?: string[] }>).category!.enum).toEqual([
      'action',
      'meeting',
      'receipt',
      'newsletter',
      'notification',
      'fyi',
    ]);
  });
});
