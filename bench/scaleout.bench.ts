// Scaling out: the throughput benchmark against 2 API processes and 2 worker processes
// (`csme serve --role api|worker`, as production runs them) sharing one PostgreSQL on this machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromSources, generateKeysFile, keysAsEnv } from '../server/src/core/keys.js';
import { freePort } from '../server/src/core/postgres.js';
import { engineSpaces, findMaxRate, throughputStep, webhookTargets } from './engine.bench.js';
import { type Benchmark, percentile, processCpuSeconds, round, sleep, startPlatform, target, waitUntil } from './lib.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export const scaleOut: Benchmark = {
  name: 'scale-out',
  description: 'the throughput benchmark with 2 API and 2 worker processes (csme serve --role api|worker) on one PostgreSQL',
  async run(b) {
    const seconds = b.full ? 60 : 8;
    const url = await b.database('bench_scaleout');
    const keysFile = generateKeysFile();
    const keyEnv = Object.fromEntries(
      keysAsEnv(keysFile)
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    // This process prepares the spaces (API only, never listening to the load) and watches the database.
    const p = await startPlatform(url, { worker: false, keys: fromSources({}, keysFile) });
    const children: ChildProcess[] = [];
    const dirs: string[] = [];
    try {
      const spaces = await engineSpaces(p, 8);
      const origins: string[] = [];
      const start = async (role: 'api' | 'worker') => {
        const port = await freePort();
        const dataDir = mkdtempSync(join(tmpdir(), 'csme-bench-serve-'));
        dirs.push(dataDir);
        const child = spawn(process.execPath, [join(root, 'server/bin/csme.js'), 'serve', '--role', role], {
          cwd: root,
          env: {
            ...process.env,
            ...keyEnv,
            NODE_ENV: 'production',
            DATABASE_URL: url,
            PORT: String(port),
            LOG_LEVEL: 'warn',
            CSME_DATA_DIR: dataDir,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout!.on('data', (c) => {
          out += c;
        });
        children.push(child);
        await waitUntil(async () => out.includes('is running'), `csme serve --role ${role}`, 120_000, 200);
        if (role === 'api') origins.push(`http://127.0.0.1:${port}`);
      };
      await Promise.all([start('api'), start('api'), start('worker'), start('worker')]);
      await sleep(2000);
      const targets = webhookTargets(origins, spaces);
      await throughputStep(p.deps, targets, 50, 2); // warm-up
      const single = b.shared.maxRunsPerSecond || 0;
      const search = await findMaxRate(
        b,
        // CPU of the 4 children (this process only watches the database and is not counted).
        (rate) => throughputStep(p.deps, targets, rate, seconds, () => processCpuSeconds(children.map((c) => c.pid ?? 0)), b.pg),
        single ? Math.round(single * 0.7) : 150,
      );
      const max = search.best?.rate ?? 0;
      const passed = search.steps.filter((x) => x.ok);
      return {
        name: this.name,
        figures: {
          'max runs/s, 2 API + 2 worker processes': max,
          'max runs/s, one process (throughput benchmark)': single,
          'ratio to one process': single ? round(max / single) : 'n/a',
          'write transactions per run': search.best?.writesPerRun ?? 0,
          'CPU ms per run, the 4 processes': round(
            percentile(
              passed.map((x) => x.nodeCpuMs),
              50,
            ),
          ),
          'CPU ms per run, PostgreSQL': round(
            percentile(
              passed.map((x) => x.pgCpuMs),
              50,
            ),
          ),
          [`rates tried (${seconds} s each)`]: search.steps.map((s) => `${s.rate}${s.ok ? '' : '✗'}`).join(' '),
        },
        targets: [target('max runs/s, 2 API + 2 worker processes', max, '>=', 500)],
        notes: [
          'on one 2-core machine the extra processes share the same two cores with PostgreSQL: this shows the processes cooperate (no lost or doubled run, one queue), not extra capacity',
        ],
      };
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGINT');
      await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
      await p.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  },
};
