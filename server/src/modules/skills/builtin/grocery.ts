// The aisle a typical supermarket shelves an item in. Matching goes from the whole name to its head
// word ("greek yogurt" -> "yogurt"), so names not listed here still land by their last noun.
import type { ShoppingCategory } from '@csme/contracts/skills';

const AISLES: Record<ShoppingCategory, string> = {
  produce:
    'apple|banana|orange|lemon|lime|grapefruit|mandarin|clementine|tangerine|grape|strawberry|blueberry|raspberry|blackberry|cranberry|cherry|berry|peach|nectarine|plum|apricot|pear|kiwi|mango|pineapple|papaya|melon|watermelon|cantaloupe|honeydew|pomegranate|fig|date|avocado|tomato|cherry tomato|potato|sweet potato|yam|onion|red onion|spring onion|green onion|scallion|shallot|leek|garlic|ginger|carrot|celery|cucumber|zucchini|courgette|eggplant|aubergine|pepper|bell pepper|red pepper|green pepper|chili|chilli|jalapeno|lettuce|romaine|iceberg|spinach|kale|arugula|rocket|cabbage|red cabbage|broccoli|cauliflower|brussels sprout|asparagus|green bean|bean sprout|pea|pea pod|snap pea|snow pea|corn on the cob|sweetcorn|mushroom|radish|beet|beetroot|turnip|parsnip|squash|butternut squash|pumpkin|artichoke|fennel|okra|herb|basil|parsley|cilantro|coriander|mint|dill|rosemary|thyme|sage|chive|lemongrass|salad|salad mix|coleslaw mix|fruit|vegetable|veg|veggie|rhubarb|passion fruit|lychee|persimmon|guava|plantain|bok choy|chard|swiss chard|endive|watercress|microgreen|sprout|edamame|tofu|tempeh|kohlrabi|jicama|horseradish|clementines',
  dairy:
    'milk|whole milk|skim milk|semi-skimmed milk|oat milk|almond milk|soy milk|buttermilk|cream|heavy cream|double cream|single cream|whipping cream|sour cream|creme fraiche|half and half|butter|margarine|cheese|cheddar|mozzarella|parmesan|feta|brie|camembert|gouda|halloumi|ricotta|mascarpone|cottage cheese|cream cheese|goat cheese|swiss cheese|string cheese|cheese slice|yogurt|yoghurt|greek yogurt|kefir|egg|free-range egg|custard|pudding|ghee|labneh|quark|paneer|dairy',
  bakery:
    'bread|loaf|white bread|whole wheat bread|wholemeal bread|sourdough|rye bread|baguette|roll|bread roll|bun|burger bun|hot dog bun|bagel|croissant|muffin|english muffin|pita|pitta|naan|tortilla|wrap|flatbread|challah|brioche|ciabatta|focaccia|cake|cupcake|donut|doughnut|pastry|danish|scone|pie|tart|cookie|biscuit|brownie|crumpet|pretzel|cinnamon roll|birthday cake|pancake',
  'meat and fish':
    'chicken|chicken breast|chicken thigh|chicken wing|chicken drumstick|whole chicken|turkey|ground turkey|turkey breast|beef|ground beef|minced beef|mince|steak|sirloin|ribeye|brisket|roast|pork|pork chop|pork loin|bacon|ham|sausage|hot dog|salami|pepperoni|prosciutto|chorizo|lamb|lamb chop|veal|duck|meat|meatball|burger|burger patty|deli meat|turkey slice|fish|salmon|tuna steak|cod|haddock|tilapia|trout|halibut|sea bass|mackerel|sardine fillet|shrimp|prawn|crab|lobster|scallop|mussel|clam|oyster|squid|calamari|fish fillet|fillet|smoked salmon|anchovy fillet|liver|rib|spare rib|drumstick|wing|thigh',
  pantry:
    'rice|brown rice|basmati rice|jasmine rice|pasta|spaghetti|penne|macaroni|fusilli|linguine|lasagna|lasagne|noodle|ramen|egg noodle|couscous|quinoa|bulgur|barley|oat|oatmeal|porridge|rolled oat|cereal|granola|muesli|cornflake|flour|bread flour|self-raising flour|sugar|brown sugar|icing sugar|powdered sugar|honey|maple syrup|syrup|jam|jelly|marmalade|peanut butter|almond butter|nutella|tahini|hummus|salt|pepper|black pepper|spice|cumin|paprika|turmeric|cinnamon|nutmeg|oregano|chili powder|curry powder|garam masala|bay leaf|vanilla|vanilla extract|baking powder|baking soda|yeast|cocoa|cocoa powder|chocolate chip|oil|olive oil|vegetable oil|canola oil|sunflower oil|coconut oil|sesame oil|vinegar|balsamic vinegar|soy sauce|ketchup|mustard|mayonnaise|mayo|hot sauce|sriracha|bbq sauce|barbecue sauce|worcestershire sauce|salsa|pesto|tomato sauce|pasta sauce|marinara|tomato paste|passata|canned tomato|chopped tomato|diced tomato|bean|black bean|kidney bean|chickpea|lentil|baked bean|canned corn|tuna|canned tuna|sardine|anchovy|soup|stock|broth|chicken stock|vegetable stock|bouillon|stock cube|coconut milk|evaporated milk|condensed milk|nut|almond|walnut|cashew|peanut|pistachio|pecan|hazelnut|seed|sunflower seed|chia seed|flaxseed|raisin|dried fruit|dried apricot|prune|cracker|rice cake|chip|crisp|potato chip|tortilla chip|popcorn|pretzel stick|snack|chocolate|candy|sweet|gum|chewing gum|cookie mix|cake mix|pancake mix|breadcrumb|crouton|olive|pickle|caper|gherkin|sauerkraut|jalapeno slice|mac and cheese|instant noodle|baby food|formula|protein bar|granola bar|cereal bar|energy bar|gelatin|cornstarch|cornflour|molasses|agave|stevia|sweetener|ketjap|curry paste|miso|fish sauce|oyster sauce|hoisin sauce|teriyaki sauce|dressing|salad dressing|ranch|gravy|gravy granule|bread mix|polenta|semolina|tapioca|canned fruit|applesauce|peanut butter cup|marshmallow|sprinkle',
  frozen:
    'ice cream|ice|ice cube|frozen pizza|pizza|frozen pea|frozen vegetable|frozen berry|frozen fruit|frozen chip|french fry|fries|fish finger|fish stick|chicken nugget|nugget|frozen meal|tv dinner|ice pop|popsicle|ice lolly|sorbet|gelato|frozen yogurt|frozen waffle|waffle|frozen spinach|frozen corn|hash brown|tater tot|frozen dumpling|dumpling|frozen shrimp|frozen prawn|veggie burger|frozen dessert|ice cream sandwich|puff pastry|frozen puff pastry|pie crust|frozen lasagna|edamame frozen',
  drinks:
    'water|sparkling water|mineral water|bottled water|soda|cola|coke|diet coke|pepsi|sprite|lemonade|juice|orange juice|apple juice|cranberry juice|grape juice|tomato juice|smoothie|coffee|ground coffee|coffee bean|instant coffee|espresso|tea|green tea|herbal tea|tea bag|iced tea|hot chocolate|cocoa drink|beer|lager|ale|cider|wine|red wine|white wine|rose|prosecco|champagne|vodka|gin|rum|whiskey|whisky|tequila|liqueur|spirit|energy drink|red bull|sports drink|gatorade|kombucha|tonic|tonic water|club soda|soft drink|fizzy drink|squash drink|cordial|coconut water|milkshake|iced coffee|seltzer',
  household:
    'toilet paper|toilet roll|loo roll|paper towel|kitchen roll|kitchen towel|tissue|napkin|paper napkin|paper plate|plastic cup|cup|plate|foil|aluminium foil|aluminum foil|tin foil|cling film|plastic wrap|baking paper|parchment paper|sandwich bag|freezer bag|ziploc bag|zip bag|trash bag|bin bag|garbage bag|bin liner|dish soap|washing up liquid|dishwashing liquid|dishwasher tablet|dishwasher pod|dishwasher detergent|rinse aid|detergent|laundry detergent|washing powder|laundry pod|fabric softener|bleach|cleaner|all-purpose cleaner|glass cleaner|surface spray|disinfectant|disinfectant wipe|wipe|cleaning wipe|sponge|scrubber|steel wool|mop|broom|dustpan|bucket|glove|rubber glove|light bulb|bulb|battery|candle|match|lighter|air freshener|insect spray|bug spray|mouse trap|charcoal|lighter fluid|firewood|plastic bag|storage bag|storage box|food container|tupperware|dish cloth|cloth|towel|shoe polish|drain cleaner|toilet cleaner|toilet brush|descaler|stain remover|ironing water|cat litter|kitty litter|dog food|cat food|pet food|bird seed|dog treat|cat treat|tape|glue|string|envelope|stamp|notebook|pen|pencil|printer paper|laundry bag|clothes peg|hanger|extension cord|fuse|filter|water filter|vacuum bag|coffee filter|straw|toothpick|skewer|birthday candle|gift wrap|wrapping paper|balloon',
  'personal care':
    'shampoo|conditioner|hair conditioner|soap|hand soap|body wash|shower gel|bubble bath|toothpaste|toothbrush|floss|dental floss|mouthwash|deodorant|antiperspirant|razor|razor blade|shaving cream|shaving foam|aftershave|lotion|body lotion|moisturizer|moisturiser|face cream|hand cream|sunscreen|sun cream|sunblock|lip balm|chapstick|makeup|mascara|lipstick|foundation|nail polish|nail polish remover|cotton ball|cotton pad|cotton bud|cotton swab|q-tip|tampon|pad|sanitary pad|panty liner|menstrual cup|diaper|nappy|baby wipe|wet wipe|hair gel|hairspray|hair spray|hair dye|hair tie|hairbrush|comb|bobby pin|perfume|cologne|face wash|cleanser|toner|serum|face mask|vitamin|multivitamin|supplement|painkiller|ibuprofen|paracetamol|acetaminophen|aspirin|allergy pill|antihistamine|cough syrup|cough drop|throat lozenge|plaster|band-aid|bandage|first aid kit|thermometer|contact lens solution|eye drop|condom|pregnancy test|nail clipper|tweezers|hand sanitizer|sanitizer|tissues|deodorant stick|dry shampoo|bath salt|body scrub|loofah|baby powder|talc|medicine|prescription|pill|ointment|cream tube',
  other:
    'gift card|flower|bouquet|newspaper|magazine|greeting card|card|plant|phone charger|charger|sim card|lottery ticket|cigarette|tobacco|stamp book',
};

