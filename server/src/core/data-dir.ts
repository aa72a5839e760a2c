import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from './config.js';
import { allowTraverse, blockingDirectory, embeddedBinaries, freePort, isRoot, PostgresServer, postgresUser } from './postgres.js';

/**
 * The data folder of a self-hosted instance: keys, the embedded PostgreSQL cluster, and a lock so
 * that a second `csme start` on the same folder stops with a clear message instead of corrupting it.
 */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

export interface EmbeddedDatabase {
  readonly url: string;
  /** Where the PostgreSQL files are (may differ from the data folder when run as root; see below). */
  readonly pgDir: string;
  /** Things the person should know about where data went. */
  readonly notes: string[];
  /** False when we connected to the database of an instance that is already running. */
  readonly owned: boolean;
  readonly server: PostgresServer | null;
  stop(): Promise<void>;
}

const DB_NAME = 'csme';

interface PgState {
  password: string;
  pgDir: string;
}

interface Runtime {
  pid: number;
  port: number;
}

const lockPath = (dataDir: string) => join(dataDir, 'csme.lock');
const runtimePath = (dataDir: string) => join(dataDir, 'runtime.json');
const statePath = (dataDir: string) => join(dataDir, 'postgres.json');

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the folder's lock, or returns the pid of the live process holding it. Stale locks (a killed process) are taken over. */
function acquireLock(dataDir: string): { acquired: true; stale: boolean } | { acquired: false; pid: number } {
  const path = lockPath(dataDir);
  let stale = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { acquired: true, stale };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) return { acquired: false, pid };
      rmSync(path, { force: true });
      stale = true;
    }
  }
  throw new DataDirError(`could not take the lock ${path}`);
}

function releaseLock(dataDir: string) {
  try {
    if (Number(readFileSync(lockPath(dataDir), 'utf8').trim()) === process.pid) rmSync(lockPath(dataDir), { force: true });
  } catch {
    // already gone
  }
}

/**
 * Where the PostgreSQL files go. As root, PostgreSQL runs as the `postgres` user, which must pass
 * through every folder above its data. The data folder itself we may open for passing (o+x, not
 * reading); a parent we do not own (a private home such as /root) we leave alone and put the
 * cluster under /var/lib/csme instead, saying so.
 */
function choosePgDir(dataDir: string, notes: string[]): string {
  const inside = join(dataDir, 'postgres');
  if (!isRoot()) return inside;
  const user = postgresUser();
  const blocked = blockingDirectory(dataDir, user);
  if (blocked === null) return inside;
  if (blocked === dataDir) {
    allowTraverse(dataDir);
    if (blockingDirectory(dataDir, user) === null) {
      notes.push(`Let the postgres user pass through ${dataDir} (chmod o+x; it still cannot list or read it).`);
      return inside;
    }
  }
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const outside = `/var/lib/csme/data-${hash}/postgres`;
  mkdirSync(`/var/lib/csme/data-${hash}`, { recursive: true, mode: 0o755 });
  notes.push(
    `PostgreSQL data is in ${outside}, because the postgres user cannot pass through ${blocked} (PostgreSQL refuses to run as root).`,
  );
  return outside;
}

async function ensureDatabase(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  admin.on('error', () => {});
  await admin.connect();
  try {
    const r = await admin.query('select 1 from pg_database where datname = $1', [DB_NAME]);
    if (r.rowCount === 0) await admin.query(`create database ${DB_NAME}`);
  } finally {
    await admin.end();
  }
}

/**
 * Opens the instance's embedded PostgreSQL. As `server`, takes the lock and starts the cluster
 * (a second server on the same folder fails). As `cli`, connects to the cluster of the running
 * server if there is one, or starts it for the duration of the command.
 */
export async function openEmbeddedDatabase(config: Config, mode: 'server' | 'cli'): Promise<EmbeddedDatabase> {
  const dataDir = config.dataDir;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const notes: string[] = [];
  const lock = acquireLock(dataDir);
  if (!lock.acquired) {
    if (mode === 'server') {
      throw new DataDirError(
        `Another csme (pid ${lock.pid}) is already running with the data folder ${dataDir}. Stop it first, or set CSME_DATA_DIR to another folder.`,
      );
    }
    const state = JSON.parse(readFileSync(statePath(dataDir), 'utf8')) as PgState;
    const rt = JSON.parse(readFileSync(runtimePath(dataDir), 'utf8')) as Runtime;
    const url = `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${rt.port}/${DB_NAME}`;
    return { url, pgDir: state.pgDir, notes, owned: false, server: null, stop: async () => {} };
  }
  try {
    let state: PgState;
    if (existsSync(statePath(dataDir))) {
      state = JSON.parse(readFileSync(statePath(dataDir), 'utf8')) as PgState;
    } else {
      state = { password: randomBytes(18).toString('base64url'), pgDir: choosePgDir(dataDir, notes) };
      writeFileSync(statePath(dataDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    }
    if (isRoot() && state.pgDir.startsWith(dataDir)) choosePgDir(dataDir, notes);
    const port = config.db.embeddedPort ?? (await freePort());
    const server = new PostgresServer({
      binaries: await embeddedBinaries(),
      dataDir: state.pgDir,
      port,
      password: state.password,
      durable: true,
    });
    if (!server.isInitialised()) {
      notes.push(`Created a new PostgreSQL ${'cluster'} in ${state.pgDir}.`);
      await server.initialise();
    } else {
      // A previous csme killed with -9 leaves its PostgreSQL running: stop it cleanly first.
      if (server.stopOrphan()) notes.push('Stopped a PostgreSQL left running by a csme process that did not shut down.');
    }
    await server.start();
    const url = server.url(DB_NAME);
    await ensureDatabase(url);
    writeFileSync(runtimePath(dataDir), JSON.stringify({ pid: process.pid, port } satisfies Runtime), { mode: 0o600 });
    let stopped = false;
    return {
      url,
      pgDir: state.pgDir,
      notes,
      owned: true,
      server,
      async stop() {
        if (stopped) return;
        stopped = true;
        await server.stop();
        rmSync(runtimePath(dataDir), { force: true });
        releaseLock(dataDir);
      },
    };
  } catch (e) {
    releaseLock(dataDir);
    throw e;
  }
}
