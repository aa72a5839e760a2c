import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildConnector } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from '#test/figures.js';
import { type AllowEntry, blockedRange, type Dialer, Egress, EgressRefused, normalizeHost, type Resolver } from './egress.js';

// These tests never dial an internal address: DNS answers come from an injected resolver, and the
// dialer only ever connects to the one local test server on the allow list; any other connection
// attempt is recorded (and fails) so the test can assert that the guard refused before connecting.

let server: Server;
let port: number;
let hang: Server;
let hangPort: number;
const dials: string[] = [];
const realConnect = buildConnector({ timeout: 5_000 }) as unknown as Dialer;

const dialer: Dialer = (opts, cb) => {
  dials.push(`${opts.hostname}:${opts.port}${opts.servername ? ` sni=${opts.servername}` : ''}`);
  const p = Number(opts.port);
  if (opts.hostname === '127.0.0.1' && (p === port || p === hangPort)) return realConnect(opts, cb);
  cb(Object.assign(new Error('test dialer: no real connection'), { code: 'ECONNREFUSED' }), null);
};

function egressWith(allow: AllowEntry[], answers: Record<string, string[] | (() => string[])> = {}) {
  const asked: string[] = [];
  const resolver: Resolver = async (name) => {
    asked.push(name);
    const a = answers[name];
    const list = typeof a === 'function' ? a() : a;
    if (!list) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const);
  };
  const egress = new Egress({ settings: { get: (async () => ({ allow })) as never }, resolver, dialer });
  return { egress, asked };
}

let ssrfCases = 0;
async function refusal(p: Promise<unknown>): Promise<EgressRefused> {
  ssrfCases++;
  try {
    await p;
  } catch (e) {
    if (e instanceof EgressRefused) return e;
    throw e;
  }
  throw new Error('expected the guard to refuse');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/to-loopback')) return res.writeHead(302, { location: 'http://127.0.0.1:6379/' }).end();
    if (req.url?.startsWith('/to-name')) return res.writeHead(301, { location: 'http://internal.test/admin' }).end();
    if (req.url?.startsWith('/to-metadata')) return res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (req.url?.startsWith('/to-other')) return res.writeHead(302, { location: 'http://other.test/' }).end();
    if (req.url?.startsWith('/big')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(Buffer.alloc(2 * 1024 * 1024, 97));
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${req.headers.host}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  hang = createServer(() => {
    // never answers
  });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  hangPort = (hang.address() as AddressInfo).port;
});
afterAll(async () => {
  // A connection attempt to anything but the local test servers would be a connection the guard let through.
  const internal = dials.filter((d) => {
    const hostPort = d.split(' ')[0]!;
    const host = hostPort.slice(0, hostPort.lastIndexOf(':'));
    const testServer = host === '127.0.0.1' && [port, hangPort].includes(Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)));
    return !testServer && blockedRange(host) !== null;
  });
  recordFigures('egress (SSRF)', { 'cases refused': ssrfCases, 'connection attempts': dials.length }, internal.length);
  server.closeAllConnections();
  hang.closeAllConnections();
  await new Promise((r) => server.close(r));
  await new Promise((r) => hang.close(r));
});