/** Common items as Israeli shoppers write them (Hebrew names are kept as written). */
const HEBREW: Record<ShoppingCategory, string> = {
  produce:
    'עגבניה|עגבניות|מלפפון|מלפפונים|בצל|בצלים|שום|תפוחי אדמה|תפוח אדמה|בטטה|תפוח|תפוחים|בננה|בננות|לימון|לימונים|תפוז|תפוזים|גזר|חסה|כרוב|פלפל|פלפלים|אבוקדו|תות|תותים|ענבים|אבטיח|מלון|פטרוזיליה|כוסברה|נענע|שמיר|קישוא|קישואים|חציל|פטריות|ירקות|פירות',
  dairy: "חלב|ביצים|ביצה|גבינה|גבינה לבנה|גבינה צהובה|קוטג׳|קוטג'|יוגורט|יוגורטים|חמאה|שמנת|שמנת חמוצה|לבנה|מעדן|מעדנים|בולגרית|פטה",
  bakery: 'לחם|לחמניות|לחמניה|פיתה|פיתות|חלה|חלות|באגט|עוגה|עוגיות|קרואסון|בורקס',
  'meat and fish': 'עוף|חזה עוף|שניצל|פרגיות|בשר|בשר טחון|סטייק|נקניקיות|נקניק|דג|דגים|סלמון|טונה טרייה|כבד|הודו',
  pantry:
    'אורז|פסטה|ספגטי|קמח|סוכר|מלח|פלפל שחור|שמן|שמן זית|חומוס|טחינה|קטשופ|מיונז|חרדל|רסק עגבניות|שימורים|טונה|תירס|עדשים|פתיתים|קורנפלקס|דגני בוקר|דבש|ריבה|שוקולד|במבה|ביסלי|חטיפים|קפה נמס|אבקת אפיה|שמרים|תבלינים|אגוזים',
  frozen: 'גלידה|קרח|ירקות קפואים|פיצה קפואה|שניצל קפוא|בצק עלים|אפונה קפואה',
  drinks: 'מים|מים מינרליים|סודה|מיץ|מיץ תפוזים|קפה|תה|יין|בירה|קולה|שתייה|משקה',
  household:
    'נייר טואלט|מגבות נייר|סבון כלים|נוזל כלים|אבקת כביסה|ג׳ל כביסה|מרכך כביסה|אקונומיקה|שקיות זבל|שקיות|נייר אפייה|נייר כסף|ספוג|ספוגים|מטליות|סוללות|נורות|אוכל לחתולים|אוכל לכלבים|חול לחתולים',
  'personal care':
    'שמפו|מרכך|סבון|משחת שיניים|מברשת שיניים|דאודורנט|קרם הגנה|חיתולים|מגבונים|תחבושות|טמפונים|סכיני גילוח|קרם גוף|ויטמינים|אקמול|נורופן',
  other: 'פרחים|מתנה|כרטיס ברכה',
};

