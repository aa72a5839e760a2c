// Runs after `npm install` / `npm ci`: builds the web app so that `npm start` can serve it.
// Skipped when vite is absent (a production install without dev dependencies ships a built web/dist).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const vite = `${root}node_modules/vite/bin/vite.js`;
if (!existsSync(vite)) {
  console.log('prepare: vite is not installed; using the web app already in web/dist');
  process.exit(0);
}
const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: `${root}web`, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log('prepare: built the web app into web/dist');
