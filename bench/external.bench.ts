// 8. Connector and skill speed, and the sandbox soak: the standalone benchmarks others wrote, each run as
// its own process (as `node --import tsx bench/<file>` would run it); their figures join the one table.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Benchmark, target } from './lib.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function runScript(file: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `bench/${file}`, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

const jsonLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

export const skillSpeed: Benchmark = {
  name: 'skills',
  description: 'the built-in skills on the local engine, per core (bench/skills.bench.ts)',
  async run(b) {
    const { code, out } = await runScript('skills.bench.ts', ['--seconds', b.full ? '5' : '2']);
    if (code !== 0) throw new Error(`skills.bench.ts exited with ${code}`);
    const rows = jsonLines(out) as Array<{ bench: string; unit: string; value: number }>;
    const figures = Object.fromEntries(rows.map((r) => [`${r.bench} (${r.unit})`, r.value]));
    const triage = rows.find((r) => r.bench === 'email.triage')!.value;
    return {
      name: this.name,
      figures,
      targets: [target('email.triage (messages/s/core)', triage, '>=', 2000)],
    };
  },
};

export const connectorSync: Benchmark = {
  name: 'connectors',
  description: 'the first sync of a 10,000-message mailbox from a real Dovecot (bench/connectors.bench.ts)',
  async run() {
    const { out } = await runScript('connectors.bench.ts', ['--messages', '10000']);
    const r = jsonLines(out).find((x) => x.bench === 'connectors.email-initial-sync') as
      | { syncSeconds: number; peakRssMB: number; messagesPerSecond: number; indexed: number; incrementalSyncMs: number }
      | undefined;
    if (!r) throw new Error('connectors.bench.ts printed no result');
    return {
      name: this.name,
      figures: {
        'messages indexed': r.indexed,
        'first sync s': r.syncSeconds,
        'messages/s': r.messagesPerSecond,
        'peak RSS MB': r.peakRssMB,
        'sync with nothing new ms': r.incrementalSyncMs,
      },
      targets: [target('first sync s', r.syncSeconds, '<=', 60), target('peak RSS MB', r.peakRssMB, '<=', 300)],
    };
  },
};

export const sandboxSoak: Benchmark = {
  name: 'sandbox',
  description: 'the sandbox soak (npm run chaos:sandbox): per-run overhead, throughput, memory growth',
  async run(b) {
    const runs = b.full ? 10_000 : 2_000;
    const { code, out } = await runScript('sandbox-soak.ts', [], { SOAK_RUNS: String(runs) });
    const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
    const growth = num(/growth (-?[\d.]+) MiB/);
    return {
      name: this.name,
      figures: {
        'cold run p50 ms': num(/cold \(new worker\):\s+p50 ([\d.]+) ms/),
        'warm run p50 ms': num(/warm \(pooled\):\s+p50 ([\d.]+) ms/),
        'warm run p99 ms': num(/warm \(pooled\):.*p99 ([\d.]+) ms/),
        'trivial runs/s': num(/throughput:\s+(\d+) trivial runs\/s/),
        [`soak runs/s (${runs} mixed runs)`]: num(/\d+ runs in [\d.]+ s \((\d+) runs\/s\)/),
        'RSS growth MiB': growth,
        breaches: code === 0 ? 0 : 1,
      },
      targets: [target('RSS growth MiB', growth, '<=', 32), target('breaches', code === 0 ? 0 : 1, '<=', 0)],
    };
  },
};
