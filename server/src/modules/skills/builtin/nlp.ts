// wink-nlp with its English model, loaded on first use (about 0.2 s): only the skills that read prose
// (summarize, quiz) pay for it, and `csme skill list` does not.
import type { Document, ItemSentence, ItsHelpers } from 'wink-nlp';

type Nlp = { readDoc(text: string): Document; its: ItsHelpers };
let loading: Promise<Nlp> | null = null;

function loadNlp(): Promise<Nlp> {
  loading ??= (async () => {
    const [{ default: winkNLP }, { default: model }] = await Promise.all([import('wink-nlp'), import('wink-eng-lite-web-model')]);
    const nlp = winkNLP(model);
    return { readDoc: (text: string) => nlp.readDoc(text), its: nlp.its };
  })();
  return loading;
}

export interface Sentence {
  text: string;
  /** Lowercase content words (no stop words, punctuation or numbers). */
  words: string[];
  /** Tokens with their part of speech, for phrases and answers. */
  tokens: { value: string; pos: string; stop: boolean }[];
}

/** The sentences of a text, each with its tokens. */
export async function readSentences(text: string): Promise<Sentence[]> {
  const { readDoc, its } = await loadNlp();
  const doc = readDoc(text);
  const out: Sentence[] = [];
  doc.sentences().each((s: ItemSentence) => {
    const values = s.tokens().out(its.value) as string[];
    const pos = s.tokens().out(its.pos) as string[];
    const stop = s.tokens().out(its.stopWordFlag) as unknown as boolean[];
    const types = s.tokens().out(its.type) as string[];
    const tokens = values.map((value, i) => ({ value, pos: pos[i]!, stop: !!stop[i] }));
    const words = values.map((v, i) => (types[i] === 'word' && !stop[i] && v.length > 2 ? v.toLowerCase() : '')).filter(Boolean);
    out.push({ text: s.out().trim(), words, tokens });
  });
  return out;
}
