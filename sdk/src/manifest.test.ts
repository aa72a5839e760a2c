import { describe, expect, it } from 'vitest';
import { applyVariant, assignVariant, definePack, ManifestError, manifestJsonSchema, resolveTemplate, validateManifest } from './index.js';

const base = {
  manifestVersion: 1,
  id: 'hello',
  version: '1.0.0',
  platform: '>=1.0.0',
  name: 'Hello',
  description: 'Says hello.',
  persona: 'anyone',
  icon: '👋',
  agents: [
    {
      id: 'greeter',
      name: 'Greeter',
      description: 'Greets.',
      triggers: [{ type: 'manual' }],
      steps: [{ id: 'say', skill: 'notify.person', input: { title: 'Hi' } }],
    },
  ],
};

describe('the pack manifest', () => {
  it('accepts a minimal pack and fills in defaults', () => {
    const m = definePack(base as never);
    expect(m.agents[0]!.budget).toEqual({ maxSteps: 30, maxSeconds: 60, maxModelTokens: 20_000 });
    expect(m.scopes).toEqual([]);
  });

  it('names the path and what was expected for every problem', () => {
    const r = validateManifest({
      ...base,
      agents: [{ ...base.agents[0], triggers: [{ type: 'schedule' }], steps: [{ id: 'say', skill: 'Not A Skill' }] }],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.problems.map((p) => p.path);
    expect(paths).toContain('agents[0].triggers[0]');
    expect(paths.some((p) => p.startsWith('agents[0].steps[0]'))).toBe(true);
  });

  it('refuses duplicate agent and step ids', () => {
    expect(() => definePack({ ...base, agents: [base.agents[0], base.agents[0]] } as never)).toThrow(ManifestError);
  });

  it('publishes a JSON Schema', () => {
    const s = manifestJsonSchema();
    expect((s.properties as Record<string, unknown>).agents).toBeDefined();
  });
});

describe('agent variants (the experimentation lab)', () => {
  const withVariants = (variants: unknown[], settings?: unknown) => ({
    ...base,
    ...(settings ? { settings } : {}),
    agents: [{ ...base.agents[0], variants }],
  });
  const shortPrompt = [{ id: 'say', skill: 'notify.person', input: { title: 'Hello there' } }];

  it('keeps packs without variants as they were (the field is optional)', () => {
    const m = definePack(base as never);
    expect(m.agents[0]!.variants).toBeUndefined();
  });

  it('accepts alternative step lists and setting overrides, with an even split by default', () => {
    const m = definePack(
      withVariants([{ id: 'control' }, { id: 'short', steps: shortPrompt }, { id: 'formal', settings: { tone: 'formal' }, weight: 2 }], {
        type: 'object',
        properties: { tone: { type: 'string' } },
      }) as never,
    );
    expect(m.agents[0]!.variants!.map((v) => [v.id, v.weight])).toEqual([
      ['control', 1],
      ['short', 1],
      ['formal', 2],
    ]);
  });

  it('refuses duplicate ids, a single variant, two plain variants, duplicate step ids and undeclared settings', () => {
    const problems = (variants: unknown[], settings?: unknown) => {
      const r = validateManifest(withVariants(variants, settings));
      return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
    };
    expect(problems([{ id: 'a', steps: shortPrompt }, { id: 'a' }]).join()).toContain('variant id "a" is used twice');
    expect(problems([{ id: 'a' }]).join()).toContain('agents[0].variants');
    expect(problems([{ id: 'a' }, { id: 'b' }]).join()).toContain('only one variant may be the agent as declared');
    expect(problems([{ id: 'a' }, { id: 'b', steps: [...shortPrompt, ...shortPrompt] }]).join()).toContain(
      'step id "say" is used twice in variant b',
    );
    expect(
      problems([{ id: 'a' }, { id: 'b', settings: { colour: 'red' } }], {
        type: 'object',
        properties: { tone: { type: 'string' } },
      }).join(),
    ).toContain('agents[0].variants[1].settings.colour: "colour" is not a setting of this pack');
  });

  it('assigns deterministically: the same key always gets the same variant, and keys spread by weight', () => {
    const variants = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 2 },
    ];
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 4000; i++) {
      const key = `space-${i}:pack:agent`;
      const v = assignVariant(variants, key);
      expect(assignVariant(variants, key)).toBe(v);
      counts[v]!++;
    }
    // 1000 / 1000 / 2000 expected; a fair hash stays within a few percent.
    expect(counts.a).toBeGreaterThan(880);
    expect(counts.a).toBeLessThan(1120);
    expect(counts.c).toBeGreaterThan(1850);
    expect(counts.c).toBeLessThan(2150);
    // Known values: the assignment is part of the format (a space keeps its variant across versions of the platform).
    // FNV-1a("") = 2166136261, 2166136261 mod 4 = 1: the second bucket, variant b.
    expect(assignVariant(variants, '')).toBe('b');
    expect(assignVariant(variants, 'space-1:pack:agent')).toBe('b');
    expect(assignVariant(variants, '019ac000-0000-7000-8000-000000000001:starter:daily-digest')).toBe('a');
  });

  it('applies a variant: its steps replace the agent steps and its settings win', () => {
    const m = definePack(
      withVariants([{ id: 'control' }, { id: 'short', steps: shortPrompt, settings: { tone: 'brief' } }], {
        type: 'object',
        properties: { tone: { type: 'string' } },
      }) as never,
    );
    const agent = m.agents[0]!;
    expect(applyVariant(agent, 'short', { tone: 'warm', other: 1 })).toMatchObject({
      steps: [{ id: 'say', input: { title: 'Hello there' } }],
      settings: { tone: 'brief', other: 1 },
    });
    expect(applyVariant(agent, 'control', { tone: 'warm' })).toMatchObject({ steps: agent.steps, settings: { tone: 'warm' } });
    expect(applyVariant(agent, null, { tone: 'warm' }).variant).toBeNull();
    expect(applyVariant(agent, 'gone', { tone: 'warm' }).steps).toBe(agent.steps);
  });
});

describe('templates', () => {
  it('resolves references and inline text, and never reaches prototypes', () => {
    const data = { trigger: { subject: 'Hi', list: [{ a: 1 }] } };
    expect(resolveTemplate({ s: '$.trigger.subject', n: 'Item: {{$.trigger.list[0].a}}', x: '$.trigger.missing' }, data)).toEqual({
      s: 'Hi',
      n: 'Item: 1',
      x: null,
    });
    expect(resolveTemplate('$.trigger.__proto__', data)).toBeNull();
    expect(resolveTemplate('$.constructor', data)).toBeNull();
  });
});
