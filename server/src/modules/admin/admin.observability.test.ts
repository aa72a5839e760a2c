import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '#test/harness.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env.close();
});

describe('observability as shipped', () => {
  it('the Grafana dashboard only queries metrics the platform exports, and docs/operations.md lists them', async () => {
    const dashboard = JSON.parse(readFileSync(`${root}docs/grafana/connectsoft-me.json`, 'utf8')) as {
      uid: string;
      panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
    };
    expect(dashboard.uid).toBe('csme-overview');
    const names = new Set<string>();
    for (const p of dashboard.panels)
      for (const t of p.targets ?? [])
        for (const m of t.expr.matchAll(/\bcsme_[a-z0-9_]+/g)) names.add(m[0].replace(/_(bucket|count|sum)$/, ''));
    // Process metrics come from prom-client's defaults, which tests switch off.
    const ours = [...names].filter((n) => !n.startsWith('csme_process_') && !n.startsWith('csme_nodejs_'));
    expect(ours.length).toBeGreaterThanOrEqual(11);
    const app = await env.app();
    await app.inject({ url: '/healthz' });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    const ops = readFileSync(`${root}docs/operations.md`, 'utf8');
    for (const n of ours) {
      expect(metrics, n).toContain(`# HELP ${n} `);
      expect(ops, n).toContain(n);
    }
    // The ones the issue names.
    for (const n of [
      'csme_runs_admitted_total',
      'csme_runs_refused_total',
      'csme_runs_finished_total',
      'csme_queue_depth',
      'csme_queue_oldest_wait_seconds',
      'csme_run_trigger_to_start_seconds',
      'csme_model_tokens_total',
      'csme_model_cost_micros_total',
      'csme_http_request_duration_seconds',
    ])
      expect(names.has(n), n).toBe(true);
  });
});
