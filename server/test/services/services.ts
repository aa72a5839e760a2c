import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { freePort } from '../../src/core/postgres.js';

/**
 * Real mail and calendar servers on 127.0.0.1 for the connector tests, each on a free port:
 * Dovecot (IMAP), an SMTP receiver that delivers into Dovecot through its LDA, and Radicale
 * (CalDAV). Missing binaries fail the run loudly: `npm test` installs them.
 */
export interface TestServices {
  info: {
    imap: { host: string; port: number; usersFile: string };
    smtp: { host: string; port: number; received: string };
    caldav: { url: string; usersFile: string };
  };
  stop(): Promise<void>;
}

const DOVECOT = '/usr/sbin/dovecot';
const LDA = '/usr/lib/dovecot/dovecot-lda';
const RADICALE = '/usr/bin/radicale';

async function waitPort(port: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
}

function need(path: string, pkg: string) {
  if (!existsSync(path)) throw new Error(`${path} is missing: install the Debian package ${pkg} (npm test does this)`);
}

export async function startTestServices(dir: string): Promise<TestServices> {
  need(DOVECOT, 'dovecot-imapd');
  need(RADICALE, 'radicale');
  const d = join(dir, 'dovecot');
  for (const p of [join(d, 'run'), join(d, 'state'), join(dir, 'mail'), join(dir, 'radicale/collections')])
    mkdirSync(p, { recursive: true });
  chmodSync(join(dir, 'mail'), 0o1777);
  chmodSync(dir, 0o755);
  const imapPort = await freePort();
  const usersFile = join(d, 'users');
  writeFileSync(usersFile, 'alice@example.test:{PLAIN}secret\nbob@example.test:{PLAIN}secret\n');
  const conf = join(d, 'dovecot.conf');
  writeFileSync(
    conf,
    `protocols = imap
listen = 127.0.0.1
base_dir = ${d}/run
state_dir = ${d}/state
log_path = ${d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:${dir}/mail/%u
mail_max_userip_connections = 200
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${usersFile}
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service imap {
  process_limit = 512
}
protocol imap {
  mail_max_userip_connections = 200
}
namespace inbox {
  inbox = yes
  mailbox Drafts {
    auto = subscribe
    special_use = \\Drafts
  }
  mailbox Archive {
    auto = create
    special_use = \\Archive
  }
  mailbox Sent {
    auto = subscribe
    special_use = \\Sent
  }
  mailbox Trash {
    auto = subscribe
    special_use = \\Trash
  }
}
`,
  );
  await new Promise<void>((res, rej) => {
    const p = spawn(DOVECOT, ['-c', conf], { stdio: 'pipe' });
    let err = '';
    p.stderr.on('data', (c) => (err += c));
    p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`dovecot failed to start: ${err}`))));
  });
  await waitPort(imapPort);

  // SMTP receiver: each accepted message is handed to Dovecot's local delivery agent.
  const smtpPort = await freePort();
  const received = join(dir, 'smtp-received.log');
  writeFileSync(received, '');
  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    size: 30 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const id = /^message-id:\s*(.+)$/im.exec(raw.toString('utf8', 0, Math.min(raw.length, 64 * 1024)))?.[1]?.trim() ?? '';
        try {
          const file = join(dir, `smtp-${Date.now()}-${Math.random().toString(36).slice(2)}.eml`);
          writeFileSync(file, raw);
          for (const rcpt of session.envelope.rcptTo) {
            appendFileSync(received, `${JSON.stringify({ to: rcpt.address, messageId: id, bytes: raw.length, file })}\n`);
            if (!readFileSync(usersFile, 'utf8').includes(`${rcpt.address}:`)) continue;
            await new Promise<void>((res, rej) => {
              const lda = spawn(
                LDA,
                ['-c', conf, '-d', rcpt.address, '-f', session.envelope.mailFrom ? session.envelope.mailFrom.address : ''],
                { stdio: ['pipe', 'ignore', 'pipe'] },
              );
              let e = '';
              lda.stderr.on('data', (c) => (e += c));
              lda.on('exit', (code) => (code === 0 ? res() : rej(new Error(`dovecot-lda: ${e}`))));
              lda.stdin.end(raw);
            });
          }
          callback();
        } catch (e) {
          callback(e as Error);
        }
      });
    },
  });
  await new Promise<void>((res) => smtp.listen(smtpPort, '127.0.0.1', () => res()));

  // Radicale (CalDAV). The Debian binary, not a pyenv python: it has its modules.
  const davPort = await freePort();
  const davUsers = join(dir, 'radicale/users');
  writeFileSync(davUsers, 'alice:secret\nbob:secret\n');
  const davConf = join(dir, 'radicale/radicale.conf');
  writeFileSync(
    davConf,
    `[server]
hosts = 127.0.0.1:${davPort}

[auth]
type = htpasswd
htpasswd_filename = ${davUsers}
htpasswd_encryption = plain

[rights]
type = owner_only

[storage]
filesystem_folder = ${dir}/radicale/collections

[logging]
level = warning
mask_passwords = True
`,
  );
  const radicale: ChildProcess = spawn(RADICALE, ['--config', davConf], { stdio: 'ignore' });
  await waitPort(davPort);

  return {
    info: {
      imap: { host: '127.0.0.1', port: imapPort, usersFile },
      smtp: { host: '127.0.0.1', port: smtpPort, received },
      caldav: { url: `http://127.0.0.1:${davPort}/`, usersFile: davUsers },
    },
    async stop() {
      await new Promise<void>((res) => smtp.close(() => res()));
      radicale.kill('SIGTERM');
      try {
        const pid = Number(readFileSync(join(d, 'run/master.pid'), 'utf8'));
        process.kill(pid, 'SIGTERM');
      } catch {
        // already stopped
      }
    },
  };
}

/** Adds a mail user (Dovecot re-reads its users file) and a CalDAV user, for tests that want their own mailbox. */
export function addTestMailUser(info: TestServices['info'], user: string, password: string): void {
  appendFileSync(info.imap.usersFile, `${user}:{PLAIN}${password}\n`);
}
export function addTestCalendarUser(info: TestServices['info'], user: string, password: string): void {
  appendFileSync(info.caldav.usersFile, `${user}:${password}\n`);
}
