// New study material: the uploaded file becomes a study document with its summary and key phrases,
// and a quiz from it (cloze and multiple choice, every answer words of the text) is proposed as cards.

async function main(input, platform) {
  const file = await platform.call('files.read-text', { fileId: input.fileId, maxChars: 1000000 });
  const text = file.text.trim();
  // A receipt or a short note is not study material: a few sentences at least.
  if (text.split(/[.!?]\s/).length < 4) return { title: '', summary: '', cards: 0 };
  const title = file.name.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  await platform.call('documents.add', { fileId: input.fileId, title });
  const s = await platform.call('text.summarize', { text, maxSentences: input.sentences || 5 });
  const quiz = await platform.call('quiz.generate', { text, count: input.count || 10 });
  if (quiz.length) await platform.call('cards.add', { fileId: input.fileId, title, cards: quiz });
  return {
    title: `Summary of ${title}`,
    summary: s.summary,
    keyPhrases: s.keyPhrases,
    cards: quiz.length,
    body: `${s.summary}${s.keyPhrases.length ? `\n\nKey phrases: ${s.keyPhrases.slice(0, 8).join(', ')}` : ''}${quiz.length ? `\n\n${quiz.length} study cards wait for your approval.` : ''}`,
  };
}
