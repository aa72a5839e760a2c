import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Config } from '#core/config.js';
import type { Ctx } from '#core/ctx.js';
import type { EmbeddedDatabase } from '#core/data-dir.js';
import type { Keys } from '#core/keys.js';
import type { Deps } from './deps.js';

// Everything else is imported where it is used: `csme skill ...` must start in well under two seconds,
// so it may not pay for PostgreSQL, Fastify or the accounts module on the way in.

/** `csme`: the one command of the platform (start, serve, migrate, admin, keys, ...). */

const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const fail = (message: string, code = 1): never => {
  process.stderr.write(`csme: ${message}\n`);
  process.exit(code);
};

async function readConfig(): Promise<Config> {
  const [{ default: dotenv }, { ConfigError, loadConfig }] = await Promise.all([import('dotenv'), import('#core/config.js')]);
  const envFile = resolve(process.cwd(), '.env');
  const fromFile = existsSync(envFile) ? dotenv.parse(readFileSync(envFile)) : {};
  try {
    return loadConfig({ ...fromFile, ...process.env });
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    throw e;
  }
}

async function checkReachable(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.end();
  } catch (e) {
    const where = (() => {
      try {
        const u = new URL(url);
        return `${u.hostname}:${u.port || 5432}`;
      } catch {
        return 'DATABASE_URL';
      }
    })();
    fail(`cannot reach PostgreSQL at ${where}: ${(e as Error).message}. Check DATABASE_URL and that the server is running.`);
  }
}

interface Opened {
  config: Config;
  keys: Keys;
  url: string;
  embedded: EmbeddedDatabase | null;
}

async function openDatabase(mode: 'server' | 'cli'): Promise<Opened> {
  const config = await readConfig();
  const [{ KeyError, loadKeys }, { DataDirError, openEmbeddedDatabase }, { PostgresStartError }] = await Promise.all([
    import('#core/keys.js'),
    import('#core/data-dir.js'),
    import('#core/postgres.js'),
  ]);
  let keys: Keys;
  try {
    keys = loadKeys(config, (path) =>
      say(`Generated this instance's keys in ${path} (readable by you only). Back it up: without it, stored secrets cannot be read.`),
    );
  } catch (e) {
    if (e instanceof KeyError) return fail(e.message);
    throw e;
  }
  if (config.db.url) {
    await checkReachable(config.db.url);
    return { config, keys, url: config.db.url, embedded: null };
  }
  try {
    const embedded = await openEmbeddedDatabase(config, mode);
    for (const n of embedded.notes) say(`  ${n}`);
    return { config, keys, url: embedded.url, embedded };
  } catch (e) {
    if (e instanceof DataDirError || e instanceof PostgresStartError) return fail(e.message);
    throw e;
  }
}

async function migrate(url: string): Promise<string[]> {
  const [{ createDatabase }, { migrateToLatest }] = await Promise.all([import('#core/db.js'), import('#core/migrate.js')]);
  const database = createDatabase({ url, max: 2, applicationName: 'csme-migrate' });
  try {
    return (await migrateToLatest(database.db, database.pool)).applied;
  } finally {
    await database.destroy();
  }
}

async function makeDeps(o: Opened, applicationName: string): Promise<Deps> {
  const [{ buildDeps }, { VaultError }] = await Promise.all([import('./deps.js'), import('#core/vault.js')]);
  const deps = buildDeps({ config: o.config, keys: o.keys, databaseUrl: o.url, applicationName });
  try {
    await deps.vault.verifyKeys();
  } catch (e) {
    await deps.close();
    if (e instanceof VaultError) return fail(`${e.message}. Restore the right key (CSME_MASTER_KEYS or keys.json) and start again.`);
    throw e;
  }
  return deps;
}

