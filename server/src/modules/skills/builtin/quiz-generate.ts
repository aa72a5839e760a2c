import { QuizGenerateInput, QuizGenerateOutput, type QuizQuestion } from '@csme/contracts/skills';
import { defineSkill } from '#core/skill.js';
import { tryModel } from './model.js';
import { readSentences, type Sentence } from './nlp.js';
import { htmlToText, looksLikeHtml } from './text.js';
import { scoreSentences } from './text-summarize.js';

interface Candidate {
  answer: string;
  kind: 'number' | 'name' | 'term';
}

/** Nouns too general to make a question worth asking. */
const GENERIC =
  /^(?:place|process|way|thing|things|time|times|part|parts|kind|type|lot|number|use|example|fact|result|results|people|person|year|years|day|days|case|point|end|side|form|level|area|order|amount|group|set|lots|bit|sort|home|work|world|life|hand|today|tomorrow)$/i;

/** The best thing to ask about in a sentence: a number or year, a name, else its rarest noun phrase. */
function candidatesOf(s: Sentence, df: Map<string, number>): Candidate[] {
  const out: Candidate[] = [];
  let run: string[] = [];
  let kind: Candidate['kind'] = 'term';
  const flush = () => {
    if (run.length) out.push({ answer: run.join(' '), kind });
    run = [];
  };
  s.tokens.forEach((t, i) => {
    if (t.pos === 'NUM' && /\d/.test(t.value)) {
      flush();
      out.push({ answer: t.value, kind: 'number' });
    } else if (t.pos === 'PROPN' && i > 0 && /^\p{Lu}/u.test(t.value)) {
      if (kind !== 'name') flush();
      kind = 'name';
      run.push(t.value);
    } else if (t.pos === 'NOUN' && !t.stop && /^\p{L}{3,}$/u.test(t.value)) {
      if (kind !== 'term') flush();
      kind = 'term';
      run.push(t.value);
    } else flush();
  });
  flush();
  const rarity = (c: Candidate) =>
    (c.kind === 'number' ? 3 : c.kind === 'name' ? 2.5 : 1) +
    (c.answer.includes(' ') ? 0.75 : 0) +
    Math.min(c.answer.length, 12) / 12 +
    1 / (df.get(c.answer.toLowerCase()) ?? 1);
  return out
    .filter((c) => c.answer.length > 1 && s.text.includes(c.answer) && !GENERIC.test(c.answer))
    .sort((a, b) => rarity(b) - rarity(a));
}

async function quizLocal(text: string, count: number): Promise<QuizQuestion[]> {
  const plain = looksLikeHtml(text) ? htmlToText(text) : text;
  if (!plain.trim()) return [];
  const sentences = (await readSentences(plain)).filter((s) => s.text.length >= 20 && s.text.length <= 400);
  const df = new Map<string, number>();
  for (const s of sentences) for (const w of new Set(s.words)) df.set(w, (df.get(w) ?? 0) + 1);
  const scores = scoreSentences(sentences);
  const ranked = sentences.map((s, i) => ({ s, score: scores[i]! })).sort((a, b) => b.score - a.score);
  const picked: { sentence: Sentence; c: Candidate }[] = [];
  const pool: Record<Candidate['kind'], Set<string>> = { number: new Set(), name: new Set(), term: new Set() };
  for (const s of sentences) for (const c of candidatesOf(s, df)) pool[c.kind].add(c.answer);
  const asked = new Set<string>();
  for (const { s } of ranked) {
    if (picked.length >= count) break;
    const c = candidatesOf(s, df).find((x) => !asked.has(x.answer.toLowerCase()));
    if (!c) continue;
    asked.add(c.answer.toLowerCase());
    picked.push({ sentence: s, c });
  }
  return picked.map(({ sentence, c }, i) => {
    const blanked = sentence.text.replace(c.answer, '_____');
    const others = [...pool[c.kind]].filter((a) => a.toLowerCase() !== c.answer.toLowerCase() && !sentence.text.includes(a));
    if (i % 2 === 1 && others.length >= 3) {
      const distractors = others.sort((a, b) => Math.abs(a.length - c.answer.length) - Math.abs(b.length - c.answer.length)).slice(0, 3);
      const choices = [c.answer, ...distractors];
      // A fixed shuffle, so the same text gives the same quiz.
      const at = (sentence.text.length + i) % choices.length;
      [choices[0], choices[at]] = [choices[at]!, choices[0]!];
      return { type: 'choice' as const, question: `Which completes the sentence? ${blanked}`, answer: c.answer, choices };
    }
    return { type: 'cloze' as const, question: blanked, answer: c.answer };
  });
}

export const quizGenerate = defineSkill({
  id: 'quiz.generate',
  description: 'Makes up to count quiz questions (cloze or multiple choice) from a text; every answer is words of the text.',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: QuizGenerateInput,
  output: QuizGenerateOutput,
  async run(sctx, input) {
    if (input.text.length <= 50_000) {
      const viaModel = await tryModel(
        sctx,
        QuizGenerateOutput,
        {
          system: `Write ${input.count} quiz questions about the text: type "cloze" (a sentence of the text with the answer replaced by _____) or "choice" (with 4 choices, one of them the answer). Every answer must be words copied exactly from the text.`,
          prompt: input.text,
        },
        (out) =>
          out.length <= input.count && out.every((q) => input.text.includes(q.answer) && (!q.choices || q.choices.includes(q.answer))),
      );
      if (viaModel) return viaModel;
    }
    return quizLocal(input.text, input.count);
  },
});
