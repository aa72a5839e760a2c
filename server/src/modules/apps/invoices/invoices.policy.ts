// Rules that turn a plain description into a draft invoice: "2 hours of design for Acme at $80/h,
// due in 14 days". Amounts are read as exact minor units from their text (never through floating
// point); the due date comes from dates.extract (chrono-node + luxon), given here as its items.

interface DraftLine {
  description: string;
  quantity: string;
  unitPrice: number;
}

export interface DraftFromText {
  clientName: string | null;
  clientEmail: string | null;
  currency: string | null;
  lines: DraftLine[];
  taxRate: number | null;
  discountRate: number | null;
  dueDate: string | null;
  problems: string[];
}

const SYMBOLS: Record<string, string> = { $: 'USD', '€': 'EUR', '£': 'GBP', '₪': 'ILS', '¥': 'JPY' };
const WORDS: Record<string, string> = {
  usd: 'USD',
  dollar: 'USD',
  dollars: 'USD',
  eur: 'EUR',
  euro: 'EUR',
  euros: 'EUR',
  gbp: 'GBP',
  pound: 'GBP',
  pounds: 'GBP',
  ils: 'ILS',
  nis: 'ILS',
  shekel: 'ILS',
  shekels: 'ILS',
  'ש"ח': 'ILS',
  'ש״ח': 'ILS',
  שקל: 'ILS',
  שקלים: 'ILS',
  chf: 'CHF',
  cad: 'CAD',
  aud: 'AUD',
  jpy: 'JPY',
};
const NUMBER_WORDS: Record<string, string> = {
  a: '1',
  an: '1',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  ten: '10',
  eleven: '11',
  twelve: '12',
  half: '0.5',
  'a half': '0.5',
  'half an': '0.5',
  'half a': '0.5',
  'a couple of': '2',
  'a dozen': '12',
};
const UNITS =
  'hours?|hrs?|h|days?|weeks?|months?|items?|pieces?|pcs|units?|pages?|words?|sessions?|lessons?|calls?|meetings?|visits?|articles?|posts?|photos?|logos?|licen[cs]es?|seats?|nights?';
/** Units that measure work ("2 hours of design"); other units are the things counted ("3 logos"). */
const MEASURES =
  /^(hours?|hrs?|h|days?|weeks?|months?|items?|pieces?|pcs|units?|pages?|words?|sessions?|lessons?|calls?|meetings?|visits?|nights?)$/i;
const PER =
  /(?:\/\s*|per\s+|an?\s+|each\s*)(hour|hr|h|day|week|month|item|piece|unit|page|word|session|lesson|call|visit|article|post|photo|night)\b|\beach\b|\bhourly\b|\bdaily\b/i;

const NUM = String.raw`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`;
const CUR_WORDS = Object.keys(WORDS)
  .sort((a, b) => b.length - a.length)
  .map((w) => w.replace(/"/g, '["״]'))
  .join('|');
const MONEY = new RegExp(
  String.raw`(?:([$€£₪¥])\s?(${NUM})|(${NUM})\s?([$€£₪¥])|(${NUM})\s?(${CUR_WORDS})(?![\p{L}])|(?<![\p{L}])(usd|eur|gbp|ils|nis|chf|cad|aud|jpy)\s?(${NUM}))`,
  'giu',
);

/** Decimal text to minor units exactly ("80" -> 8000, "1,234.5" -> 123450), or null when it has more decimals than the currency. */
export function toMinor(text: string, digits: number): number | null {
  const clean = text.replace(/,/g, '');
  const m = /^(\d+)(?:\.(\d+))?$/.exec(clean);
  if (!m) return null;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > digits) return null;
  const v = BigInt(m[1]!) * 10n ** BigInt(digits) + BigInt((frac || '0').padEnd(digits, '0').slice(0, digits) || '0');
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(v);
}

export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

interface Money {
  currency: string | null;
  amount: string;
  index: number;
  end: number;
}

