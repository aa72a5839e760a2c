// Local rules that read a receipt (the text of an uploaded file, or an email) into an expense: the
// amount paid, its currency, the date, the merchant, and a category. No model, no network: the total
// is the last "total"/"amount paid" line (never a subtotal), the date an explicit one in the text or
// else the mail's date, the merchant the sender's name or the first line, the category from keywords.
import { currencyDigits, toMinor } from '../invoices/invoices.policy.js';

const CATEGORY_RULES: Array<[category: string, pattern: RegExp]> = [
  [
    'travel',
    /\b(uber|lyft|bolt|gett|taxi|cab|airline|airways|flight|el al|ryanair|easyjet|lufthansa|train|rail|amtrak|bus|metro|parking|fuel|gas station|petrol|shell|chevron|car rental|hertz|avis|toll)\b|רכבת|מונית|דלק|חניה/i,
  ],
  ['lodging', /\b(hotel|airbnb|booking\.com|hostel|inn|motel|marriott|hilton|hyatt|accommodation)\b|מלון/i],
  [
    'meals',
    /\b(restaurant|cafe|café|coffee|starbucks|bistro|pizza|burger|sushi|bakery|bar|pub|lunch|dinner|breakfast|doordash|ubereats|uber eats|wolt|deliveroo|grubhub|food)\b|מסעדה|קפה|ארוחה/i,
  ],
  [
    'software',
    /\b(github|gitlab|aws|amazon web services|google cloud|gcp|azure|digitalocean|heroku|vercel|netlify|adobe|figma|notion|slack|zoom|dropbox|atlassian|jira|microsoft 365|office 365|jetbrains|openai|subscription|saas|software|license|licence|hosting|domain|namecheap|godaddy|cloudflare)\b/i,
  ],
  [
    'phone and internet',
    /\b(verizon|at&t|t-mobile|vodafone|orange|partner|cellcom|bezeq|hot mobile|internet|broadband|fiber|mobile plan|phone bill)\b|בזק|סלקום|פרטנר/i,
  ],
  ['utilities', /\b(electric|electricity|water bill|gas bill|utility|power company)\b|חשמל|מים/i],
  [
    'office',
    /\b(staples|office depot|officeworks|stationery|paper|printer ink|toner|coworking|wework|regus|office rent|desk)\b|ציוד משרדי/i,
  ],
  ['equipment', /\b(apple store|laptop|macbook|monitor|keyboard|mouse|camera|lens|headphones|best buy|dell|lenovo|hardware|b&h|ikea)\b/i],
  ['education', /\b(course|udemy|coursera|edx|book|books|conference|workshop|training|tuition|masterclass|o'reilly)\b|קורס|ספר/i],
  ['marketing', /\b(facebook ads|meta ads|google ads|linkedin ads|advertis|mailchimp|promotion|flyers|business cards)\b/i],
  [
    'professional services',
    /\b(accountant|accounting|lawyer|legal|attorney|consultant|bookkeeping|notary|translator)\b|רואה חשבון|עורך דין/i,
  ],
  ['fees', /\b(bank fee|stripe fee|paypal fee|commission|service charge|wire transfer fee)\b|עמלה/i],
];

export function categorize(...texts: Array<string | null | undefined>): string {
  const hay = texts.filter(Boolean).join(' \n ');
  for (const [category, re] of CATEGORY_RULES) if (re.test(hay)) return category;
  return 'other';
}

const SYMBOLS: Record<string, string> = { $: 'USD', '€': 'EUR', '£': 'GBP', '₪': 'ILS', '¥': 'JPY' };
const CODES = /\b(USD|EUR|GBP|ILS|NIS|CHF|CAD|AUD|JPY)\b/;
const NUM = String.raw`\d{1,3}(?:[,\s]\d{3})*(?:\.\d{1,2})|\d+(?:\.\d{1,2})?`;
const AMOUNT = new RegExp(
  String.raw`(?:([$€£₪¥])\s?(${NUM})|(${NUM})\s?([$€£₪¥])|\b(USD|EUR|GBP|ILS|NIS|CHF|CAD|AUD|JPY)\s?(${NUM})|(${NUM})\s?(USD|EUR|GBP|ILS|NIS|CHF|CAD|AUD|JPY|ש"ח|ש״ח)|(${NUM}))`,
  'g',
);
const TOTAL =
  /\b(grand total|total paid|amount paid|total charged|you paid|charged|total due|amount due|order total|total amount|total)\b|סה["״]כ(?:\s*לתשלום)?|לתשלום|שולם/i;

export interface ReceiptReading {
  isReceipt: boolean;
  amount: number | null;
  currency: string | null;
  spentOn: string | null;
  merchant: string | null;
  category: string;
  confidence: 'high' | 'medium' | 'low';
  reason: string;
}

interface Found {
  minor: number;
  currency: string | null;
  line: number;
}

function amountsIn(line: string, lineNo: number, fallback: string | null): Found[] {
  const out: Found[] = [];
  for (const m of line.matchAll(AMOUNT)) {
    const sym = m[1] ?? m[4];
    const code = (m[5] ?? m[8])?.replace(/NIS|ש["״]ח/, 'ILS') ?? null;
    const num = m[2] ?? m[3] ?? m[6] ?? m[7] ?? m[9]!;
    const bare = m[9] !== undefined;
    // A bare number is an amount only when it has cents ("23.40"); "2026" or "3" are not prices.
    if (bare && !/\.\d{2}$/.test(num)) continue;
    const currency = sym ? SYMBOLS[sym]! : (code ?? fallback);
    const minor = toMinor(num.replace(/\s/g, ''), currency ? currencyDigits(currency) : 2);
    if (minor !== null) out.push({ minor, currency: currency ?? null, line: lineNo });
  }
  return out;
}

/** Reads a receipt. `date` is when the mail was sent (the fallback date); `defaultCurrency` the person's. */
export function readReceipt(o: {
  text: string;
  from?: string | null;
  fromName?: string | null;
  subject?: string | null;
  date?: string | null;
  defaultCurrency?: string | null;
  /** Dates found in the text (dates.extract), used only when they name a year. */
  dates?: Array<{ text: string; start: string }>;
}): ReceiptReading {
  const text = o.text.slice(0, 50_000);
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const docCurrency =
    Object.entries(SYMBOLS).find(([s]) => text.includes(s))?.[1] ??
    (CODES.exec(text)?.[1]?.replace('NIS', 'ILS') as string | undefined) ??
    (/ש["״]ח/.test(text) ? 'ILS' : undefined) ??
    o.defaultCurrency ??
    null;
  let total: Found | null = null;
  const all: Found[] = [];
  lines.forEach((line, i) => {
    const found = amountsIn(line, i, docCurrency);
    all.push(...found);
    const isTotal =
      TOTAL.test(line) && !/\b(subtotal|sub-total|sub total)\b/i.test(line) && !/^\W*(tax|vat|tip|discount|מע["״]מ)/i.test(line);
    if (isTotal) {
      const here = found.at(-1) ?? amountsIn(lines[i + 1] ?? '', i + 1, docCurrency)[0];
      if (here) total = here;
    }
  });
  const pick: Found | null = total ?? (all.length ? all.reduce((a, b) => (b.minor > a.minor ? b : a)) : null);
  const subject = o.subject ?? '';
  const merchant =
    /(?:receipt|order|invoice|purchase|payment)\s+(?:from|at|with)\s+([^\n#,.|-]{2,60})/i.exec(`${subject}\n${text}`)?.[1]?.trim() ??
    /(?:thank you for (?:your (?:order|purchase|payment) )?(?:shopping |riding |staying |dining )?(?:at|with|from))\s+([^\n#,.!|-]{2,60})/i
      .exec(text)?.[1]
      ?.trim() ??
    cleanSender(o.fromName, o.from) ??
    (lines.find((l) => l.length >= 2 && l.length <= 60 && /\p{L}/u.test(l) && !/receipt|invoice|קבלה|חשבונית/i.test(l)) || null);
  const dated = (o.dates ?? []).find((d) => /\b(19|20)\d{2}\b/.test(d.text));
  const spentOn = dated ? dated.start.slice(0, 10) : (o.date?.slice(0, 10) ?? null);
  const looksLikeReceipt =
    /\b(receipt|order confirmation|payment (?:received|confirmation)|your order|invoice|paid|purchase|transaction|charged)\b|קבלה|חשבונית|תשלום/i.test(
      `${subject}\n${text}`,
    );
  const isReceipt = pick !== null && (looksLikeReceipt || total !== null);
  const confidence = total && looksLikeReceipt && merchant ? 'high' : isReceipt ? 'medium' : 'low';
  const reason = !pick
    ? 'No amount was found in it.'
    : total
      ? `The total on the receipt is on the line "${lines[(total as Found).line]?.slice(0, 80)}".`
      : 'No total line was found; the largest amount was taken.';
  return {
    isReceipt,
    amount: pick?.minor ?? null,
    currency: pick?.currency ?? docCurrency,
    spentOn,
    merchant: merchant ? merchant.slice(0, 200) : null,
    category: categorize(merchant, subject, text.slice(0, 4000)),
    confidence,
    reason,
  };
}

function cleanSender(name: string | null | undefined, address: string | null | undefined): string | null {
  const n = name
    ?.replace(/\b(receipts?|billing|payments?|orders?|no-?reply|noreply|notifications?|support|team|store)\b/gi, '')
    .replace(/["<>]/g, '')
    .trim();
  if (n && n.length >= 2) return n;
  const domain = address?.split('@')[1]?.split('.').slice(-2, -1)[0];
  return domain ? domain.charAt(0).toUpperCase() + domain.slice(1) : null;
}
