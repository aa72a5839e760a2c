#!/usr/bin/env node
// `npm test`: the whole suite on a fresh machine. Installs the Debian packages the tests need
// (as root), runs the static checks, builds the web app, runs every test project (the server
// suite on the embedded PostgreSQL 18 and its smoke subset on the system's PostgreSQL 15, the
// contracts, SDK and web unit tests), then the browser journeys. Last line: `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { bin, buildWeb, ensureDebianPackages, log, node, root, runVitest, stopOrphanServers } from './test-lib.mjs';

process.chdir(root);
process.env.TZ = 'UTC';
process.env.CI = 'true';

let passed = 0;
let failed = 0;
const failures = [];

function check(name, cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = typeof cmd === 'function' ? { status: cmd() ? 0 : 1 } : spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  const ok = r.status === 0;
  log(`${ok ? '✓' : '✗'} ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (ok) passed++;
  else {
    failed++;
    failures.push(name);
  }
  return ok;
}

// 1. Debian packages: Dovecot (IMAP), Radicale (CalDAV) with pytz, Chromium, PostgreSQL 15, DejaVu fonts.
if (!ensureDebianPackages()) {
  log('0 passed, 1 failed');
  process.exit(1);
}
stopOrphanServers();

// 2. Static checks.
const hasSources = (ws) =>
  existsSync(`${ws}/tsconfig.json`) &&
  readdirSync(ws, { recursive: true }).some((f) => /\.tsx?$/.test(String(f)) && !String(f).includes('node_modules'));
const tsc = bin('typescript', 'bin/tsc');
for (const ws of ['contracts', 'sdk', 'server', 'web', 'e2e']) if (hasSources(ws)) check(`typecheck ${ws}`, node, [tsc, '-p', ws]);
check('lint and format (biome)', node, [bin('@biomejs/biome', 'bin/biome'), 'check', '.', '--diagnostic-level=error']);
check('file names and module boundaries', node, ['scripts/check-structure.mjs']);

// 3. The web app, served by the browser tests.
check('build the web app', buildWeb);

// 4. Tests.
function vitest(name, args, report) {
  const r = runVitest(name, args, report);
  passed += r.passed;
  failed += r.failed;
  if (r.problem) failures.push(r.problem);
}

vitest(
  'unit and integration tests',
  ['--project', 'server', '--project', 'server-pg15', '--project', 'contracts', '--project', 'sdk', '--project', 'web'],
  '.vitest-main.json',
);
vitest('browser journeys', ['--project', 'e2e'], '.vitest-e2e.json');

if (failures.length) {
  log('\nFailed:');
  for (const f of failures) log(`  - ${f}`);
}
log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
