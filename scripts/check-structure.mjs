#!/usr/bin/env node
// Names chosen once and checked by a script, not by memory (STYLE.md):
// - a module's files are <module>.<role>.ts with a role from the closed set, plus index.ts;
// - other modules import a module only through #modules/<name>/index.js;
// - migrations are named YYYYMMDDTHHMM_<verb>_<object>.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const modulesDir = join(root, 'server/src/modules');
const ROLES = ['routes', 'service', 'repository', 'presenter', 'jobs', 'policy', 'config', 'privacy'];
/** Folders inside a module that hold many files of one kind, with the reason (also written in the module's index.ts). */
const SUBFOLDERS = {
  skills: ['builtin'],
  connectors: ['email', 'calendar', 'feeds', 'files', 'http'],
  apps: ['tasks', 'notes', 'lists', 'contacts', 'reminders', 'calendar', 'invoices', 'expenses', 'documents', 'cards'],
  runs: ['sandbox'],
  packs: ['builtin'],
  billing: ['providers'],
};
const problems = [];

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

for (const mod of readdirSync(modulesDir)) {
  const dir = join(modulesDir, mod);
  if (!statSync(dir).isDirectory()) continue;
  for (const file of walk(dir)) {
    const rel = relative(dir, file);
    const parts = rel.split('/');
    if (parts.length > 1) {
      if (!(SUBFOLDERS[mod] ?? []).includes(parts[0]))
        problems.push(`server/src/modules/${mod}/${rel}: module "${mod}" has no subfolder "${parts[0]}" in scripts/check-structure.mjs`);
      continue;
    }
    const name = parts[0];
    if (name === 'index.ts') continue;
    const test = /^([a-z-]+)\.([a-z0-9-]+)\.test\.ts$/.exec(name);
    if (test) {
      if (test[1] !== mod) problems.push(`server/src/modules/${mod}/${name}: a test of module ${mod} is named ${mod}.<topic>.test.ts`);
      continue;
    }
    const m = /^([a-z-]+)\.([a-z]+)\.ts$/.exec(name);
    if (!m || m[1] !== mod || !ROLES.includes(m[2]))
      problems.push(`server/src/modules/${mod}/${name}: expected ${mod}.<role>.ts with role one of ${ROLES.join(', ')}`);
  }
}

// Module boundaries: only index.js of another module.
for (const file of walk(join(root, 'server/src'))) {
  if (!file.endsWith('.ts')) continue;
  const text = readFileSync(file, 'utf8');
  const here = /server\/src\/modules\/([^/]+)\//.exec(file)?.[1];
  for (const m of text.matchAll(/from '#modules\/([^/']+)\/([^']+)'/g)) {
    if (m[2] !== 'index.js' && m[1] !== here)
      problems.push(`${relative(root, file)}: imports #modules/${m[1]}/${m[2]}; import #modules/${m[1]}/index.js instead`);
  }
  for (const m of text.matchAll(/from '\.\.\/([a-z-]+)\/([^']+)'/g)) {
    if (here && m[1] !== here && existsModule(m[1]))
      problems.push(`${relative(root, file)}: reaches into module ${m[1]} by a relative path; import #modules/${m[1]}/index.js`);
  }
}
function existsModule(name) {
  try {
    return statSync(join(modulesDir, name)).isDirectory();
  } catch {
    return false;
  }
}

for (const f of readdirSync(join(root, 'server/src/migrations'))) {
  if (f === 'index.ts' || statSync(join(root, 'server/src/migrations', f)).isDirectory()) continue;
  if (!/^\d{8}T\d{4}_[a-z]+_[a-z0-9_]+\.ts$/.test(f))
    problems.push(`server/src/migrations/${f}: expected YYYYMMDDTHHMM_<verb>_<object>.ts`);
}

if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log('structure: names and module boundaries are as STYLE.md says');
