#!/usr/bin/env node
// `npm test`: the whole suite on a fresh machine. Installs the Debian packages the tests need
// (as root), runs the static checks, builds the web app, runs every test project (the server
// suite on the embedded PostgreSQL 18 and its smoke subset on the system's PostgreSQL 15, the
// contracts, SDK and web unit tests), then the browser journeys. Last line: `N passed, N failed`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
process.env.TZ = 'UTC';
process.env.CI = 'true';

let passed = 0;
let failed = 0;
const failures = [];
const log = (s) => process.stdout.write(`${s}\n`);
const node = process.execPath;
const bin = (pkg, file) => `${root}node_modules/${pkg}/${file}`;

function check(name, cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
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
const PACKAGES = {
  'dovecot-imapd': '/usr/sbin/dovecot',
  radicale: '/usr/bin/radicale',
  'python3-tz': '/usr/lib/python3/dist-packages/pytz/__init__.py',
  chromium: '/usr/bin/chromium',
  'postgresql-15': '/usr/lib/postgresql/15/bin/postgres',
  'fonts-dejavu-core': '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
};
const missing = Object.entries(PACKAGES)
  .filter(([, path]) => !existsSync(path))
  .map(([pkg]) => pkg);
if (missing.length) {
  if (process.getuid?.() !== 0) {
    log(
      `The tests need these Debian packages: ${missing.join(' ')}. Install them (sudo apt-get install ${missing.join(' ')}) and run npm test again.`,
    );
    log(`0 passed, 1 failed`);
    process.exit(1);
  }
  log(`Installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}

// Servers of an earlier run that was killed hard (their parent is gone) would hold memory and ports.
try {
  const ps = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  for (const line of ps.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m && m[2] === '1' && /postgres -D \/tmp\/csme-(test|e2e|env|dbtypes)-/.test(m[3])) process.kill(Number(m[1]), 'SIGINT');
  }
} catch {
  // ps is optional
}

// 2. Static checks.
const hasSources = (ws) =>
  existsSync(`${ws}/tsconfig.json`) &&
  readdirSync(ws, { recursive: true }).some((f) => /\.tsx?$/.test(String(f)) && !String(f).includes('node_modules'));
const tsc = bin('typescript', 'bin/tsc');
for (const ws of ['contracts', 'sdk', 'server', 'web', 'e2e']) if (hasSources(ws)) check(`typecheck ${ws}`, node, [tsc, '-p', ws]);
check('lint and format (biome)', node, [bin('@biomejs/biome', 'bin/biome'), 'check', '.', '--diagnostic-level=error']);
check('file names and module boundaries', node, ['scripts/check-structure.mjs']);

// 3. The web app, served by the browser tests.
check('build the web app', node, [bin('vite', 'bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: `${root}web` });

// 4. Tests.
function vitest(name, args, report) {
  rmSync(report, { force: true });
  const t0 = Date.now();
  spawnSync(node, [bin('vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args], {
    stdio: 'inherit',
  });
  if (!existsSync(report)) {
    log(`✗ ${name}: the test run ended without a report`);
    failed++;
    failures.push(name);
    return;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (r.numTotalTests === 0 || (r.success === false && r.numFailedTests === 0 && !skipped)) {
    log(`✗ ${name}: no test ran, or the run failed outside the tests (see above)`);
    failed++;
    failures.push(`${name}: run error`);
    return;
  }
  // Suites that fail to load count as failures too.
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  passed += r.numPassedTests;
  failed += r.numFailedTests + skipped + brokenFiles;
  if (r.numFailedTests || skipped || brokenFiles)
    failures.push(`${name}: ${r.numFailedTests} failed, ${skipped} skipped, ${brokenFiles} files did not load`);
  log(
    `${r.numFailedTests || skipped || brokenFiles ? '✗' : '✓'} ${name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  );
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
