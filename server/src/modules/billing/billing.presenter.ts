import type { AdminInvoiceView, InvoiceLine, InvoiceView } from '@csme/contracts/billing';
import PDFDocument from 'pdfkit';
import { z } from 'zod';
import { visualOrder } from './billing.policy.js';
import type { InvoiceRow } from './billing.repository.js';

const Lines = z.array(z.object({ description: z.string(), amount: z.number().int() }));

export function presentInvoice(row: InvoiceRow): InvoiceView {
  const base = `/api/v1/billing/invoices/${row.id}/pdf`;
  return {
    id: row.id,
    number: row.number,
    status: row.status as InvoiceView['status'],
    kind: row.kind as InvoiceView['kind'],
    currency: row.currency as InvoiceView['currency'],
    lines: Lines.parse(row.lines),
    subtotal: row.subtotal,
    taxBasisPoints: row.tax_basis_points,
    tax: row.tax,
    total: row.total,
    country: row.country,
    buyerName: row.buyer_name,
    buyerEmail: row.buyer_email,
    periodStart: row.period_start?.toISOString() ?? null,
    periodEnd: row.period_end?.toISOString() ?? null,
    issuedAt: row.issued_at.toISOString(),
    dueAt: row.due_at?.toISOString() ?? null,
    paidAt: row.paid_at?.toISOString() ?? null,
    voidedAt: row.voided_at?.toISOString() ?? null,
    provider: row.provider,
    pdfUrl: `${base}?document=invoice`,
    receiptUrl: row.status === 'paid' ? `${base}?document=receipt` : null,
  };
}

export function presentAdminInvoice(row: InvoiceRow & { space_name: string | null }): AdminInvoiceView {
  return { ...presentInvoice(row), spaceId: row.space_id, spaceName: row.space_name };
}

/** Money for documents and messages: Intl.NumberFormat on integer minor units (2 decimals for USD and ILS). */
export function formatMoney(minor: number, currency: string, locale = 'en'): string {
  return new Intl.NumberFormat(locale === 'he' ? 'he-IL' : 'en-US', { style: 'currency', currency }).format(minor / 100);
}

const formatRate = (basisPoints: number) => `${(basisPoints / 100).toFixed(2).replace(/\.?0+$/, '')}%`;

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const FONT_BOLD = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : '');

/**
 * The invoice, or for a paid one its receipt, as a PDF. DejaVu Sans is embedded because the standard
 * PDF fonts cover WinAnsi only (no ₪, no Hebrew). Everything printed comes from the stored row, which
 * does not change once issued, so the document reads the same every time it is downloaded.
 */
export async function renderInvoicePdf(
  row: InvoiceRow,
  seller: { name: string; address: string; taxId: string },
  document: 'invoice' | 'receipt',
): Promise<Buffer> {
  const lines: InvoiceLine[] = Lines.parse(row.lines);
  const title = document === 'receipt' ? 'Receipt' : 'Invoice';
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `${title} ${row.number}`, Author: seller.name, Subject: `${title} ${row.number}`, CreationDate: row.issued_at },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('Body', FONT);
  doc.registerFont('Bold', FONT_BOLD);
  const money = (n: number) => formatMoney(n, row.currency);
  const text = (s: string) => visualOrder(s);

  doc.font('Bold').fontSize(20).text(`${title} ${row.number}`);
  doc.moveDown(0.5);
  doc.font('Body').fontSize(10);
  doc.text(text(seller.name));
  if (seller.address) doc.text(text(seller.address));
  if (seller.taxId) doc.text(`Tax id: ${seller.taxId}`);
  doc.moveDown();
  doc.font('Bold').text('Billed to');
  doc.font('Body').text(text(row.buyer_name));
  doc.text(row.buyer_email);
  if (row.country) doc.text(`Country: ${row.country}`);
  doc.moveDown();
  doc.text(`Issued: ${day(row.issued_at)}`);
  if (row.period_start && row.period_end) doc.text(`Period: ${day(row.period_start)} to ${day(row.period_end)}`);
  if (document === 'receipt') doc.text(`Paid: ${day(row.paid_at)}`);
  else if (row.status === 'open') doc.text(`Due: ${day(row.due_at ?? row.issued_at)}`);
  else if (row.status === 'void') doc.text(`Void since ${day(row.voided_at)}: nothing is owed.`);
  else doc.text(`Paid: ${day(row.paid_at)}`);
  doc.moveDown();

  const left = doc.page.margins.left;
  const right = doc.page.width - doc.page.margins.right;
  const amountX = right - 120;
  const row2 = (label: string, amount: string, bold = false) => {
    const y = doc.y;
    doc.font(bold ? 'Bold' : 'Body').text(text(label), left, y, { width: amountX - left - 10 });
    const after = doc.y;
    doc.text(amount, amountX, y, { width: 120, align: 'right' });
    doc.y = Math.max(after, doc.y);
    doc.x = left;
  };
  row2('Description', 'Amount', true);
  doc
    .moveTo(left, doc.y + 2)
    .lineTo(right, doc.y + 2)
    .stroke();
  doc.moveDown(0.3);
  for (const l of lines) row2(l.description, money(l.amount));
  doc.moveDown(0.3);
  row2('Subtotal', money(row.subtotal));
  row2(`Tax (${formatRate(row.tax_basis_points)}${row.country ? `, ${row.country}` : ''})`, money(row.tax));
  row2(document === 'receipt' ? 'Total paid' : 'Total', money(row.total), true);
  doc.moveDown(2);
  doc
    .font('Body')
    .fontSize(8)
    .fillColor('#555')
    .text(`Amounts in ${row.currency}. This document is kept for the period the law requires, also after the account is deleted.`, left);
  doc.end();
  return done;
}
