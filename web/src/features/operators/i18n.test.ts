import { describe, expect, it } from 'vitest';
import { consentMessages } from '../consent/i18n';
import { promoteMessages } from '../promote/i18n';
import { operatorsMessages } from './i18n';

/** Every key path of a message tree, plural forms folded into their base key (Hebrew has more forms than English). */
function keys(tree: object, prefix = ''): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(tree)) {
    const path = `${prefix}${k.replace(/_(zero|one|two|few|many|other)$/, '')}`;
    if (v && typeof v === 'object') for (const x of keys(v, `${path}.`)) out.add(x);
    else out.add(path);
  }
  return out;
}

describe('the operators, consent and promote messages', () => {
  it.each([
    ['operators', operatorsMessages],
    ['consent', consentMessages],
    ['promote', promoteMessages],
  ])('%s: Hebrew has every English message and nothing else, in Hebrew letters', (_name, m) => {
    expect([...keys(m.he)].sort()).toEqual([...keys(m.en)].sort());
    const texts: string[] = [];
    const walk = (o: object) => {
      for (const v of Object.values(o)) typeof v === 'string' ? texts.push(v) : walk(v);
    };
    walk(m.he);
    const hebrew = texts.filter((s) => /[\u0590-\u05FF]/.test(s));
    // A few values are names or formats that stay as they are (JSON, SMTP, connectsoft.io).
    expect(hebrew.length / texts.length).toBeGreaterThan(0.9);
  });
});
