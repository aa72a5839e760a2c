// Connectors bench: the first sync of a 10,000-message mailbox from a real Dovecot into the message
// index (PostgreSQL 18, embedded), in pages, as the sync job does it. Prints a table and one JSON line.
// Targets: at most 60 s and at most 300 MB peak memory (RSS of this process).
//   node --import tsx bench/connectors.bench.ts [--messages 10000]
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signUp } from '@csme/contracts/accounts';
import * as C from '@csme/contracts/connectors';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/core/config.js';
import { systemCtx } from '../server/src/core/ctx.js';
import { createDatabase } from '../server/src/core/db.js';
import { egressSetting } from '../server/src/core/egress.js';
import { fromSources, generateKeysFile } from '../server/src/core/keys.js';
import { createLogger } from '../server/src/core/logger.js';
import { migrateToLatest } from '../server/src/core/migrate.js';
import { allowTraverse, embeddedBinaries, freePort, PostgresServer } from '../server/src/core/postgres.js';
import { buildDeps } from '../server/src/deps.js';
import { runSync } from '../server/src/modules/connectors/index.js';
import { addTestMailUser, startTestServices } from '../server/test/services/services.js';

const arg = process.argv.indexOf('--messages');
const COUNT = arg > 0 ? Number(process.argv[arg + 1]) : 10_000;
const USER = 'bench@example.test';
const PASSWORD = 'bench-password';

