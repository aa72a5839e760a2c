// Plain-text helpers of the local engine: HTML to text, quoted replies, sentences, number words.

/** Numbers people write as words ("two weeks", "twelve eggs"). */
export const NUMBER_WORDS: Readonly<Record<string, number>> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  fifty: 50,
  hundred: 100,
};

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  rsquo: '’',
  lsquo: '‘',
  rdquo: '”',
  ldquo: '“',
  copy: '©',
  reg: '®',
  euro: '€',
  pound: '£',
};

export function looksLikeHtml(s: string): boolean {
  return /<(html|body|div|p|table|br|span|a|td|img|h[1-6])\b[^>]*>/i.test(s.slice(0, 20_000));
}

/** Visible text of an HTML document: scripts, styles and comments dropped, blocks on their own lines. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<(br|\/p|\/div|\/tr|\/li|\/h[1-6]|\/table)\b[^>]*>/gi, '\n')
    .replace(/<[^>]{0,2000}>/g, ' ')
    .replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1]?.toLowerCase() === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n')
    .trim();
}

/** The new part of a reply: quoted lines (`> ...`) and everything from "On ... wrote:" dropped. */
export function withoutQuotes(text: string): string {
  const cut = text.search(/^(?:On .{5,200}wrote:|-{2,} ?Original Message ?-{2,}|From: .+\n(?:Sent|Date): )/im);
  const body = cut > 0 ? text.slice(0, cut) : text;
  return body
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('>'))
    .join('\n');
}

/** Sentences of plain text, split on end punctuation and line breaks (fast; for long prose use wink). */
export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=[A-Z0-9"'“‘(])|\n+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 1);
}
