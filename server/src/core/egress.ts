import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, type Dispatcher, request } from 'undici';
import { z } from 'zod';
import { AppError } from './errors.js';
import { defineSetting, type SettingsStore } from './settings.js';

/**
 * The egress guard: every connection the platform makes on a person's behalf (the HTTP skill, ICS
 * and feed fetches, IMAP, SMTP and CalDAV) goes through it. It decides from the resolved address,
 * at the moment of connecting, and the connection is made to exactly that checked address (with the
 * name kept for Host and TLS SNI), so a DNS answer that changes between a check and the connection
 * (rebinding) cannot slip through. Loopback, private, link-local, shared (CGNAT), metadata,
 * unspecified, multicast and reserved ranges are refused in every notation (IPv4-mapped and
 * embedded IPv6 forms, decimal/octal/hex IPv4), and only the usual ports of each protocol are
 * reachable. An operator allow list (host and port) admits exceptions, e.g. a mail server on the LAN.
 */

export type EgressKind = 'http' | 'imap' | 'smtp' | 'caldav';

/** The ports each protocol may reach without an allow-list entry (E5: no `postgres:5432` as an IMAP host). */
const PORTS: Record<EgressKind, readonly number[]> = {
  http: [80, 443, 8080, 8443],
  caldav: [80, 443, 8008, 8443],
  imap: [143, 993],
  smtp: [25, 465, 587, 2525],
};

export const egressSetting = defineSetting({
  key: 'egress',
  description:
    'Outbound connections: hosts and ports the guard admits even though they resolve to a private, loopback or other internal address, or use an unusual port (for example a mail server on the local network). Keep it as short as possible.',
  schema: z.object({
    allow: z
      .array(
        z.object({
          host: z.string().min(1).max(253),
          port: z.number().int().min(1).max(65535),
        }),
      )
      .max(200),
  }),
  defaults: { allow: [] },
});

interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a name to its addresses. Tests inject one that answers with chosen (internal) addresses. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** Makes a TCP/TLS connection to an already checked address; tests inject one that records and never dials. */
export type Dialer = (
  opts: { hostname: string; host?: string; protocol: string; port: string | number; servername?: string; httpSocket?: Socket },
  cb: (err: Error | null, socket: Socket | null) => void,
) => void;

export type BlockedRange =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'shared'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

