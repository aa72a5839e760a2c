import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: { baseUrl: string; dataDir: string; root: string };
  }
}

const freePort = () =>
  new Promise<number>((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? res(a.port) : rej(new Error('no port'))));
    });
  });

/**
 * The browser journeys run against the real platform, started the way a person starts it
 * (`csme start`: embedded PostgreSQL, API, web app and worker in one process), in a fresh data folder.
 */
export default async function setup(project: TestProject) {
  const root = resolve(import.meta.dirname, '..');
  const dataDir = mkdtempSync(join(tmpdir(), 'csme-e2e-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [join(root, 'server/bin/csme.js'), 'start'], {
    cwd: root,
    env: {
      ...process.env,
      CSME_DATA_DIR: dataDir,
      PORT: String(port),
      CSME_PUBLIC_URL: baseUrl,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c) => (output += c));
  child.stderr?.on('data', (c) => (output += c));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`csme start exited early:\n${output}`);
    try {
      const r = await fetch(`${baseUrl}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`csme start did not become ready in 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  project.provide('e2e', { baseUrl, dataDir, root });
  return async () => {
    child.kill('SIGTERM');
    await new Promise<void>((res) => {
      if (child.exitCode !== null) return res();
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        res();
      }, 20_000);
      child.once('exit', () => {
        clearTimeout(t);
        res();
      });
    });
    rmSync(dataDir, { recursive: true, force: true });
  };
}
