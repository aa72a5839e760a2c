import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A local stand-in for the Stripe API (node:http), for tests of the Stripe path: it keeps customers,
 * products, Checkout Sessions, subscriptions, invoice items and invoices in memory, answers the
 * endpoints billing calls in Stripe's shapes, and lets a test play Stripe's side (a customer pays at
 * Checkout, a period renews, a card fails, a subscription ends). Events are signed with the official
 * `stripe` package, exactly as Stripe signs them.
 */

type Obj = Record<string, any>;

export interface RecordedRequest {
  method: string;
  path: string;
  body: Obj;
  idempotencyKey: string | undefined;
}

/** Stripe's form encoding (`items[0][price_data][currency]=usd`) back into objects and arrays. */
function decodeForm(text: string): Obj {
  const root: Obj = {};
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const [k, v = ''] = pair.split('=');
    const key = decodeURIComponent(k!.replace(/\+/g, ' '));
    const value = decodeURIComponent(v.replace(/\+/g, ' '));
    const parts = key.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node: Obj = root;
    for (let i = 0; i < parts.length - 1; i++) node = node[parts[i]!] ??= {};
    node[parts.at(-1)!] = value;
  }
  const arrays = (o: unknown): unknown => {
    if (!o || typeof o !== 'object') return o;
    const keys = Object.keys(o);
    const vals = keys.map((k) => arrays((o as Obj)[k]));
    if (keys.length && keys.every((k, i) => String(i) === k)) return vals;
    return Object.fromEntries(keys.map((k, i) => [k, vals[i]]));
  };
  return arrays(root) as Obj;
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);

function addInterval(t: number, interval: string): number {
  const d = new Date(t * 1000);
  if (interval === 'year') d.setUTCFullYear(d.getUTCFullYear() + 1);
  else {
    const day = d.getUTCDate();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + 1);
    const dim = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    d.setUTCDate(Math.min(day, dim));
  }
  return unix(d);
}

export class FakeStripe {
  readonly customers = new Map<string, Obj>();
  readonly products = new Map<string, Obj>();
  readonly sessions = new Map<string, Obj>();
  /** Refunds made through POST /v1/refunds (marketplace sales). */
  readonly refunds: Obj[] = [];
  readonly subscriptions = new Map<string, Obj>();
  readonly invoiceItems = new Map<string, Obj>();
  readonly invoices = new Map<string, Obj>();
  readonly requests: RecordedRequest[] = [];
  /** Make the next invoice payments fail (a declined card). */
  declineCards = false;
  private server: Server | null = null;
  private seq = 0;
  readonly now: () => Date;
  readonly signer = new Stripe('sk_test_fake', { telemetry: false });

  constructor(now: () => Date) {
    this.now = now;
  }