const V4_RANGES: Array<[string, BlockedRange]> = [
  ['169.254.169.254/32', 'metadata'],
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['192.31.196.0/24', 'reserved'],
  ['192.52.193.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['192.175.48.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
];

const V6_RANGES: Array<[string, BlockedRange]> = [
  ['fd00:ec2::254/128', 'metadata'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'],
  ['100::/64', 'reserved'],
  ['2001::/23', 'reserved'],
  ['2001:db8::/32', 'reserved'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'],
  ['ff00::/8', 'multicast'],
];

const v4 = V4_RANGES.map(([cidr, range]) => [ipaddr.IPv4.parseCIDR(cidr), range] as const);
const v6 = V6_RANGES.map(([cidr, range]) => [ipaddr.IPv6.parseCIDR(cidr), range] as const);

function classifyV4(a: ipaddr.IPv4): BlockedRange | null {
  for (const [cidr, range] of v4) if (a.match(cidr)) return range;
  return null;
}

function v4FromParts(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/** IPv4 addresses carried inside an IPv6 one: mapped, compatible, SIIT, NAT64 (RFC 6052), 6to4 and Teredo. */
function embeddedV4(a: ipaddr.IPv6): ipaddr.IPv4[] {
  const p = a.parts as [number, number, number, number, number, number, number, number];
  const zero = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  const out: ipaddr.IPv4[] = [];
  if (zero(0, 5) && (p[5] === 0xffff || p[5] === 0)) out.push(v4FromParts(p[6], p[7])); // ::ffff:a.b.c.d and ::a.b.c.d
  if (zero(0, 4) && p[4] === 0xffff && p[5] === 0) out.push(v4FromParts(p[6], p[7])); // ::ffff:0:a.b.c.d (SIIT)
  if (p[0] === 0x64 && p[1] === 0xff9b && zero(2, 6)) out.push(v4FromParts(p[6], p[7])); // 64:ff9b::a.b.c.d
  if (p[0] === 0x2002) out.push(v4FromParts(p[1], p[2])); // 6to4
  if (p[0] === 0x2001 && p[1] === 0) {
    out.push(v4FromParts(p[2], p[3])); // Teredo server
    out.push(v4FromParts(p[6] ^ 0xffff, p[7] ^ 0xffff)); // Teredo client (obfuscated)
  }
  return out;
}

/**
 * Why an address must not be reached, or null when it is public. Accepts any textual form Node or
 * the resolver may produce (IPv6 with zone ids, IPv4-mapped); refuses what it cannot parse.
 */
export function blockedRange(address: string): BlockedRange | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return 'reserved';
  }
  if (parsed.kind() === 'ipv4') return classifyV4(parsed as ipaddr.IPv4);
  const a = parsed as ipaddr.IPv6;
  const p = a.parts;
  if (p.slice(0, 7).every((x) => x === 0) && (p[7] === 0 || p[7] === 1)) return p[7] === 0 ? 'unspecified' : 'loopback';
  // An IPv4-mapped address is that IPv4 address: judge it as such.
  if (p.slice(0, 5).every((x) => x === 0) && p[5] === 0xffff) return classifyV4(embeddedV4(a)[0]!);
  for (const e of embeddedV4(a)) {
    const r = classifyV4(e);
    if (r) return r;
  }
  for (const [cidr, range] of v6) if (a.match(cidr)) return range;
  // Only global unicast (2000::/3) is public; everything else is reserved.
  if (!a.match(ipaddr.IPv6.parseCIDR('2000::/3'))) return 'reserved';
  return null;
}

const RANGE_WORDS: Record<BlockedRange, string> = {
  loopback: 'this machine (loopback)',
  private: 'a private network',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata service',
  shared: 'a shared (carrier-grade NAT) network',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
};

/** A connection the guard refused; nothing was sent. */
export class EgressRefused extends AppError {
  readonly reason: 'address' | 'port' | 'host' | 'scheme' | 'credentials';
  constructor(reason: EgressRefused['reason'], message: string, details: Record<string, unknown> = {}) {
    super('forbidden', message, { reason, ...details });
    this.reason = reason;
  }
}

const HOST_CHARS = /^[a-z0-9.-]+$/;

/**
 * The canonical form of a host a person typed (IMAP server, URL host): lower case, IDN as punycode,
 * one trailing dot removed, IPv4 in its dotted form whatever the notation (decimal `2130706433`,
 * octal `0177.0.0.1`, hex `0x7f.1`), IPv6 without brackets. The WHATWG URL parser does it, the same
 * one that parses URLs for requests, so the guard and the client never read a host differently.
 * Refuses anything that is not a plain host (`user@host`, paths, spaces, ports).
 */
export function normalizeHost(input: string): string {
  const raw = input.trim();
  if (!raw || raw.length > 253 || /[\s/\\@?#%]/.test(raw))
    throw new EgressRefused('host', `"${input.slice(0, 80)}" is not a host name. Type only the server name, e.g. imap.example.com.`);
  const v6 = raw.replace(/^\[|\]$/g, '');
  if (isIP(v6) === 6) return ipaddr.IPv6.parse(v6).toString();
  if (raw.includes(':')) throw new EgressRefused('host', `"${input.slice(0, 80)}" is not a host name; give the port separately.`);
  let host: string;
  try {
    host = new URL(`http://${raw}/`).hostname;
  } catch {
    throw new EgressRefused('host', `"${input.slice(0, 80)}" is not a valid host name.`);
  }
  host = host.replace(/\.$/, '');
  if (!host || !HOST_CHARS.test(host)) throw new EgressRefused('host', `"${input.slice(0, 80)}" is not a valid host name.`);
  return host;
}

/** Names that mean this machine or a metadata service whatever DNS says. */
function blockedName(host: string): BlockedRange | null {
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  if (host === 'metadata.google.internal' || host === 'metadata' || host === 'instance-data') return 'metadata';
  return null;
}

export interface AllowEntry {
  readonly host: string;
  readonly port: number;
}

export interface CheckedTarget {
  /** The canonical host name (for Host, SNI and credential binding). */
  readonly host: string;
  readonly port: number;
  /** The checked address to connect to: the connection is pinned to it. */
  readonly address: string;
  readonly family: 4 | 6;
  readonly allowListed: boolean;
}

export interface EgressOptions {
  readonly settings: Pick<SettingsStore, 'get'>;
  readonly resolver?: Resolver;
  /** Replaces the socket connector (tests: record and never dial). */
  readonly dialer?: Dialer;
}

export interface HttpRequestOptions {
  readonly kind?: 'http' | 'caldav';
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Whole request, redirects included. */
  readonly timeoutMs?: number;
  /** The response body is cut off (and the request fails) beyond this many bytes. */
  readonly maxBytes?: number;
  readonly maxRedirects?: number;
  /**
   * The host the request's credentials (Authorization header) are bound to: a hop to any other
   * host is refused rather than sent them.
   */
  readonly credentialsHost?: string;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The final URL after redirects. */
  readonly url: string;
}

/** Is `host` one the credentials bound to `bound` may be sent to? The same host, or a sibling under its parent domain (caldav.icloud.com → p12-caldav.icloud.com). */
function credentialsMayGo(bound: string, host: string): boolean {
  if (bound === host) return true;
  if (isIP(bound) || isIP(host)) return false;
  const parent = bound.split('.').slice(1);
  if (parent.length < 2) return false;
  return host.endsWith(`.${parent.join('.')}`);
}

export class Egress {
  readonly resolver: Resolver;
  private readonly settings: EgressOptions['settings'];
  private readonly dialer: Dialer | undefined;
  private readonly agents = new Map<string, Agent>();

  constructor(opts: EgressOptions) {
    this.settings = opts.settings;
    this.resolver = opts.resolver ?? systemResolver;
    this.dialer = opts.dialer;
  }

  private async allowList(): Promise<AllowEntry[]> {
    const v = await this.settings.get(egressSetting);
    return v.allow.map((e) => {
      try {
        return { host: normalizeHost(e.host), port: e.port };
      } catch {
        return { host: '', port: e.port };
      }
    });
  }

  /**
   * Resolves `host` and decides on the answer: returns the one address to connect to, or throws
   * EgressRefused. Call it immediately before connecting and connect to `address` only.
   */
  async check(hostInput: string, port: number, kind: EgressKind): Promise<CheckedTarget> {
    const host = normalizeHost(hostInput);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new EgressRefused('port', `Port ${port} is not a valid port.`);
    const allow = await this.allowList();
    const listed = (h: string) => allow.some((e) => e.port === port && e.host === h);
    const nameListed = listed(host);
    const portRefusal = () =>
      new EgressRefused(
        'port',
        `Port ${port} is not one ${kind.toUpperCase()} uses (${PORTS[kind].join(', ')}). If this server really listens there, an operator can add ${host}:${port} to the allow list.`,
        { port },
      );
    // Without any allow-list entry on this port, refuse before even asking DNS.
    if (!PORTS[kind].includes(port) && !allow.some((e) => e.port === port)) throw portRefusal();
    const byName = blockedName(host);
    if (byName && !nameListed)
      throw new EgressRefused('address', `${host} points to ${RANGE_WORDS[byName]}, which connectors may not reach.`, { range: byName });
    let answers: ResolvedAddress[];
    if (isIP(host)) answers = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
    else {
      try {
        answers = await this.resolver(host);
      } catch {
        throw new AppError('unavailable', `The server name ${host} could not be found. Check its spelling.`, { reason: 'dns' });
      }
    }
    if (!answers.length)
      throw new AppError('unavailable', `The server name ${host} could not be found. Check its spelling.`, { reason: 'dns' });
    // Every answer must be acceptable: a name that resolves to one public and one internal address is refused.
    for (const a of answers) {
      const range = blockedRange(a.address);
      if (range && !nameListed && !listed(normalizeAddress(a.address)))
        throw new EgressRefused('address', `${host} points to ${RANGE_WORDS[range]}, which connectors may not reach.`, { range });
      if (!nameListed && !PORTS[kind].includes(port) && !listed(normalizeAddress(a.address))) throw portRefusal();
    }
    const first = answers[0]!;
    return {
      host,
      port,
      address: normalizeAddress(first.address),
      family: first.family,
      allowListed: nameListed || listed(normalizeAddress(first.address)),
    };
  }

  /** A dispatcher whose every new connection is checked and pinned (used by `request` and `fetch`). */
  dispatcher(kind: 'http' | 'caldav'): Dispatcher {
    const existing = this.agents.get(kind);
    if (existing) return existing;
    const base: Dialer = this.dialer ?? (buildConnector({ timeout: 10_000 }) as unknown as Dialer);
    const connect: Dialer = (opts, cb) => {
      const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
      this.check(opts.hostname, port, kind).then(
        (t) => {
          // Connect to the checked address; Host and SNI keep the name (undici derives SNI from `host`).
          const servername = isIP(t.host) ? undefined : t.host;
          base({ ...opts, hostname: t.address, port, servername: opts.servername ?? servername }, cb);
        },
        (e: unknown) => cb(e as Error, null),
      );
    };
    const agent = new Agent({ connect: connect as never, headersTimeout: 30_000, bodyTimeout: 30_000, connections: 8 });
    this.agents.set(kind, agent);
    return agent;
  }

  /**
   * An HTTP request through the guard: every hop of a redirect is checked (by the dispatcher, at
   * connection time), credentials never follow a redirect to another host, and time and size are
   * bounded. Throws EgressRefused, or AppError `unavailable` when the far side did not answer.
   */
  async request(urlInput: string, o: HttpRequestOptions = {}): Promise<HttpResponse> {
    const kind = o.kind ?? 'http';
    const maxBytes = o.maxBytes ?? 5 * 1024 * 1024;
    const maxRedirects = o.maxRedirects ?? 5;
    const timeout = AbortSignal.timeout(o.timeoutMs ?? 20_000);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    let url = parseHttpUrl(urlInput);
    let method = (o.method ?? 'GET').toUpperCase();
    let body = o.body;
    let headers = { ...(o.headers ?? {}) };
    for (let hop = 0; ; hop++) {
      const host = normalizeHost(url.hostname);
      if (o.credentialsHost && !credentialsMayGo(o.credentialsHost, host))
        throw new EgressRefused(
          'credentials',
          `The server sent us to ${host}, but this connection's password belongs to ${o.credentialsHost}.`,
          {
            host,
          },
        );
      let res: Dispatcher.ResponseData<unknown>;
      try {
        res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body,
          dispatcher: this.dispatcher(kind),
          signal,
          maxRedirections: 0,
        } as Parameters<typeof request>[1]);
      } catch (e) {
        throw asNetworkError(e, host, timeout.aborted);
      }
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && res.headers.location) {
        await res.body.dump().catch(() => undefined);
        if (hop >= maxRedirects) throw new AppError('unavailable', `${host} redirected too many times.`, { reason: 'redirects' });
        const next = parseHttpUrl(new URL(String(res.headers.location), url).toString());
        if (next.host !== url.host && !o.credentialsHost) {
          // Never carry credentials to another origin.
          headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^(authorization|cookie)$/i.test(k)));
        }
        if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        url = next;
        continue;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const c of res.body) {
          size += (c as Buffer).length;
          if (size > maxBytes) {
            res.body.destroy();
            throw new AppError('payload_too_large', `${host} sent more than ${Math.round(maxBytes / 1024)} KB; the rest was not read.`, {
              reason: 'size',
            });
          }
          chunks.push(c as Buffer);
        }
      } catch (e) {
        if (e instanceof AppError) throw e;
        throw asNetworkError(e, host, timeout.aborted);
      }
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
      return { status: res.statusCode, headers: out, body: Buffer.concat(chunks), url: url.toString() };
    }
  }

  /** A WHATWG `fetch` over `request` (for libraries that take one, such as tsdav), bound to one host's credentials. */
  fetchFor(o: { kind: 'http' | 'caldav'; credentialsHost?: string; timeoutMs?: number; maxBytes?: number }): typeof fetch {
    return (async (input: string | URL | Request, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => {
        headers[k] = v;
      });
      const r = await this.request(url, {
        kind: o.kind,
        method: init?.method ?? 'GET',
        headers,
        body: typeof init?.body === 'string' ? init.body : init?.body ? Buffer.from(init.body as ArrayBuffer) : undefined,
        credentialsHost: o.credentialsHost,
        timeoutMs: o.timeoutMs,
        maxBytes: o.maxBytes,
        signal: init?.signal ?? undefined,
      });
      const noBody = r.status === 204 || r.status === 304 || (r.status >= 100 && r.status < 200);
      return new Response(noBody ? null : new Uint8Array(r.body), { status: r.status, headers: r.headers });
    }) as typeof fetch;
  }

  async close(): Promise<void> {
    for (const a of this.agents.values()) await a.close().catch(() => undefined);
    this.agents.clear();
  }
}

