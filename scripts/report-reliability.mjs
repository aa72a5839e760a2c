#!/usr/bin/env node
// `npm run report:reliability`: runs the reliability and security suites (the CI-sized forms) and
// prints their headline figures: what each tried and what must stay zero. Exit code 1 on any breach
// or failed test. The fault suite runs in its short form here; the full chaos run is `npm run chaos`.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildWeb, ensureDebianPackages, log, root, runVitest, stopOrphanServers } from './test-lib.mjs';

process.chdir(root);
process.env.TZ = 'UTC';
process.env.CI = 'true';
const started = Date.now();
const FIGURES = join(root, '.reliability');

/** The suites, by the test files that make them. */
const SUITES = [
  { name: 'hostile input', files: ['server/test/hostile.test.ts'] },
  { name: 'tenant isolation', files: ['server/test/isolation.test.ts', 'server/src/core/db.test.ts'] },
  {
    name: 'sandbox escapes',
    files: ['server/src/modules/runs/sandbox/sandbox.escape.test.ts', 'server/src/modules/runs/sandbox/sandbox.bombs.test.ts'],
  },
  { name: 'egress (SSRF)', files: ['server/src/core/egress.test.ts', 'server/src/modules/connectors/connectors.feeds.test.ts'] },
  { name: 'secrets', files: ['server/test/secrets.test.ts', 'server/src/core/vault.test.ts'] },
  { name: 'CSRF matrix', files: ['server/test/websecurity.test.ts'] },
  { name: 'stored XSS', files: ['e2e/xss.test.ts'] },
  {
    name: 'faults',
    // chaos.test.ts is the fault suite's short form; it also records the billing trials (50 triggers, one run left).
    files: [
      'server/test/chaos.test.ts',
      'server/src/modules/runs/runs.crash.test.ts',
      'server/src/app.test.ts',
      'server/src/modules/runs/runs.engine.test.ts',
    ],
  },
  { name: 'billing integrity', files: ['server/src/modules/billing/billing.stripe.test.ts'] },
];

if (!ensureDebianPackages()) process.exit(1);
stopOrphanServers();
if (!buildWeb()) {
  log('The web app did not build; the browser suite needs it.');
  process.exit(1);
}
rmSync(FIGURES, { recursive: true, force: true });
mkdirSync(FIGURES, { recursive: true });

const files = SUITES.flatMap((s) => s.files);
const serverFiles = files.filter((f) => f.startsWith('server/')).map((f) => f.slice('server/'.length));
const e2eFiles = files.filter((f) => f.startsWith('e2e/')).map((f) => f.slice('e2e/'.length));
const runs = [
  runVitest('server suites', ['--project', 'server', ...serverFiles], '.vitest-reliability-server.json'),
  runVitest('browser suites', ['--project', 'e2e', ...e2eFiles], '.vitest-reliability-e2e.json'),
];

// Tests per suite, from the reports.
const results = runs.flatMap((r) => r.report?.testResults ?? []);
const figures = Object.fromEntries(
  readdirSync(FIGURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const j = JSON.parse(readFileSync(join(FIGURES, f), 'utf8'));
      return [j.suite, j];
    }),
);
const rows = SUITES.map((s) => {
  const mine = results.filter((r) => s.files.some((f) => r.name.endsWith(f)));
  const tests = mine.flatMap((r) => r.assertionResults ?? []);
  const passed = tests.filter((t) => t.status === 'passed').length;
  const fig = figures[s.name];
  return {
    suite: s.name,
    tried: fig ? Object.entries(fig.figures).map(([k, v]) => `${Number(v).toLocaleString('en-US')} ${k}`) : [],
    breaches: fig ? fig.breaches : 0,
    tests: `${passed}/${tests.length}`,
    ok: tests.length > 0 && passed === tests.length && (!fig || fig.breaches === 0),
  };
});

const minutes = ((Date.now() - started) / 60_000).toFixed(1);
log('');
log(`Reliability report, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (npm run report:reliability, ${minutes} min)`);
log('');
const w = [20, 62, 9, 8];
const line = (cells) => cells.map((c, i) => String(c).padEnd(w[i])).join(' ');
log(line(['suite', 'tried', 'breaches', 'tests']));
log(line(w.map((n) => '-'.repeat(n))));
for (const r of rows) {
  const tried = r.tried.length ? r.tried : ['(tests only)'];
  log(line([r.suite, tried[0], r.breaches, `${r.tests}${r.ok ? '' : '  ✗'}`]));
  for (const more of tried.slice(1)) log(line(['', more, '', '']));
}
const breaches = rows.reduce((n, r) => n + r.breaches, 0);
const failedTests = runs.reduce((n, r) => n + r.failed, 0);
log('');
log(JSON.stringify({ report: 'reliability', at: new Date().toISOString(), minutes: Number(minutes), breaches, failedTests, suites: rows }));
log(breaches || failedTests ? `✗ ${breaches} breaches, ${failedTests} failed tests` : '✓ 0 breaches, every suite passed');
process.exit(breaches || failedTests ? 1 : 0);