  private id(prefix: string): string {
    return `${prefix}_${(++this.seq).toString(36).padStart(6, '0')}`;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Requests to one endpoint, e.g. `POST /v1/checkout/sessions`. */
  calls(method: string, path: RegExp | string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  // ------------------------------------------------------------ playing Stripe's side

  /** The customer pays at Checkout: a subscription (and its first invoice) or a one-off payment. */
  completeCheckout(sessionId: string, opts: { status?: 'active' | 'trialing' } = {}): { subscription?: Obj; invoice?: Obj; session: Obj } {
    const s = this.sessions.get(sessionId);
    if (!s) throw new Error(`no session ${sessionId}`);
    s.status = 'complete';
    s.payment_status = 'paid';
    if (s.mode === 'payment') {
      s.payment_intent ??= this.id('pi');
      return { session: s };
    }
    const now = unix(this.now());
    const trialDays = Number(s.subscription_data?.trial_period_days ?? 0);
    const items = (s.line_items as Obj[]).map((li) =>
      this.subscriptionItem(li.price_data, now, trialDays ? now + trialDays * 86400 : null),
    );
    const sub: Obj = {
      id: this.id('sub'),
      object: 'subscription',
      status: opts.status ?? (trialDays ? 'trialing' : 'active'),
      customer: s.customer,
      currency: items[0]!.price.currency,
      cancel_at_period_end: false,
      trial_end: trialDays ? now + trialDays * 86400 : null,
      metadata: { ...(s.subscription_data?.metadata ?? {}) },
      default_payment_method: 'pm_card_visa',
      items: { object: 'list', data: items },
    };
    this.subscriptions.set(sub.id, sub);
    s.subscription = sub.id;
    const invoice = trialDays ? undefined : this.invoiceFor(sub, 'subscription_create', 'paid');
    return { subscription: sub, invoice, session: s };
  }

  private subscriptionItem(priceData: Obj, start: number, trialEnd: number | null): Obj {
    const interval = priceData.recurring?.interval ?? 'month';
    return {
      id: this.id('si'),
      object: 'subscription_item',
      current_period_start: start,
      current_period_end: trialEnd ?? addInterval(start, interval),
      metadata: {},
      price: {
        id: this.id('price'),
        product: priceData.product,
        currency: priceData.currency,
        unit_amount: Number(priceData.unit_amount),
        recurring: { interval },
      },
    };
  }

  /** An invoice of a subscription's current items (and pending invoice items), paid or failed. */
  invoiceFor(sub: Obj, reason: string, outcome: 'paid' | 'failed'): Obj {
    const lines: Obj[] = [];
    for (const it of sub.items.data as Obj[])
      lines.push({
        amount: it.price.unit_amount,
        description: `1 × ${it.price.product}`,
        metadata: it.price.product === 'csme_tax' ? { csme_line: 'tax' } : {},
        pricing: { type: 'price_details', price_details: { product: it.price.product } },
        period: { start: it.current_period_start, end: it.current_period_end },
      });
    for (const [id, ii] of this.invoiceItems)
      if (ii.subscription === sub.id && !ii.invoice) {
        lines.push({ amount: ii.amount, description: ii.description, metadata: ii.metadata ?? {}, pricing: null, period: null });
        ii.invoice = 'pending';
        this.invoiceItems.set(id, ii);
      }
    const total = lines.reduce((s, l) => s + l.amount, 0);
    const inv: Obj = {
      id: this.id('in'),
      object: 'invoice',
      status: outcome === 'paid' ? 'paid' : 'open',
      currency: sub.currency,
      customer: sub.customer,
      total,
      amount_paid: outcome === 'paid' ? total : 0,
      billing_reason: reason,
      status_transitions: { paid_at: outcome === 'paid' ? unix(this.now()) : null },
      metadata: {},
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, metadata: sub.metadata } },
      lines: { object: 'list', data: lines },
    };
    for (const ii of this.invoiceItems.values()) if (ii.invoice === 'pending') ii.invoice = inv.id;
    this.invoices.set(inv.id, inv);
    return inv;
  }

  /** The period ends: Stripe renews (paid), fails to collect (past_due), or ends a subscription set to cancel. */
  renew(subId: string, outcome: 'paid' | 'failed' = 'paid'): { subscription: Obj; invoice?: Obj } {
    const sub = this.subscriptions.get(subId)!;
    if (sub.cancel_at_period_end) {
      sub.status = 'canceled';
      return { subscription: sub };
    }
    for (const it of sub.items.data as Obj[]) {
      it.current_period_start = it.current_period_end;
      it.current_period_end = addInterval(it.current_period_start, it.price.recurring.interval);
    }
    const invoice = this.invoiceFor(sub, 'subscription_cycle', outcome);
    sub.status = outcome === 'paid' ? 'active' : 'past_due';
    return { subscription: sub, invoice };
  }

  /** A signed webhook delivery for an event about `object`: the body and the Stripe-Signature header. */
  signedEvent(
    type: string,
    object: Obj,
    secret: string,
    opts: { id?: string; timestamp?: number } = {},
  ): { id: string; payload: string; header: string } {
    const id = opts.id ?? this.id('evt');
    const payload = JSON.stringify({
      id,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: unix(this.now()),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    });
    const header = this.signer.webhooks.generateTestHeaderString({ payload, secret, timestamp: opts.timestamp ?? unix(this.now()) });
    return { id, payload, header };
  }