function moneyIn(text: string): Money[] {
  const out: Money[] = [];
  for (const m of text.matchAll(MONEY)) {
    const sym = m[1] ?? m[4];
    const amount = m[2] ?? m[3] ?? m[5] ?? m[8]!;
    const word = (m[6] ?? m[7])?.toLowerCase().replace(/״/g, '"');
    const currency = sym ? SYMBOLS[sym]! : word ? (WORDS[word] ?? word.toUpperCase()) : null;
    out.push({ currency, amount, index: m.index!, end: m.index! + m[0].length });
  }
  return out;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const singular = (u: string) => u.replace(/s$/i, '');

/** Splits "2 hours of design at $80/h and a logo for $300" into the parts that each carry a price. */
function parts(text: string): string[] {
  const pieces = text.split(/\s*(?:;|\+|\band\b|\bplus\b|,(?=\s*(?:\d|an?\b|one|two|three|four|five|six|seven|eight|nine|ten)\s))\s*/i);
  const out: string[] = [];
  for (const p of pieces) {
    if (!p.trim()) continue;
    if (moneyIn(p).length || !out.length) out.push(p);
    else out[out.length - 1] += ` and ${p}`;
  }
  return out;
}

function lineFrom(part: string, fallbackCurrency: string | null): { line: DraftLine | null; currency: string | null; problem?: string } {
  const money = moneyIn(part).filter((m) => !/^\s*%/.test(part.slice(m.end)));
  if (!money.length) return { line: null, currency: null };
  const price = money[0]!;
  const currency = price.currency ?? fallbackCurrency ?? 'USD';
  const unitPrice = toMinor(price.amount, currencyDigits(currency));
  if (unitPrice === null) return { line: null, currency, problem: `The price ${price.amount} has more decimals than ${currency} allows.` };
  const wordNums = Object.keys(NUMBER_WORDS)
    .sort((a, b) => b.length - a.length)
    .join('|');
  const qty = new RegExp(
    String.raw`(?:^|\s)(\d+(?:\.\d+)?|${wordNums})\s+(?:(${UNITS})\b\s*(?:of\s+)?)?([^,$€£₪¥]*?)(?=\s+(?:at|@|for|x|×|,|each|per|on)\b|\s*[$€£₪¥]|\s*$)`,
    'i',
  );
  const before = part.slice(0, price.index);
  const m = qty.exec(before) ?? qty.exec(part);
  let quantity = '1';
  let description = '';
  let unit = '';
  if (m && !/^\d/.test(part.slice(m.index + m[0].length).trim()) && !(m.index <= price.index && m.index + m[0].length > price.index)) {
    const n = m[1]!.toLowerCase();
    quantity = NUMBER_WORDS[n] ?? n;
    unit = m[2] ?? '';
    description = (m[3] ?? '').trim();
    // "2 hours of design for Acme": what follows the unit is the work; a client after "for" is not.
    description = description.replace(/(^|\s+)for(\s+.*)?$/i, '').trim();
    // "a logo for $300": the counted thing is the work.
    if (!description && unit && !MEASURES.test(unit)) {
      description = cap(singular(unit));
      unit = '';
    }
  }
  if (!description) {
    // "Logo design for Acme, $500": the words before the price (or before "for").
    description = before
      .replace(/\b(invoice|bill|charge)\b\s*/gi, '')
      .replace(/\s+(for|to|עבור|לכבוד)\s+[A-Z\u0590-\u05FF].*$/, '')
      .replace(/\s+(at|@|for|x|×)\s*$/i, '')
      .replace(/[,:-]\s*$/, '')
      .trim();
  }
  if (!description && unit) description = cap(singular(unit));
  if (!description) description = 'Services';
  if (
    unit &&
    MEASURES.test(unit) &&
    !/^(items?|pieces?|pcs|units?)$/i.test(unit) &&
    !new RegExp(`\\b${singular(unit)}`, 'i').test(description)
  ) {
    const u = singular(unit).toLowerCase();
    const label = u === 'h' || u === 'hr' ? 'hour' : u;
    description = `${cap(description)} (${label}s)`;
  }
  // "a logo at $300" with no "per": the price is for the line, and its quantity is what was counted.
  const perUnit = PER.test(part.slice(price.end, price.end + 12)) || PER.test(part.slice(Math.max(0, price.index - 6), price.index));
  let unitPriceFinal = unitPrice;
  if (!perUnit && quantity !== '1' && /\b(total|in total|altogether|for all)\b/i.test(part)) {
    // "3 logos for $900 in total": the unit price is the total divided, exactly when it divides.
    const q = Number(quantity);
    if (Number.isInteger(q) && unitPrice % q === 0) unitPriceFinal = unitPrice / q;
    else {
      unitPriceFinal = unitPrice;
      quantity = '1';
    }
  }
  return { line: { description: cap(description).slice(0, 500), quantity, unitPrice: unitPriceFinal }, currency };
}

function clientOf(text: string): string | null {
  const patterns = [
    /\b(?:for|to|bill|invoice)\s+((?:[A-Z\u0590-\u05FF][\w\u0590-\u05FF&'.-]*)(?:\s+(?:&\s+)?[A-Z\u0590-\u05FF][\w\u0590-\u05FF&'.-]*){0,4})/,
    /\bclient:?\s+([^,;]+)/i,
    /(?:עבור|לכבוד)\s*([\u0590-\u05FF][\u0590-\u05FF"'״ ]{1,40}?)(?=\s*(?:,|$|בסך|ב-|לפי|עד|\d|[$€£₪]))/,
  ];
  for (const p of patterns) {
    for (const m of text.matchAll(new RegExp(p, `${p.flags.replace('g', '')}g`))) {
      const name = m[1]!
        .trim()
        .replace(/[.,]+$/, '')
        .replace(/\s+(Due|Net|At|For|Payable)$/i, '');
      if (/^(the|a|an|my|design|work|services?|hours?)$/i.test(name)) continue;
      return name;
    }
  }
  return null;
}

/** Reads a plain description into draft fields. `dates` are the items dates.extract found in `text`. */
export function parseInvoiceDescription(
  text: string,
  o: { dates: Array<{ text: string; start: string; allDay: boolean }>; today: string; defaultCurrency: string | null },
): DraftFromText {
  const problems: string[] = [];
  const email = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/.exec(text)?.[0] ?? null;
  let body = text.replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, ' ').replace(/\s+/g, ' ');
  let taxRate: number | null = null;
  let discountRate: number | null = null;
  const tax =
    /(?:\+|plus|with|add|incl\.?|including)?\s*(\d+(?:\.\d+)?)\s*%\s*(?:vat|tax|gst|sales tax|מע"מ|מע״מ)|(?:vat|tax|gst|מע"מ|מע״מ)\s*(?:of|at|:)?\s*(\d+(?:\.\d+)?)\s*%/i.exec(
      body,
    );
  if (tax) {
    taxRate = Number(tax[1] ?? tax[2]);
    body = body.replace(tax[0], ' ');
  }
  const disc =
    /(\d+(?:\.\d+)?)\s*%\s*(?:discount|off)|discount\s*(?:of|:)?\s*(\d+(?:\.\d+)?)\s*%|הנחה\s*(?:של)?\s*(\d+(?:\.\d+)?)\s*%/i.exec(body);
  if (disc) {
    discountRate = Number(disc[1] ?? disc[2] ?? disc[3]);
    body = body.replace(disc[0], ' ');
  }
  if (taxRate !== null && taxRate > 100) {
    problems.push('A tax rate over 100% was ignored.');
    taxRate = null;
  }
  if (discountRate !== null && discountRate > 100) {
    problems.push('A discount over 100% was ignored.');
    discountRate = null;
  }
  // The due date: a date said after "due", "by", "payable", or "net 30".
  let dueDate: string | null = null;
  const net = /\bnet\s*(\d{1,3})\b/i.exec(body);
  // A date counts as the due date after a word that says so, or when it is the only date and is said in
  // words ("March 31", "next Friday"); a bare number is never taken for a date.
  const due = net
    ? undefined
    : (o.dates.find((d) =>
        /(\bdue|\bby|\bpayable|\buntil|\bbefore|עד)\s*(in|on|the)?\s*$/i.test(text.slice(0, Math.max(0, text.indexOf(d.text)))),
      ) ?? (o.dates.length === 1 && /\p{L}/u.test(o.dates[0]!.text) ? o.dates[0] : undefined));
  if (due) dueDate = due.start.slice(0, 10);
  else if (net) {
    const d = new Date(`${o.today}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + Number(net[1]));
    dueDate = d.toISOString().slice(0, 10);
  }
  if (due) body = body.replace(due.text, ' ');
  body = body.replace(/\b(?:due|payable)\b\s*(?:in|on|by)?\s*[,.]?/gi, ' ').replace(/\bnet\s*\d{1,3}\b/gi, ' ');

  const clientName = clientOf(body);
  let currency: string | null = null;
  const lines: DraftLine[] = [];
  for (const p of parts(clientName ? body.replace(new RegExp(`\\b(?:for|to|bill|invoice)\\s+${escapeRegExp(clientName)}`), ' ') : body)) {
    const r = lineFrom(p, currency ?? o.defaultCurrency);
    if (r.problem) problems.push(r.problem);
    if (!r.line) continue;
    if (currency && r.currency && r.currency !== currency) {
      problems.push(`An invoice has one currency: the ${r.currency} amount was read as ${currency}.`);
    }
    currency ??= r.currency;
    lines.push(r.line);
  }
  if (!lines.length) problems.push('No price was found: say what it costs, for example "at $80/h" or "for ₪500".');
  if (!clientName) problems.push('No client was found: say who it is for, for example "for Acme".');
  return { clientName, clientEmail: email, currency: currency ?? o.defaultCurrency, lines, taxRate, discountRate, dueDate, problems };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