const words = 'invoice meeting report schedule family school trip dinner project budget review deadline payment receipt travel'.split(' ');
const pick = (i: number, n: number) => Array.from({ length: n }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ');

/** One realistic message: plain text; every fifth also as HTML (multipart/alternative); every twentieth with a 12 KB attachment. */
function message(i: number): string {
  const date = new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toUTCString().replace('GMT', '+0000');
  const head = [
    `From: Sender ${i % 97} <sender${i % 97}@example.test>`,
    `To: ${USER}`,
    `Subject: ${pick(i, 4)} #${i}`,
    `Message-ID: <bench-${i}@example.test>`,
    `Date: ${date}`,
    'MIME-Version: 1.0',
  ];
  const text = `${pick(i, 30)}\r\n`.repeat(12);
  if (i % 5 !== 0) return [...head, 'Content-Type: text/plain; charset=utf-8', '', text].join('\r\n');
  const attachment =
    i % 20 === 0
      ? `--b${i}\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="doc${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${randomBytes(
          12_000,
        )
          .toString('base64')
          .replace(/(.{76})/g, '$1\r\n')}\r\n`
      : '';
  const alternative = [
    `Content-Type: multipart/alternative; boundary="a${i}"`,
    '',
    `--a${i}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    text,
    `--a${i}`,
    'Content-Type: text/html; charset=utf-8',
    '',
    `<html><body><p>${text.replace(/\r\n/g, '</p><p>')}</p></body></html>`,
    `--a${i}--`,
    '',
  ];
  if (!attachment) return [...head, ...alternative].join('\r\n');
  return [...head, `Content-Type: multipart/mixed; boundary="b${i}"`, '', `--b${i}`, ...alternative, attachment, `--b${i}--`, ''].join(
    '\r\n',
  );
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'csme-bench-'));
  allowTraverse(dir);
  const services = await startTestServices(join(dir, 'services'));
  const pg = new PostgresServer({
    binaries: await embeddedBinaries(),
    dataDir: join(dir, 'pg'),
    port: await freePort(),
    password: 'bench',
    durable: false,
  });
  const cleanup = async () => {
    await services.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pg.initialise();
    await pg.start();
    const url = pg.url('postgres');
    const migrator = createDatabase({ url, max: 2 });
    await migrateToLatest(migrator.db, migrator.pool);
    await migrator.destroy();

    // The mailbox, written as a Maildir (Dovecot indexes it on first access).
    addTestMailUser(services.info, USER, PASSWORD);
    const box = join(dir, 'services/mail', USER);
    for (const sub of ['cur', 'new', 'tmp']) {
      mkdirSync(join(box, sub), { recursive: true });
      chmodSync(join(box, sub), 0o777);
    }
    chmodSync(box, 0o777);
    let bytes = 0;
    const t0 = Date.now();
    for (let i = 0; i < COUNT; i++) {
      const m = message(i);
      bytes += m.length;
      writeFileSync(join(box, 'cur', `${1_700_000_000 + i}.M${i}P1.bench:2,${i % 3 === 0 ? 'S' : ''}`), m, { mode: 0o666 });
    }
    const seedMs = Date.now() - t0;

    const config = loadConfig({
      NODE_ENV: 'production',
      CSME_DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'warn',
      CSME_PUBLIC_URL: 'http://bench.test',
    });
    const deps = buildDeps({
      config,
      keys: fromSources({}, generateKeysFile()),
      databaseUrl: url,
      log: createLogger({ level: 'warn', pretty: false }),
      defaultMetrics: false,
    });
    await deps.settings.set(
      deps.db,
      egressSetting,
      {
        allow: [
          { host: services.info.imap.host, port: services.info.imap.port },
          { host: services.info.smtp.host, port: services.info.smtp.port },
        ],
      },
      null,
    );
    const app = await buildApp(deps, { webDist: null });
    await app.ready();
    const signed = await app.inject({
      method: 'POST',
      url: signUp.path,
      payload: { email: 'person@bench.test', password: 'a long bench password', displayName: 'Bench' },
    });
    const session = JSON.parse(signed.body).session;
    const cookie = String(signed.headers['set-cookie']).split(';')[0]!;
    const created = await app.inject({
      method: 'POST',
      url: C.createConnector.path,
      headers: { cookie, 'x-csrf-token': session.csrfToken },
      payload: {
        kind: 'email',
        name: 'Bench mail',
        visibility: 'private',
        imap: { host: services.info.imap.host, port: services.info.imap.port, tls: 'none' },
        smtp: { host: services.info.smtp.host, port: services.info.smtp.port, tls: 'none' },
        username: USER,
        password: PASSWORD,
      },
    });
    if (created.statusCode !== 201) throw new Error(`could not connect: ${created.body}`);
    const connectorId = JSON.parse(created.body).id as string;
    const spaceId = session.activeSpace.id as string;

    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    let peakHeap = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed + m.external);
    }, 25);
    const s0 = performance.now();
    await runSync(systemCtx(deps), spaceId, connectorId);
    const syncMs = performance.now() - s0;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);

    const row = await deps.db.selectFrom('connector').selectAll().where('id', '=', connectorId).executeTakeFirstOrThrow();
    const indexed = Number(
      (
        await deps.db
          .selectFrom('mail_message')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('connector_id', '=', connectorId)
          .executeTakeFirstOrThrow()
      ).n,
    );
    // An incremental sync with nothing new: what each poll costs.
    const i0 = performance.now();
    await runSync(systemCtx(deps), spaceId, connectorId);
    const incrementalMs = performance.now() - i0;
    await app.close();
    await deps.close();

    const result = {
      bench: 'connectors.email-initial-sync',
      messages: COUNT,
      indexed,
      mailboxMB: Math.round((bytes / 1024 / 1024) * 10) / 10,
      syncSeconds: Math.round(syncMs / 100) / 10,
      messagesPerSecond: Math.round(indexed / (syncMs / 1000)),
      peakRssMB: Math.round(peak / 1024 / 1024),
      rssBeforeMB: Math.round(rssBefore / 1024 / 1024),
      peakHeapAndBuffersMB: Math.round(peakHeap / 1024 / 1024),
      incrementalSyncMs: Math.round(incrementalMs),
      seedSeconds: Math.round(seedMs / 100) / 10,
      phase: row.sync_phase,
      lastError: row.last_error,
      targets: { syncSeconds: 60, peakRssMB: 300 },
      pass: indexed === COUNT && syncMs <= 60_000 && peak <= 300 * 1024 * 1024,
      node: process.version,
      cpus: (await import('node:os')).cpus().length,
    };
    const rows: Array<[string, string]> = [
      ['messages in the mailbox', `${COUNT.toLocaleString('en-US')} (${result.mailboxMB} MB)`],
      ['indexed', result.indexed.toLocaleString('en-US')],
      ['first sync', `${result.syncSeconds} s (target ≤ 60 s)`],
      ['throughput', `${result.messagesPerSecond} messages/s`],
      ['peak memory (RSS)', `${result.peakRssMB} MB (target ≤ 300 MB; ${result.rssBeforeMB} MB before)`],
      ['peak heap + buffers', `${result.peakHeapAndBuffersMB} MB`],
      ['sync with nothing new', `${result.incrementalSyncMs} ms`],
      ['result', result.pass ? 'PASS' : 'FAIL'],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
    console.log(JSON.stringify(result));
    await cleanup();
    process.exit(result.pass ? 0 : 1);
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}

await main();
