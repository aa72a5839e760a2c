import { type ShoppingItem, ShoppingParseInput, ShoppingParseOutput } from '@csme/contracts/skills';
import { defineSkill } from '#core/skill.js';
import { aisleOf } from './grocery.js';
import { NUMBER_WORDS } from './text.js';

/** Amounts on a list: number words, plus "a banana" (one), "half", "quarter". */
const AMOUNT_WORDS: Record<string, number> = { ...NUMBER_WORDS, a: 1, an: 1, single: 1, half: 0.5, quarter: 0.25 };
const FRACTIONS: Record<string, number> = { '½': 0.5, '¼': 0.25, '¾': 0.75, '⅓': 1 / 3, '⅔': 2 / 3 };

/** Unit words, each to the unit the output uses. */
const UNITS: Record<string, string> = {
  g: 'g',
  gr: 'g',
  gram: 'g',
  grams: 'g',
  gramme: 'g',
  grammes: 'g',
  kg: 'kg',
  kgs: 'kg',
  kilo: 'kg',
  kilos: 'kg',
  kilogram: 'kg',
  kilograms: 'kg',
  lb: 'lb',
  lbs: 'lb',
  pound: 'lb',
  pounds: 'lb',
  oz: 'oz',
  ounce: 'oz',
  ounces: 'oz',
  ml: 'ml',
  millilitre: 'ml',
  millilitres: 'ml',
  milliliter: 'ml',
  milliliters: 'ml',
  cl: 'cl',
  l: 'l',
  ltr: 'l',
  litre: 'l',
  litres: 'l',
  liter: 'l',
  liters: 'l',
  gallon: 'gallon',
  gallons: 'gallon',
  quart: 'quart',
  quarts: 'quart',
  pint: 'pint',
  pints: 'pint',
  pt: 'pint',
};
const CONTAINERS =
  'bottle|can|tin|jar|pack|packet|box|bag|carton|loaf|bunch|head|tub|roll|bar|block|stick|punnet|tray|case|sack|piece|pot|container|crate|six-pack|multipack|packages?|pkg|dozen|pair';
const CONTAINER_RE = new RegExp(`^(${CONTAINERS})(?:s|es)?$`);
const CONTAINER_ONE = new RegExp(`^(${CONTAINERS})$`);
const LOAVES: Record<string, string> = {
  loaves: 'loaf',
  boxes: 'box',
  bunches: 'bunch',
  packages: 'pack',
  package: 'pack',
  pkg: 'pack',
  packet: 'pack',
  packets: 'pack',
  tins: 'can',
  tin: 'can',
};

/** Names that look plural but are not, or whose singular is irregular. */
const SINGULAR: Record<string, string> = {
  hummus: 'hummus',
  couscous: 'couscous',
  asparagus: 'asparagus',
  molasses: 'molasses',
  swiss: 'swiss',
  brussels: 'brussels',
  leaves: 'leaf',
  loaves: 'loaf',
  knives: 'knife',
  halves: 'half',
  mice: 'mouse',
  teeth: 'tooth',
  geese: 'goose',
  fries: 'fries',
  chips: 'chip',
  glasses: 'glass',
  cheeses: 'cheese',
  tortillas: 'tortilla',
  series: 'series',
  species: 'species',
  news: 'news',
  dates: 'date',
  grapes: 'grape',
  olives: 'olive',
  chives: 'chive',
  cookies: 'cookie',
  pies: 'pie',
  ties: 'tie',
  tomatoes: 'tomato',
  potatoes: 'potato',
  mangoes: 'mango',
  avocadoes: 'avocado',
  heroes: 'hero',
  tweezers: 'tweezers',
  scissors: 'scissors',
  tongs: 'tongs',
  pants: 'pants',
  jeans: 'jeans',
  lentils: 'lentil',
  peas: 'pea',
  oats: 'oat',
  sauces: 'sauce',
  slices: 'slice',
  spices: 'spice',
  juices: 'juice',
  rices: 'rice',
  sausages: 'sausage',
  cabbages: 'cabbage',
  sponges: 'sponge',
  oranges: 'orange',
  tissues: 'tissue',
  bagels: 'bagel',
  noodles: 'noodle',
  vegetables: 'vegetable',
  apples: 'apple',
  pickles: 'pickle',
  candles: 'candle',
  bottles: 'bottle',
  nappies: 'nappy',
  goes: 'go',
  shoes: 'shoe',
  canoes: 'canoe',
};

