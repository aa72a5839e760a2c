// What `npm test` and `npm run report:reliability` share: the Debian packages the tests need, the
// clean-up of servers a killed run left behind, and running vitest with its JSON report read back.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const node = process.execPath;
export const bin = (pkg, file) => `${root}node_modules/${pkg}/${file}`;
export const log = (s) => process.stdout.write(`${s}\n`);

/** Dovecot (IMAP), Radicale (CalDAV) with pytz, Chromium, PostgreSQL 15, DejaVu fonts, an emoji font (packs' icons in screenshots). */
const PACKAGES = {
  'dovecot-imapd': '/usr/sbin/dovecot',
  radicale: '/usr/bin/radicale',
  'python3-tz': '/usr/lib/python3/dist-packages/pytz/__init__.py',
  chromium: '/usr/bin/chromium',
  'postgresql-15': '/usr/lib/postgresql/15/bin/postgres',
  'fonts-dejavu-core': '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  'fonts-noto-color-emoji': '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf',
};

/** Installs the missing packages as root; otherwise says what to install. Returns false when it could not. */
export function ensureDebianPackages() {
  const missing = Object.entries(PACKAGES)
    .filter(([, path]) => !existsSync(path))
    .map(([pkg]) => pkg);
  if (!missing.length) return true;
  if (process.getuid?.() !== 0) {
    log(
      `The tests need these Debian packages: ${missing.join(' ')}. Install them (sudo apt-get install ${missing.join(' ')}) and run again.`,
    );
    return false;
  }
  log(`Installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  return true;
}

/** Servers of an earlier run that was killed hard (their parent is gone) would hold memory and ports. */
export function stopOrphanServers() {
  try {
    const ps = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
    for (const line of ps.split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
      if (m && m[2] === '1' && /postgres -D \/tmp\/csme-(test|e2e|env|dbtypes|chaos-run)-/.test(m[3])) process.kill(Number(m[1]), 'SIGINT');
    }
  } catch {
    // ps is optional
  }
}

/** Builds the web app (the browser tests and the server's static tests use it). */
export function buildWeb() {
  return spawnSync(node, [bin('vite', 'bin/vite.js'), 'build', '--logLevel', 'warn'], { stdio: 'inherit', cwd: `${root}web` }).status === 0;
}

/**
 * Runs vitest with a JSON report and counts from it. Skipped tests, files that did not load and a run
 * that failed outside the tests all count as failures: nothing is silently skipped.
 */
export function runVitest(name, args, report) {
  rmSync(report, { force: true });
  const t0 = Date.now();
  spawnSync(node, [bin('vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args], {
    stdio: 'inherit',
    cwd: root,
  });
  const seconds = ((Date.now() - t0) / 1000).toFixed(0);
  if (!existsSync(report)) {
    log(`✗ ${name}: the test run ended without a report`);
    return { passed: 0, failed: 1, problem: `${name}: the test run ended without a report`, report: null };
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (r.numTotalTests === 0 || (r.success === false && r.numFailedTests === 0 && !skipped)) {
    log(`✗ ${name}: no test ran, or the run failed outside the tests (see above)`);
    return { passed: r.numPassedTests ?? 0, failed: 1, problem: `${name}: run error`, report: r };
  }
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  const bad = r.numFailedTests + skipped + brokenFiles;
  log(`${bad ? '✗' : '✓'} ${name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped (${seconds} s)`);
  return {
    passed: r.numPassedTests,
    failed: bad,
    problem: bad ? `${name}: ${r.numFailedTests} failed, ${skipped} skipped, ${brokenFiles} files did not load` : null,
    report: r,
  };
}
