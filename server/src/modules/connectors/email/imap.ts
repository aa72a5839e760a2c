// Opening IMAP and SMTP connections through the egress guard: the host is resolved and checked once,
// and the client connects to exactly that address, with the name kept for TLS (SNI and certificate).
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type { Egress } from '#core/egress.js';
import { AppError } from '#core/errors.js';

interface ServerConfig {
  host: string;
  port: number;
  tls: 'tls' | 'starttls' | 'none';
}

export interface EmailConfig {
  imap: ServerConfig;
  smtp: ServerConfig;
  username: string;
  fromAddress?: string;
  fromName?: string;
}

export interface Credentials {
  password?: string;
  headerValue?: string;
}

export interface ImapTimeouts {
  connectionMs?: number;
  greetingMs?: number;
  socketMs?: number;
}

/** A failure talking to a server, in plain words; `attention` when the person must fix something (password). */
export function connectionFailure(e: unknown, host: string, what: 'mail server' | 'outgoing mail server'): AppError {
  if (e instanceof AppError) return e;
  const err = e as {
    code?: string;
    message?: string;
    authenticationFailed?: boolean;
    responseCode?: number;
    serverResponseCode?: string;
    command?: string;
  };
  const code = err.code ?? '';
  const msg = err.message ?? '';
  if (err.authenticationFailed || code === 'EAUTH' || err.serverResponseCode === 'AUTHENTICATIONFAILED' || /authenticat/i.test(msg))
    return new AppError(
      'forbidden',
      `The ${what} ${host} did not accept the user name and password. If the account uses two-step sign-in, create an app password and enter it here.`,
      { reason: 'auth', attention: true },
    );
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg))
    return new AppError('unavailable', `Nothing answers at ${host} on that port. Check the server name and port.`, { reason: 'refused' });
  if (/TIMEOUT|ETIMEDOUT/i.test(code) || /timeout|timed out/i.test(msg))
    return new AppError(
      'unavailable',
      `The ${what} ${host} did not answer in time. It may be down, or the port or security setting (TLS/STARTTLS) may not match.`,
      { reason: 'timeout' },
    );
  if (/CERT|SSL|TLS|ERR_SSL|EPROTO/i.test(code) || /certificate|ssl|tls|wrong version/i.test(msg))
    return new AppError(
      'unavailable',
      `The secure connection to ${host} failed: the TLS setting does not match what the server offers (try TLS on 993/465, STARTTLS on 143/587), or its certificate is not valid.`,
      { reason: 'tls' },
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new AppError('unavailable', `The server name ${host} could not be found. Check its spelling.`, { reason: 'dns' });
  if (code === 'ECONNRESET' || code === 'EPIPE' || /closed|reset/i.test(msg))
    return new AppError('unavailable', `The ${what} ${host} closed the connection. The security setting (TLS/STARTTLS) may not match.`, {
      reason: 'closed',
    });
  return new AppError('unavailable', `Could not talk to the ${what} ${host}.`, { reason: 'network' });
}

/** Opens and logs in an IMAP connection (caller must `logout()`); throws an AppError in plain words. */
export async function openImap(egress: Egress, cfg: EmailConfig, creds: Credentials, t: ImapTimeouts = {}): Promise<ImapFlow> {
  const target = await egress.check(cfg.imap.host, cfg.imap.port, 'imap');
  const client = new ImapFlow({
    host: target.address,
    port: target.port,
    secure: cfg.imap.tls === 'tls',
    doSTARTTLS: cfg.imap.tls === 'starttls' ? true : cfg.imap.tls === 'none' ? false : undefined,
    servername: target.host,
    tls: { servername: target.host, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    auth: { user: cfg.username, pass: creds.password ?? '' },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: t.connectionMs ?? 15_000,
    greetingTimeout: t.greetingMs ?? 10_000,
    socketTimeout: t.socketMs ?? 120_000,
  } as ConstructorParameters<typeof ImapFlow>[0]);
  // A dropped connection emits 'error'; without a listener it would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    client.close();
    throw connectionFailure(e, target.host, 'mail server');
  }
  return client;
}

export function smtpTransport(target: { address: string; host: string; port: number }, cfg: EmailConfig, creds: Credentials) {
  return nodemailer.createTransport({
    host: target.address,
    port: target.port,
    secure: cfg.smtp.tls === 'tls',
    requireTLS: cfg.smtp.tls === 'starttls',
    ignoreTLS: cfg.smtp.tls === 'none',
    name: 'connectsoft.me',
    tls: { servername: target.host, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    auth: { user: cfg.username, pass: creds.password ?? '' },
    connectionTimeout: 15_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
    logger: false,
  });
}

/** Tries IMAP (log in, open the inbox) and SMTP (connect, log in where offered). Nothing is saved or sent. */
export async function testEmail(egress: Egress, cfg: EmailConfig, creds: Credentials): Promise<{ messages: number }> {
  const client = await openImap(egress, cfg, creds, { connectionMs: 10_000, greetingMs: 8_000, socketMs: 20_000 });
  let messages = 0;
  try {
    const status = await client.status('INBOX', { messages: true });
    messages = (status ? status.messages : 0) ?? 0;
  } catch (e) {
    throw connectionFailure(e, cfg.imap.host, 'mail server');
  } finally {
    await client.logout().catch(() => client.close());
  }
  const target = await egress.check(cfg.smtp.host, cfg.smtp.port, 'smtp');
  const transport = smtpTransport(target, cfg, creds);
  try {
    await transport.verify();
  } catch (e) {
    throw connectionFailure(e, target.host, 'outgoing mail server');
  } finally {
    transport.close();
  }
  return { messages };
}