async function runServer(role: 'api' | 'worker' | 'all'): Promise<void> {
  const started = Date.now();
  const o = await openDatabase('server');
  const applied = await migrate(o.url).catch(async (e) => {
    await o.embedded?.stop();
    return fail(`could not bring the database schema up to date: ${(e as Error).message}`);
  });
  if (applied.length) say(`  Applied ${applied.length} database migration${applied.length === 1 ? '' : 's'}.`);
  const deps = await makeDeps(o, `csme-${role}`);
  // graphile-worker 0.17 records a job's outcome without awaiting it (worker.js), so when PostgreSQL goes
  // away at that moment the rejection is unhandled and Node would end the process. A lost database is
  // survived (the worker releases that job's lock once it is stale); any other unhandled rejection ends it.
  const { isDatabaseUnavailable } = await import('#core/errors.js');
  process.on('unhandledRejection', (e) => {
    if (isDatabaseUnavailable(e)) {
      deps.log.warn({ err: { message: (e as Error).message } }, 'a database call failed with the database away; continuing');
      return;
    }
    process.stderr.write(`csme: unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
  const { syncBuiltinPacks } = await import('#modules/packs/index.js');
  const { systemCtx } = await import('#core/ctx.js');
  await syncBuiltinPacks(systemCtx(deps));
  const stops: Array<() => Promise<void>> = [];
  let url = '';
  if (role === 'api' || role === 'all') {
    const { buildApp, DEFAULT_WEB_DIST } = await import('./app.js');
    const app = await buildApp(deps);
    const webDist = o.config.webDist ?? DEFAULT_WEB_DIST;
    if (!existsSync(resolve(webDist, 'index.html')))
      say(`  The web app is not built (no ${webDist}/index.html): run \`npm run build\`. The API works meanwhile.`);
    try {
      await app.listen({ host: o.config.http.host, port: o.config.http.port });
    } catch (e) {
      await deps.close();
      await o.embedded?.stop();
      const code = (e as NodeJS.ErrnoException).code;
      return fail(code === 'EADDRINUSE' ? `port ${o.config.http.port} is already in use; set PORT to another port` : (e as Error).message);
    }
    stops.push(() => app.close());
    url = o.config.http.publicUrl;
  }
  if (role === 'worker' || role === 'all') {
    const { startWorker } = await import('./worker.js');
    const worker = await startWorker(deps, { databaseUrl: o.url });
    stops.unshift(() => worker.stop());
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say();
  if (url) say(`connectsoft.me is running at ${url}  (started in ${seconds} s)`);
  else say(`connectsoft.me worker is running (started in ${seconds} s)`);
  say(`  Data: ${o.embedded ? `${o.config.dataDir} (embedded PostgreSQL in ${o.embedded.pgDir})` : 'the PostgreSQL of DATABASE_URL'}`);
  say('  Press Ctrl-C to stop.');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      say('Stopping now.');
      process.exit(130);
    }
    stopping = true;
    say(`\nStopping (${signal})…`);
    for (const stop of stops) await stop().catch((e) => deps.log.warn({ err: e }, 'stop failed'));
    await deps.close();
    await o.embedded?.stop();
    say('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

async function withCtx<T>(fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const [{ systemCtx }, { AppError }] = await Promise.all([import('#core/ctx.js'), import('#core/errors.js')]);
  const o = await openDatabase('cli');
  if (o.embedded?.owned) await migrate(o.url);
  const deps = await makeDeps(o, 'csme-cli');
  try {
    return await fn(systemCtx(deps));
  } catch (e) {
    if (e instanceof AppError) {
      process.stderr.write(`csme: ${e.message}\n`);
      process.exitCode = e.code === 'invalid_input' ? 2 : 1;
      return undefined as T;
    }
    throw e;
  } finally {
    await deps.close();
    await o.embedded?.stop();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const program = new Command('csme').description('connectsoft.me: personal agents platform').showHelpAfterError();

program
  .command('start')
  .description('start everything in one process: embedded PostgreSQL (unless DATABASE_URL is set), API, web app and worker')
  .action(() => runServer('all'));

program
  .command('serve')
  .description('run one role, for scaling out (api, worker or all)')
  .addOption(new Option('--role <role>', 'which part to run').choices(['api', 'worker', 'all']).default('all'))
  .action((o: { role: 'api' | 'worker' | 'all' }) => runServer(o.role));

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => {
    const o = await openDatabase('cli');
    try {
      const applied = await migrate(o.url);
      say(applied.length ? `Applied: ${applied.join(', ')}` : 'The schema is up to date.');
    } finally {
      await o.embedded?.stop();
    }
  });

const admin = program.command('admin').description('operator tools');
admin
  .command('create')
  .description('create an operator account (or make an existing account an operator)')
  .requiredOption('--email <email>', 'email address')
  .option('--name <name>', 'display name', 'Operator')
  .option('--password-stdin', 'read the password from standard input (otherwise CSME_ADMIN_PASSWORD)')
  .action(async (opts: { email: string; name: string; passwordStdin?: boolean }) => {
    const password = opts.passwordStdin ? (await readStdin()).replace(/\r?\n$/, '') : process.env.CSME_ADMIN_PASSWORD;
    if (!password || password.length < 10)
      fail('give a password of at least 10 characters with --password-stdin or CSME_ADMIN_PASSWORD', 2);
    const { createOperator } = await import('#modules/accounts/index.js');
    await withCtx(async (ctx) => {
      const r = await createOperator(ctx, { email: opts.email, password: password!, displayName: opts.name });
      say(r.created ? `Created operator ${opts.email}.` : `${opts.email} is now an operator.`);
    });
  });
admin
  .command('plan')
  .description("set a personal space to Free or Personal Pro (SPACE: a space id or the owner's email)")
  .argument('<space>')
  .argument('<plan>', 'free or pro')
  .action(async (space: string, plan: string) => {
    const { setSpacePlan } = await import('#modules/admin/index.js');
    await withCtx(async (ctx) => {
      const r = await setSpacePlan(ctx, space, plan);
      say(`Space ${r.spaceId} is now on ${plan}.`);
    });
  });
admin
  .command('family')
  .description('family spaces')
  .command('create')
  .description('create a family space with the Family plan, owned by ACCOUNT (an account id or email)')
  .argument('<account>')
  .option('--name <name>', 'the family space name')
  .action(async (account: string, opts: { name?: string }) => {
    const { createFamily } = await import('#modules/admin/index.js');
    await withCtx(async (ctx) => {
      const r = await createFamily(ctx, account, opts.name);
      say(`Created family space ${r.spaceId}.`);
    });
  });

program
  .command('demo')
  .description("fill a space with the sample data (SPACE: a space id or the owner's email), or remove it with --remove")
  .argument('<space>')
  .option('--remove', 'remove the sample data instead')
  .action(async (space: string, o: { remove?: boolean }) => {
    const [{ resolveSpace }, { removeDemo, seedDemo }] = await Promise.all([
      import('#modules/admin/index.js'),
      import('#modules/demo/index.js'),
    ]);
    await withCtx(async (ctx) => {
      const s = await resolveSpace(ctx, space);
      if (o.remove) {
        await removeDemo(ctx, s.id, null);
        say(`Removed the sample data from space ${s.id}.`);
        return;
      }
      const owner = await ctx.db
        .selectFrom('membership as m')
        .innerJoin('account as a', 'a.id', 'm.account_id')
        .select(['a.id', 'a.email', 'a.display_name', 'a.time_zone'])
        .where('m.space_id', '=', s.id)
        .where('m.role', '=', 'owner')
        .executeTakeFirstOrThrow();
      const r = await seedDemo(ctx, {
        spaceId: s.id,
        accountId: owner.id,
        email: owner.email,
        displayName: owner.display_name,
        timeZone: owner.time_zone,
        spaceKind: s.kind === 'family' ? 'family' : 'personal',
      });
      say(
        `Added the sample data to space ${s.id}: ${Object.entries(r.counts)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')}.`,
      );
    });
  });

const invoice = admin.command('invoice').description('invoices (offline payments)');
invoice
  .command('pay')
  .description('mark an open invoice paid (INVOICE: its number, e.g. CSME-2026-000001, or id); what it pays for takes effect')
  .argument('<invoice>')
  .action(async (ref: string) => {
    const { payInvoice } = await import('#modules/billing/index.js');
    await withCtx(async (ctx) => {
      const r = await payInvoice(ctx, ref, null);
      say(`Invoice ${r.number} is paid (${(r.total / 100).toFixed(2)} ${r.currency}).`);
    });
  });
invoice
  .command('list')
  .description('list invoices, newest first')
  .addOption(new Option('--status <status>', 'only these').choices(['open', 'paid', 'void']))
  .action(async (o: { status?: 'open' | 'paid' | 'void' }) => {
    const { listInvoicesAsOperator } = await import('#modules/billing/index.js');
    await withCtx(async (ctx) => {
      const r = await listInvoicesAsOperator(ctx, { status: o.status, limit: 100 });
      if (!r.items.length) say(o.status ? `No ${o.status} invoices.` : 'No invoices.');
      for (const i of r.items)
        say(
          `${i.number}  ${i.status.padEnd(4)}  ${(i.total / 100).toFixed(2).padStart(9)} ${i.currency}  ${i.issuedAt.slice(0, 10)}  ${i.spaceName ?? '(deleted space)'}  ${i.buyerEmail}`,
        );
    });
  });

program
  .command('import')
  .description("load a person's export archive (from another instance) into this one: account, packs, settings, apps data, history")
  .argument('<file>', 'the export ZIP')
  .option('--password-stdin', 'read the new password of the imported account from standard input (otherwise CSME_IMPORT_PASSWORD)')
  .action(async (file: string, opts: { passwordStdin?: boolean }) => {
    const password = opts.passwordStdin ? (await readStdin()).replace(/\r?\n$/, '') : process.env.CSME_IMPORT_PASSWORD;
    if (!password || password.length < 10)
      fail('give the new password (10 characters or more) with --password-stdin or CSME_IMPORT_PASSWORD', 2);
    if (!existsSync(file)) fail(`there is no file ${file}`, 2);
    const { importArchive } = await import('#modules/privacy/index.js');
    await withCtx(async (ctx) => {
      const r = await importArchive(ctx, resolve(file), { password: password! });
      say(
        `Imported ${r.email} (space ${r.spaceId}): ${
          Object.entries(r.imported)
            .map(([k, n]) => `${n} ${k}`)
            .join(', ') || 'nothing'
        }.`,
      );
      if (r.heldPacks.length) say(`Held for the operator's review (not verified on this instance): ${r.heldPacks.join(', ')}.`);
    });
  });

const keys = program.command('keys').description('instance keys');
keys
  .command('generate')
  .description('print a new set of keys as environment lines (for production: store them in your secret manager)')
  .action(async () => {
    const { generateKeysFile, keysAsEnv } = await import('#core/keys.js');
    say(keysAsEnv(generateKeysFile()));
  });
keys
  .command('rotate')
  .description('add a new master key and re-wrap every data key with it; safe to interrupt and run again')
  .action(async () => {
    const config = await readConfig();
    const [{ randomBytes }, { newMasterKeyId, readKeysFile, writeKeysFile }, { createDatabase }] = await Promise.all([
      import('node:crypto'),
      import('#core/keys.js'),
      import('#core/db.js'),
    ]);
    if (!config.keys.master) {
      const file = readKeysFile(config.dataDir);
      if (!file) fail(`there is no keys file in ${config.dataDir}`);
      const o0 = await openDatabase('cli');
      const probe = createDatabase({ url: o0.url, max: 1 });
      const pending = await probe.db
        .selectFrom('data_key')
        .select('id')
        .where('master_key_id', '<>', file!.master[0]!.id)
        .limit(1)
        .execute();
      await probe.destroy();
      await o0.embedded?.stop();
      // Only add a key when the last rotation finished; an interrupted one is resumed with the same key.
      if (pending.length === 0) {
        writeKeysFile(config.dataDir, {
          ...file!,
          master: [{ id: newMasterKeyId(), key: randomBytes(32).toString('base64') }, ...file!.master],
        });
        say('Added a new master key to keys.json.');
      } else say('Resuming the rotation that did not finish.');
    } else {
      say('Keys come from CSME_MASTER_KEYS: put the new key first in that list on every process, then run this to re-wrap.');
    }
    await withCtx(async (ctx) => {
      const r = await ctx.deps.vault.rewrapAll((done, total) => {
        if (process.stdout.isTTY) process.stdout.write(`\r  re-wrapped ${done}/${total}`);
      });
      if (process.stdout.isTTY && r.rewrapped) say();
      say(
        `Re-wrapped ${r.rewrapped} data key${r.rewrapped === 1 ? '' : 's'}. Master keys in use: ${r.stillUsed.join(', ') || '(none yet)'}.`,
      );
    });
  });

const packCmd = program.command('pack').description('pack tools for creators');
packCmd
  .command('validate')
  .description(
    'check a pack folder: the manifest (every problem with its path), its code files, and that its steps only call skills its scopes cover',
  )
  .argument('<dir>')
  .action(async (dir: string) => {
    const { checkPackDir } = await import('./cli/pack.js');
    const r = await checkPackDir(dir);
    if (!r.ok) {
      process.stderr.write(`${r.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}\n`);
      process.exit(2);
    }
    say(`${r.id}@${r.version} is valid: ${r.agents} agent${r.agents === 1 ? '' : 's'}, scopes: ${r.scopes.join(', ') || 'none'}.`);
  });
packCmd
  .command('build')
  .description('build pack.json from pack.ts (definePack) when there is one, check it, and write dist/<id>-<version>.tgz')
  .argument('<dir>')
  .action(async (dir: string) => {
    const { buildPackDir } = await import('./cli/pack.js');
    const r = await buildPackDir(dir);
    if (!r.ok) {
      process.stderr.write(`${r.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}\n`);
      process.exit(2);
    }
    say(`Built ${r.file} (${r.bytes} bytes, sha256 ${r.hash}).`);
  });

packCmd
  .command('init')
  .description('scaffold a pack folder: pack.json, a code step, a test fixture')
  .argument('<dir>')
  .option('--id <id>', 'the pack id (kebab-case)', 'my-pack')
  .option('--name <name>', 'the display name', 'My pack')
  .action(async (dir: string, o: { id: string; name: string }) => {
    const { initPackDir } = await import('./cli/pack.js');
    try {
      const r = initPackDir(dir, o);
      say(`Created ${r.files.join(', ')} in ${dir}. Next: csme pack test ${dir}`);
    } catch (e) {
      fail((e as Error).message, 2);
    }
  });
packCmd
  .command('test')
  .description("run the pack's agents against fixtures/*.json with the local engine (no database, no network)")
  .argument('<dir>')
  .action(async (dir: string) => {
    const { testPackDir } = await import('./cli/pack.js');
    const { closeSandboxPool } = await import('#modules/runs/index.js');
    const r = await testPackDir(dir);
    await closeSandboxPool();
    if (r.problems.length) {
      process.stderr.write(`${r.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}\n`);
      process.exit(2);
    }
    for (const x of r.results) {
      say(
        `${x.ok ? '✓' : '✗'} ${x.fixture}: ${x.steps} step${x.steps === 1 ? '' : 's'}, ${x.suggestions.length} suggestion${x.suggestions.length === 1 ? '' : 's'}`,
      );
      for (const p of x.problems) say(`    ${p}`);
    }
    say(`${r.results.filter((x) => x.ok).length} passed, ${r.results.filter((x) => !x.ok).length} failed`);
    if (!r.ok) process.exit(1);
  });
packCmd
  .command('publish')
  .description('build, check and upload a version to an instance with a personal API token (scope packs:publish)')
  .argument('<dir>')
  .option('--url <url>', 'the instance (or CSME_URL)')
  .option('--changelog <text>', 'what changed in this version', '')
  .action(async (dir: string, o: { url?: string; changelog: string }) => {
    const url = o.url ?? process.env.CSME_URL;
    const token = process.env.CSME_TOKEN;
    if (!url) fail('give the instance with --url or CSME_URL', 2);
    if (!token) fail('set CSME_TOKEN to a personal API token with the scope packs:publish (Settings → API tokens)', 2);
    const { publishPackDir } = await import('./cli/pack.js');
    const r = await publishPackDir(dir, { url: url!, token: token!, changelog: o.changelog });
    if (!r.ok) {
      process.stderr.write(`csme: ${r.message}\n${(r.problems ?? []).map((p) => `  ${p.path}: ${p.message}`).join('\n')}\n`);
      process.exit(2);
    }
    const s = r.submission;
    say(
      s.status === 'approved'
        ? `Published ${s.packId}@${s.version}: approved and signed at once (an update asking for no new scopes).`
        : `Submitted ${s.packId}@${s.version}: it passed the automated checks and waits for an operator's review.`,
    );
  });

program
  .command('activity')
  .description('the activity log')
  .command('verify')
  .description("check a space's hash chain end to end (SPACE: a space id or the owner's email)")
  .argument('<space>')
  .action(async (space: string) => {
    const { resolveSpace } = await import('#modules/admin/index.js');
    const { verifyChain } = await import('#modules/activity/index.js');
    await withCtx(async (ctx) => {
      const s = await resolveSpace(ctx, space);
      const r = await verifyChain(ctx, s.id);
      if (r.valid) say(`The activity log of ${s.id} is intact: ${r.entries} entries, head ${r.headHash ?? '(empty)'}.`);
      else {
        process.stderr.write(
          `csme: the activity log of ${s.id} is broken at entry ${r.brokenAtSeq} (${r.entries} entries before it verify).\n`,
        );
        process.exitCode = 1;
      }
    });
  });

// Skills: pure ones run here with no database, keys or server; several may run side by side.
interface CliError {
  code: string;
  message: string;
  details?: unknown;
}
/** Bad input (the JSON, the skill's contract, an unknown skill) exits 2; anything else exits 1. */
function skillFailed(e: CliError): void {
  process.stderr.write(`${JSON.stringify({ error: { code: e.code, message: e.message, details: e.details ?? null } })}\n`);
  process.exitCode = e.code === 'invalid_input' || e.code === 'not_found' ? 2 : 1;
}
function asCliError(e: unknown): CliError {
  if (e instanceof Error && e.name === 'AppError') return e as unknown as CliError;
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

const skill = program.command('skill').description('the typed skills packs call');
skill
  .command('list')
  .description('list the skills: id and what each does')
  .option('--all', 'also the skills that read or change a space (they run only inside an instance; loads every module)')
  .option('--json', 'print each skill with its kind, scopes, cost class and input/output JSON Schemas')
  .action(async (o: { all?: boolean; json?: boolean }) => {
    const { listSkills, skillView } = await import('#modules/skills/index.js');
    const skills = o.all ? listSkills((await import('#modules/index.js')).modules) : listSkills();
    if (o.json) {
      process.stdout.write(`${JSON.stringify(skills.map(skillView), null, 2)}\n`);
      return;
    }
    const width = Math.max(...skills.map((s) => s.id.length));
    for (const s of skills) say(`${s.id.padEnd(width)}  ${s.description}${s.pure ? '' : `  [${s.kind}; needs an instance]`}`);
  });
skill
  .command('run')
  .description('run a skill on JSON input; prints its output as JSON (errors as JSON on stderr; exit 2 for bad input)')
  .argument('<skill>', 'the skill id, e.g. dates.extract')
  .requiredOption('--input <file>', 'a JSON file with the input, or - for standard input')
  .exitOverride((err) => {
    if (err.exitCode === 0) process.exit(0);
    skillFailed({ code: 'invalid_input', message: err.message.replace(/^error: /, '') });
    process.exit(2);
  })
  .configureOutput({ writeErr: () => {} })
  .action(async (id: string, o: { input: string }) => {
    let raw: string;
    try {
      raw = o.input === '-' ? await readStdin() : readFileSync(o.input, 'utf8');
    } catch (e) {
      return skillFailed({ code: 'invalid_input', message: `cannot read ${o.input}: ${(e as Error).message}` });
    }
    let input: unknown;
    try {
      input = JSON.parse(raw);
    } catch (e) {
      return skillFailed({ code: 'invalid_input', message: `the input is not valid JSON: ${(e as Error).message}` });
    }
    try {
      const { getSkill, runSkill, standaloneSkillContext } = await import('#modules/skills/index.js');
      let def: Parameters<typeof runSkill>[1];
      try {
        def = getSkill(id);
      } catch (e) {
        // Not a built-in skill: look through every module (their pure skills run here too).
        if (asCliError(e).code !== 'not_found') throw e;
        def = getSkill(id, (await import('#modules/index.js')).modules);
      }
      const output = await runSkill(standaloneSkillContext(), def, input);
      process.stdout.write(`${JSON.stringify(output)}\n`);
    } catch (e) {
      skillFailed(asCliError(e));
    }
  });

program.parseAsync(process.argv).catch((e) => {
  if (e instanceof Error && (e.name === 'ConfigError' || e.name === 'KeyError')) fail(e.message);
  process.stderr.write(`csme: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