function normalizeAddress(a: string): string {
  const bare = a.replace(/^\[|\]$/g, '');
  return isIP(bare) === 6 ? ipaddr.IPv6.parse(bare.replace(/%.*$/, '')).toString() : bare;
}

/** Parses a URL the way the request will use it; only http(s), no credentials in the URL. */
export function parseHttpUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new EgressRefused('scheme', 'That is not a valid web address (it should start with https://).');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new EgressRefused('scheme', `Only http and https addresses can be fetched, not ${url.protocol.replace(/:$/, '')}.`);
  if (url.username || url.password) throw new EgressRefused('host', 'Put no user name or password inside the address.');
  url.hostname = normalizeHost(url.hostname);
  return url;
}

function asNetworkError(e: unknown, host: string, timedOut: boolean): Error {
  if (e instanceof AppError) return e;
  const err = e as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? '';
  if (timedOut || err.name === 'TimeoutError' || /TIMEOUT/.test(code))
    return new AppError('unavailable', `${host} did not answer in time.`, { reason: 'timeout' });
  if (code === 'ECONNREFUSED') return new AppError('unavailable', `${host} refused the connection.`, { reason: 'refused' });
  if (/CERT|SSL|TLS|ERR_SSL/i.test(code) || /certificate|ssl|tls/i.test(err.message ?? ''))
    return new AppError('unavailable', `The secure connection to ${host} failed (its certificate or TLS setting does not match).`, {
      reason: 'tls',
    });
  return new AppError('unavailable', `Could not reach ${host}.`, { reason: 'network' });
}
