import { describe, expect, it } from 'vitest';
import { allNamespaces, initI18n } from '.';

/** Every key of a namespace, flattened (`a.b.c`). */
function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}
const PLURAL = /_(zero|one|two|few|many|other)$/;

describe('the messages', () => {
  it('say everything in Hebrew that they say in English, with every plural form Hebrew needs', async () => {
    const i18n = initI18n('en');
    await i18n.loadNamespaces(allNamespaces());
    await i18n.loadLanguages('he');
    const data = i18n.store.data as Record<'en' | 'he', Record<string, object>>;
    const problems: string[] = [];
    for (const ns of Object.keys(data.en)) {
      const en = new Set(keys(data.en[ns]!).map((k) => k.replace(PLURAL, '')));
      const heAll = keys(data.he[ns] ?? {});
      const he = new Set(heAll.map((k) => k.replace(PLURAL, '')));
      for (const k of en) if (!he.has(k)) problems.push(`${ns}:${k} has no Hebrew`);
      for (const k of he) if (!en.has(k)) problems.push(`${ns}:${k} has no English`);
      // Hebrew counts one, two and other (Intl.PluralRules('he')).
      const plurals = new Set(heAll.filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, '')));
      for (const k of plurals)
        for (const form of new Intl.PluralRules('he').resolvedOptions().pluralCategories)
          if (!heAll.includes(`${k}_${form}`)) problems.push(`${ns}:${k}_${form} is missing in Hebrew`);
    }
    expect(problems).toEqual([]);
  });
});
