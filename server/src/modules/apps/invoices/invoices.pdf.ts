// The invoice PDF. pdfkit draws glyphs in the order it is given and does no bidirectional layout, and
// fontkit (under it) reverses every run it thinks is right-to-left on its own. So each line is laid
// out here: words are wrapped in logical order, then the Unicode Bidirectional Algorithm (bidi-js,
// UAX #9) orders the line into level runs, drawn left to right at their own x: a right-to-left run
// is handed over in logical order as one shaping run (fontkit reverses it and places marks such as
// niqqud), a run of neutrals alone is reversed here; mirrored characters ("(" in Hebrew) are swapped.
// Right-to-left paragraphs are right-aligned. DejaVu Sans is embedded: the standard PDF fonts cover
// WinAnsi only (no Hebrew, no ₪).
import bidiFactory, { type Bidi } from 'bidi-js';
import PDFDocument from 'pdfkit';

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const FONT_BOLD = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
// bidi-js is CommonJS whose module.exports is the factory (its types describe an ES default export).
const bidi = (bidiFactory as unknown as () => Bidi)();
/** Whole-run shaping: without `features` pdfkit lays out word by word, and fontkit would reverse each word alone. */
const SHAPE = { features: ['kern', 'liga'] } as unknown as PDFKit.Mixins.TextOptions;
const STRONG_RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;
const CONTROLS = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

type Direction = 'ltr' | 'rtl';

/** The paragraph's direction from its first strong character (UAX #9 P2-P3), or `fallback` when it has none. */
function paragraphDirection(text: string, fallback: Direction): Direction {
  for (const ch of text) {
    const t = bidi.getBidiCharTypeName(ch);
    if (t === 'L') return 'ltr';
    if (t === 'R' || t === 'AL') return 'rtl';
  }
  return fallback;
}

interface Run {
  text: string;
  rtl: boolean;
}

/** One line's level runs in visual order (left to right), each with its characters in the order to hand to pdfkit. */
function visualRuns(line: string, dir: Direction): Run[] {
  if (!line) return [];
  const levels = bidi.getEmbeddingLevels(line, dir);
  const order = bidi.getReorderedIndices(line, levels);
  const mirrored = bidi.getMirroredCharactersMap(line, levels.levels);
  const runs: Run[] = [];
  let cur: number[] = [];
  const flush = () => {
    if (!cur.length) return;
    const rtl = ((levels.levels[cur[0]!] ?? 0) & 1) === 1;
    const logical = rtl ? [...cur].reverse() : cur;
    // Surrogate pairs come back together in logical order; characters become their mirror images.
    const text = logical.map((i) => mirrored.get(i) ?? line[i]).join('');
    runs.push({ text, rtl });
    cur = [];
  };
  for (const i of order) {
    if (cur.length && levels.levels[i] !== levels.levels[cur[0]!]) flush();
    cur.push(i);
  }
  flush();
  return runs
    .map((r) => {
      const text = r.text.replace(CONTROLS, '');
      // fontkit reverses a run only when it finds a right-to-left script in it: neutrals alone are ordered here.
      if (r.rtl && !STRONG_RTL.test(text))
        return {
          rtl: r.rtl,
          text: Array.from(graphemes.segment(text), (s) => s.segment)
            .reverse()
            .join(''),
        };
      return { ...r, text };
    })
    .filter((r) => r.text.length > 0);
}

type Doc = PDFKit.PDFDocument;

function widthOf(doc: Doc, runs: Run[]): number {
  return runs.reduce((w, r) => w + doc.widthOfString(r.text, SHAPE), 0);
}

/** Draws one line at `y` inside [x, x + width], aligned to its direction's start (or `align`). */
function drawLine(doc: Doc, line: string, x: number, y: number, width: number, o: { dir?: Direction; align?: 'start' | 'end' } = {}) {
  const dir = o.dir ?? paragraphDirection(line, 'ltr');
  const runs = visualRuns(line, dir);
  const w = widthOf(doc, runs);
  const atRight = (dir === 'rtl') !== (o.align === 'end');
  let at = atRight ? x + width - w : x;
  for (const r of runs) {
    doc.text(r.text, at, y, { ...SHAPE, lineBreak: false });
    at += doc.widthOfString(r.text, SHAPE);
  }
}