  // ------------------------------------------------------------ the API

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const body = decodeForm(Buffer.concat(chunks).toString('utf8') || url.search.slice(1));
    const method = req.method ?? 'GET';
    const key = req.headers['idempotency-key'];
    this.requests.push({ method, path: url.pathname, body, idempotencyKey: typeof key === 'string' ? key : undefined });
    const send = (status: number, obj: Obj) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': this.id('req') });
      res.end(JSON.stringify(obj));
    };
    const missing = (what: string) =>
      send(404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}` } });
    if (req.headers.authorization !== 'Bearer sk_test_fake')
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    const p = url.pathname.split('/').filter(Boolean); // ['v1', ...]
    try {
      if (method === 'POST' && p[1] === 'customers' && p.length === 2) {
        const c = { id: this.id('cus'), object: 'customer', email: body.email, name: body.name, metadata: body.metadata ?? {} };
        this.customers.set(c.id, c);
        return send(200, c);
      }
      if (p[1] === 'products') {
        if (method === 'GET') return this.products.has(p[2]!) ? send(200, this.products.get(p[2]!)!) : missing('product');
        const prod = { id: body.id ?? this.id('prod'), object: 'product', name: body.name };
        this.products.set(prod.id, prod);
        return send(200, prod);
      }
      if (p[1] === 'checkout' && p[2] === 'sessions') {
        if (method === 'GET') return this.sessions.has(p[3]!) ? send(200, this.sessions.get(p[3]!)!) : missing('checkout.session');
        const id = this.id('cs_test');
        const lines = (body.line_items ?? []) as Obj[];
        const total = lines.reduce((s, li) => s + Number(li.price_data.unit_amount) * Number(li.quantity ?? 1), 0);
        const s: Obj = {
          id,
          object: 'checkout.session',
          mode: body.mode,
          status: 'open',
          payment_status: 'unpaid',
          customer: body.customer,
          client_reference_id: body.client_reference_id ?? null,
          metadata: body.metadata ?? {},
          subscription: null,
          subscription_data: body.subscription_data,
          line_items: lines,
          amount_total: total,
          currency: lines[0]?.price_data.currency,
          success_url: body.success_url,
          url: `https://checkout.stripe.test/c/pay/${id}`,
        };
        this.sessions.set(id, s);
        return send(200, s);
      }
      if (p[1] === 'refunds' && method === 'POST') {
        const r = {
          id: this.id('re'),
          object: 'refund',
          amount: Number(body.amount),
          payment_intent: body.payment_intent,
          status: 'succeeded',
        };
        this.refunds.push(r);
        return send(200, r);
      }
      if (p[1] === 'billing_portal' && p[2] === 'sessions')
        return send(200, {
          id: this.id('bps'),
          object: 'billing_portal.session',
          customer: body.customer,
          url: `https://billing.stripe.test/p/session/${this.seq}`,
        });
      if (p[1] === 'subscriptions') {
        if (method === 'POST' && p.length === 2) {
          const now = unix(this.now());
          const items = (body.items as Obj[]).map((i) => this.subscriptionItem(i.price_data, now, null));
          const sub: Obj = {
            id: this.id('sub'),
            object: 'subscription',
            status: this.declineCards ? 'incomplete' : 'active',
            customer: body.customer,
            currency: items[0]!.price.currency,
            cancel_at_period_end: false,
            trial_end: null,
            metadata: body.metadata ?? {},
            default_payment_method: body.default_payment_method ?? null,
            items: { object: 'list', data: items },
          };
          this.subscriptions.set(sub.id, sub);
          this.invoiceFor(sub, 'subscription_create', this.declineCards ? 'failed' : 'paid');
          return send(200, sub);
        }
        const sub = this.subscriptions.get(p[2]!);
        if (!sub) return missing('subscription');
        if (method === 'GET') return send(200, sub);
        return this.updateSubscription(sub, body, send);
      }
      if (p[1] === 'invoiceitems') {
        if (method === 'DELETE') {
          this.invoiceItems.delete(p[2]!);
          return send(200, { id: p[2], object: 'invoiceitem', deleted: true });
        }
        const ii = {
          id: this.id('ii'),
          object: 'invoiceitem',
          customer: body.customer,
          subscription: body.subscription ?? null,
          amount: Number(body.amount),
          currency: body.currency,
          description: body.description,
          metadata: body.metadata ?? {},
          invoice: null,
        };
        this.invoiceItems.set(ii.id, ii);
        return send(200, ii);
      }
      if (p[1] === 'invoices') {
        if (method === 'POST' && p.length === 2) {
          const sub = this.subscriptions.get(body.subscription)!;
          const lines: Obj[] = [];
          for (const ii of this.invoiceItems.values())
            if (ii.subscription === sub.id && !ii.invoice) {
              lines.push({ amount: ii.amount, description: ii.description, metadata: ii.metadata, pricing: null, period: null });
              ii.invoice = 'draft';
            }
          const inv: Obj = {
            id: this.id('in'),
            object: 'invoice',
            status: 'open',
            currency: sub.currency,
            customer: sub.customer,
            total: lines.reduce((s, l) => s + l.amount, 0),
            amount_paid: 0,
            billing_reason: 'manual',
            status_transitions: { paid_at: null },
            metadata: body.metadata ?? {},
            parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, metadata: sub.metadata } },
            lines: { object: 'list', data: lines },
          };
          for (const ii of this.invoiceItems.values()) if (ii.invoice === 'draft') ii.invoice = inv.id;
          this.invoices.set(inv.id, inv);
          return send(200, inv);
        }
        const inv = this.invoices.get(p[2]!);
        if (!inv) return missing('invoice');
        if (method === 'GET') return send(200, inv);
        if (p[3] === 'pay') {
          if (this.declineCards)
            return send(402, { error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' } });
          inv.status = 'paid';
          inv.amount_paid = inv.total;
          inv.status_transitions = { paid_at: unix(this.now()) };
          return send(200, inv);
        }
        if (p[3] === 'void') {
          inv.status = 'void';
          return send(200, inv);
        }
      }
      return send(404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${url.pathname})` } });
    } catch (e) {
      return send(500, { error: { type: 'api_error', message: (e as Error).message } });
    }
  }

  private updateSubscription(sub: Obj, body: Obj, send: (s: number, o: Obj) => void): void {
    if (body.payment_behavior === 'error_if_incomplete' && this.declineCards) {
      send(402, { error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' } });
      return;
    }
    if (body.metadata) {
      for (const [k, v] of Object.entries(body.metadata as Obj)) {
        if (v === '') delete sub.metadata[k];
        else sub.metadata[k] = v;
      }
    }
    if (body.cancel_at_period_end !== undefined) sub.cancel_at_period_end = body.cancel_at_period_end === 'true';
    const now = unix(this.now());
    const reset = body.billing_cycle_anchor?.type === 'now';
    if (body.items) {
      for (const item of body.items as Obj[]) {
        const existing = (sub.items.data as Obj[]).find((i) => i.id === item.id);
        if (item.deleted === 'true') {
          sub.items.data = (sub.items.data as Obj[]).filter((i) => i.id !== item.id);
          continue;
        }
        if (existing) {
          existing.price = {
            ...existing.price,
            product: item.price_data.product,
            unit_amount: Number(item.price_data.unit_amount),
            recurring: { interval: item.price_data.recurring.interval },
          };
        } else {
          const first = (sub.items.data as Obj[])[0]!;
          const fresh = this.subscriptionItem(item.price_data, first.current_period_start, null);
          fresh.current_period_end = first.current_period_end;
          sub.items.data.push(fresh);
        }
      }
    }
    if (reset) {
      for (const it of sub.items.data as Obj[]) {
        it.current_period_start = now;
        it.current_period_end = addInterval(now, it.price.recurring.interval);
      }
      this.invoiceFor(sub, 'subscription_update', 'paid');
    }
    send(200, sub);
  }
}
