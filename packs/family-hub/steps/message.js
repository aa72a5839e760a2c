// A message in plain words: a reminder when it asks to be reminded, otherwise items for the shopping list.

async function main(input, platform) {
  const text = String(input.text || '').trim();
  if (/^(please\s+)?(remind|reminder|don'?t let me forget|set a reminder)\b/i.test(text)) {
    const r = await platform.call('reminders.create-from-text', { text });
    return { kind: 'reminder', result: r };
  }
  const r = await platform.call('lists.add-text', { text });
  return { kind: 'shopping', result: r };
}
