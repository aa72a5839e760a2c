import { TextSummarizeInput, TextSummarizeOutput } from '@csme/contracts/skills';
import { defineSkill } from '#core/skill.js';
import { tryModel } from './model.js';
import { readSentences, type Sentence } from './nlp.js';
import { htmlToText, looksLikeHtml } from './text.js';

/** How much each sentence says about what the whole text keeps coming back to. */
export function scoreSentences(sentences: Sentence[]): number[] {
  const tf = new Map<string, number>();
  for (const s of sentences) for (const w of new Set(s.words)) tf.set(w, (tf.get(w) ?? 0) + 1);
  return sentences.map((s, i) => {
    if (s.words.length < 3 || s.text.length > 600) return 0;
    const sum = s.words.reduce((acc, w) => acc + Math.log1p(tf.get(w) ?? 0), 0);
    const lead = i === 0 ? 1.25 : i < 3 ? 1.1 : 1;
    return (sum / Math.sqrt(s.words.length)) * lead;
  });
}

/** Noun phrases ("green plants", "Calvin cycle") ranked by how often they occur, then by length. */
function keyPhrasesOf(sentences: Sentence[], limit = 8): string[] {
  const counts = new Map<string, { text: string; n: number; first: number }>();
  let order = 0;
  for (const s of sentences) {
    let run: string[] = [];
    const flush = () => {
      while (run.length && /^(ADJ)$/.test(run[run.length - 1]!.split('\u0000')[1]!)) run.pop();
      const words = run.map((r) => r.split('\u0000')[0]!);
      if (words.length && words.join(' ').length > 3) {
        const text = words.join(' ');
        const key = text.toLowerCase();
        const c = counts.get(key) ?? { text, n: 0, first: order++ };
        c.n++;
        counts.set(key, c);
      }
      run = [];
    };
    for (const t of s.tokens) {
      if (
        (t.pos === 'NOUN' || t.pos === 'PROPN' || t.pos === 'ADJ') &&
        !t.stop &&
        /^[\p{L}][\p{L}\p{N}'-]*$/u.test(t.value) &&
        run.length < 4
      )
        run.push(`${t.value}\u0000${t.pos}`);
      else flush();
    }
    flush();
  }
  return [...counts.values()]
    .sort(
      (a, b) => b.n * (1 + 0.5 * (b.text.split(' ').length - 1)) - a.n * (1 + 0.5 * (a.text.split(' ').length - 1)) || a.first - b.first,
    )
    .slice(0, limit)
    .map((c) => c.text);
}

async function summarizeLocal(text: string, maxSentences: number) {
  const plain = looksLikeHtml(text) ? htmlToText(text) : text;
  if (!plain.trim()) return { summary: '', keyPhrases: [] };
  const sentences = await readSentences(plain);
  const scores = scoreSentences(sentences);
  const picked = scores
    .map((score, i) => ({ score, i }))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, maxSentences)
    .sort((a, b) => a.i - b.i)
    .map((x) => sentences[x.i]!.text);
  const summary = (picked.length ? picked : sentences.slice(0, maxSentences).map((s) => s.text)).join(' ');
  return { summary, keyPhrases: keyPhrasesOf(sentences) };
}

export const textSummarize = defineSkill({
  id: 'text.summarize',
  description: 'Summarises a text in at most maxSentences sentences (extractive on the local engine) and lists its key phrases.',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: TextSummarizeInput,
  output: TextSummarizeOutput,
  async run(sctx, input) {
    if (input.text.length <= 50_000) {
      const viaModel = await tryModel(
        sctx,
        TextSummarizeOutput,
        {
          system: `Summarise the text in at most ${input.maxSentences} sentences, in the text's language, adding nothing it does not say. keyPhrases: up to 8 short phrases from the text.`,
          prompt: input.text,
        },
        (out) => out.summary.split(/(?<=[.!?])\s+/).length <= input.maxSentences,
      );
      if (viaModel) return viaModel;
    }
    return summarizeLocal(input.text, input.maxSentences);
  },
});
