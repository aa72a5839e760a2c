import { EmailTriageInput, EmailTriageOutput, type TriageCategory } from '@csme/contracts/skills';
import { DateTime } from 'luxon';
import type { z } from 'zod';
import { defineSkill, type SkillContext } from '#core/skill.js';
import { findDates, loadDateEngine } from './dates.js';
import { tryModel } from './model.js';
import { htmlToText, looksLikeHtml, sentencesOf, withoutQuotes } from './text.js';
import { instantIn, isoDate, isoInstant } from './time.js';

type Input = z.output<typeof EmailTriageInput>;
type Output = z.input<typeof EmailTriageOutput>;

/** How much of a message the rules read: enough for any real mail, and fast on a 1 MB one. */
const READ = 6000;

type Signal = [name: string, pattern: RegExp, weight: number];

/** Mailboxes no person writes from. */
const AUTOMATED_LOCAL =
  /^(?:no-?reply|do-?not-?reply|donotreply|noreply|notifications?|notify|alerts?|mailer(?:-daemon)?|postmaster|bounces?|system|automated|auto|robot|bot|updates?|news|newsletters?|marketing|promo(?:tions)?|offers|deals|digest|billing|receipts?|orders?|invoices?|payments?|accounts?|security|shipping|delivery|calendar(?:-notification)?|events?|members?|rewards|verify|verification|confirm|statements?|transactions?|auto-confirm|confirmation|tracking|shipment-tracking|order-update|purchases?|itinerary|booking|reservations?|account-security-noreply|drive-shares-noreply|editors-noreply|messenger|discover|engage|wix-team)(?:[._+-].*)?$/i;
/** Company mailboxes: a person may write from them (a support agent), but they are not a person's own. */
const COMPANY_LOCAL =
  /^(?:info|hello|hi|team|support|help|helpdesk|servicedesk|it|service|services|store|shop|community|feedback|careers|jobs|admin|reply|mail|email|msg|messages|customer\w*|sales|contact|office|hr|ops)(?:[._+-].*)?$/i;
const BULK_DOMAIN =
  /(?:^|\.)(?:mailchimp|mcsv|sendgrid|mailgun|amazonses|substack|beehiiv|convertkit|klaviyo|hubspot|mktomail|exacttarget|cmail\d*|createsend|constantcontact|e\.|em\.|email\.|mail\.|news\.|newsletter\.|marketing\.|info\.|notifications?\.|alerts?\.|updates?\.)/i;
const PERSONAL_DOMAIN = /@(?:gmail|googlemail|yahoo|hotmail|outlook|live|icloud|me|mac|aol|proton(?:mail)?|gmx|fastmail|hey|walla|zoho)\./i;

