import { describe, expect, it } from 'vitest';
import { definePack, ManifestError, manifestJsonSchema, resolveTemplate, validateManifest } from './index.js';

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
