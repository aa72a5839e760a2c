import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeysFile, keysAsEnv } from '../src/core/keys.js';
import { freePort } from '../src/core/postgres.js';

const root = resolve(import.meta.dirname, '../..');
const csme = join(root, 'server/bin/csme.js');
const started: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts `csme start` like a person would and waits for its "running at" line. */
async function start(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [csme, 'start'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no start within 60 s:\n${out}`)), 60_000);
    const poll = setInterval(() => {
      if (out.includes('is running at')) {
        clearInterval(poll);
        clearTimeout(t);
        res();
      } else if (child.exitCode !== null) {
        clearInterval(poll);
        clearTimeout(t);
        rej(new Error(`exited early:\n${out}`));
      }
    }, 50);
  });
  return { child, output: () => out, port };
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((res) => (c.exitCode !== null ? res(c.exitCode) : c.once('exit', (code) => res(code))));

function runCli(args: string[], env: Record<string, string>, input?: string) {
  try {
    return {
      code: 0,
      out: execFileSync(process.execPath, [csme, ...args], {
        cwd: root,
        env: { ...process.env, ...env },
        encoding: 'utf8',
        input,
        stdio: 'pipe',
      }),
    };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: `${err.stdout}${err.stderr}` };
  }
}

describe('csme start', () => {
  it('starts in a data folder only root can reach, refuses a second start on it, and stops cleanly on Ctrl-C', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'csme-cli-'));
    dirs.push(dataDir);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const t0 = Date.now();
    const a = await start({ CSME_DATA_DIR: dataDir });
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(a.output()).toContain(`http://localhost:${a.port}`);
    expect((await fetch(`http://127.0.0.1:${a.port}/readyz`)).status).toBe(200);
    expect(statSync(join(dataDir, 'keys.json')).mode & 0o777).toBe(0o600);
    expect(a.output()).not.toMatch(/"key"\s*:/);

    // The admin commands reach the running instance's database.
    const op = runCli(
      ['admin', 'create', '--email', 'ops@example.test', '--password-stdin'],
      { CSME_DATA_DIR: dataDir },
      'an operator password\n',
    );
    expect(op.out).toContain('Created operator ops@example.test');
    const plan = runCli(['admin', 'plan', 'ops@example.test', 'pro'], { CSME_DATA_DIR: dataDir });
    expect(plan.out).toMatch(/is now on pro/);
    const fam = runCli(['admin', 'family', 'create', 'ops@example.test'], { CSME_DATA_DIR: dataDir });
    expect(fam.out).toMatch(/Created family space/);
    const bad = runCli(['admin', 'plan', 'ops@example.test', 'family'], { CSME_DATA_DIR: dataDir });
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('A personal space can be set to "free" or "pro".');

    const second = runCli(['start'], { CSME_DATA_DIR: dataDir, PORT: String(await freePort()) });
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/Another csme \(pid \d+\) is already running with the data folder/);

    const pgPid = Number(readFileSync(join(dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[0]);
    a.child.kill('SIGINT');
    expect(await exited(a.child)).toBe(0);
    expect(a.output()).toContain('Stopped.');
    expect(() => process.kill(pgPid, 0)).toThrow(); // no orphan PostgreSQL
    expect(existsSync(join(dataDir, 'csme.lock'))).toBe(false);

    // Data survives a restart.
    const b = await start({ CSME_DATA_DIR: dataDir });
    const r = await fetch(`http://127.0.0.1:${b.port}/api/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ops@example.test', password: 'an operator password' }),
    });
    expect(r.status).toBe(200);
    b.child.kill('SIGTERM');
    expect(await exited(b.child)).toBe(0);
  }, 120_000);

  it('recovers a data folder whose csme was killed with -9 (its PostgreSQL left running)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'csme-cli-'));
    dirs.push(dataDir);
    const a = await start({ CSME_DATA_DIR: dataDir });
    const pgPid = Number(readFileSync(join(dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[0]);
    a.child.kill('SIGKILL');
    await exited(a.child);
    expect(() => process.kill(pgPid, 0)).not.toThrow();
    const b = await start({ CSME_DATA_DIR: dataDir });
    expect(b.output()).toContain('Stopped a PostgreSQL left running');
    b.child.kill('SIGINT');
    expect(await exited(b.child)).toBe(0);
  }, 120_000);

  it('says clearly when DATABASE_URL points at a PostgreSQL that is down', () => {
    const keys = Object.fromEntries(
      keysAsEnv(generateKeysFile())
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const r = runCli(['start'], { ...keys, DATABASE_URL: 'postgres://x:y@127.0.0.1:1/none' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/csme: cannot reach PostgreSQL at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    const empty = mkdtempSync(join(tmpdir(), 'csme-cli-'));
    dirs.push(empty);
    const noKeys = runCli(['start'], { DATABASE_URL: 'postgres://x:y@127.0.0.1:1/none', CSME_DATA_DIR: empty });
    expect(noKeys.out).toContain('With DATABASE_URL set, every key must come from the environment; missing: CSME_MASTER_KEYS');
  });

  it('as root, puts PostgreSQL where the postgres user can reach it when the data folder is in a private home', async () => {
    const dataDir = mkdtempSync(join('/root', '.csme-cli-'));
    dirs.push(dataDir);
    const a = await start({ CSME_DATA_DIR: dataDir });
    expect(a.output()).toMatch(
      /PostgreSQL data is in \/var\/lib\/csme\/data-[0-9a-f]{12}\/postgres, because the postgres user cannot pass through \/root/,
    );
    expect((await fetch(`http://127.0.0.1:${a.port}/readyz`)).status).toBe(200);
    const pgDir = JSON.parse(readFileSync(join(dataDir, 'postgres.json'), 'utf8')).pgDir as string;
    dirs.push(pgDir.replace(/\/postgres$/, ''));
    a.child.kill('SIGINT');
    expect(await exited(a.child)).toBe(0);
  }, 120_000);

  it('reports every wrong setting at once and exits non-zero', () => {
    const r = runCli(['start'], { PORT: 'http', LOG_LEVEL: 'chatty' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('PORT');
    expect(r.out).toContain('LOG_LEVEL');
  });
});