const LEXICON = new Map<string, ShoppingCategory>();
for (const [category, items] of Object.entries(HEBREW) as [ShoppingCategory, string][])
  for (const item of items.split('|')) LEXICON.set(item, category);
for (const [category, items] of Object.entries(AISLES) as [ShoppingCategory, string][])
  for (const item of items.split('|')) if (!LEXICON.has(item)) LEXICON.set(item, category);

/** Word patterns that decide the aisle before the lexicon does. */
const OVERRIDES: Array<[RegExp, ShoppingCategory]> = [
  [/^frozen\b|\bice cream\b|\bice pops?\b/, 'frozen'],
  [/\b(juice|soda|beer|wine|tea|coffee|water|drink|lemonade|kombucha)$/, 'drinks'],
  [/\b(canned|tinned|dried|dry)\b/, 'pantry'],
  [/\b(sauce|paste|stock|broth|seasoning|spice|powder|extract|syrup|oil|vinegar|dressing|mix|flour|cereal)$/, 'pantry'],
  [/\b(shampoo|toothpaste|deodorant|lotion|soap|razor|wash)$/, 'personal care'],
  [/\b(detergent|cleaner|spray|tablets?|pods?|bags?|liners?|wipes?|foil|towels?|paper)$/, 'household'],
  [/\b(cheese|yogh?urt|milk|cream)$/, 'dairy'],
  [/\b(bread|rolls?|buns?|cake|muffins?|bagels?|pastry|pastries|croissants?)$/, 'bakery'],
  [/\b(steak|fillet|mince|chops?|sausages?|breast|thighs?|wings?|ribs?)$/, 'meat and fish'],
];

/** The aisle for a singular, lowercase item name. */
export function aisleOf(name: string): ShoppingCategory {
  const exact = LEXICON.get(name);
  if (exact) return exact;
  for (const [re, category] of OVERRIDES) if (re.test(name)) return category;
  const words = name.split(' ');
  for (let i = 1; i < words.length; i++) {
    const hit = LEXICON.get(words.slice(i).join(' '));
    if (hit) return hit;
  }
  for (let i = words.length - 1; i >= 0; i--) {
    const hit = LEXICON.get(words[i]!);
    if (hit) return hit;
  }
  return 'other';
}