/** The singular of an item name (its last word). */
function singular(name: string): string {
  if (!/[a-z]$/.test(name)) return name;
  const words = name.split(' ');
  const last = words[words.length - 1]!;
  let s = SINGULAR[last];
  if (!s) {
    if (/[^aeiou]ies$/.test(last)) s = `${last.slice(0, -3)}y`;
    else if (/(ches|shes|sses|xes|zzes)$/.test(last)) s = last.slice(0, -2);
    else if (/[^aeiou]oes$/.test(last)) s = last.slice(0, -2);
    else if (/(ss|us|is|ys)$/.test(last) || last.length <= 3) s = last;
    else if (/s$/.test(last) && !/'s$/.test(last)) s = last.slice(0, -1);
    else s = last;
  }
  words[words.length - 1] = s;
  return words.join(' ');
}

const PROTECTED = [
  'mac and cheese',
  'macaroni and cheese',
  'salt and vinegar',
  'half and half',
  'sweet and sour',
  'fish and chips',
  'salt and pepper chips',
  'bread and butter pickles',
  'peanut butter and jelly',
  'strawberries and cream',
];

const FILLER =
  /^(?:(?:and|also|plus|then|oh|ok|okay|please|pls|maybe|perhaps|too|(?:we|i)(?:'re|'m|\s+are|\s+am)?\s+(?:(?:all\s+)?out\s+of|low\s+on|running\s+(?:out\s+of|low\s+on)|almost\s+out\s+of)|(?:could|can|would|will)\s+you|on\s+(?:the|your)\s+way\s+(?:home|back)|we|i|you|need|needs|needed|want|wants|should|get|got|grab|buy|pick\s+up|pick|bring|add|put|don't|dont|forget|remember|some|more|another|any|extra|a\s+few|few|several|a\s+bit\s+of|a\s+little|a\s+lot\s+of|lots\s+of|loads\s+of|enough|the|of|to|for|on|our|my|list|shopping|groceries|grocery|us|me|also\s+need|let's|lets|out|of)\b[\s,:]*)+/i;
const TAIL =
  /\s+(?:(?:by\s+|before\s+|on\s+)?(?:today|tomorrow|tonight|this\s+(?:week|weekend|morning|afternoon|evening)|asap|thanks|thank\s+you)\b.*|for\s+(?:the|a|dinner|lunch|breakfast|tonight|tomorrow|my|our|his|her|their|party|kids|weekend|week|baking|[A-Z][a-z]+)\b.*|if\s+(?:they|there|you|it).*|(?:from|at)\s+(?:the\s+)?(?:store|shop|market|supermarket|bakery|butcher|deli|pharmacy|costco|aldi|lidl|tesco|walmart|target).*|please|too|as\s+well|again|on\s+(?:the|your)\s+way(?:\s+(?:home|back))?|(?:to|on)\s+the\s+list|we(?:'re|\s+are)\s+out|(?:we|i)\s+(?:ran|run)\s+out|(?:we|i)\s+(?:need|have).*|(?:is|are)\s+(?:out|gone|finished|empty|low).*|(?:which|that)\s+.*)$/i;

const QTY = `(\\d+\\s*/\\s*\\d+|\\d+(?:[.,]\\d+)?|[½¼¾⅓⅔]|(?:a|an|one|single|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty|hundred|half|quarter)\\b)`;

function quantityOf(word: string): number | null {
  const w = word.toLowerCase().replace(',', '.');
  if (FRACTIONS[w] !== undefined) return FRACTIONS[w]!;
  const frac = /^(\d+)\s*\/\s*(\d+)$/.exec(w);
  if (frac) return Number(frac[2]) ? Number(frac[1]) / Number(frac[2]) : null;
  if (/^\d+(\.\d+)?$/.test(w)) return Number(w);
  return AMOUNT_WORDS[w] ?? null;
}

function parseItem(chunk: string): ShoppingItem | null {
  let s = chunk
    .replace(/\([^)]*\)/g, ' ')
    .replace(/[“”"!?]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  s = s
    .replace(FILLER, '')
    .replace(TAIL, '')
    .replace(/^(?:a\s+)?half\s+(?:an?\s+)?(?=(?:kilo|kg|pound|lb|litre|liter|l|dozen)s?\b)/i, '0.5 ')
    .replace(/^(?:a\s+)?quarter\s+(?:of\s+)?(?:an?\s+)?(?=(?:kilo|kg|pound|lb|litre|liter|l)s?\b)/i, '0.25 ')
    .trim();
  s = s
    .replace(/^\s*(?:[-*•·+–—]+|\d+[.)](?!\d))\s*/, '')
    .replace(FILLER, '')
    .trim();
  if (!s) return null;
  let quantity: number | undefined;
  let unit: string | undefined;
  let multiplier = 1;
  // "half a dozen", "a dozen", "two dozen", "a couple of", "a pair of"
  const dozen = new RegExp(`^(?:${QTY}\\s+)?(?:a\\s+)?dozen\\s+(?:of\\s+)?`, 'i').exec(s);
  const couple = /^(?:a\s+)?couple(?:\s+of)?\s+/i.exec(s);
  // "a 12-pack of soda", "two six-packs of beer": the items, not the packs.
  const pack = new RegExp(`^(?:${QTY}\\s+)?(\\d+|six|twelve|four|eight|ten|twenty|twenty-four)[\\s-]?packs?\\s+(?:of\\s+)?`, 'i').exec(s);
  const bareUnit = new RegExp(`^(${Object.keys(UNITS).join('|')}|${CONTAINERS})\\s+of\\s+`, 'i').exec(s);
  if (pack) {
    const per = /^\d/.test(pack[2]!)
      ? Number(pack[2])
      : (AMOUNT_WORDS[pack[2]!.toLowerCase()] ?? (pack[2]!.toLowerCase() === 'twenty-four' ? 24 : 1));
    quantity = per * (pack[1] ? (quantityOf(pack[1]) ?? 1) : 1);
    s = s.slice(pack[0].length);
  } else if (bareUnit) {
    // "gallon of milk", "loaf of bread": one of them.
    const word = bareUnit[1]!.toLowerCase();
    quantity = 1;
    unit =
      UNITS[word] ?? LOAVES[word] ?? [word, word.replace(/s$/, ''), word.replace(/es$/, '')].find((w) => CONTAINER_ONE.test(w)) ?? word;
    if (unit === 'dozen') [quantity, unit] = [12, undefined];
    else if (unit === 'pair') [quantity, unit] = [2, undefined];
    else if (unit === 'piece') unit = undefined;
    s = s.slice(bareUnit[0].length);
  } else if (dozen) {
    quantity = 12 * (dozen[1] ? (quantityOf(dozen[1]) ?? 1) : 1);
    s = s.slice(dozen[0].length);
  } else if (couple) {
    quantity = 2;
    s = s.slice(couple[0].length);
  } else {
    // "2 x milk", "2x milk", "milk x2"
    const times = /^(\d+)\s*x\s+/i.exec(s) ?? /\s+x\s*(\d+)$/i.exec(s);
    if (times) {
      multiplier = Number(times[1]);
      s = times.index === 0 ? s.slice(times[0].length) : s.slice(0, times.index);
    }
    // "500g flour", "1.5 l water", "2 kilos of potatoes", "3 cans of tomatoes", "a loaf of bread", "6 eggs"
    const m = new RegExp(`^${QTY}(?:\\s*-\\s*)?\\s*([a-z-]+\\.?)?(?:\\s+|$)`, 'i').exec(s);
    if (m) {
      const q = quantityOf(m[1]!);
      const word = (m[2] ?? '').toLowerCase().replace(/\.$/, '');
      const attached = /^\d/.test(m[1]!) && !/\s/.test(m[0].trim()) && word !== '';
      if (q !== null) {
        if (UNITS[word]) {
          quantity = q;
          unit = UNITS[word];
          // "500 ml bottles of water": the amount is the measure; the container is just how it comes.
          s = s
            .slice(m[0].length)
            .replace(/^of\s+/i, '')
            .replace(new RegExp(`^(?:${CONTAINERS})(?:s|es)?\\s+of\\s+`, 'i'), '');
        } else if (CONTAINER_RE.test(word) || LOAVES[word]) {
          const u = LOAVES[word] ?? [word, word.replace(/s$/, ''), word.replace(/es$/, '')].find((w) => CONTAINER_ONE.test(w)) ?? word;
          quantity = u === 'dozen' ? q * 12 : u === 'pair' ? q * 2 : q;
          unit = u === 'dozen' || u === 'pair' || u === 'piece' ? undefined : u;
          s = s.slice(m[0].length).replace(/^of\s+/i, '');
        } else if (!attached) {
          // "6 eggs", "a banana": the word after the number is the item itself.
          quantity = q;
          s = s.slice(m[1]!.length).trim();
        }
      }
    }
    if (quantity === undefined) {
      // "milk 2 litres", "eggs x 12", "bananas (6)"
      const after = new RegExp(`\\s+${QTY}\\s*([a-z]+)?$`, 'i').exec(s);
      if (after && /^\d/.test(after[1]!)) {
        const q = quantityOf(after[1]!);
        const word = (after[2] ?? '').toLowerCase();
        if (q !== null && (!word || UNITS[word] || CONTAINER_RE.test(word))) {
          quantity = q;
          unit = UNITS[word] ?? (word && word !== 'piece' && word !== 'pieces' ? word.replace(/s$/, '') : undefined);
          s = s.slice(0, after.index);
        }
      }
    }
    if (quantity !== undefined) quantity *= multiplier;
    else if (multiplier > 1) quantity = multiplier;
  }
  s = s
    .replace(FILLER, '')
    .replace(/^(?:of|a|an)\s+/i, '')
    .trim();
  let name = s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'&\- ]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!name || !/\p{L}/u.test(name)) return null;
  if (name.length > 80) name = name.slice(0, 80).trim();
  name = singular(name);
  return {
    name,
    ...(quantity !== undefined && quantity > 0 ? { quantity: Math.round(quantity * 1000) / 1000 } : {}),
    ...(unit ? { unit } : {}),
    category: aisleOf(name),
  };
}

/** Items of a shopping list written in plain language. */
function parseShopping(text: string): ShoppingItem[] {
  let t = ` ${text.replace(/\r/g, '')} `;
  const keep = new Map<string, string>();
  PROTECTED.forEach((p, i) => {
    t = t.replace(new RegExp(`\\b${p}\\b`, 'gi'), (m) => {
      keep.set(`xprotectedx${i}x`, m);
      return `xprotectedx${i}x`;
    });
  });
  const chunks = t
    .split(/\n|;|,|\s&\s|\band\b|\bplus\b|\balso\b|\bthen\b|\s\+\s|•|·|\s-\s|\.\s/i)
    .map((c) => c.replace(/xprotectedx\d+x/g, (k) => keep.get(k) ?? k));
  const items: ShoppingItem[] = [];
  for (const chunk of chunks) {
    const item = parseItem(chunk);
    if (!item) continue;
    const same = items.find((i) => i.name === item.name && i.unit === item.unit);
    if (same) {
      if (same.quantity !== undefined && item.quantity !== undefined) same.quantity += item.quantity;
      continue;
    }
    items.push(item);
  }
  return items.slice(0, 500);
}

export const shoppingParse = defineSkill({
  id: 'shopping.parse',
  description:
    'Turns a shopping list in plain language into items: singular lowercase name, quantity and unit when given, and the supermarket aisle it belongs to.',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: ShoppingParseInput,
  output: ShoppingParseOutput,
  async run(_sctx, input) {
    return parseShopping(input.text);
  },
});
