import net from 'node:net';

/**
 * A TCP proxy that misbehaves on demand, between the workers and a server (PostgreSQL, SMTP, CalDAV):
 * it adds latency, stalls (carries no byte either way while the connections stay open, as a network
 * partition does until it heals) or cuts every open connection with a TCP reset. In-process, so the
 * suite needs no ToxiProxy.
 */
export class FaultProxy {
  port = 0;
  /** Connections made through it, and how many it cut. */
  connections = 0;
  resets = 0;
  private latencyMs = 0;
  private healed: Promise<void> | null = null;
  private heal: (() => void) | null = null;
  private readonly open = new Set<net.Socket>();
  private readonly server: net.Server;
  private readonly target: { host: string; port: number };

  constructor(target: { host: string; port: number }) {
    this.target = target;
    this.server = net.createServer((client) => this.accept(client));
  }

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  /** Every byte arrives `ms` later than it was sent (order kept). */
  slow(ms: number): void {
    this.latencyMs = ms;
  }

  /** Nothing gets through either way until `restore()`; what was sent meanwhile arrives then. */
  stall(): void {
    if (this.healed) return;
    this.healed = new Promise((r) => {
      this.heal = r;
    });
  }

  restore(): void {
    this.latencyMs = 0;
    this.heal?.();
    this.healed = null;
    this.heal = null;
  }

  /** Cuts every open connection (RST to both sides); returns how many sockets it cut. */
  resetAll(): number {
    const n = this.open.size;
    for (const s of this.open) s.resetAndDestroy();
    this.open.clear();
    this.resets += n;
    return n;
  }

  async close(): Promise<void> {
    this.restore();
    for (const s of this.open) s.destroy();
    this.open.clear();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(client: net.Socket): void {
    this.connections++;
    const upstream = net.connect(this.target.port, this.target.host);
    for (const s of [client, upstream]) {
      this.open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    this.forward(client, upstream);
    this.forward(upstream, client);
  }

  private forward(from: net.Socket, to: net.Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const due = Date.now() + this.latencyMs;
      chain = chain.then(async () => {
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        while (this.healed) await this.healed;
        if (!to.destroyed) to.write(chunk);
      });
    });
    from.on('end', () => {
      void chain.then(() => to.end());
    });
  }
}