const SIGNALS: Record<TriageCategory, Signal[]> = {
  receipt: [
    ['a receipt', /\breceipts?\b/i, 3],
    [
      'an order confirmation',
      /\b(?:order\s+(?:confirmation|confirmed|#|number|no\.?|received|summary|details)|your\s+order\b(?!\s+(?:has|is|was)\s+(?:shipped|on|out|been\s+shipped|delivered|dispatched)))/i,
      3,
    ],
    [
      'a payment confirmation',
      /\b(?:(?:just\s+)?(?:sent|made|transferred|wired)\s+(?:you\s+)?(?:the|your|a|my)?\s*payment|payment\s+(?:received|confirmation|confirmed|successful|complete[d]?|processed)|thanks?\s+(?:you\s+)?for\s+your\s+(?:order|purchase|payment)|we(?:'ve|\s+have)\s+received\s+your\s+payment|you\s+(?:paid|sent)\s+(?:[$€£₪]|\d)|amount\s+(?:paid|charged)|has\s+been\s+charged|purchase\s+confirm\w*|transaction\s+(?:receipt|confirm\w*|id|details))/i,
      4,
    ],
    [
      'an invoice',
      /\b(?:invoice|tax\s+invoice|billing\s+statement|your\s+bill\s+(?:is\s+ready|for)|statement\s+for|subscription\s+renew(?:ed|al\s+confirm\w*)|renewal\s+receipt)\b/i,
      2,
    ],
    [
      'a booking confirmation',
      /\b(?:booking|reservation|e-?ticket|itinerary)\s+(?:confirm\w*|number|#|receipt|reference)|\bconfirmation\s+(?:number|code|#)|\byour\s+(?:booking|reservation|tickets?)\b/i,
      2.5,
    ],
    [
      'amounts paid',
      /\b(?:total|subtotal|amount|paid|charged|tax|vat)\b[^\n]{0,30}?(?:[$€£₪¥]\s?\d|\d[\d,.]*\s?(?:USD|EUR|GBP|ILS|NIS))/i,
      2,
    ],
    ['a refund', /\brefund(?:ed)?\s+(?:of|has|was|issued|processed|confirm\w*)|\byour\s+refund\b/i, 3],
    [
      'money received',
      /\b(?:(?:sent|transferred|paid)\s+you\s+(?:[$€£₪]\s?\d|\d[\d,.]*\s?(?:USD|EUR|GBP|ILS|NIS))|(?:sent|transferred|paid)\s+(?:[$€£₪]\s?\d[\d,.]*|\d[\d,.]*\s?(?:USD|EUR|GBP|ILS|NIS))\s+to\s+you\b|you(?:'ve|\s+have)?\s+(?:received|got)\s+(?:money|a\s+payment|[$€£₪]\s?\d)|money\s+is\s+(?:now\s+)?in\s+your|payment\s+received\s+from)/i,
      4,
    ],
  ],
  notification: [
    [
      'a shipping update',
      /\b(?:has\s+(?:been\s+)?shipped|shipped|out\s+for\s+delivery|(?:was|been|is)\s+delivered|delivery\s+(?:update|attempt|scheduled|window|is\s+on)|tracking\s+(?:number|info|link|#)|track\s+your\s+(?:package|order|parcel|shipment)|your\s+(?:package|parcel|shipment)|on\s+its\s+way|dispatched|in\s+transit|arriving\s+(?:today|tomorrow)|ready\s+for\s+pick-?up)\b/i,
      4,
    ],
    [
      'a security alert',
      /\b(?:security\s+alert|new\s+(?:sign-?in|login|device)|sign-?in\s+(?:attempt|from|on)|login\s+(?:attempt|from|alert)|unusual\s+(?:activity|sign-?in)|suspicious|verification\s+code|verify\s+your\s+(?:email|account|identity)|one-?time\s+(?:code|password|passcode)|\botp\b|password\s+(?:reset|changed|was\s+changed|expir\w+)|reset\s+your\s+password|two-?factor|2fa|security\s+code|access\s+code|your\s+code\s+is|recovery\s+(?:email|phone|code))\b/i,
      4,
    ],
    [
      'a system alert',
      /\b(?:(?:build|deploy(?:ment)?|pipeline|job|workflow|run|check|test)s?\s+(?:failed|succeeded|passed|broken|fixed|completed|was\s+cancelled)|(?:commented\s+on|mentioned\s+you|assigned\s+(?:to\s+)?you|requested\s+your\s+review|opened\s+(?:a|an|this)\s+(?:pull\s+request|issue)|merged|new\s+(?:comment|follower|connection|message|login|review)|pull\s+request|merge\s+request)|(?:storage|mailbox|disk|quota)\s+(?:is\s+)?(?:almost\s+|nearly\s+)?full|backup\s+(?:completed|failed|finished)|(?:server|service|site|website|monitor|uptime)\s+(?:is\s+)?(?:down|up|restored|degraded)|incident|outage|maintenance\s+(?:window|scheduled|notice))\b|scheduled\s+(?:maintenance|downtime)|will\s+be\s+(?:unavailable|down|offline|interrupted)/i,
      3.5,
    ],
    [
      'an account notice',
      /\b(?:your\s+account|account\s+(?:update|activity|notice|alert|statement|settings)|low\s+balance|balance\s+(?:alert|is)|payment\s+(?:failed|declined|due\s+soon|is\s+due|reminder)|card\s+(?:ending|expir\w+|was\s+declined)|statement\s+is\s+(?:ready|available)|subscription\s+(?:will|is\s+about\s+to|has)\s+(?:renew|expire|ended)|trial\s+(?:ends|is\s+ending|expires)|autopay|direct\s+debit|appointment\s+(?:reminder|confirmed|is\s+(?:on|tomorrow|coming))|your\s+(?:appointment|prescription|claim|application|request|ticket|case)\s+(?:is|has|was)|has\s+been\s+(?:updated|changed|approved|cancel+ed|submitted|received|renewed|activated)|is\s+now\s+(?:available|ready|live))\b/i,
      2.5,
    ],
    [
      'an automated message',
      /\b(?:do\s+not\s+reply|don't\s+reply|this\s+is\s+an\s+automated|automatically\s+generated|automated\s+(?:message|notification|email)|no-?reply|you(?:'re|\s+are)\s+receiving\s+this\s+(?:because|notification)|notification\s+settings|manage\s+(?:your\s+)?notifications)\b/i,
      2,
    ],
  ],
  newsletter: [
    [
      'an unsubscribe link',
      /\b(?:unsubscribe|opt[\s-]?out|manage\s+(?:your\s+)?(?:subscription|preferences|email\s+preferences)|update\s+your\s+preferences|email\s+preferences)\b/i,
      3,
    ],
    [
      'a newsletter',
      /\b(?:newsletter|digest|weekly\s+(?:roundup|round-up|update|recap|picks)|monthly\s+(?:roundup|update|recap)|this\s+week\s+(?:in|at|on)|top\s+(?:stories|picks|reads)|issue\s+(?:#|no\.?\s*)?\d+|edition|view\s+(?:this\s+email\s+)?in\s+(?:your\s+)?browser|read\s+(?:more|online|the\s+full)|in\s+this\s+issue|trending|what's\s+new|new\s+on\s+our\s+blog|podcast|episode)\b/i,
      3,
    ],
    [
      'a promotion',
      /\b(?:\d{1,2}\s?%\s+off|sale\b|discount|deals?\b|limited[\s-]time|offer\s+ends|ends\s+(?:tonight|soon|today)|shop\s+(?:now|the)|new\s+arrivals|exclusive\s+(?:offer|access|deal)|special\s+offer|promo(?:tion)?(?:\s+code)?|coupon|free\s+shipping|black\s+friday|cyber\s+monday|flash\s+sale|save\s+(?:up\s+to\s+)?[$€£₪]?\d|buy\s+(?:one|now|\d)|don't\s+miss|last\s+chance|early\s+bird|bestsellers?|just\s+dropped|restock(?:ed)?|members?\s+only|rewards?\s+points?|earn\s+points|webinar|register\s+now|sign\s+up\s+(?:now|today)|join\s+us\s+(?:for|at)|free\s+trial|upgrade\s+(?:now|today|to))\b/i,
      2.5,
    ],
  ],
  meeting: [
    [
      'a calendar invitation',
      /^(?:(?:updated\s+)?invitation|invite|accepted|declined|tentative(?:ly\s+accepted)?|cancell?ed(?:\s+event)?|rescheduled|event\s+(?:canceled|cancelled|updated)|new\s+event|meeting\s+(?:request|invite|invitation))\s*:/i,
      6,
    ],
    [
      'an invitation',
      /\b(?:invited\s+you|invitation\s+to|calendar\s+invite|meeting\s+(?:request|invite|invitation)|you(?:'ve|\s+have)\s+been\s+invited|join\s+(?:the\s+)?(?:zoom|teams|meeting|call|webex)|zoom\.us\/j|teams\.microsoft|meet\.google|\.ics\b|add\s+to\s+(?:your\s+)?calendar|rsvp)\b/i,
      4,
    ],
    [
      'a scheduling request',
      /\b(?:(?:are|would)\s+you\s+(?:be\s+)?(?:free|available)|does\s+[^.?\n]{0,40}\s+work\s+for\s+you|what\s+time\s+works|when\s+(?:are|would)\s+you\s+(?:be\s+)?(?:free|available)|(?:find|pick|suggest|propose|set\s+up|book|schedule|arrange)\s+(?:a\s+)?(?:time|slot|date|meeting|call|chat)|(?:schedule|set\s+up|book|arrange|have)\s+(?:a|an|our|the)\s+(?:[\w-]+\s+){0,3}?(?:call|meeting|chat|sync|1:1|catch-?up|interview|review|session|demo|walk-?through)|(?:have|got|find|spare)\s+(?:\d+|a\s+few|some|half\s+an?)\s+(?:minutes|mins|hour)|\bfor\s+a\s+(?:quick\s+|short\s+|brief\s+)?(?:call|chat|meeting|coffee)\b|(?:does|would|will|can)\s+(?:mon|tue|wed|thu|fri|sat|sun|tomorrow|next|this|\d)[^.?\n]{0,40}\s+work|let's\s+(?:meet|catch\s+up|grab|have\s+(?:a\s+)?(?:call|coffee|lunch|meeting)|sync|talk)|(?:meet|call)\s+(?:up\s+)?(?:on|at|next|this|tomorrow)|reschedul\w*|(?:move|push|postpone)\s+(?:our|the|my|this)\s+(?:meeting|call|session|appointment|sync|1:1)|your\s+availability|availability\s+(?:for|next|this)|(?:coffee|lunch)\s+(?:chat|meeting)?\s*(?:next|this|on|tomorrow)|agenda\s+for|1:1|one-on-one|catch[\s-]up\s+call|interview\s+(?:slot|schedule)|time\s+slots?)\b|(?:moves?|moved|moving|postponed|pushed|rescheduled|changed|shifted)\s+(?:back\s+|forward\s+)?to\s+(?:mon|tue|wed|thu|fri|sat|sun|tomorrow|next|this|\d)/i,
      3.5,
    ],
    [
      'a proposed time',
      /(?:^|\s)(?:\d{1,2}(?::\d\d)?\s*(?:am|pm)|tomorrow|tonight|(?:mon|tues|wednes|thurs|fri|satur|sun)day)(?:\s+(?:at\s+)?\d{1,2}(?::\d\d)?\s*(?:am|pm)?)?\s*\?/i,
      3,
    ],
  ],
  action: [
    [
      'a payment request',
      /\b(?:(?:amount|balance|payment)\s+(?:is\s+)?due|due\s+(?:within|by|on|upon)|please\s+(?:pay|remit|settle|transfer)|pay\s+(?:by|before|within)|outstanding\s+(?:balance|invoice|amount)|payable\s+(?:by|within|upon))\b/i,
      3,
    ],
    [
      'a request to you',
      /\b(?:can\s+you|could\s+you|would\s+you(?:\s+mind)?|will\s+you|can\s+u|pls|please\s+(?!find\s+attached|see\s+attached|note\b|do\s+not\s+reply)\w+|i\s+need\s+you\s+to|need\s+(?:you|your)\b|(?:let|lmk)\s+(?:me|us)\s+know|get\s+back\s+to\s+me|(?:your|any)\s+(?:thoughts|feedback|input|approval|sign-?off|comments|decision)|(?:kindly|please)\s+(?:review|approve|sign|confirm|send|reply|respond|complete|fill|submit|update|check)|awaiting\s+your|waiting\s+(?:for|on)\s+your|action\s+(?:required|needed)|response\s+(?:required|needed)|requires?\s+your|make\s+sure\s+(?:to|you)|don't\s+forget\s+to|remember\s+to|you\s+(?:need|have)\s+to|you\s+should|is\s+due\s+(?:by|on)|due\s+(?:by|date)|deadline|by\s+(?:end\s+of\s+(?:day|week|month)|eod|eow|cob|tomorrow|tonight|(?:this|next)\s+\w+|mon|tue|wed|thu|fri|sat|sun)\w*|asap|as\s+soon\s+as\s+possible|sign\s+(?:the|this)|fill\s+(?:in|out)|send\s+(?:me|over|us|it)|reply\s+(?:to|with|by)|respond\s+(?:to|by))\b/i,
      3,
    ],
    ['a question to you', /\?\s*(?:$|\n)|\?\s+[A-Z]/m, 2],
  ],
  fyi: [
    [
      'an update with nothing to do',
      /\b(?:fyi|f\.y\.i|for\s+your\s+(?:information|records|reference)|heads[\s-]up|just\s+(?:wanted\s+to\s+)?(?:let\s+you\s+know|letting\s+you\s+know|sharing|a\s+note|an\s+update|to\s+say)|no\s+(?:need|action)\s+(?:to\s+(?:reply|respond|do)|needed|required)|nothing\s+(?:to\s+do|needed)|(?:thought|figured)\s+you(?:'d|\s+would|\s+might)\s+(?:like|enjoy|want|find)|sharing\s+(?:this|the|some)|in\s+case\s+you|good\s+news|quick\s+update|status\s+update|update\s+on|notes\s+from|minutes\s+from|recap\s+of|wanted\s+to\s+share|for\s+reference|just\s+so\s+you\s+know|jsyk|great\s+(?:job|work|news)|congrat\w*|happy\s+birthday|welcome\s+(?:to\s+the\s+team|aboard)|photos?\s+from)\b/i,
      2.5,
    ],
    [
      'thanks or pleasantries',
      /\b(?:thanks?\s+(?:so\s+much\s+|again\s+)?for|thank\s+you|see\s+(?:you|ya)\s+(?:soon|then|there|tomorrow)|love\s+you|hope\s+you(?:'re|\s+are)\s+well)\b/i,
      1,
    ],
  ],
};

const AUTOMATED_BODY =
  /\b(?:reply\s+(?:via|in|on)\s+[A-Z]\w+|view\s+(?:it\s+|this\s+|them\s+|messages\s+)?(?:on|in)\s+[A-Z]\w+|open\s+in\s+[A-Z]\w+|reply\s+to\s+this\s+email\s+directly|you(?:'re|\s+are)\s+receiving\s+this|notification\s+settings|manage\s+(?:your\s+)?notifications|this\s+(?:email|message)\s+was\s+(?:sent|generated)\s+(?:to|by|automatically)|(?:do\s+not|don't|please\s+do\s+not)\s+reply\s+to\s+this)\b/i;

interface Sender {
  address: string;
  name: string;
  automated: boolean;
  person: boolean;
}

function senderOf(from: string): Sender {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(from);
  const address = (m ? m[2]! : from).trim().toLowerCase();
  const name = (m ? m[1]! : '').trim();
  const local = address.split('@')[0] ?? '';
  const domain = address.split('@')[1] ?? '';
  // first.last, first_l: a person's own mailbox (a single word is as often a brand's: jira@, etsy@).
  const personLocal = /^[a-z]+[._-][a-z]+\d{0,4}$/.test(local) && !AUTOMATED_LOCAL.test(local) && !COMPANY_LOCAL.test(local);
  const first = name.split(/\s+/)[0]?.toLowerCase() ?? '';
  const companyWords =
    /\b(?:team|support|news|store|shop|bank|service|notifications?|alerts?|billing|app|inc|ltd|llc|co|receipts?|payments?|calendar|account|security|updates?|digest|daily|weekly)\b/i;
  // One capitalised word is as often a company ("Etsy") as a person: a person's also matches the address or a personal mailbox.
  const personName =
    !companyWords.test(name) &&
    (/^[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’.-]*)+$/.test(name) ||
      (/^[A-Z][a-z'’-]+$/.test(name) &&
        (PERSONAL_DOMAIN.test(address) || (first.length > 2 && local.startsWith(first) && local !== first))));
  const automated =
    AUTOMATED_LOCAL.test(local) || BULK_DOMAIN.test(domain) || (/\b(?:no-?reply|notifications?|alerts?)\b/i.test(name) && !personLocal);
  const person =
    !automated && !COMPANY_LOCAL.test(local) && (personName || (personLocal && !companyWords.test(name)) || PERSONAL_DOMAIN.test(address));
  return { address, name, automated, person };
}

interface Scored {
  category: TriageCategory;
  reasons: Map<TriageCategory, string[]>;
  body: string;
  sender: Sender;
  /** Sent by a machine: an automated mailbox, bulk headers or a platform's footer. */
  machine: boolean;
}

function classify(input: Input): Scored {
  const sender = senderOf(input.from);
  let raw = input.text || input.html || '';
  if (looksLikeHtml(raw.slice(0, READ * 4))) raw = htmlToText(raw.slice(0, READ * 8));
  const body = withoutQuotes(raw.slice(0, READ * 2)).slice(0, READ);
  const subject = input.subject.slice(0, 500);
  const headers = Object.fromEntries(Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const bulk = 'list-unsubscribe' in headers || 'list-id' in headers || /bulk|list/i.test(headers.precedence ?? '');
  const auto = /auto-(?:generated|replied)/i.test(headers['auto-submitted'] ?? '');
  const score: Record<TriageCategory, number> = { action: 0, meeting: 0, receipt: 0, newsletter: 0, notification: 0, fyi: 0 };
  const reasons = new Map<TriageCategory, string[]>();
  for (const [category, signals] of Object.entries(SIGNALS) as [TriageCategory, Signal[]][]) {
    for (const [name, re, weight] of signals) {
      const inSubject = re.test(subject);
      const inBody = re.test(body);
      if (!inSubject && !inBody) continue;
      score[category] += weight * (inSubject ? 1.5 : 1) + (inSubject && inBody ? weight * 0.25 : 0);
      reasons.set(category, [...(reasons.get(category) ?? []), name]);
    }
  }
  if (bulk) score.newsletter += 3;
  if (auto) score.notification += 2;
  // "Reply via Trello", "View in Asana": the footers of a platform's notifications.
  const platform = AUTOMATED_BODY.test(body);
  const machine = sender.automated || bulk || auto || platform;
  if (machine) {
    // Machines neither ask nor chat: their "please" and "?" are boilerplate.
    score.action *= 0.25;
    score.fyi *= 0.2;
    score.meeting *= score.meeting >= 6 ? 1 : 0.5;
    score.notification += 1.5;
  } else {
    score.action += sender.person ? 0.5 : 0;
    score.fyi += sender.person ? 1.5 : 0.5;
    score.newsletter *= bulk ? 1 : 0.6;
    score.receipt *= sender.person ? 0.85 : 1;
    score.notification *= sender.person ? 0.4 : 0.8;
    // A person who asks wins over one who only shares.
    if (score.action >= 3) score.fyi *= 0.5;
    // A person proposing a time is scheduling, even when they ask.
    if (score.meeting >= 3.5) score.action *= 0.6;
  }
  // An invoice to pay asks for something; one already paid confirms it.
  if (
    reasons.get('action')?.includes('a payment request') &&
    !reasons.get('receipt')?.some((r) => r === 'a payment confirmation' || r === 'money received')
  )
    score.receipt *= 0.5;
  // A shipping notice mentions the order; an order confirmation may mention shipping.
  if (reasons.get('notification')?.includes('a shipping update') && !/receipt|payment|invoice|thank/i.test(subject)) score.receipt *= 0.6;
  if (reasons.get('newsletter')?.includes('an unsubscribe link') && score.receipt >= 4) score.newsletter *= 0.5;
  const order: TriageCategory[] = ['meeting', 'receipt', 'notification', 'newsletter', 'action', 'fyi'];
  let best: TriageCategory = machine ? 'notification' : 'fyi';
  let top = 0.9;
  for (const c of order)
    if (score[c] > top) {
      best = c;
      top = score[c];
    }
  return { category: best, reasons, body, sender, machine };
}

const URGENT =
  /\b(?:urgent|asap|immediately|right\s+away|as\s+soon\s+as\s+possible|action\s+required|important|final\s+(?:notice|reminder)|overdue|past\s+due|security\s+alert|suspicious|unusual\s+(?:sign-?in|activity)|password\s+(?:was\s+)?changed|fraud|(?:payment|card)\s+(?:failed|declined)|today|tonight|eod|end\s+of\s+(?:the\s+)?day|by\s+tomorrow|deadline\s+is\s+(?:today|tomorrow))\b/i;

const REQUEST =
  /\b(?:can\s+you|could\s+you|would\s+you|will\s+you|please|pls|i\s+need\s+you\s+to|need\s+(?:you|your)|let\s+me\s+know|get\s+back\s+to\s+me|make\s+sure|don't\s+forget|remember\s+to|you\s+(?:need|have)\s+to|kindly|send\s+(?:me|over|us)|review|approve|sign|confirm|fill\s+(?:in|out)|submit|reply|respond|rsvp|due|deadline)\b|\?$/i;
/** Words without which a sentence names no date: chrono (the slow part) only reads sentences that have one. */
const DATEISH =
  /\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|tonight|noon|midnight|eod)\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\b(?:next|this)\s+(?:week|month|mon|tue|wed|thu|fri|sat|sun)|\bend\s+of\s+(?:the\s+)?(?:day|week|month)|\bin\s+\d+\s+(?:days?|weeks?|hours?)|\d[/:.]\d|\d\s*(?:am|pm)\b|\bthe\s+\d{1,2}(?:st|nd|rd|th)\b/i;

function actionItems(body: string, subject: string, now: DateTime | null) {
  const items: { text: string; due: string | null }[] = [];
  for (const s of sentencesOf(body)) {
    if (items.length >= 5) break;
    if (s.length > 400 || !REQUEST.test(s)) continue;
    if (/^(?:thanks|thank\s+you|best|regards|cheers|sent\s+from)/i.test(s)) continue;
    let due: string | null = null;
    if (now && DATEISH.test(s)) {
      const d = findDates(s, now)[0];
      if (d) due = d.start.allDay ? isoDate(d.start.date) : isoInstant(d.start.at);
    }
    items.push({ text: s.replace(/^[-*•\s]+/, ''), due });
  }
  if (items.length === 0 && subject.trim()) items.push({ text: subject.trim().slice(0, 200), due: null });
  return items;
}

const LABEL: Record<TriageCategory, string> = {
  action: 'asks you to do or answer something',
  meeting: 'is about a meeting or scheduling',
  receipt: 'confirms a purchase or payment',
  newsletter: 'is bulk or marketing mail',
  notification: 'is an automated alert',
  fyi: 'is from a person and needs no action',
};

function triageLocal(input: Input, sctx: SkillContext | null): Output {
  const { category, reasons, body, sender, machine } = classify(input);
  const zone = sctx?.timeZone ?? 'UTC';
  const asks = category === 'action' || category === 'meeting';
  // Dates resolve from when the mail was sent; only mail that asks for something needs them.
  const sent = !asks ? null : input.date ? instantIn(input.date, zone) : sctx ? DateTime.fromJSDate(sctx.now) : null;
  const now = sent?.isValid ? sent.setZone(zone) : null;
  const items = asks ? actionItems(body, input.subject, now) : [];
  const text = `${input.subject} ${body.slice(0, 2000)}`;
  let priority: Output['priority'] = 'normal';
  if (URGENT.test(text) && category !== 'newsletter') priority = 'high';
  else if (category === 'newsletter' || category === 'receipt' || category === 'fyi') priority = 'low';
  else if (category === 'notification' && !reasons.get('notification')?.includes('a security alert')) priority = 'low';
  if (priority === 'normal' && now && items.some((i) => i.due && DateTime.fromISO(i.due, { zone }).diff(now, 'hours').hours < 36))
    priority = 'high';
  const why = reasons.get(category)?.slice(0, 2);
  const who = machine ? 'an automated sender' : sender.person ? 'a person' : 'a company or unknown sender';
  return {
    category,
    priority,
    actionItems: items,
    reason: `From ${who}; ${LABEL[category]}${why?.length ? ` (${why.join(', ')})` : ''}.`,
  };
}

const ModelTriage = EmailTriageOutput;

export const emailTriage = defineSkill({
  id: 'email.triage',
  description:
    'Sorts an email into action, meeting, receipt, newsletter, notification or fyi, with a priority, the action items it asks for (and their due dates) and the reason.',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: EmailTriageInput,
  output: EmailTriageOutput,
  async run(sctx, input) {
    await loadDateEngine();
    const viaModel = await tryModel(sctx, ModelTriage, {
      system:
        'You triage one email for its recipient. category: action (they must do or answer something), meeting (an invitation or scheduling), receipt (a purchase, payment or invoice confirmation), newsletter (bulk, marketing, digests), notification (automated alerts: shipping, security, system), fyi (from a person, no action needed). priority: high, normal or low. actionItems: what the recipient must do, each with due as ISO 8601 or null. reason: one short sentence.',
      prompt: JSON.stringify({ ...input, text: (input.text || input.html || '').slice(0, READ) }),
    });
    return viaModel ?? triageLocal(input, sctx);
  },
});