describe('address classification', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.10.10', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.64.0.1', 'shared'],
    ['100.100.100.200', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::169.254.169.254', 'metadata'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
    ['not an address', 'reserved'],
  ])('refuses %s as %s', (address, range) => {
    expect(blockedRange(address)).toBe(range);
  });

  it.each(['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '::ffff:93.184.216.34', '2002:5db8:d822::1'])(
    'lets the public address %s through',
    (address) => {
      expect(blockedRange(address)).toBeNull();
    },
  );

  it('reads every IPv4 notation as the dotted address it means', () => {
    expect(normalizeHost('2130706433')).toBe('127.0.0.1');
    expect(normalizeHost('0177.0.0.1')).toBe('127.0.0.1');
    expect(normalizeHost('0x7f.1')).toBe('127.0.0.1');
    expect(normalizeHost('0x7f000001')).toBe('127.0.0.1');
    expect(normalizeHost('127.1')).toBe('127.0.0.1');
    expect(normalizeHost('[::ffff:127.0.0.1]')).toBe('::ffff:7f00:1');
    expect(normalizeHost('IMAP.Example.COM.')).toBe('imap.example.com');
    expect(normalizeHost('ｌｏｃａｌｈｏｓｔ')).toBe('localhost');
  });

  it('refuses what is not a plain host name', () => {
    for (const bad of ['user@evil.test', 'evil.test/path', 'a b', 'evil.test:25', 'evil.test\\x', '', 'evil.test#x'])
      expect(() => normalizeHost(bad)).toThrow(EgressRefused);
  });
});