/** Breaks a paragraph into lines that fit `width`, in logical order (bidi is applied per line afterwards, UAX #9 L1). */
function wrap(doc: Doc, text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.replace(/\r\n?/g, '\n').split('\n')) {
    const words = para.split(/(?<=\s)/);
    let line = '';
    for (const word of words) {
      const next = line + word;
      if (!line || doc.widthOfString(next.trimEnd(), SHAPE) <= width) {
        line = next;
        continue;
      }
      lines.push(line.trimEnd());
      line = word;
      // A single word wider than the line is cut by characters.
      while (doc.widthOfString(line.trimEnd(), SHAPE) > width && line.length > 1) {
        let cut = line.length - 1;
        while (cut > 1 && doc.widthOfString(line.slice(0, cut), SHAPE) > width) cut--;
        lines.push(line.slice(0, cut));
        line = line.slice(cut);
      }
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

/** Draws a paragraph (wrapped, each line in bidi order) and moves doc.y below it. */
function paragraph(doc: Doc, text: string, x: number, width: number, o: { dir?: Direction; fallback?: Direction; gap?: number } = {}) {
  const lineHeight = doc.currentLineHeight(true);
  for (const line of wrap(doc, text, width)) {
    if (doc.y + lineHeight > doc.page.height - doc.page.margins.bottom) doc.addPage();
    const dir = o.dir ?? paragraphDirection(line, o.fallback ?? 'ltr');
    drawLine(doc, line, x, doc.y, width, { dir });
    doc.y += lineHeight + (o.gap ?? 0);
  }
}

export interface InvoicePdfData {
  reference: string | null;
  status: 'draft' | 'sent' | 'paid' | 'overdue';
  language: 'en' | 'he';
  seller: { name: string; details: string; email: string };
  client: { name: string; email: string; details: string };
  currency: string;
  lines: { description: string; quantity: string; unitPrice: number; amount: number }[];
  taxRate: number;
  discountRate: number;
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
  issueDate: string | null;
  dueDate: string | null;
  notes: string;
}

const LABELS = {
  en: {
    invoice: 'Invoice',
    draft: 'Draft invoice (not issued yet)',
    from: 'From',
    to: 'Bill to',
    issued: 'Issue date',
    due: 'Due date',
    description: 'Description',
    quantity: 'Qty',
    price: 'Unit price',
    amount: 'Amount',
    subtotal: 'Subtotal',
    discount: 'Discount',
    tax: 'Tax',
    total: 'Total due',
    paid: 'Paid',
    notes: 'Notes',
    currency: 'Amounts in',
  },
  he: {
    invoice: 'חשבונית',
    draft: 'טיוטת חשבונית (טרם הופקה)',
    from: 'מאת',
    to: 'לכבוד',
    issued: 'תאריך הפקה',
    due: 'לתשלום עד',
    description: 'תיאור',
    quantity: 'כמות',
    price: 'מחיר ליחידה',
    amount: 'סכום',
    subtotal: 'סכום ביניים',
    discount: 'הנחה',
    tax: 'מס',
    total: 'סה"כ לתשלום',
    paid: 'שולם',
    notes: 'הערות',
    currency: 'הסכומים ב-',
  },
} as const;

/** Minor units as money: 123450 USD -> "$1,234.50"; the currency decides how many decimals. */
export function formatMoney(minor: number, currency: string): string {
  const f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(minor / 10 ** digits).replace(CONTROLS, '');
}

const percent = (n: number) => `${Number(n.toFixed(4))}%`;

/** The invoice as a PDF (A4), in the invoice's language; right-to-left invoices are mirrored (labels at the right). */
export async function renderInvoicePdf(inv: InvoicePdfData): Promise<Buffer> {
  const L = LABELS[inv.language];
  const rtl = inv.language === 'he';
  const dir: Direction = rtl ? 'rtl' : 'ltr';
  const title = inv.reference ? `${L.invoice} ${inv.reference}` : L.draft;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    // pdfkit reads every info value (undefined breaks it); a fixed creation date keeps re-renders identical.
    info: {
      Title: title,
      Subject: `${title} – ${inv.client.name}`,
      ...(inv.seller.name ? { Author: inv.seller.name } : {}),
      CreationDate: new Date(`${inv.issueDate ?? '2000-01-01'}T00:00:00Z`),
    },
    lang: inv.language,
  } as PDFKit.PDFDocumentOptions);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('Body', FONT);
  doc.registerFont('Bold', FONT_BOLD);
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const money = (n: number) => formatMoney(n, inv.currency);
  // A right-to-left invoice sets every paragraph's base direction; a left-to-right one lets each paragraph
  // take its own from its first strong character, so a Hebrew line in an English invoice is right-aligned.
  const text = (d: Direction) => (d === 'rtl' ? { dir: d } : { fallback: d });

  doc.font('Bold').fontSize(20);
  paragraph(doc, title, left, width, { dir });
  doc.moveDown(0.6);

  // From and Bill to, side by side (mirrored in right-to-left invoices).
  const col = (width - 20) / 2;
  const top = doc.y;
  const block = (label: string, lines: string[], x: number) => {
    doc.y = top;
    doc.font('Bold').fontSize(10);
    paragraph(doc, label, x, col, { dir });
    doc.font('Body');
    for (const l of lines.filter(Boolean)) paragraph(doc, l, x, col, text(dir));
    return doc.y;
  };
  const startX = rtl ? left + col + 20 : left;
  const endX = rtl ? left : left + col + 20;
  const y1 = block(L.from, [inv.seller.name, inv.seller.details, inv.seller.email], startX);
  const y2 = block(L.to, [inv.client.name, inv.client.details, inv.client.email], endX);
  doc.y = Math.max(y1, y2);
  doc.moveDown(0.8);
  doc.font('Body').fontSize(10);
  if (inv.issueDate) paragraph(doc, `${L.issued}: ${inv.issueDate}`, left, width, { dir });
  if (inv.dueDate) paragraph(doc, `${L.due}: ${inv.dueDate}`, left, width, { dir });
  doc.moveDown(0.8);

  // The lines: description, quantity, unit price, amount (right to left in a right-to-left invoice).
  const cols = [
    { key: 'description', w: width - 250, align: 'start' as const },
    { key: 'quantity', w: 60, align: 'end' as const },
    { key: 'price', w: 90, align: 'end' as const },
    { key: 'amount', w: 100, align: 'end' as const },
  ];
  const colX: number[] = [];
  let at = rtl ? left + width : left;
  for (const c of cols) {
    if (rtl) at -= c.w;
    colX.push(at);
    if (!rtl) at += c.w;
  }
  const row = (cells: string[], bold = false) => {
    doc.font(bold ? 'Bold' : 'Body').fontSize(10);
    const y = doc.y;
    let bottom = y;
    cells.forEach((cell, i) => {
      const c = cols[i]!;
      doc.y = y;
      const pad = 6;
      if (i === 0) paragraph(doc, cell, colX[i]! + pad, c.w - 2 * pad, text(dir));
      else {
        drawLine(doc, cell, colX[i]! + pad, y, c.w - 2 * pad, { dir, align: 'end' });
        doc.y = y + doc.currentLineHeight(true);
      }
      bottom = Math.max(bottom, doc.y);
    });
    doc.y = bottom + 4;
  };
  row([L.description, L.quantity, L.price, L.amount], true);
  doc
    .moveTo(left, doc.y)
    .lineTo(left + width, doc.y)
    .strokeColor('#999')
    .stroke();
  doc.y += 4;
  for (const l of inv.lines) {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 40) doc.addPage();
    row([l.description, l.quantity, money(l.unitPrice), money(l.amount)]);
  }
  doc
    .moveTo(left, doc.y)
    .lineTo(left + width, doc.y)
    .stroke();
  doc.y += 6;

  // Totals: label and amount, under the amount columns.
  const totalsW = 260;
  const totalsX = rtl ? left : left + width - totalsW;
  // In a right-to-left invoice the label sits at the right of the totals block and the amount at its left.
  const amountW = 110;
  const total = (label: string, amount: string, bold = false) => {
    doc.font(bold ? 'Bold' : 'Body').fontSize(bold ? 12 : 10);
    const y = doc.y;
    const labelX = rtl ? totalsX + amountW : totalsX;
    const amountX = rtl ? totalsX : totalsX + totalsW - amountW;
    drawLine(doc, label, labelX, y, totalsW - amountW - 6, { dir });
    drawLine(doc, amount, amountX, y, amountW - 6, { dir: 'ltr', align: rtl ? 'start' : 'end' });
    doc.y = y + doc.currentLineHeight(true) + 2;
  };
  total(L.subtotal, money(inv.subtotal));
  if (inv.discount) total(`${L.discount} (${percent(inv.discountRate)})`, `-${money(inv.discount)}`);
  if (inv.tax || inv.taxRate) total(`${L.tax} (${percent(inv.taxRate)})`, money(inv.tax));
  total(inv.status === 'paid' ? L.paid : L.total, money(inv.total), true);
  doc.moveDown(1.5);
  if (inv.notes) {
    doc.font('Bold').fontSize(10);
    paragraph(doc, L.notes, left, width, { dir });
    doc.font('Body');
    paragraph(doc, inv.notes, left, width, text(dir));
    doc.moveDown();
  }
  doc.font('Body').fontSize(8).fillColor('#555');
  paragraph(doc, `${L.currency}${rtl ? '' : ' '}${inv.currency}`, left, width, { dir });
  doc.end();
  return done;
}