describe('the guard refuses before connecting', () => {
  it('refuses loopback, private, link-local, metadata and mapped addresses written in the URL, without DNS or a connection', async () => {
    const { egress, asked } = egressWith([]);
    dials.length = 0;
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::1]/',
      'http://10.0.0.8/',
      'http://192.168.0.1/',
      'http://169.254.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://100.64.1.1/',
      'http://0.0.0.0/',
    ]) {
      const e = await refusal(egress.request(url));
      expect(e.code).toBe('forbidden');
    }
    expect(asked).toEqual([]);
    expect(dials).toEqual([]);
    await egress.close();
  });

  it('refuses a name that resolves to loopback, to metadata, or to one public and one private address', async () => {
    const { egress, asked } = egressWith([], {
      'loop.test': ['127.0.0.1'],
      'meta.test': ['169.254.169.254'],
      'six.test': ['::1'],
      'mixed.test': ['93.184.216.34', '10.0.0.7'],
    });
    dials.length = 0;
    expect((await refusal(egress.request('http://loop.test/'))).message).toMatch(/loopback/);
    expect((await refusal(egress.request('https://meta.test/'))).message).toMatch(/metadata/);
    expect((await refusal(egress.request('http://six.test/'))).message).toMatch(/loopback/);
    expect((await refusal(egress.request('http://mixed.test/'))).message).toMatch(/private/);
    expect((await refusal(egress.request('http://localhost/'))).message).toMatch(/loopback/);
    expect((await refusal(egress.check('metadata.google.internal', 80, 'http'))).message).toMatch(/metadata/);
    expect(asked).toEqual(['loop.test', 'meta.test', 'six.test', 'mixed.test']);
    expect(dials).toEqual([]);
    await egress.close();
  });

  it('refuses a redirect to loopback, to an internal name and to metadata at the hop, after reaching only the allowed server', async () => {
    const { egress } = egressWith([{ host: '127.0.0.1', port }], { 'internal.test': ['192.168.7.7'] });
    dials.length = 0;
    const ok = await egress.request(`http://127.0.0.1:${port}/hello`);
    expect(ok.body.toString()).toBe(`hello 127.0.0.1:${port}`);
    for (const path of ['/to-loopback', '/to-name', '/to-metadata']) {
      const e = await refusal(egress.request(`http://127.0.0.1:${port}${path}`));
      expect(e.code).toBe('forbidden');
    }
    // Every connection went to the allowed server's own port, none to the redirect targets.
    expect(new Set(dials)).toEqual(new Set([`127.0.0.1:${port}`]));
    await egress.close();
  });

  it('pins the connection to the checked address, and refuses when the answer changes to an internal one (rebinding)', async () => {
    let calls = 0;
    const { egress } = egressWith([], { 'rebind.test': () => (calls++ === 0 ? ['93.184.216.34'] : ['127.0.0.1']) });
    dials.length = 0;
    // The first connection goes to exactly the address that was checked, with the name kept for SNI and Host.
    await expect(egress.request('https://rebind.test/')).rejects.toMatchObject({ code: 'unavailable' });
    expect(dials).toEqual(['93.184.216.34:443 sni=rebind.test']);
    // The next answer says loopback: the connection is refused before it is made.
    const e = await refusal(egress.request('https://rebind.test/again'));
    expect(e.message).toMatch(/loopback/);
    expect(dials).toEqual(['93.184.216.34:443 sni=rebind.test']);
    await egress.close();
  });

  it('checks the answer at connection time even when an earlier check passed', async () => {
    let calls = 0;
    const { egress } = egressWith([], { 'flip.test': () => (calls++ === 0 ? ['93.184.216.34'] : ['10.9.9.9']) });
    dials.length = 0;
    const first = await egress.check('flip.test', 443, 'http');
    expect(first.address).toBe('93.184.216.34');
    expect((await refusal(egress.request('https://flip.test/'))).message).toMatch(/private/);
    expect(dials).toEqual([]);
    await egress.close();
  });

  it('admits exactly the allow-listed host and port, nothing broader', async () => {
    const { egress } = egressWith([{ host: '127.0.0.1', port }]);
    dials.length = 0;
    expect((await egress.check('127.0.0.1', port, 'imap')).allowListed).toBe(true);
    await refusal(egress.check('127.0.0.1', port + 1, 'imap'));
    await refusal(egress.check('127.0.0.2', port, 'imap'));
    expect(dials).toEqual([]);
    await egress.close();
  });

  it('admits a name on an unusual port when its address is the one allow-listed', async () => {
    const { egress } = egressWith([{ host: '93.184.216.34', port: 2993 }], {
      'mail.test': ['93.184.216.34'],
      'other.test': ['93.184.216.35'],
    });
    expect((await egress.check('mail.test', 2993, 'imap')).address).toBe('93.184.216.34');
    expect((await refusal(egress.check('other.test', 2993, 'imap'))).reason).toBe('port');
    await egress.close();
  });

  it('keeps each protocol to its usual ports (no IMAP host pointing at a database port)', async () => {
    const { egress } = egressWith([], { 'mail.test': ['93.184.216.34'] });
    expect((await refusal(egress.check('mail.test', 5432, 'imap'))).reason).toBe('port');
    expect((await refusal(egress.check('mail.test', 6379, 'smtp'))).reason).toBe('port');
    expect((await egress.check('mail.test', 993, 'imap')).address).toBe('93.184.216.34');
    await egress.close();
  });

  it('never carries bound credentials to another host on a redirect', async () => {
    const { egress } = egressWith([{ host: '127.0.0.1', port }], { 'other.test': ['93.184.216.34'] });
    dials.length = 0;
    const e = await refusal(
      egress.request(`http://127.0.0.1:${port}/to-other`, { headers: { authorization: 'Basic c2VjcmV0' }, credentialsHost: '127.0.0.1' }),
    );
    expect(e.reason).toBe('credentials');
    expect(dials).toEqual([`127.0.0.1:${port}`]);
    await egress.close();
  });

  it('stops a server that never answers, and a body over the size limit', async () => {
    const { egress } = egressWith([
      { host: '127.0.0.1', port: hangPort },
      { host: '127.0.0.1', port },
    ]);
    const t0 = Date.now();
    await expect(egress.request(`http://127.0.0.1:${hangPort}/`, { timeoutMs: 500 })).rejects.toMatchObject({
      code: 'unavailable',
      details: { reason: 'timeout' },
    });
    expect(Date.now() - t0).toBeLessThan(5_000);
    await expect(egress.request(`http://127.0.0.1:${port}/big`, { maxBytes: 1024 * 1024 })).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    await egress.close();
  });

  it('refuses other schemes and credentials inside the URL', async () => {
    const { egress } = egressWith([]);
    for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1/', 'ftp://example.com/', 'http://user:pw@example.com/', 'not a url'])
      await refusal(egress.request(url));
    await egress.close();
  });
});
